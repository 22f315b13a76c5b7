import { describe, expect, it } from 'vitest';
import {
  emptyMemory,
  emptyServerState,
  type FindingState,
  type ServerState,
} from '../../../../src/core/memory/memory.js';
import {
  mergeCount,
  mergeServerStates,
  parseServerState,
  serializeServerState,
} from '../../../../src/core/memory/server-state.js';
import type { RunRecord, TrackedFinding } from '../../../../src/core/run-record.js';
import { newRunRecord } from '../../../../src/core/run-record.js';
import {
  issueFileChanges,
  mergeIssueFiles,
  parseIssueFile,
  renderIssueFile,
} from '../../../../src/core/state-branch/issue-files.js';
import { expiredDays, rollUp } from '../../../../src/core/state-branch/retention.js';

const fs = (over: Partial<FindingState>): FindingState => ({
  status: 'ongoing',
  severity: 'warning',
  firstSeen: '2026-03-01T00:00:00Z',
  lastSeen: '2026-03-01T01:00:00Z',
  streak: 2,
  okStreak: 0,
  history: [
    ['2026-03-01T00:00:00Z', 'warning'],
    ['2026-03-01T01:00:00Z', 'warning'],
  ],
  summary: 'x',
  ...over,
});

describe('state file parsing', () => {
  it('round-trips and fills fields older files lack', () => {
    const state: ServerState = { ...emptyServerState('web1'), runs: 3, bootId: 'b' };
    expect(parseServerState(serializeServerState(state), 'web1')).toEqual({ ok: true, state });
    const old = parseServerState('{"server":"web1","findings":{}}', 'web1');
    expect(old.ok && old.state.runs).toBe(0);
  });

  it('writes each sample and history entry on one line, and reads back the same state', () => {
    const state: ServerState = {
      ...emptyServerState('web1'),
      recentRuns: ['run-1', 'run-2'],
      findings: { 'web1/disk/[x]': fs({ summary: 'a "quoted", [bracketed] \\ summary\nover two lines' }) },
      samples: {
        'disk:/': [
          ['2026-03-01T00:00:00.000Z', 71.5],
          ['2026-03-01T01:00:00.000Z', -1e-7],
        ],
        'disk:/srv/["odd",\n name]': [['2026-03-01T00:00:00.000Z', 0]],
      },
    };
    const text = serializeServerState(state);
    expect(parseServerState(text, 'web1')).toEqual({ ok: true, state });
    expect(text).toContain(
      '\n    "disk:/": [\n      ["2026-03-01T00:00:00.000Z", 71.5],\n      ["2026-03-01T01:00:00.000Z", -1e-7]\n    ],',
    );
    expect(text).toContain('\n        ["2026-03-01T00:00:00Z", "warning"],\n');
    expect(text).toContain('"recentRuns": ["run-1", "run-2"],');
    // everything else as JSON.stringify lays it out
    expect(text.replace(/\[("[^"]*"|[^\s,[\]{}"]+), ("[^"]*"|[^\s,[\]{}"]+)\]/g, '[x]')).toBe(
      `${JSON.stringify(state, null, 2)}\n`.replace(
        /\[\n +("[^"]*"|[^\s,[\]{}"]+),\n +("[^"]*"|[^\s,[\]{}"]+)\n +\]/g,
        '[x]',
      ),
    );
  });

  it('says what is wrong with a broken file', () => {
    const bad = parseServerState('{"server":"web1","runs":-1}', 'web1');
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.error).toMatch(/runs/);
    const other = parseServerState('{"server":"db1"}', 'web1');
    expect(!other.ok && other.error).toMatch(/names server "db1"/);
    expect(parseServerState('[1,2', 'web1').ok).toBe(false);
  });
});

describe('3-way merge by meaning', () => {
  it('adds counts both sides advanced, keeps resets', () => {
    expect(mergeCount(2, 3, 3)).toBe(4);
    expect(mergeCount(2, 2, 5)).toBe(5);
    expect(mergeCount(2, 0, 3)).toBe(0);
    expect(mergeCount(2, 1, 0)).toBe(1);
  });

  it('makes two runs that both touched state/web1.json both count', () => {
    const base: ServerState = {
      ...emptyServerState('web1'),
      runs: 5,
      recentRuns: ['r5'],
      findings: { 'web1/disk//': fs({}) },
      samples: { 'disk:/': [['2026-03-01T01:00:00Z', 80]] },
      counters: { 'restarts:api': 1 },
      cursors: { 'log:a': '10' },
      remediation: { 'restart:api': { attempts: ['2026-03-01T01:00:00Z'], failures: 1, breakerOpen: false } },
    };
    const ours: ServerState = {
      ...base,
      lastRun: '2026-03-01T02:00:00Z',
      lastChecked: '2026-03-01T02:00:00Z',
      runs: 6,
      recentRuns: ['r5', 'ours'],
      findings: {
        'web1/disk//': fs({
          streak: 3,
          lastSeen: '2026-03-01T02:00:00Z',
          history: [...(base.findings['web1/disk//']?.history ?? []), ['2026-03-01T02:00:00Z', 'warning']],
        }),
      },
      samples: { 'disk:/': [...(base.samples['disk:/'] ?? []), ['2026-03-01T02:00:00Z', 81]] },
      cursors: { 'log:a': '20' },
      remediation: {
        'restart:api': {
          attempts: ['2026-03-01T01:00:00Z', '2026-03-01T02:00:00Z'],
          failures: 2,
          breakerOpen: false,
        },
      },
    };
    const theirs: ServerState = {
      ...base,
      lastRun: '2026-03-01T02:00:05Z',
      lastChecked: '2026-03-01T02:00:05Z',
      runs: 6,
      recentRuns: ['r5', 'theirs'],
      findings: {
        'web1/disk//': fs({
          streak: 3,
          severity: 'critical',
          lastSeen: '2026-03-01T02:00:05Z',
          history: [...(base.findings['web1/disk//']?.history ?? []), ['2026-03-01T02:00:05Z', 'critical']],
        }),
        'web1/load/-': fs({ status: 'pending', streak: 1 }),
      },
      samples: { 'disk:/': [...(base.samples['disk:/'] ?? []), ['2026-03-01T02:00:05Z', 91]] },
      counters: { 'restarts:api': 2 },
      remediation: {
        'restart:api': {
          attempts: ['2026-03-01T01:00:00Z', '2026-03-01T02:00:05Z'],
          failures: 2,
          breakerOpen: true,
        },
      },
    };
    const m = mergeServerStates(base, ours, theirs);
    expect(m.runs).toBe(7);
    expect(m.recentRuns).toEqual(['r5', 'theirs', 'ours']);
    expect(m.lastRun).toBe('2026-03-01T02:00:05Z');
    const disk = m.findings['web1/disk//'];
    expect(disk?.streak).toBe(4);
    expect(disk?.severity).toBe('critical');
    expect(disk?.history.map((h) => h[1])).toEqual(['warning', 'warning', 'warning', 'critical']);
    expect(m.findings['web1/load/-']?.status).toBe('pending');
    expect(m.samples['disk:/']?.map((s) => s[1])).toEqual([80, 81, 91]);
    expect(m.counters['restarts:api']).toBe(2);
    expect(m.cursors['log:a']).toBe('20');
    expect(m.remediation['restart:api']).toEqual({
      attempts: ['2026-03-01T01:00:00Z', '2026-03-01T02:00:00Z', '2026-03-01T02:00:05Z'],
      failures: 3,
      breakerOpen: true,
    });
  });

  it('is idempotent: re-applying a run the branch already holds changes nothing', () => {
    const base = { ...emptyServerState('web1'), runs: 1, recentRuns: ['a'] };
    const ours = { ...base, runs: 2, recentRuns: ['a', 'b'] };
    expect(mergeServerStates(base, ours, ours)).toEqual(ours);
    expect(mergeServerStates(base, ours, undefined)).toBe(ours);
  });

  it('honours a deletion made by one side only', () => {
    const base = { ...emptyServerState('web1'), findings: { old: fs({ status: 'resolved' }) } };
    const ours = { ...base, findings: {} };
    const theirs = { ...base, runs: 1 };
    expect(mergeServerStates(base, ours, theirs).findings).toEqual({});
  });
});

function record(findings: TrackedFinding[], resolved: TrackedFinding[] = []): RunRecord {
  return newRunRecord({
    runId: '42',
    task: 'check',
    mode: 'safe',
    dryRun: false,
    startedAt: '2026-03-02T10:00:00.000Z',
    finishedAt: '2026-03-02T10:01:00.000Z',
    findings,
    resolved,
  });
}

const tracked = (over: Partial<TrackedFinding>): TrackedFinding => ({
  fingerprint: 'web1/disk//',
  server: 'web1',
  check: 'disk',
  target: '/',
  severity: 'warning',
  summary: '/ is 85% full',
  lifecycle: 'new',
  firstSeen: '2026-03-02T09:00:00.000Z',
  runs: 2,
  ...over,
});

describe('issue files', () => {
  it('opens an issue file with front matter and a dated history', () => {
    const [change, ...rest] = issueFileChanges(record([tracked({})]), emptyMemory());
    expect(rest).toEqual([]);
    expect(change?.path).toBe('issues/web1--disk----.md');
    const doc = parseIssueFile(change?.content ?? '');
    expect(doc?.meta).toEqual({
      fingerprint: 'web1/disk//',
      status: 'open',
      severity: 'warning',
      servers: ['web1'],
      check: 'disk',
      target: '/',
      first_seen: '2026-03-02T09:00:00.000Z',
      last_seen: '2026-03-02T10:01:00.000Z',
      updated: '2026-03-02T10:01:00.000Z',
    });
    expect(doc?.history).toEqual(['- 2026-03-02T09:00:00.000Z — opened (warning): / is 85% full (run 42)']);
    expect(change?.content).toContain('**Status: open (warning)** — / is 85% full');
  });

  it('writes nothing for an unchanged ongoing or a pending finding', () => {
    const memory = emptyMemory();
    memory.servers.web1 = {
      ...emptyServerState('web1'),
      findings: { 'web1/disk//': fs({ severity: 'warning' }) },
    };
    const out = issueFileChanges(
      record([
        tracked({ lifecycle: 'ongoing' }),
        tracked({ lifecycle: 'pending', fingerprint: 'web1/load/-' }),
      ]),
      memory,
    );
    expect(out).toEqual([]);
  });

  it('appends a severity change and a resolution to the existing history', () => {
    const opened = issueFileChanges(record([tracked({})]), emptyMemory())[0];
    const memory = emptyMemory();
    memory.openIssues = [{ path: opened?.path ?? '', content: opened?.content ?? '' }];
    memory.servers.web1 = {
      ...emptyServerState('web1'),
      findings: { 'web1/disk//': fs({ severity: 'warning' }) },
    };
    const worse = issueFileChanges(
      record([tracked({ lifecycle: 'ongoing', severity: 'critical', summary: '/ is 95% full' })]),
      memory,
    )[0];
    expect(parseIssueFile(worse?.content ?? '')?.history[1]).toBe(
      '- 2026-03-02T10:01:00.000Z — severity warning → critical: / is 95% full (run 42)',
    );
    memory.openIssues = [{ path: worse?.path ?? '', content: worse?.content ?? '' }];
    const done = issueFileChanges(
      record([], [tracked({ lifecycle: 'resolved', severity: 'ok', summary: '/ is 40% full' })]),
      memory,
    )[0];
    const doc = parseIssueFile(done?.content ?? '');
    expect(doc?.meta.status).toBe('resolved');
    expect(doc?.meta.last_seen).toBe('2026-03-01T01:00:00Z');
    expect(doc?.history).toHaveLength(3);
    expect(doc?.history[2]).toBe('- 2026-03-02T10:00:00.000Z — resolved after 1h: / is 40% full (run 42)');
  });

  it('merges two versions: newest front matter, every history line, earliest first seen', () => {
    const a = renderIssueFile({
      meta: {
        fingerprint: 'f',
        status: 'resolved',
        severity: 'warning',
        servers: ['w'],
        check: 'c',
        target: '-',
        first_seen: '2026-01-01',
        last_seen: '2026-01-02',
        updated: '2026-01-02',
      },
      summary: 'old',
      history: ['- 2026-01-01 — opened', '- 2026-01-02 — resolved'],
    });
    const b = renderIssueFile({
      meta: {
        fingerprint: 'f',
        status: 'open',
        severity: 'critical',
        servers: ['w'],
        check: 'c',
        target: '-',
        first_seen: '2026-02-01',
        last_seen: '2026-02-01',
        updated: '2026-02-01',
      },
      summary: 'new',
      history: ['- 2026-02-01 — opened'],
    });
    const merged = parseIssueFile(mergeIssueFiles(b, a));
    expect(merged?.meta.status).toBe('open');
    expect(merged?.meta.first_seen).toBe('2026-01-01');
    expect(merged?.history).toEqual([
      '- 2026-01-01 — opened',
      '- 2026-01-02 — resolved',
      '- 2026-02-01 — opened',
    ]);
    expect(merged?.summary).toBe('new');
  });
});

describe('retention', () => {
  it('expires whole days older than the window only', () => {
    const now = new Date('2026-04-01T06:00:00Z');
    // the cutoff is 2026-03-02T06:00: that day still holds reports inside the window
    expect(
      expiredDays(['2026-03-01', '2026-01-01', '2026-01', '2026-03-02', '2026-03-03', 'junk'], now, 30),
    ).toEqual(['2026-01-01', '2026-03-01']);
  });

  it('rolls reports into a summary table without duplicating rows', () => {
    const report = {
      path: 'health/2026-01-01/100000-1.md',
      content: '---\nstatus: ok\nservers: 1\n---\n# x\n',
    };
    const once = rollUp('health', '2026-01', undefined, [report]);
    const twice = rollUp('health', '2026-01', once, [
      report,
      { path: 'health/2026-01-02/100000-2.md', content: '# plain\n' },
    ]);
    expect(twice.match(/health\/2026-01-01/g)).toHaveLength(1);
    expect(twice).toContain('| `health/2026-01-02/100000-2.md` |  | plain |  |  |');
  });

  it('summarizes action logs by their front matter', () => {
    const log = {
      path: 'actions/2026-01-01/100000-web1-restart-1.md',
      content:
        '---\nat: "2026-01-01T10:00:00Z"\nserver: "web1"\naction: "restart-service"\ndecision: "execute"\noutcome: "fixed"\n---\n# x\n',
    };
    expect(rollUp('actions', '2026-01', undefined, [log])).toContain(
      '| `actions/2026-01-01/100000-web1-restart-1.md` | 2026-01-01T10:00:00Z | web1 | restart-service | execute | fixed |',
    );
  });
});
