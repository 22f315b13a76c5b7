/**
 * Local mode lands a run's commit directly (pack copied in, working tree moved, branch moved with
 * a compare-and-swap) only when a push could not tell the difference: with a push hook, a
 * `receive.*` rule or a checked-out branch that refuses pushes, it pushes, and git's own refusal
 * holds. Counted with git's trace (GIT_TRACE2_EVENT), on real repositories.
 */
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitStateStore } from '../../src/adapters/git-state-store.js';
import { LocalStateRepo, receiveRules } from '../../src/adapters/local-state-repo.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'claudeops-local-repo-test-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

let runs = 0;
/** One run (load + commit of a report and a state file); the git commands it started. */
async function run(dir: string): Promise<{ pushed: boolean; error?: string; started: string[] }> {
  const id = ++runs;
  const trace = join(root, `trace-${id}.json`);
  process.env.GIT_TRACE2_EVENT = trace;
  try {
    const store = new GitStateStore({ localDir: dir, workDir: join(root, 'work') });
    await store.load();
    const result = await store.commit(
      [
        { path: `health/2026-03-01/1000${id}-x.md`, content: `# run ${id}\n` },
        { path: 'state/web1.json', content: `{"server":"web1","runs":${id}}` },
      ],
      `run ${id}`,
      {},
    );
    await store.dispose();
    return {
      pushed: result.pushed,
      ...(result.error ? { error: result.error } : {}),
      started: await started(trace),
    };
  } finally {
    delete process.env.GIT_TRACE2_EVENT;
  }
}

async function started(trace: string): Promise<string[]> {
  const text = await readFile(trace, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { event: string; argv?: string[] })
    .filter((e) => e.event === 'start')
    .map((e) => (e.argv ?? []).filter((a, i, all) => a !== '-c' && all[i - 1] !== '-c').join(' '));
}

const tipOf = async (dir: string) =>
  (await execa('git', ['-C', dir, 'rev-parse', '--verify', '-q', 'claudeops-state'], { reject: false }))
    .stdout;

/** A state repository with the branch made by a first run. */
async function stateRepo(name: string): Promise<string> {
  const dir = join(root, name);
  await run(dir);
  return dir;
}

describe('local mode: a commit lands without a push when nothing would tell the difference', () => {
  it('takes 6 git processes, moves the checked-out working tree and the branch, and keeps a reflog', async () => {
    const dir = await stateRepo('plain');
    const before = await tipOf(dir);
    const result = await run(dir);
    expect(result.pushed).toBe(true);
    const commands = result.started.map((a) => a.split(' ')[1]);
    // the working tree's `status` runs beside fast-import, and the tree moves beside the branch
    // (either of each pair may start first)
    expect([...commands.slice(0, 2), ...commands.slice(2, 4).sort(), ...commands.slice(4).sort()]).toEqual([
      'rev-parse',
      'cat-file',
      'fast-import',
      'status',
      'read-tree',
      'update-ref',
    ]);
    expect(await readFile(join(dir, 'health/2026-03-01/1000' + runs + '-x.md'), 'utf8')).toBe(
      `# run ${runs}\n`,
    );
    const log = await execa('git', ['-C', dir, 'log', '--format=%s', '-2', 'claudeops-state']);
    expect(log.stdout.split('\n')).toEqual([`run ${runs}`, `run ${runs - 1}`]);
    expect((await execa('git', ['-C', dir, 'rev-parse', 'claudeops-state~1'])).stdout).toBe(before);
    // the working tree and index equal the new tip; the repository is whole
    expect((await execa('git', ['-C', dir, 'status', '--porcelain'])).stdout).toBe('');
    await execa('git', ['-C', dir, 'fsck', '--no-dangling', '--connectivity-only']);
    expect((await execa('git', ['-C', dir, 'reflog', '-1', '--format=%gs', 'claudeops-state'])).stdout).toBe(
      'claudeops: run recorded',
    );
  });

  it('writes a bare state repository directly too', async () => {
    const dir = join(root, 'bare.git');
    await execa('git', ['init', '-q', '--bare', '-b', 'claudeops-state', dir]);
    expect((await run(dir)).pushed).toBe(true);
    const second = await run(dir);
    expect(second.pushed).toBe(true);
    expect(second.started.some((a) => a.startsWith('git push'))).toBe(false);
    expect((await execa('git', ['-C', dir, 'log', '--format=%s', '-1', 'claudeops-state'])).stdout).toBe(
      `run ${runs}`,
    );
  });

  it('keeps hand edits of the working tree (stash) and still lands directly', async () => {
    const dir = await stateRepo('edited');
    await writeFile(join(dir, 'state/web1.json'), 'edited by hand');
    const result = await run(dir);
    expect(result.pushed).toBe(true);
    expect(result.started.some((a) => a.startsWith('git push'))).toBe(false);
    expect((await execa('git', ['-C', dir, 'stash', 'list'])).stdout).toMatch(/working tree set aside/);
    expect(await readFile(join(dir, 'state/web1.json'), 'utf8')).toBe(`{"server":"web1","runs":${runs}}`);
  });

  it('a commit that changes nothing leaves hand edits where they are (nothing stashed)', async () => {
    const dir = await stateRepo('edited-unchanged');
    const before = await tipOf(dir);
    const committed = await readFile(join(dir, 'state/web1.json'), 'utf8');
    await writeFile(join(dir, 'state/web1.json'), 'edited by hand');
    const store = new GitStateStore({ localDir: dir, workDir: join(root, 'work') });
    await store.load();
    // the tip's own file again: no commit to land
    const result = await store.commit([{ path: 'state/web1.json', content: committed }], 'nothing new');
    await store.dispose();
    expect(result.pushed).toBe(true);
    expect(await tipOf(dir)).toBe(before);
    expect((await execa('git', ['-C', dir, 'stash', 'list'])).stdout).toBe('');
    expect(await readFile(join(dir, 'state/web1.json'), 'utf8')).toBe('edited by hand');
  });

  it('repacks (gc --auto) only past git’s own limit of 50 packs', async () => {
    const dir = await stateRepo('packs');
    expect((await run(dir)).started.some((a) => / gc /.test(a))).toBe(false);
    await execa(
      'sh',
      [
        '-c',
        'for i in $(seq 52); do echo "filler $i" | git hash-object -w --stdin | git pack-objects -q .git/objects/pack/pack >/dev/null; done',
        'sh',
      ],
      { cwd: dir },
    );
    const result = await run(dir);
    expect(result.pushed).toBe(true);
    expect(result.started.filter((a) => / gc /.test(a))).toEqual(['git gc --auto -q']);
  });
});

/** A commit adding `path` on `parent`, written into the state repository itself (as a pack copy would). */
async function commitOn(dir: string, parent: string, path: string, content: string): Promise<string> {
  const env = {
    GIT_INDEX_FILE: join(root, `index-${++runs}`),
    GIT_AUTHOR_NAME: 't',
    GIT_AUTHOR_EMAIL: 't@example.com',
    GIT_COMMITTER_NAME: 't',
    GIT_COMMITTER_EMAIL: 't@example.com',
  };
  const git = (args: string[], input?: string) =>
    execa('git', ['-C', dir, ...args], { env, ...(input === undefined ? {} : { input }) });
  await git(['read-tree', parent]);
  const blob = (await git(['hash-object', '-w', '--stdin'], content)).stdout;
  await git(['update-index', '--add', '--cacheinfo', `100644,${blob},${path}`]);
  const tree = (await git(['write-tree'])).stdout;
  return (await git(['commit-tree', tree, '-p', parent, '-m', path])).stdout;
}

/** Lands `sha` built on `old` directly, as the store does after fast-import (nothing to copy in). */
async function land(dir: string, sha: string, old: string) {
  const clone = join(root, `clone-${++runs}`);
  await mkdir(join(clone, 'objects', 'pack'), { recursive: true });
  return new LocalStateRepo(join(dir, '.git'), dir, 'claudeops-state').land(clone, sha, old, true);
}

describe('local mode: the working tree and the branch move together or not at all', () => {
  it('the branch moved since the commit was built: refused, the working tree put back', async () => {
    const dir = await stateRepo('moved');
    const old = await tipOf(dir);
    // someone commits in the state repository by hand meanwhile
    const theirs = await commitOn(dir, old, 'notes/by-hand.md', 'by hand\n');
    await execa('git', ['-C', dir, 'merge', '-q', '--ff-only', theirs]);
    const ours = await commitOn(dir, old, 'health/ours.md', 'ours\n');
    const result = await land(dir, ours, old);
    expect(result?.exitCode).not.toBe(0);
    expect(await tipOf(dir)).toBe(theirs);
    expect((await execa('git', ['-C', dir, 'status', '--porcelain'])).stdout).toBe('');
    expect(await readFile(join(dir, 'notes/by-hand.md'), 'utf8')).toBe('by hand\n');
    await expect(readFile(join(dir, 'health/ours.md'), 'utf8')).rejects.toThrow(/ENOENT/);
  });

  it('the working tree refuses (an untracked file in the way): the branch put back', async () => {
    const dir = await stateRepo('in-the-way');
    const old = await tipOf(dir);
    const ours = await commitOn(dir, old, 'health/blocked.md', 'ours\n');
    await mkdir(join(dir, 'health'), { recursive: true });
    await writeFile(join(dir, 'health/blocked.md'), 'kept by hand\n');
    const result = await land(dir, ours, old);
    expect(result?.exitCode).not.toBe(0);
    expect(result?.stderr).toMatch(/would be overwritten/);
    expect(await tipOf(dir)).toBe(old);
    expect(await readFile(join(dir, 'health/blocked.md'), 'utf8')).toBe('kept by hand\n');
    expect((await execa('git', ['-C', dir, 'status', '--porcelain', '--untracked-files=no'])).stdout).toBe(
      '',
    );
  });
});

describe('local mode: a push when a push would do more', () => {
  it('a refusing pre-receive hook still refuses: nothing lands', async () => {
    const dir = await stateRepo('hooked');
    const before = await tipOf(dir);
    await writeFile(
      join(dir, '.git/hooks/pre-receive'),
      '#!/bin/sh\necho "refused: protected" >&2\nexit 1\n',
    );
    await chmod(join(dir, '.git/hooks/pre-receive'), 0o755);
    const store = new GitStateStore({ localDir: dir, workDir: join(root, 'work'), maxAttempts: 1 });
    await store.load();
    const result = await store.commit([{ path: 'state/web1.json', content: '{"server":"web1"}' }], 'refused');
    await store.dispose();
    expect(result.pushed).toBe(false);
    expect(result.error).toMatch(/refused: protected/);
    expect(await tipOf(dir)).toBe(before);
  });

  it('a hook under core.hooksPath, or a receive rule, makes it push', async () => {
    const dir = await stateRepo('rules');
    const hooks = join(root, 'elsewhere-hooks');
    await mkdir(hooks, { recursive: true });
    await writeFile(join(hooks, 'post-receive'), '#!/bin/sh\necho seen >> "$0.log"\n');
    await chmod(join(hooks, 'post-receive'), 0o755);
    await execa('git', ['-C', dir, 'config', 'core.hooksPath', hooks]);
    const hooked = await run(dir);
    expect(hooked.pushed).toBe(true);
    expect(await readFile(join(hooks, 'post-receive.log'), 'utf8')).toBe('seen\n');
    await execa('git', ['-C', dir, 'config', '--unset', 'core.hooksPath']);
    await execa('git', ['-C', dir, 'config', 'receive.denyNonFastForwards', 'true']);
    expect((await run(dir)).started.some((a) => a.startsWith('git push'))).toBe(true);
  });

  it('a checked-out branch without updateInstead refuses as git refuses a push', async () => {
    const dir = await stateRepo('refusing');
    const before = await tipOf(dir);
    await execa('git', ['-C', dir, 'config', '--unset', 'receive.denyCurrentBranch']);
    const store = new GitStateStore({ localDir: dir, workDir: join(root, 'work'), maxAttempts: 1 });
    await store.load();
    const result = await store.commit([{ path: 'state/web1.json', content: '{"server":"web1"}' }], 'refused');
    await store.dispose();
    expect(result.pushed).toBe(false);
    expect(result.error).toMatch(/refusing to update checked out branch|denyCurrentBranch/);
    expect(await tipOf(dir)).toBe(before);
    expect(await readdir(join(dir, '.git/refs/claudeops/unpushed'))).toHaveLength(1);
  });
});

describe('receiveRules (the state repository’s config)', () => {
  it.each([
    ['', true, false],
    ['[core]\n\tbare = false\n[receive]\n\tdenyCurrentBranch = updateInstead\n', true, true],
    ['[receive]\n\tdenyCurrentBranch = refuse\n', false, false],
    ['[receive]\n\tfsckObjects\n', false, false],
    ['[Receive]\n\tDenyNonFastForwards = true\n', false, false],
    ['[receive "x"]\n\tanything = 1\n', false, false],
    ['[include]\n\tpath = other.conf\n', false, false],
    ['[includeIf "gitdir:/x/"]\n\tpath = other.conf\n', false, false],
    ['[uploadpack]\n\tallowFilter = true ; receive.x = 1\n', true, false],
  ])('%j → direct %s', (config, direct, updateInstead) => {
    expect(receiveRules(config)).toEqual({ direct, updateInstead });
  });
});
