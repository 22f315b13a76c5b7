/**
 * The weekly digest of a generated 8-day history (a run every 2 h on three servers, written by the
 * real lifecycle and state-branch writer: test/support/digest-history.ts). Every expected figure
 * below is worked out from the script by hand — run numbers times two hours — not by the code
 * under test. Then the same branch through `claudeops digest --format json` and `task: digest`.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGitStateStore } from '../../src/adapters/git-state-store.js';
import { openStateReader } from '../../src/adapters/state-reader.js';
import { runReadCommand } from '../../src/cli/read-commands.js';
import type { Config } from '../../src/config/schema.js';
import type { NotificationMessage, Notifier } from '../../src/core/ports/index.js';
import { type Digest, readDigest } from '../../src/core/state-branch/digest-view.js';
import { digestPath } from '../../src/core/state-branch/paths.js';
import { isoWeek } from '../../src/core/util/iso-week.js';
import { run } from '../../src/run.js';
import { config as makeConfig, runContext } from '../support/agent-fixtures.js';
import { bad, buildBranch, type ScriptedRun, writeBranch } from '../support/digest-history.js';
import { git } from '../support/runner.js';

const H = 3_600_000;
const T0 = Date.parse('2026-11-15T00:00:00.000Z');
const RUNS = 97; // runs 0 … 96, every 2 h: 8 days
const at = (i: number) => new Date(T0 + i * 2 * H);
const UNTIL = at(96);
const SINCE = new Date(UNTIL.getTime() - 7 * 24 * H); // = run 12
const EP = 'https://web1.example.test/health';

const config: Config = makeConfig({
  servers: ['web1', 'db1', 'cache1'].map((name) => ({ name, transport: 'local' })),
});

const pgDown = (i: number) => (i >= 8 && i <= 14) || i === 40 || i === 41 || i === 70;
function script(i: number): ScriptedRun {
  const findings = [
    ...(pgDown(i) ? [bad('db1', 'service', 'postgresql', 'postgresql is inactive (dead)')] : []),
    // a flapping endpoint: down on every other run from 50 to 56
    ...([50, 52, 54, 56].includes(i) ? [bad('web1', 'endpoint', EP, 'HTTP 503')] : []),
    ...(i >= 90 ? [bad('web1', 'disk', '/', '/ is 96% full')] : []),
  ];
  const restart = (outcome: 'fixed' | 'not-fixed') => ({
    server: 'db1',
    action: 'restart-service',
    target: 'postgresql',
    decision: 'execute' as const,
    outcome,
    fingerprint: 'db1/service/postgresql',
  });
  const actions = [
    ...(i === 9 || i === 40 ? [restart('not-fixed')] : []),
    ...(i === 41 || i === 70 ? [restart('fixed')] : []),
    ...(i === 55
      ? [
          {
            server: 'web1',
            action: 'free-port',
            decision: 'needs-approval' as const,
            outcome: 'not-run' as const,
          },
        ]
      : []),
    ...(i === 71
      ? [{ server: 'db1', action: 'clear-directory', decision: 'deny' as const, outcome: 'not-run' as const }]
      : []),
  ];
  const paid = [9, 40, 50, 70, 90].includes(i);
  return {
    at: at(i),
    down: i >= 20 && i <= 22 ? ['cache1'] : [],
    findings,
    actions,
    costUsd: paid ? 0.05 : 0,
    tokens: paid ? 1000 : 0,
  };
}

let dir: string;
let digest: Digest;

beforeAll(async () => {
  dir = await writeBranch(
    buildBranch(
      config,
      Array.from({ length: RUNS }, (_, i) => script(i)),
    ),
  );
  digest = await readDigest(await openStateReader(dir), SINCE, UNTIL);
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('digest of a generated week, against figures worked out from the script', () => {
  it('uptime and availability per server: runs 12 … 96 are in the window (85)', () => {
    const by = Object.fromEntries(digest.servers.map((s) => [s.server, s]));
    // rounded down to hundredths of a percent, as every availability figure is
    const pct = (n: number) => Math.floor((n * 10_000) / 85) / 100;
    // web1 is always reached; critical in runs 50, 52, 54, 56 (endpoint) and 90 … 96 (disk): 11
    expect(by.web1).toEqual({ server: 'web1', runs: 85, uptime: 100, available: pct(74), opened: 4 });
    // db1: postgres critical in runs 12, 13, 14 (the end of the episode begun at 8), 40, 41 and 70
    expect(by.db1).toEqual({ server: 'db1', runs: 85, uptime: 100, available: pct(79), opened: 2 });
    // cache1 could not be reached in runs 20, 21, 22
    expect(by.cache1).toEqual({ server: 'cache1', runs: 85, uptime: pct(82), available: pct(82), opened: 1 });
  });

  it('incidents opened and resolved, with their time to resolve', () => {
    // opened in the window: postgres at 40 and 70, cache1 unreachable at 20, the endpoint at 50, 52
    // and 54 (there raised as flapping), the disk at 90
    expect(digest.incidents.opened).toBe(7);
    // resolved in the window: postgres at 15 (opened at 8, before the window), 42 and 71; cache1
    // at 23; the endpoint at 51, 53, and at 63 — once fewer than 4 of the last 10 runs changed
    expect(digest.incidents.resolved).toBe(7);
    const ttr = (runs: number) => runs * 2 * H;
    const expected = [ttr(7), ttr(2), ttr(1), ttr(3), ttr(1), ttr(1), ttr(9)].sort((a, b) => a - b);
    expect(
      digest.incidents.list.flatMap((i) => (i.ttrMs === undefined ? [] : [i.ttrMs])).sort((a, b) => a - b),
    ).toEqual(expected);
    expect(digest.incidents.medianTtrMs).toBe(ttr(2));
    expect(digest.incidents.meanTtrMs).toBeCloseTo(expected.reduce((a, b) => a + b, 0) / 7, 6);
    // the disk, opened at 90, is still open at the end of the window
    expect(digest.incidents.open).toBe(1);
    const disk = digest.incidents.list.find((i) => i.fingerprint === 'web1/disk//');
    expect(disk).toMatchObject({ opened: at(90).toISOString() });
    expect(disk?.resolved).toBeUndefined();
    const first = digest.incidents.list.find((i) => i.resolved === at(15).toISOString());
    expect(first).toMatchObject({ fingerprint: 'db1/service/postgresql', opened: at(8).toISOString() });
    const by = Object.fromEntries(digest.servers.map((s) => [s.server, s.opened]));
    expect(by).toEqual({ web1: 4, db1: 2, cache1: 1 });
  });

  it('actions run with their outcomes; what was proposed and denied', () => {
    // in the window: restarts at 40 (not fixed), 41 and 70 (fixed); the one at 9 is before it
    expect(digest.actions.executed).toBe(3);
    expect(digest.actions.outcomes).toEqual({ fixed: 2, 'not-fixed': 1, worse: 0, unverified: 0 });
    expect(digest.actions.proposed).toBe(1);
    expect(digest.actions.denied).toBe(1);
    expect(digest.actions.byAction).toEqual([
      { action: 'restart-service', server: 'db1', runs: 3, fixed: 2, failed: 1 },
    ]);
  });

  it('what recurs and what flaps', () => {
    expect(digest.recurring).toEqual([
      { fingerprint: `web1/endpoint/${EP}`, openings: 3 },
      { fingerprint: 'db1/service/postgresql', openings: 2 },
    ]);
    expect(digest.flapping).toEqual([{ fingerprint: `web1/endpoint/${EP}`, times: 1 }]);
  });

  it('model cost: the runs at 40, 50, 70 and 90 cost $0.05 and 1000 tokens each (9 is before)', () => {
    expect(digest.cost).toEqual({ runs: 85, tokens: 4000, usd: 0.2 });
    expect(digest.notes).toEqual([]);
  });

  it('is named by the ISO week holding the middle of the window', () => {
    // window 2026-11-16 00:00 → 2026-11-23 00:00; its middle, 2026-11-19, is in week 47
    expect(digestPath(SINCE, UNTIL)).toBe('digests/2026-W47.md');
    expect(isoWeek(new Date('2026-12-31T12:00:00Z')).label).toBe('2026-W53');
    expect(isoWeek(new Date('2027-01-01T12:00:00Z')).label).toBe('2026-W53');
    expect(isoWeek(new Date('2027-01-04T00:00:00Z')).label).toBe('2027-W01');
    expect(isoWeek(new Date('2024-12-30T00:00:00Z')).label).toBe('2025-W01');
  });
});

describe('the digest as the CLI and the Action give it', () => {
  it('`claudeops digest --since 7d --format json` prints the same figures', async () => {
    let out = '';
    const errors: string[] = [];
    const logger = {
      info: () => {},
      warning: () => {},
      error: (m: string) => errors.push(m),
      group: <T>(_: string, fn: () => Promise<T>) => fn(),
    };
    const code = await runReadCommand(
      ['digest', '--since', '7d', '--state-repo', dir, '--format', 'json'],
      logger,
      {
        write: (t) => {
          out += t;
        },
        now: () => UNTIL,
      },
    );
    expect(errors).toEqual([]);
    expect(code).toBe(0);
    expect(JSON.parse(out)).toEqual(JSON.parse(JSON.stringify(digest)));
    let text = '';
    await runReadCommand(['digest', '--state-repo', dir], logger, {
      write: (t) => (text += t),
      now: () => UNTIL,
    });
    expect(text).toContain('Weekly digest 2026-W47');
    expect(text).toMatch(/cache1\s+uptime\s+96\.47%\s+available\s+96\.47%/);
  });

  it('task: digest writes digests/2026-W47.md to the state branch, the job summary and one notification', async () => {
    const cfg = makeConfig({
      servers: config.servers.map((s) => ({ name: s.name, transport: 'local' })),
      notify: { slack: { webhook: 'http://127.0.0.1:9/slack' }, digest: true },
    });
    const sent: { message: NotificationMessage; channels?: readonly string[] }[] = [];
    const notifier: Notifier = {
      send: async (message, _payload, channels) => {
        sent.push({ message, ...(channels ? { channels } : {}) });
        return [];
      },
    };
    let summary = '';
    const outputs: Record<string, string> = {};
    const ctx = runContext(cfg, { task: 'digest', clock: { now: () => UNTIL, sleep: async () => {} } });
    ctx.adapters.state = createGitStateStore({ localDir: dir, branch: 'claudeops-state' });
    ctx.adapters.notifier = notifier;
    ctx.adapters.sink = {
      summary: async (m) => {
        summary = m;
      },
      outputs: (o) => Object.assign(outputs, o),
    };
    const { record, exitCode } = await run(ctx);
    expect(record.errors).toEqual([]);
    expect(exitCode).toBe(0);
    expect(outputs).toMatchObject({ status: 'ok', report: 'digests/2026-W47.md' });
    const page = await git(dir, 'show', 'claudeops-state:digests/2026-W47.md');
    expect(`${page}\n`).toBe(summary); // git show as read here drops the last newline
    expect(page).toContain('# Weekly digest 2026-W47');
    expect(page).toContain('7 incident(s) opened, 7 resolved');
    expect(page).toContain('| cache1 | 96.47% | 96.47% | 85 | 1 |');
    expect(page).toContain('| web1 | 100% | 87.05% | 85 | 4 |');
    expect(page).toContain('$0.20 over 85 run(s)');
    expect(sent).toHaveLength(1);
    expect(sent[0]?.channels).toEqual(['slack']);
    expect(sent[0]?.message.title).toBe('ClaudeOps weekly digest 2026-W47');
  });
});
