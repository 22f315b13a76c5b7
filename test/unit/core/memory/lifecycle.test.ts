import { describe, expect, it } from 'vitest';
import { type Config, configSchema } from '../../../../src/config/schema.js';
import { trackFindings } from '../../../../src/core/memory/lifecycle.js';
import { emptyMemory, type Memory } from '../../../../src/core/memory/memory.js';
import type { Finding, ServerReport, Severity } from '../../../../src/core/types.js';
import { finding } from '../../../../src/core/types.js';

const config: Config = configSchema.parse({
  version: 1,
  schedule: '0 * * * *',
  servers: [{ name: 'web1', transport: 'local' }],
  lifecycle: { debounce_runs: 2, flap_changes: 4, flap_window: 10 },
});
const server = config.servers[0] as Config['servers'][number];

function report(findings: Finding[], extra: Partial<ServerReport['observation']> = {}): ServerReport {
  return {
    server,
    observation: {
      server: 'web1',
      reachable: true,
      startedAt: '',
      durationMs: 1,
      bytes: 1,
      roundTrips: 1,
      probes: {},
      probeErrors: {},
      ...extra,
    },
    findings,
  };
}

const disk = (severity: Severity, value = 50) =>
  finding('web1', 'disk', '/', severity, `/ is ${value}% full`, { value });

/** Runs the lifecycle over a sequence of runs an hour apart, memory carried between them. */
function runs(sequence: ServerReport[], start = Date.parse('2026-03-01T00:00:00Z'), options = {}) {
  let memory: Memory = emptyMemory();
  const out = [];
  for (const [i, r] of sequence.entries()) {
    const now = new Date(start + i * 3_600_000);
    const tracked = trackFindings([r], memory, config, now, { runId: `run${i}`, ...options });
    out.push(tracked);
    memory = { ...emptyMemory(), servers: tracked.serverStates, lastRunAt: now.toISOString() };
  }
  return out;
}

describe('finding lifecycle', () => {
  it('debounces a warning until it held debounce_runs runs, then raises it as new, then ongoing', () => {
    const [a, b, c] = runs([
      report([disk('warning', 85)]),
      report([disk('warning', 86)]),
      report([disk('warning', 86)]),
    ]);
    expect(a?.findings.map((f) => f.lifecycle)).toEqual(['pending']);
    expect(a?.changes.new).toEqual([]);
    expect(b?.findings.map((f) => [f.lifecycle, f.runs])).toEqual([['new', 2]]);
    expect(b?.findings[0]?.firstSeen).toBe('2026-03-01T00:00:00.000Z');
    expect(c?.findings.map((f) => [f.lifecycle, f.runs])).toEqual([['ongoing', 3]]);
    expect(c?.changes.stillFailing).toEqual([{ fingerprint: 'web1/disk//', runs: 3 }]);
  });

  it('raises a critical at once', () => {
    const [a] = runs([report([disk('critical', 95)])]);
    expect(a?.findings.map((f) => f.lifecycle)).toEqual(['new']);
    expect(a?.changes.new).toEqual(['web1/disk//']);
  });

  it('drops a pending warning quietly when it clears before being raised', () => {
    const [, b] = runs([report([disk('warning', 85)]), report([disk('ok', 50)])]);
    expect(b?.findings).toEqual([]);
    expect(b?.resolved).toEqual([]);
    expect(b?.serverStates.web1?.findings['web1/disk//']?.status).toBe('resolved');
  });

  it('resolves a raised finding, with its first-seen time and streak', () => {
    const [, , c] = runs([
      report([disk('critical', 95)]),
      report([disk('critical', 96)]),
      report([disk('ok', 40)]),
    ]);
    expect(c?.resolved.map((f) => [f.fingerprint, f.lifecycle, f.firstSeen, f.runs])).toEqual([
      ['web1/disk//', 'resolved', '2026-03-01T00:00:00.000Z', 2],
    ]);
    expect(c?.changes.resolved).toEqual(['web1/disk//']);
    const state = c?.serverStates.web1?.findings['web1/disk//'];
    expect(state).toMatchObject({
      status: 'resolved',
      okStreak: 1,
      streak: 0,
      resolvedAt: '2026-03-01T02:00:00.000Z',
    });
  });

  it('treats a fingerprint no longer reported as ok (resolved), unless a probe failed', () => {
    const [, b] = runs([report([disk('critical', 95)]), report([])]);
    expect(b?.resolved.map((f) => f.fingerprint)).toEqual(['web1/disk//']);
    const [, c] = runs([report([disk('critical', 95)]), report([], { probeErrors: { disk: 'no output' } })]);
    expect(c?.resolved).toEqual([]);
    expect(c?.serverStates.web1?.findings['web1/disk//']?.status).toBe('new');
  });

  it('resolves an unreachable finding once the server answers, even if a probe failed', () => {
    const down = finding('web1', 'unreachable', '-', 'critical', 'refused');
    const [, b] = runs([
      report([down], { reachable: false }),
      report([disk('ok')], { probeErrors: { services: 'no systemctl' } }),
    ]);
    expect(b?.resolved.map((f) => f.fingerprint)).toEqual(['web1/unreachable/-']);
  });

  it('saves the cursors collect put on the observation, keeping them when a run has none', () => {
    const [a, b] = runs([
      report([], { cursors: { 'file:/var/log/app.log': '12:100' } }),
      report([], { probes: {} }),
    ]);
    expect(a?.serverStates.web1?.cursors).toEqual({ 'file:/var/log/app.log': '12:100' });
    expect(b?.serverStates.web1?.cursors).toEqual({ 'file:/var/log/app.log': '12:100' });
  });

  it('marks a fingerprint flapping after flap_changes changes in the window and suppresses churn', () => {
    const seq = ['critical', 'ok', 'critical', 'ok', 'critical', 'ok', 'critical'] as const;
    const out = runs(seq.map((s) => report([disk(s, s === 'ok' ? 40 : 95)])));
    const lifecycles = out.map((t) => t.findings[0]?.lifecycle ?? (t.resolved.length ? 'resolved' : '-'));
    expect(lifecycles).toEqual(['new', 'resolved', 'new', 'resolved', 'flapping', '-', 'flapping']);
    // while flapping, neither "resolved" nor "new" is announced again
    expect(out[5]?.resolved).toEqual([]);
    expect(out[6]?.changes.new).toEqual([]);
    expect(out[6]?.changes.flapping).toEqual(['web1/disk//']);
  });

  it('settles a flapping finding once the window calms down', () => {
    const seq: Severity[] = [
      'critical',
      'ok',
      'critical',
      'ok',
      'critical',
      ...Array<Severity>(10).fill('ok'),
    ];
    const out = runs(seq.map((s) => report([disk(s, s === 'ok' ? 40 : 95)])));
    const resolvedAt = out.findIndex((t, i) => i > 4 && t.resolved.length > 0);
    expect(resolvedAt).toBeGreaterThan(5);
    expect(out.at(-1)?.serverStates.web1?.findings['web1/disk//']?.status).toBe('resolved');
  });

  it('keeps every earlier finding of an unreachable server instead of resolving them', () => {
    const unreachable = finding('web1', 'unreachable', '-', 'critical', 'connection refused');
    const [, b] = runs([
      report([disk('critical', 95)]),
      report([unreachable], { reachable: false, error: 'refused' }),
    ]);
    expect(b?.resolved).toEqual([]);
    expect(b?.findings.map((f) => f.fingerprint)).toEqual(['web1/unreachable/-']);
    expect(b?.serverStates.web1?.findings['web1/disk//']).toMatchObject({
      status: 'new',
      severity: 'critical',
    });
    expect(b?.serverStates.web1?.lastChecked).toBe('2026-03-01T00:00:00.000Z');
    expect(b?.serverStates.web1?.lastRun).toBe('2026-03-01T01:00:00.000Z');
    expect(b?.changes.unverified).toEqual([{ server: 'web1', fingerprints: ['web1/disk//'] }]);
  });

  it('records counters, samples, boot id and probe cursors in the server state', () => {
    const [a] = runs([
      report([disk('ok', 50)], {
        probes: {
          uptime: { uptimeSeconds: 100, bootId: 'b1' },
          services: { services: [{ name: 'nginx', restarts: 2 }] },
        },
        cursors: { 'log:/var/log/x': '42' },
      }),
    ]);
    const state = a?.serverStates.web1;
    expect(state).toMatchObject({
      bootId: 'b1',
      uptimeSeconds: 100,
      runs: 1,
      recentRuns: ['run0'],
      cursors: { 'log:/var/log/x': '42' },
      counters: { 'restarts:nginx': 2 },
      samples: { 'disk:/': [['2026-03-01T00:00:00.000Z', 50]] },
    });
  });

  it('flags a reboot (boot id changed) and rising restart counters at once, as events', () => {
    const obs = (bootId: string, restarts: number) => ({
      probes: { uptime: { uptimeSeconds: 60, bootId }, services: [{ name: 'api', NRestarts: restarts }] },
    });
    const [, b, c, d] = runs([
      report([], obs('b1', 1)),
      report([], obs('b2', 4)),
      report([], obs('b2', 4)),
      report([], obs('b2', 4)),
    ]);
    expect(b?.changes.reboots).toEqual(['web1']);
    expect(b?.findings.map((f) => [f.check, f.lifecycle, f.summary])).toEqual([
      ['reboot', 'new', 'web1 rebooted since the last run (up 1m)'],
      ['restarts', 'new', 'api restarted 3 times since the last run (restart counter 4)'],
    ]);
    expect(b?.serverStates.web1?.reboots).toEqual(['2026-03-01T01:00:00.000Z']);
    // events resolve after close_after_ok_runs (2) runs without a new one, not the next run
    expect(c?.resolved).toEqual([]);
    expect(c?.serverStates.web1?.findings['web1/reboot/-']).toMatchObject({ status: 'ongoing', okStreak: 1 });
    expect(d?.resolved.map((f) => f.check).sort()).toEqual(['reboot', 'restarts']);
  });

  describe('log lines are events, not states', () => {
    const log = (lines: number, severity: Severity = lines > 0 ? 'warning' : 'ok') =>
      finding('web1', 'log', '/var/log/app.log', severity, `${lines} new matching line(s)`, {
        value: lines,
        ...(severity !== 'ok' ? { evidence: '| ERROR x', event: true } : {}),
      });

    it('a burst of warnings is raised in the run that sees it, then stays raised while quiet', () => {
      const [a, b, c, d] = runs([report([log(0)]), report([log(5)]), report([log(0)]), report([log(0)])]);
      expect(a?.findings).toEqual([]);
      expect(b?.findings.map((f) => [f.lifecycle, f.severity, f.event])).toEqual([['new', 'warning', true]]);
      expect(b?.changes.new).toEqual(['web1/log//var/log/app.log']);
      // one quiet run: nothing resolved (the issue and its incident stay open), nothing re-raised
      expect(c?.findings).toEqual([]);
      expect(c?.resolved).toEqual([]);
      expect(d?.resolved.map((f) => f.fingerprint)).toEqual(['web1/log//var/log/app.log']);
      expect(d?.serverStates.web1?.findings['web1/log//var/log/app.log']?.status).toBe('resolved');
    });

    it('a single critical line is raised at once as critical', () => {
      const [, b] = runs([report([log(0)]), report([log(1, 'critical')])]);
      expect(b?.findings.map((f) => [f.lifecycle, f.severity])).toEqual([['new', 'critical']]);
    });

    it('a new burst after a quiet run is news again in the same episode; a steady stream is ongoing', () => {
      const [, b, c, d, e] = runs([
        report([log(0)]),
        report([log(3)]),
        report([log(0)]),
        report([log(2)]),
        report([log(4)]),
      ]);
      expect(c?.findings).toEqual([]);
      expect(d?.findings.map((f) => [f.lifecycle, f.firstSeen])).toEqual([
        ['new', b?.findings[0]?.firstSeen],
      ]);
      expect(e?.findings.map((f) => f.lifecycle)).toEqual(['ongoing']);
    });

    it('alternating bursts are never suppressed as flapping', () => {
      const out = runs(Array.from({ length: 10 }, (_, i) => report([log(i % 2 === 0 ? 2 : 0)])));
      const raised = out.flatMap((t) => t.findings.map((f) => f.lifecycle));
      expect(raised).not.toContain('flapping');
      expect(raised).toHaveLength(5);
    });

    it('keeps the rate of matching lines per run in state and shows it beside the finding', () => {
      const [, , c] = runs([report([log(0)]), report([log(4)]), report([log(2)])]);
      expect(c?.serverStates.web1?.samples['log:/var/log/app.log']?.map(([, v]) => v)).toEqual([0, 4, 2]);
      expect(c?.findings[0]?.trend).toBe('~2.0 matching lines/run over 3 runs');
    });

    it('a missing log file is a state: debounced like any warning', () => {
      const missing = finding('web1', 'log', '/var/log/app.log', 'warning', 'log file missing');
      const [a, b] = runs([report([missing]), report([missing])]);
      expect(a?.findings.map((f) => f.lifecycle)).toEqual(['pending']);
      expect(b?.findings.map((f) => f.lifecycle)).toEqual(['new']);
    });
  });

  it('predicts "full in ~X h" from disk growth before the threshold is crossed', () => {
    const values = [50, 55, 60, 65, 70];
    const out = runs(values.map((v) => report([disk('ok', v)])));
    const last = out.at(-1);
    const growth = last?.findings.find((f) => f.check === 'disk-growth');
    expect(growth?.summary).toBe('/ is 70% used and growing 5.0%/h: full in ~6 h');
    expect(growth?.trend).toBe('full in ~6 h (+5.0%/h)');
    expect(last?.changes.trends).toEqual([
      { fingerprint: 'web1/disk-growth//', note: 'full in ~6 h (+5.0%/h)' },
    ]);
  });

  it('reports missed runs of the watcher itself', () => {
    const memory = { ...emptyMemory(), lastRunAt: '2026-03-01T00:00:00.000Z' };
    const late = trackFindings([], memory, config, new Date('2026-03-01T05:00:00Z'));
    expect(late.findings.map((f) => [f.server, f.check, f.lifecycle])).toEqual([
      ['claudeops', 'missed-runs', 'new'],
    ]);
    expect(late.changes.missedRuns).toMatch(/no run was recorded for 5h .* about 4 runs missed/);
    const onTime = trackFindings([], memory, config, new Date('2026-03-01T01:30:00Z'));
    expect(onTime.findings).toEqual([]);
  });
});
