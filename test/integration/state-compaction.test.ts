/**
 * Compaction of the state branch (docs/state-branch.md#compaction) against a real smart-HTTP
 * remote serving partial clones: the history older than the cut becomes one commit, later commits
 * keep their files, authors and messages, the tip's files do not change, the push carries commit
 * objects only (no blob is fetched), a run that lands during compaction is never overwritten, and
 * once the remote prunes, it holds fewer objects. Local mode (the CLI) prunes at once.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Git } from '../../src/adapters/git-cli.js';
import { compactOnce } from '../../src/adapters/git-compaction.js';
import { GitStateStore } from '../../src/adapters/git-state-store.js';
import { runCli } from '../../src/cli-main.js';
import { type GitHttpRemote, serveGitHttp } from '../support/git-http-remote.js';
import { generateGrowthBranch } from '../support/history-branch.js';
import { fleetRunChanges } from '../support/simulated-run.js';

const NOW = new Date('2026-11-26T12:00:00Z');
const DAY = 86_400_000;
const clock = { now: () => NOW, sleep: async () => {} };

let root = '';
let remote: GitHttpRemote;
let bare = '';
const git = async (...args: string[]) => (await execa('git', ['-C', bare, ...args])).stdout;

/** id, tree, author, committer and message of every commit on the branch's line, oldest first. */
async function line(ref = 'claudeops-state') {
  const out = await git(
    'log',
    '--first-parent',
    '--reverse',
    '--format=%H%x00%T%x00%an %ae %at%x00%cn %ce %ct%x00%B%x01',
    ref,
  );
  return out
    .split('\x01')
    .map((c) => c.trim())
    .filter(Boolean)
    .map((c) => {
      const [id = '', tree = '', author = '', committer = '', message = ''] = c.split('\x00');
      return { id, tree, author, committer, message: message.trim() };
    });
}

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'claudeops-compaction-'));
  bare = join(root, 'state.git');
  remote = await serveGitHttp(bare);
  // 60 days of a 3-server fleet, a run every 6 h: 240 commits, with retention
  await generateGrowthBranch(bare, { servers: 3, days: 60, everyMinutes: 360, now: NOW });
}, 120_000);
afterEach(async () => {
  await remote.close();
  await rm(root, { recursive: true, force: true });
});

describe('state branch compaction', () => {
  it('keeps the last days as they were, the tip unchanged, and pushes commits only', async () => {
    const before = await line();
    const cut = (NOW.getTime() - 20 * DAY) / 1000;
    const keptBefore = before.filter((c) => Number(c.committer.split(' ').at(-1)) >= cut);
    const base = before[before.length - keptBefore.length - 1];
    const objectsBefore = (await git('rev-list', '--objects', '--all')).split('\n').length;
    remote.reset();

    const store = new GitStateStore({ remoteUrl: remote.url, workDir: join(root, 'work'), clock });
    const result = await store.compact({ keepDays: 20 });

    expect(result).toMatchObject({ compacted: true, kept: keptBefore.length, warnings: [] });
    const after = await line();
    expect(after).toHaveLength(keptBefore.length + 1);
    // the new root holds the files of the last commit before the cut
    expect(after[0]?.tree).toBe(base?.tree);
    expect(after[0]?.message).toMatch(/^claudeops: history before 2026-11-06T12:00:00\.000Z compacted/);
    // every later commit: same files, author, committer and message; only its parent changed
    expect(after.slice(1).map(({ id: _id, ...c }) => c)).toEqual(keptBefore.map(({ id: _id, ...c }) => c));
    expect(after.at(-1)?.tree).toBe(before.at(-1)?.tree);
    // one fetch (the kept days' commits and trees, no blob); the pushes send commit objects only
    expect(remote.requests.filter((r) => r.command === 'fetch').map((r) => r.wants)).toEqual([1]);
    expect(await git('for-each-ref', 'refs/claudeops/')).toBe('');

    // once the remote prunes (GitHub does it in its own maintenance), the dropped history is gone
    await git('reflog', 'expire', '--expire=now', '--all');
    await git('gc', '-q', '--prune=now');
    const objectsAfter = (await git('rev-list', '--objects', '--all')).split('\n').length;
    expect(objectsAfter).toBeLessThan(objectsBefore / 2);

    // runs go on as before: two fetch requests, one commit on top
    const next = new GitStateStore({ remoteUrl: remote.url, workDir: join(root, 'work'), clock });
    remote.reset();
    const memory = await next.load();
    const names = Object.keys(memory.servers);
    expect(names).toHaveLength(3);
    expect((await next.commit(fleetRunChanges(memory, names, NOW, 'after'), 'after')).pushed).toBe(true);
    expect(remote.fetches()).toBe(2);

    // compacting again at the same cut finds nothing to do
    const again = await new GitStateStore({
      remoteUrl: remote.url,
      workDir: join(root, 'work'),
      clock,
    }).compact({
      keepDays: 20,
    });
    expect(again).toMatchObject({ compacted: false, summary: expect.stringMatching(/^nothing to compact/) });
  }, 180_000);

  it('never overwrites a run that lands during compaction', async () => {
    const dir = join(root, 'clone');
    await execa('git', ['init', '-q', dir]);
    const clone = new Git(dir);
    await clone.run(['remote', 'add', 'origin', remote.url]);
    let landed = '';
    const push = async (args: string[]) => {
      if (args.some((a) => a.startsWith('--force-with-lease')) && !landed) {
        // a scheduled run commits between compaction's fetch and its push
        const run = new GitStateStore({ remoteUrl: remote.url, workDir: join(root, 'work'), clock });
        const memory = await run.load();
        const result = await run.commit(
          fleetRunChanges(memory, Object.keys(memory.servers), NOW, 'racer'),
          'racer',
        );
        landed = result.sha;
      }
      return clone.run(args, { allowFailure: true });
    };
    const outcome = await compactOnce(
      { git: clone, branch: 'claudeops-state', dir, push },
      new Date(NOW.getTime() - 20 * DAY),
    );
    expect(outcome).toMatchObject({ raced: expect.stringMatching(/stale info|rejected/) });
    expect((await git('rev-parse', 'claudeops-state')).trim()).toBe(landed);
    expect(await git('for-each-ref', 'refs/claudeops/')).toBe('');

    // the store starts over and keeps the run that landed
    const result = await new GitStateStore({
      remoteUrl: remote.url,
      workDir: join(root, 'work'),
      clock,
    }).compact({
      keepDays: 20,
    });
    expect(result.compacted).toBe(true);
    expect((await line()).at(-1)?.message).toBe('racer');
  }, 180_000);

  it('the CLI compacts its local state repository and prunes it at once', async () => {
    const local = join(root, 'local');
    await execa('git', ['clone', '-q', '--branch', 'claudeops-state', bare, local]);
    await execa('git', ['-C', local, 'config', 'receive.denyCurrentBranch', 'updateInstead']);
    // the CLI's own repository has no remote of its own
    await execa('git', ['-C', local, 'remote', 'remove', 'origin']);
    const config = join(root, 'claudeops.yml');
    await writeFile(
      config,
      'version: 1\nstate: { compact_keep_days: 20 }\nservers:\n  - name: web1\n    transport: local\n',
    );
    const count = async () =>
      (await execa('git', ['-C', local, 'count-objects', '-v'])).stdout.match(/in-pack: (\d+)/)?.[1];
    const objects = Number(await count());
    const tree = (await execa('git', ['-C', local, 'rev-parse', 'claudeops-state^{tree}'])).stdout;
    const quiet = process.stdout.write.bind(process.stdout);
    process.stdout.write = () => true;
    try {
      expect(await runCli(['compact', '--config', config, '--state-repo', local])).toBe(0);
    } finally {
      process.stdout.write = quiet;
    }
    expect((await execa('git', ['-C', local, 'rev-parse', 'claudeops-state^{tree}'])).stdout).toBe(tree);
    expect(
      Number((await execa('git', ['-C', local, 'rev-list', '--count', 'claudeops-state'])).stdout),
    ).toBeLessThan(100);
    expect(Number(await count())).toBeLessThan(objects / 2);
  }, 180_000);
});
