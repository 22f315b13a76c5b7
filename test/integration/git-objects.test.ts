/**
 * ObjectSession (one `cat-file --batch-command` for a run) against git's own answers: every
 * listing equals `git ls-tree` of the same paths, sizes and contents equal `cat-file`'s. And a
 * local-mode run (load + commit) starts few git processes, counted by git's own trace.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Git, lsTree, objectSizes, readBlobsCapped } from '../../src/adapters/git-cli.js';
import { ObjectSession } from '../../src/adapters/git-objects.js';
import { GitStateStore } from '../../src/adapters/git-state-store.js';

let root: string;
let git: Git;
let tip: string;

const FILES: Record<string, string> = {
  'README.md': 'readme\n',
  'health/2026-03-01/100000-a.md': 'a',
  'health/2026-03-02/100000-b.md': 'bb',
  'health/2026-03-02/110000-c d.md': 'with a space',
  'health/2026-03-02.md': 'a file sorting between the day directories',
  'history/web1/2026-03.tsv': 'x\t1\n',
  'history/web1/endpoints.tsv': 'e\n',
  'history/wéb-2/2026-03.tsv': `${'y'.repeat(5000)}\n`,
  'history/wéb-2/deeper/nested.tsv': 'z\n',
  'state/web1.json': '{}',
  'issues/web1--disk--.md': 'issue',
};

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'claudeops-objects-test-'));
  const dir = join(root, 'repo');
  await execa('git', ['init', '-q', dir]);
  for (const [path, content] of Object.entries(FILES)) {
    await execa('mkdir', ['-p', join(dir, path, '..')]);
    await writeFile(join(dir, path), content);
  }
  await execa('ln', ['-s', 'README.md', join(dir, 'state', 'link.json')]);
  await execa('chmod', ['+x', join(dir, 'issues', 'web1--disk--.md')]);
  await execa('git', ['-C', dir, 'add', '-A']);
  await execa('git', ['-C', dir, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '-m', 'x']);
  git = new Git(dir);
  tip = (await git.run(['rev-parse', 'HEAD'])).stdout.trim();
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('ObjectSession', () => {
  const queries: [string[], boolean][] = [
    [['health/', 'actions/', 'issues/', 'approvals/', 'state/'], false],
    [
      ['health/2026-03-02/', 'history/web1/2026-03.tsv', 'history/web1/endpoints.tsv', 'history/gone/x.tsv'],
      false,
    ],
    [['history/'], true],
    [['history/', 'health/'], true],
    [['history/wéb-2/2026-03.tsv', 'state/web1.json', 'README.md', 'nothing/'], false],
    [['health/2026-03-02'], false],
    [['health/2026-03-02/', 'health/2026-03-02/100000-b.md'], false],
  ];

  it('lists exactly what git ls-tree lists, in the same order', async () => {
    const session = new ObjectSession(git);
    try {
      for (const [paths, recursive] of queries) {
        const expected = await lsTree(git, tip, paths, recursive);
        expect(await session.list(tip, paths, recursive), paths.join(' ')).toEqual(expected);
      }
    } finally {
      session.close();
    }
  });

  it('gives the sizes and capped contents cat-file gives, and measures a large blob without reading it', async () => {
    const entries = await lsTree(git, tip, ['history/'], true);
    const oids = [...entries.map((e) => e.oid), '0'.repeat(40)];
    const session = new ObjectSession(git);
    try {
      expect(await session.sizes(oids)).toEqual(await objectSizes(git, oids));
      const capped = await session.blobsCapped(oids, 100);
      expect(capped).toEqual(await readBlobsCapped(git, oids, 100));
      expect([...capped.sizes.values()]).toContain(5001);
      expect([...capped.contents.values()]).not.toContain(`${'y'.repeat(5000)}\n`);
    } finally {
      session.close();
    }
  });

  it('fails with git’s message when the process dies, and a closed session rejects', async () => {
    const broken = new ObjectSession(new Git(join(root, 'not-a-repository')));
    await expect(broken.list('HEAD', ['health/'])).rejects.toThrow(/cat-file|spawn|ENOENT/);
    const session = new ObjectSession(git);
    await session.list(tip, ['state/']);
    session.close();
    session.close();
  });
});

describe('recording to a local state repository', () => {
  it('loads and commits with the state repository’s objects in place: no fetch, few git processes', async () => {
    const dir = join(root, 'local-state');
    const work = join(root, 'work');
    const trace = join(root, 'trace.json');
    const run = async (id: string) => {
      const store = new GitStateStore({ localDir: dir, workDir: work });
      await store.load();
      const result = await store.commit(
        [
          { path: `health/2026-03-01/10000${id}-x.md`, content: `# ${id}\n` },
          { path: 'state/web1.json', content: `{"server":"web1","runs":${id}}` },
          // a name fast-import must read C-quoted
          { path: `issues/"q" b\\s\tt é${id}.md`, content: 'odd' },
        ],
        `run ${id}`,
      );
      await store.dispose();
      return result;
    };
    await run('1');
    process.env.GIT_TRACE2_EVENT = trace;
    let result: Awaited<ReturnType<typeof run>>;
    try {
      result = await run('2');
    } finally {
      delete process.env.GIT_TRACE2_EVENT;
    }
    expect(result.pushed).toBe(true);
    expect(await readFile(join(dir, 'health/2026-03-01/100002-x.md'), 'utf8')).toBe('# 2\n');
    expect(await readFile(join(dir, 'issues/"q" b\\s\tt é2.md'), 'utf8')).toBe('odd');
    const log = await execa('git', ['-C', dir, 'log', '--format=%s|%an|%ae', 'claudeops-state']);
    expect(log.stdout.split('\n')).toEqual([
      'run 2|claudeops[bot]|claudeops[bot]@users.noreply.github.com',
      'run 1|claudeops[bot]|claudeops[bot]@users.noreply.github.com',
    ]);
    // a run that changes nothing makes no commit
    const same = new GitStateStore({ localDir: dir, workDir: work });
    await same.load();
    const unchanged = await same.commit(
      [{ path: 'state/web1.json', content: '{"server":"web1","runs":2}' }],
      'x',
    );
    await same.dispose();
    expect(unchanged.sha).toBe((await execa('git', ['-C', dir, 'rev-parse', 'claudeops-state'])).stdout);
    const started = (await readFile(trace, 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { event: string; argv?: string[] })
      .filter((e) => e.event === 'start')
      .map((e) => (e.argv ?? []).filter((a, i, all) => a !== '-c' && all[i - 1] !== '-c').join(' '));
    // nothing fetched: the clone reads the state repository's objects (alternates)
    expect(started.filter((a) => / fetch |upload-pack/.test(a))).toEqual([]);
    // one cat-file for every listing and read of the run
    expect(started.filter((a) => /cat-file|ls-tree/.test(a))).toHaveLength(1);
    // one fast-import writes the commit (was read-tree, hash-object, update-index, write-tree, commit-tree)
    expect(started.filter((a) => /fast-import/.test(a))).toHaveLength(1);
    // before: 37 processes (21 started by the store); now no clone `init` and no push (the commit
    // lands directly: test/integration/local-state-repo.test.ts)
    expect(started.length).toBeLessThanOrEqual(6);
  });
});

describe('Git (one git command, spawned directly)', () => {
  it('gives stdout whole and byte for byte, and git’s own message on failure', async () => {
    const listed = await git.runBuffer(['cat-file', '--batch'], {
      input: `${tip}:history/wéb-2/2026-03.tsv\n`,
    });
    expect(listed.toString('utf8')).toMatch(
      new RegExp(`^[0-9a-f]{40} blob 5001\\n${'y'.repeat(5000)}\\n\\n$`),
    );
    await expect(git.run(['rev-parse', '--verify', 'no-such-ref'])).rejects.toThrow(
      /git rev-parse failed: fatal: Needed a single revision/,
    );
    const missing = await git.run(['cat-file', '-e', 'no-such-ref'], { allowFailure: true });
    expect(missing.exitCode).not.toBe(0);
  });

  it('stops a git past its time, and survives a git that exits before reading its input', async () => {
    const slow = new Git(root, { timeoutMs: 300 });
    const started = Date.now();
    const stopped = await slow.run(['-c', 'alias.wait=!exec sleep 3', 'wait'], { allowFailure: true });
    expect(stopped.exitCode).toBe(-1);
    expect(stopped.stderr).toMatch(/timed out after 300 ms/);
    expect(Date.now() - started).toBeLessThan(2_900);
    // `git version` reads no input: 8 MB into a closed pipe is no crash
    const early = await git.run(['version'], { input: 'x'.repeat(8_000_000) });
    expect(early.stdout).toMatch(/^git version /);
  });

  it('a reader that throws stops git and fails the call (no uncaught error)', async () => {
    const boom = new Error('the reader gave up');
    const oid = (await git.run(['rev-parse', `${tip}:history/wéb-2/2026-03.tsv`])).stdout.trim();
    await expect(
      git.stream(['cat-file', '--batch'], `${oid}\n`.repeat(200), () => {
        throw boom;
      }),
    ).rejects.toBe(boom);
  });

  it('keeps the end of a long stderr, where git puts its error', async () => {
    const noisy = new Git(root);
    const script = `!for i in $(seq 3000); do echo "warning: line $i of noise" >&2; done; echo "fatal: the real reason" >&2; exit 3`;
    const failed = await noisy.run(['-c', `alias.noisy=${script}`, 'noisy'], { allowFailure: true });
    expect(failed.exitCode).toBe(3);
    expect(failed.stderr.length).toBeLessThanOrEqual(65_536);
    expect(failed.stderr.trimEnd().endsWith('fatal: the real reason')).toBe(true);
  });
});
