import { chmod, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GitStateStore } from '../../src/adapters/git-state-store.js';
import { flushJournal, RunJournal } from '../../src/adapters/journal.js';
import { configSchema } from '../../src/config/schema.js';
import { trackFindings } from '../../src/core/memory/lifecycle.js';
import { parseServerState } from '../../src/core/memory/server-state.js';
import { healthReportPath, serverStatePath } from '../../src/core/state-branch/paths.js';
import { finding } from '../../src/core/types.js';
import { bumped, type Sandbox, sandbox, stateFile } from './state-support.js';

let box: Sandbox;
beforeEach(async () => {
  box = await sandbox();
});
afterEach(async () => {
  await box.cleanup();
});

/** One run against the remote: load, count itself on web1, write its report, commit. */
async function oneRun(runId: string, at: Date, extra: { server?: string } = {}) {
  const store = box.store();
  const memory = await store.load();
  const server = extra.server ?? 'web1';
  const state = bumped(memory.servers[server], server, runId, at);
  const result = await store.commit(
    [
      {
        path: healthReportPath(at, runId),
        content: `---\nrun: ${runId}\nstatus: ok\n---\n# report ${runId}\n`,
      },
      { path: serverStatePath(server), content: stateFile(state) },
    ],
    `claudeops check: ${runId}`,
  );
  await store.dispose();
  return result;
}

async function remoteState(server = 'web1') {
  const parsed = parseServerState(await box.show(serverStatePath(server)), server);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.state;
}

describe('git state store', () => {
  it('creates the orphan branch with a README on first use, then reads it back as memory', async () => {
    const store = box.store();
    const empty = await store.load();
    expect(empty.reports).toEqual([]);
    expect(empty.servers).toEqual({});
    const at = new Date('2026-03-01T10:00:00Z');
    const result = await store.commit(
      [
        { path: healthReportPath(at, '1'), content: '# first\n' },
        { path: 'state/web1.json', content: stateFile(bumped(undefined, 'web1', '1', at)) },
      ],
      'first run',
    );
    expect(result.pushed).toBe(true);
    expect(result.attempts).toBe(1);
    expect(await box.files()).toEqual(['README.md', 'health/2026-03-01/100000-1.md', 'state/web1.json']);
    expect(await box.show('README.md')).toContain('state branch');
    // an orphan branch: one root commit, by the bot identity, never by a global config
    expect((await box.git('rev-list', '--count', 'claudeops-state')).trim()).toBe('1');
    expect(await box.git('log', '-1', '--format=%an <%ae>|%cn', 'claudeops-state')).toBe(
      'claudeops[bot] <claudeops[bot]@users.noreply.github.com>|claudeops[bot]',
    );
    const again = await box.store().load();
    expect(again.reports.map((r) => r.content)).toEqual(['# first\n']);
    expect(again.servers.web1?.runs).toBe(1);
    expect(again.lastRunAt).toBe('2026-03-01T10:00:00.000Z');
  });

  it('lands every record of two runs committing at the same time, and merged state counts both', async () => {
    await oneRun('seed', new Date('2026-03-01T09:00:00Z'));
    const at = new Date('2026-03-01T10:00:00Z');
    const results = await Promise.all([oneRun('a', at), oneRun('b', new Date(at.getTime() + 1))]);
    expect(results.every((r) => r.pushed)).toBe(true);
    const files = await box.files();
    expect(files).toContain('health/2026-03-01/100000-a.md');
    expect(files).toContain('health/2026-03-01/100000-b.md');
    const state = await remoteState();
    expect(state.runs).toBe(3);
    expect(state.recentRuns.sort()).toEqual(['a', 'b', 'seed']);
    expect(state.samples['disk:/']).toHaveLength(3);
    // one commit per run, linear history
    expect((await box.git('rev-list', '--count', 'claudeops-state')).trim()).toBe('3');
  });

  it('lands every record of five concurrent runs (and retries are bounded)', async () => {
    await oneRun('seed', new Date('2026-03-01T09:00:00Z'));
    const at = new Date('2026-03-01T10:00:00Z').getTime();
    const results = await Promise.all(
      ['r1', 'r2', 'r3', 'r4', 'r5'].map((id, i) => oneRun(id, new Date(at + i))),
    );
    expect(results.map((r) => r.pushed)).toEqual([true, true, true, true, true]);
    const state = await remoteState();
    expect(state.runs).toBe(6);
    expect(state.recentRuns.sort()).toEqual(['r1', 'r2', 'r3', 'r4', 'r5', 'seed']);
    const reports = (await box.files()).filter((f) => f.startsWith('health/'));
    expect(reports).toHaveLength(6);
    expect(Math.max(...results.map((r) => r.attempts))).toBeLessThanOrEqual(8);
    expect(results.reduce((n, r) => n + r.attempts, 0)).toBeGreaterThan(5);
  });

  it('keeps separate servers apart and never merges what it need not', async () => {
    await Promise.all([
      oneRun('x', new Date('2026-03-01T10:00:00Z'), { server: 'web1' }),
      oneRun('y', new Date('2026-03-01T10:00:01Z'), { server: 'db1' }),
    ]);
    expect((await remoteState('web1')).runs).toBe(1);
    expect((await remoteState('db1')).runs).toBe(1);
  });

  it('reports a hand-edited or corrupt state file, starts that server fresh, loses nothing else', async () => {
    const at = new Date('2026-03-01T10:00:00Z');
    await oneRun('1', at, { server: 'web1' });
    await oneRun('2', at, { server: 'db1' });
    const store = box.store();
    await store.load();
    await store.commit(
      [{ path: 'state/web1.json', content: '{ "server": "web1", "runs": "many", ' }],
      'hand edit',
    );
    const memory = await box.store().load();
    expect(memory.warnings).toHaveLength(1);
    expect(memory.warnings[0]).toMatch(
      /state\/web1\.json .*unreadable.*not valid JSON.*web1 starts with fresh memory/,
    );
    expect(memory.servers.web1).toBeUndefined();
    expect(memory.servers.db1?.runs).toBe(1);
    expect(memory.reports).toHaveLength(2);
    // a well-formed file with wrong types is refused too, naming the field
    const edit = box.store();
    await edit.load();
    await edit.commit(
      [{ path: 'state/web1.json', content: JSON.stringify({ server: 'web1', runs: 'many' }) }],
      'hand edit',
    );
    const second = await box.store().load();
    expect(second.warnings[0]).toMatch(/state\/web1\.json.*runs/);
    // the next run rewrites it from fresh memory
    await oneRun('3', new Date('2026-03-01T11:00:00Z'));
    expect((await remoteState()).runs).toBe(1);
    expect((await box.store().load()).warnings).toEqual([]);
  });

  it('reads only the newest 3 reports, the last 24 h of actions, open issues, approvals', async () => {
    const store = box.store({ clock: fixedClock('2026-03-03T12:00:00Z') });
    await store.load();
    const issue = (status: string) =>
      `---\nfingerprint: x\nstatus: ${status}\nservers: [web1]\nfirst_seen: a\nupdated: b\n---\n`;
    await store.commit(
      [
        { path: 'health/2026-03-01/090000-1.md', content: 'r1' },
        { path: 'health/2026-03-02/090000-2.md', content: 'r2' },
        { path: 'health/2026-03-02/100000-3.md', content: 'r3' },
        { path: 'health/2026-03-03/090000-4.md', content: 'r4' },
        { path: 'health/2026-01/summary.md', content: 'old summary' },
        { path: 'actions/2026-03-01/090000-web1-restart-1.md', content: 'old action' },
        { path: 'actions/2026-03-02/130000-web1-restart-2.md', content: 'recent action' },
        { path: 'issues/web1--disk--.md', content: issue('open') },
        { path: 'issues/web1--load---.md', content: issue('resolved') },
        { path: 'approvals/abc.md', content: 'approval' },
      ],
      'seed',
    );
    const memory = await box.store({ clock: fixedClock('2026-03-03T12:00:00Z') }).load();
    expect(memory.reports.map((r) => r.content)).toEqual(['r2', 'r3', 'r4']);
    expect(memory.recentActions.map((a) => a.content)).toEqual(['recent action']);
    expect(memory.openIssues.map((i) => i.path)).toEqual(['issues/web1--disk--.md']);
    expect(memory.approvals.map((a) => a.path)).toEqual(['approvals/abc.md']);
    expect(memory.lastRunAt).toBe('2026-03-03T09:00:00.000Z');
  });

  it('fetches shallow and blob-less: old reports never reach the private clone', async () => {
    await oneRun('1', new Date('2026-03-01T10:00:00Z'));
    await oneRun('2', new Date('2026-03-02T10:00:00Z'));
    await oneRun('3', new Date('2026-03-03T10:00:00Z'));
    await oneRun('4', new Date('2026-03-04T10:00:00Z'));
    const store = box.store();
    await store.load();
    const clone = store.workTree ?? '';
    const shallow = await readFile(join(clone, '.git', 'shallow'), 'utf8');
    expect(shallow.trim().split('\n')).toHaveLength(1);
    const missing = await execa('git', [
      '-C',
      clone,
      'rev-list',
      '--objects',
      '--missing=print',
      'origin/claudeops-state',
    ]);
    const absent = missing.stdout.split('\n').filter((l) => l.startsWith('?'));
    expect(absent).toHaveLength(2); // the README and the oldest report were never fetched
  });

  it('merges an issue file with the branch version, so a reopened issue keeps its history', async () => {
    const doc = (status: string, updated: string, lines: string[]) =>
      `---\nfingerprint: web1/disk//\nstatus: ${status}\nseverity: warning\nservers:\n  - web1\ncheck: disk\ntarget: /\n` +
      `first_seen: 2026-03-01T00:00:00Z\nlast_seen: ${updated}\nupdated: ${updated}\n---\n# web1: disk /\n\n` +
      `**Status: ${status}** — x\n\n## History\n\n${lines.join('\n')}\n`;
    const first = box.store();
    await first.load();
    const old = ['- 2026-03-01T00:00:00Z — opened', '- 2026-03-01T05:00:00Z — resolved'];
    await first.commit(
      [{ path: 'issues/web1--disk--.md', content: doc('resolved', '2026-03-01T05:00:00Z', old) }],
      'a',
    );
    const second = box.store();
    await second.load();
    const reopened = ['- 2026-03-05T00:00:00Z — opened'];
    await second.commit(
      [{ path: 'issues/web1--disk--.md', content: doc('open', '2026-03-05T00:00:00Z', reopened) }],
      'b',
    );
    const merged = await box.show('issues/web1--disk--.md');
    expect(merged).toContain('status: open');
    expect(merged).toContain(
      '- 2026-03-01T00:00:00Z — opened\n- 2026-03-01T05:00:00Z — resolved\n- 2026-03-05T00:00:00Z — opened',
    );
  });

  it('keeps the local commit and says pushed:false when every push is refused', async () => {
    await oneRun('seed', new Date('2026-03-01T09:00:00Z'));
    const hook = join(box.remote, 'hooks', 'pre-receive');
    await writeFile(hook, '#!/bin/sh\necho "refused by policy" >&2\nexit 1\n');
    await chmod(hook, 0o755);
    const store = box.store({ maxAttempts: 3 });
    await store.load();
    const result = await store.commit([{ path: 'health/2026-03-01/100000-x.md', content: 'x' }], 'x');
    expect(result.pushed).toBe(false);
    expect(result.attempts).toBe(3);
    expect(result.error).toMatch(/refused by policy|pre-receive/);
    expect(result.location).toBe(store.workTree);
    const kept = await execa('git', [
      '-C',
      store.workTree ?? '',
      'show',
      `claudeops-state:health/2026-03-01/100000-x.md`,
    ]);
    expect(kept.stdout).toBe('x');
  });
});

describe('lifecycle state through git', () => {
  it('round-trips what trackFindings produces, so the next run continues the episode', async () => {
    const config = configSchema.parse({ version: 1, servers: [{ name: 'web1', transport: 'local' }] });
    const server = config.servers[0] as (typeof config.servers)[number];
    const observation = {
      server: 'web1',
      reachable: true,
      startedAt: '',
      durationMs: 1,
      bytes: 1,
      roundTrips: 1,
    };
    const reportOf = (value: number) => ({
      server,
      observation: {
        ...observation,
        probes: { uptime: { bootId: 'b1', uptimeSeconds: 10 } },
        probeErrors: {},
      },
      findings: [
        finding('web1', 'disk', '/', value >= 90 ? ('critical' as const) : ('ok' as const), `${value}%`, {
          value,
        }),
      ],
    });
    for (const [i, value] of [95, 96, 40].entries()) {
      const store = box.store();
      const memory = await store.load();
      expect(memory.warnings).toEqual([]);
      const now = new Date(Date.parse('2026-03-01T00:00:00Z') + i * 3_600_000);
      const tracked = trackFindings([reportOf(value)], memory, config, now, { runId: `run${i}` });
      if (i === 1) expect(tracked.findings.map((f) => [f.lifecycle, f.runs])).toEqual([['ongoing', 2]]);
      if (i === 2) expect(tracked.resolved.map((f) => f.fingerprint)).toEqual(['web1/disk//']);
      const state = tracked.serverStates.web1;
      if (!state) throw new Error('no state');
      await store.commit([{ path: serverStatePath('web1'), content: stateFile(state) }], `run ${i}`);
    }
    const final = await remoteState();
    expect(final.runs).toBe(3);
    expect(final.findings['web1/disk//']?.status).toBe('resolved');
    expect(final.samples['disk:/']?.map((s) => s[1])).toEqual([95, 96, 40]);
  });
});

describe('run journal', () => {
  it('lets the post step push the record of a run that crashed between an action and its commit', async () => {
    await oneRun('seed', new Date('2026-03-01T09:00:00Z'));
    const dir = await mkdtemp(join(box.root, 'runner-temp-'));
    const journal = RunJournal.open(dir, 'crashed');
    const store = box.store({ journal });
    const memory = await store.load();
    const at = new Date('2026-03-01T10:00:00Z');
    // the run acted on a server, staged its record ... and died before commit()
    await store.stage?.(
      [
        { path: 'actions/2026-03-01/100000-web1-restart-nginx-crashed.md', content: 'restarted nginx' },
        { path: 'state/web1.json', content: stateFile(bumped(memory.servers.web1, 'web1', 'crashed', at)) },
      ],
      'claudeops check: crashed',
    );
    // meanwhile another run lands: the flush must merge, not overwrite
    await oneRun('other', new Date('2026-03-01T10:05:00Z'));
    const outcomes = await flushJournal({ dir, target: () => box.store() });
    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]?.result?.pushed).toBe(true);
    expect(await readdir(dir)).toEqual([]);
    expect(await box.show('actions/2026-03-01/100000-web1-restart-nginx-crashed.md')).toBe('restarted nginx');
    const state = await remoteState();
    expect(state.runs).toBe(3);
    expect(await box.git('log', '-1', '--format=%s', 'claudeops-state')).toMatch(
      /recovered from the run journal/,
    );
  });

  it('is staged only by a store that has one: without a journal (the CLI) a run renders nothing to stage', async () => {
    const dir = await mkdtemp(join(box.root, 'runner-temp-'));
    expect(box.store().stage).toBeUndefined();
    const journal = RunJournal.open(dir, 'staged');
    await box.store({ journal }).stage?.([{ path: 'state/web1.json', content: '{}' }], 'staged');
    expect(journal.staged.map((c) => c.path)).toEqual(['state/web1.json']);
  });

  it('is cleared by a successful commit and flushing twice never counts a run twice', async () => {
    await oneRun('seed', new Date('2026-03-01T09:00:00Z'));
    const dir = await mkdtemp(join(box.root, 'runner-temp-'));
    const journal = RunJournal.open(dir, 'ok-run');
    const store = box.store({ journal });
    const memory = await store.load();
    const changes = [
      {
        path: 'state/web1.json',
        content: stateFile(bumped(memory.servers.web1, 'web1', 'ok-run', new Date())),
      },
    ];
    await store.commit(changes, 'ok');
    expect(await readdir(dir)).toEqual([]);
    // a journal left over although the commit landed (crash right after the push): idempotent
    const stale = RunJournal.open(dir, 'ok-run');
    stale.setBase({ 'state/web1.json': memory.servers.web1 ?? null });
    await stale.stage(changes, 'ok');
    const [outcome] = await flushJournal({ dir, target: box.store() });
    expect(outcome?.result?.pushed).toBe(true);
    expect((await remoteState()).runs).toBe(2);
  });
});

describe('local mode', () => {
  it('creates the local repository on first use and keeps its working tree readable', async () => {
    const dir = join(box.root, 'project', '.claudeops', 'state');
    const store = new GitStateStore({ localDir: dir, workDir: join(box.root, 'work') });
    await store.load();
    const result = await store.commit(
      [{ path: 'health/2026-03-01/100000-1.md', content: '# local\n' }],
      'first',
    );
    expect(result.pushed).toBe(true);
    expect(result.location).toBe(dir);
    expect(await readFile(join(dir, 'health/2026-03-01/100000-1.md'), 'utf8')).toBe('# local\n');
    expect(await readFile(join(dir, 'README.md'), 'utf8')).toContain('state branch');
    const next = new GitStateStore({ localDir: dir, workDir: join(box.root, 'work') });
    expect((await next.load()).reports).toHaveLength(1);
    await next.commit([{ path: 'health/2026-03-01/110000-2.md', content: '# two\n' }], 'second');
    expect(await readFile(join(dir, 'health/2026-03-01/110000-2.md'), 'utf8')).toBe('# two\n');
    // the private clone goes once the record landed (beside the report): dispose(), the run's
    // last step, has waited for it
    expect(next.workTree).toBeUndefined();
    await next.dispose();
    expect(await readdir(join(box.root, 'work'))).toEqual([]);
  });

  it('takes three runs committing to the local repository at once', async () => {
    const dir = join(box.root, 'state');
    const run = async (id: string) => {
      const store = new GitStateStore({ localDir: dir, workDir: join(box.root, 'work'), retryBaseMs: 20 });
      await store.load();
      return store.commit([{ path: `health/2026-03-01/100000-${id}.md`, content: id }], id);
    };
    await run('0');
    const results = await Promise.all(['a', 'b', 'c'].map(run));
    expect(results.map((r) => r.error ?? 'pushed')).toEqual(['pushed', 'pushed', 'pushed']);
    const names = await readdir(join(dir, 'health', '2026-03-01'));
    expect(names.sort()).toEqual(['100000-0.md', '100000-a.md', '100000-b.md', '100000-c.md']);
    const status = await execa('git', ['-C', dir, 'status', '--porcelain']);
    expect(status.stdout).toBe('');
  });
});

describe('retention', () => {
  it('rolls reports older than retention_days into monthly summaries in the same commit', async () => {
    const seed = box.store({ clock: fixedClock('2026-01-10T00:00:00Z') });
    await seed.load();
    const report = (run: string, status: string) =>
      `---\nrun: "${run}"\nstarted: 2026-01-0${run}T10:00:00Z\nstatus: ${status}\nservers: 2\nfindings:\n  - fingerprint: web1/disk//\n    severity: warning\n---\n# Health\n`;
    await seed.commit(
      [
        { path: 'health/2026-01-01/100000-1.md', content: report('1', 'warning') },
        { path: 'health/2026-01-02/100000-2.md', content: report('2', 'ok') },
        { path: 'health/2026-03-30/100000-3.md', content: report('3', 'ok') },
        { path: 'actions/2025-12-31/100000-web1-restart-1.md', content: '---\naction: "restart"\n---\n' },
      ],
      'seed',
    );
    const store = box.store({ clock: fixedClock('2026-04-01T00:00:00Z'), retentionDays: 85 });
    await store.load();
    await store.commit([{ path: 'health/2026-04-01/000000-4.md', content: report('4', 'ok') }], 'run 4');
    const files = await box.files();
    expect(files).toEqual([
      'README.md',
      'actions/2025-12/summary.md',
      'health/2026-01/summary.md',
      'health/2026-03-30/100000-3.md',
      'health/2026-04-01/000000-4.md',
    ]);
    const summary = await box.show('health/2026-01/summary.md');
    expect(summary).toContain(
      '| `health/2026-01-01/100000-1.md` | 2026-01-01T10:00:00Z | warning | 2 | web1/disk// (warning) |',
    );
    expect(summary).toContain('`health/2026-01-02/100000-2.md`');
    // one commit did both
    const last = await box.git('show', '--name-status', '--no-renames', '--format=%s', 'claudeops-state');
    expect(last.split('\n').filter(Boolean)).toEqual([
      'run 4',
      'D\tactions/2025-12-31/100000-web1-restart-1.md',
      'A\tactions/2025-12/summary.md',
      'D\thealth/2026-01-01/100000-1.md',
      'D\thealth/2026-01-02/100000-2.md',
      'A\thealth/2026-01/summary.md',
      'A\thealth/2026-04-01/000000-4.md',
    ]);
  });
});

function fixedClock(iso: string) {
  return { now: () => new Date(iso), sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)) };
}
