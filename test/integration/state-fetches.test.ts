/**
 * What a run asks of the remote, counted on the server side of a real smart-HTTP git remote that
 * serves partial clones as GitHub does: the same number of fetch requests whatever the fleet
 * size (the branch tip, then every blob the run needs in one request), a commit that fetches
 * nothing (the tree is written from known object ids, never by fetching the tip's blobs), and a
 * blob request that asks only for what memory and the appends need, never the whole tip; and the
 * same six git processes started by the store (GIT_TRACE2_EVENT) at every size.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitStateStore } from '../../src/adapters/git-state-store.js';
import { generateHistory } from '../support/generated-history.js';
import { type GitHttpRemote, serveGitHttp } from '../support/git-http-remote.js';
import { fleetRunChanges } from '../support/simulated-run.js';

const NOW = new Date('2026-11-26T12:00:00Z');
const clock = { now: () => NOW, sleep: async () => {} };

describe.each([10, 50, 200])('one run on a %i-server fleet, against a partial-clone HTTP remote', (size) => {
  let root = '';
  let remote: GitHttpRemote;
  let names: string[] = [];

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'claudeops-fetches-'));
    names = await generateHistory(join(root, 'seed'), { servers: size, days: 45, now: NOW });
    remote = await serveGitHttp(join(root, 'state.git'));
    await execa('git', ['-C', join(root, 'seed'), 'push', '-q', join(root, 'state.git'), 'claudeops-state']);
  }, 120_000);
  afterAll(async () => {
    await remote?.close();
    await rm(root, { recursive: true, force: true });
  });

  it('makes two fetch requests to load, none to commit, and asks only for the blobs it reads', async () => {
    const tip = (
      await execa('git', ['-C', join(root, 'state.git'), 'ls-tree', '-r', 'claudeops-state'])
    ).stdout
      .split('\n')
      .filter(Boolean);
    const store = new GitStateStore({ remoteUrl: remote.url, workDir: join(root, 'work'), clock });
    remote.reset();
    const trace = join(root, 'trace.json');
    process.env.GIT_TRACE2_EVENT = trace;
    const memory = await store.load().finally(() => {
      delete process.env.GIT_TRACE2_EVENT;
    });
    expect(remote.fetches()).toBe(2);
    const blobs = remote.requests.filter((r) => r.command === 'fetch').map((r) => r.wants);
    // the tip (one commit), then: state, this month's series and endpoint names per server, open issues
    const month = NOW.toISOString().slice(0, 7);
    const needed = tip.filter(
      (l) =>
        /\tstate\//.test(l) ||
        l.endsWith(`/${month}.tsv`) ||
        /\t(history\/[^/]+\/endpoints\.tsv|issues\/)/.test(l),
    );
    expect(blobs).toEqual([1, needed.length]);
    expect(needed.length).toBeLessThan(tip.length);
    expect(Object.keys(memory.servers)).toHaveLength(size);

    remote.reset();
    process.env.GIT_TRACE2_EVENT = trace;
    const result = await store.commit(fleetRunChanges(memory, names, NOW, 'r1'), 'check r1').finally(() => {
      delete process.env.GIT_TRACE2_EVENT;
    });
    expect(result.pushed).toBe(true);
    // the git processes the store started (their children and the remote's http-backend aside):
    // the same six at any fleet size
    const started = (await readFile(trace, 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { event: string; sid: string; argv?: string[] })
      .filter((e) => e.event === 'start' && !e.sid.includes('/'))
      .map((e) => (e.argv ?? []).filter((a, i, all) => a !== '-c' && all[i - 1] !== '-c')[1])
      .filter((command) => command !== 'http-backend');
    expect(started).toEqual(['init', 'fetch', 'cat-file', 'fetch', 'fast-import', 'push']);
    expect(remote.fetches()).toBe(0);
    const pushes = remote.requests.filter((r) => r.service === 'receive-pack');
    expect(pushes).toHaveLength(1);
    // a whole pack: it indexes in an empty repository, no delta against an object of the tip
    // (a thin pack makes the remote read each base out of its delta chains, longer with age)
    const empty = join(root, `empty-${size}.git`);
    await execa('git', ['init', '-q', '--bare', empty]);
    await execa('git', ['-C', empty, 'index-pack', '--stdin'], { input: pushes[0]?.pack });

    // the pushed tree is whole: every file of the old tip is still there, each series grew by one line
    const after = await execa('git', [
      '-C',
      join(root, 'state.git'),
      'ls-tree',
      '-r',
      '--name-only',
      'claudeops-state',
    ]);
    expect(after.stdout.split('\n').length).toBe(tip.length + 1);
    const first = await execa('git', [
      '-C',
      join(root, 'state.git'),
      'show',
      `claudeops-state:history/${names[0]}/${month}.tsv`,
    ]);
    expect(first.stdout.split('\n').at(-1)).toMatch(/^2026-11-26T12:00:00\.000Z\tr1\tok\t52\t41\t0\.12/);
    await execa('git', ['-C', join(root, 'state.git'), 'fsck', '--no-dangling']);
  }, 180_000);
});
