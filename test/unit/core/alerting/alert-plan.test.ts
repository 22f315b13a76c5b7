/**
 * Repeats and escalation computed from the alert state on the state branch: each test drives a
 * sequence of runs at chosen times, feeding each run the state the previous one left, and counts
 * what was told. The expected counts are worked out here from the schedule, not by the code.
 */
import { describe, expect, it } from 'vitest';
import { type AlertInput, type AlertPolicy, planAlerts } from '../../../../src/core/alerting/alert-plan.js';
import { dependencyGraph, groupIncidents } from '../../../../src/core/alerting/incidents.js';
import type { AckState, AlertState } from '../../../../src/core/memory/memory.js';
import type { TrackedFinding } from '../../../../src/core/run-record.js';
import { config, tracked } from '../../../support/agent-fixtures.js';

const T0 = Date.parse('2026-11-21T02:00:00.000Z');
const MIN = 60_000;
const at = (minutes: number) => new Date(T0 + minutes * MIN);

const fleet = config({
  servers: [
    {
      name: 'db1',
      transport: 'local',
      services: [{ name: 'postgresql' }],
      endpoints: [{ url: 'http://127.0.0.1:8091/', depends_on: ['postgresql'] }],
    },
  ],
});
const graph = dependencyGraph(fleet.servers);

function pg(severity: 'critical' | 'warning' = 'critical'): TrackedFinding {
  return tracked('db1', 'service', 'postgresql', severity, 'postgresql is inactive (dead)', {
    firstSeen: at(0).toISOString(),
    lifecycle: 'ongoing',
  });
}

interface Sim {
  states: Map<string, { server: string; state: AlertState }>;
  told: { minute: number; repeats: number; escalations: number; pages: string[] }[];
}

/** Runs at each minute in `runs`, each reading the alert state the previous run left. */
function simulate(
  runs: number[],
  policy: AlertPolicy,
  options: {
    findings?: (minute: number) => TrackedFinding[];
    resolvedAt?: number;
    acks?: Map<number, AckState | undefined>;
  } = {},
): Sim {
  const sim: Sim = { states: new Map(), told: [] };
  for (const minute of runs) {
    const resolved = options.resolvedAt !== undefined && minute >= options.resolvedAt;
    const findings = resolved ? [] : (options.findings?.(minute) ?? [pg()]);
    const ack = options.acks?.get(minute);
    const input: AlertInput = {
      incidents: groupIncidents(findings, graph),
      previous: sim.states,
      resolved: new Set(resolved ? [pg().fingerprint] : []),
      acks: options.acks?.has(minute) ? new Map([[pg().fingerprint, ack]]) : new Map(),
      policy,
      now: at(minute),
      tried: () => ['restart-service:postgresql on db1 ×2 (last: not-fixed)'],
    };
    const out = planAlerts(input);
    sim.states = new Map(
      Object.entries(out.states).flatMap(([server, alerts]) =>
        Object.entries(alerts).map(([key, state]) => [key, { server, state }] as const),
      ),
    );
    sim.told.push({
      minute,
      repeats: out.run.repeats.length,
      escalations: out.run.escalations.length,
      pages: out.run.pages.map((p) => `${p.action}:${p.channels.join('+')}`),
    });
  }
  return sim;
}

const chat: AlertPolicy = { channels: ['slack'], repeatMs: 30 * MIN };

describe('repeats, anchored on the state branch', () => {
  it('a run every 10 minutes repeats an open critical at 30, 60, 90 …', () => {
    const runs = Array.from({ length: 13 }, (_, i) => i * 10); // 0 … 120
    const sim = simulate(runs, chat);
    const repeatedAt = sim.told.filter((t) => t.repeats > 0).map((t) => t.minute);
    expect(repeatedAt).toEqual([30, 60, 90, 120]);
  });

  it('missed runs neither drop nor double: runs at 0, 10, 75, 80, 95 repeat at 75 and 95 only', () => {
    // slots: 75 → floor(75/30)=2 (> 0: told once, not twice for slots 1 and 2); 80 → 2 (told); 95 → 3
    const sim = simulate([0, 10, 75, 80, 95], chat);
    expect(sim.told.map((t) => t.repeats)).toEqual([0, 0, 1, 0, 1]);
  });

  it('a late run does not shift the next repeat: runs at 0, 41, 60 repeat at 41 and 60', () => {
    const sim = simulate([0, 41, 60], chat);
    expect(sim.told.map((t) => t.repeats)).toEqual([0, 1, 1]);
  });

  it('two runs in the same slot (a manual run beside the scheduled one) tell it once', () => {
    const sim = simulate([0, 31, 31, 32], chat);
    expect(sim.told.map((t) => t.repeats)).toEqual([0, 1, 0, 0]);
  });

  it('no repeat without notify.repeat, and none for a warning', () => {
    expect(simulate([0, 40, 80], { channels: ['slack'] }).told.every((t) => t.repeats === 0)).toBe(true);
    const warn = simulate([0, 40, 80], chat, { findings: () => [pg('warning')] });
    expect(warn.told.every((t) => t.repeats === 0)).toBe(true);
  });

  it('says how long it has been open and what was tried, dependants listed', () => {
    const ep = tracked('db1', 'endpoint', 'http://127.0.0.1:8091/', 'critical', 'HTTP 503', {
      lifecycle: 'ongoing',
      firstSeen: at(0).toISOString(),
    });
    let previous = new Map<string, { server: string; state: AlertState }>();
    for (const minute of [0, 35]) {
      const out = planAlerts({
        incidents: groupIncidents([pg(), ep], graph),
        previous,
        resolved: new Set(),
        acks: new Map(),
        policy: chat,
        now: at(minute),
        tried: () => ['restart-service:postgresql on db1 ×3 (last: not-fixed, circuit breaker open)'],
      });
      previous = new Map(
        Object.entries(out.states.db1 ?? {}).map(([k, s]) => [k, { server: 'db1', state: s }]),
      );
      if (minute === 35) {
        expect(out.run.repeats).toHaveLength(1);
        const r = out.run.repeats[0];
        expect(r?.openForMs).toBe(35 * MIN);
        expect(r?.dependants).toEqual([ep.fingerprint]);
        expect(r?.tried[0]).toContain('circuit breaker open');
      }
    }
  });
});

describe('escalation', () => {
  const policy: AlertPolicy = {
    channels: ['slack', 'email', 'pagerduty'],
    repeatMs: 30 * MIN,
    escalate: { afterMs: 60 * MIN, channels: ['email', 'pagerduty'] },
  };

  it('escalates once, at the first run after `after`, to those channels; pages only then', () => {
    const sim = simulate([0, 30, 59, 70, 100, 130], policy);
    expect(sim.told.map((t) => t.escalations)).toEqual([0, 0, 0, 1, 0, 0]);
    // pagerduty is an escalation channel: no trigger at minute 0, one at the escalation
    expect(sim.told.map((t) => t.pages)).toEqual([[], [], [], ['trigger:pagerduty'], [], []]);
  });

  it('a start ahead of the clock (a runner a day ahead wrote it) holds nothing back: counted from the next run', () => {
    // the first run's clock is a day ahead; the others are right
    const sim = simulate([1440, 10, 40, 70, 100], policy);
    expect(sim.told.map((t) => t.escalations)).toEqual([0, 0, 0, 1, 0]);
    expect(sim.told.map((t) => t.repeats)).toEqual([0, 0, 1, 1, 1]);
  });

  it('resolving tells the paging services that were told, with the same key', () => {
    const sim = simulate([0, 70, 80], policy, { resolvedAt: 80 });
    expect(sim.told.at(-1)?.pages).toEqual(['resolve:pagerduty']);
    expect(sim.states.size).toBe(0);
  });

  it('a paging channel that is not an escalation channel is triggered at once and resolved at the end', () => {
    const direct: AlertPolicy = { channels: ['slack', 'opsgenie', 'pagerduty'] };
    const sim = simulate([0, 10, 20], direct, { resolvedAt: 20 });
    expect(sim.told.map((t) => t.pages)).toEqual([
      ['trigger:opsgenie+pagerduty'],
      [],
      ['resolve:opsgenie+pagerduty'],
    ]);
  });
});

describe('acknowledgement stops repeats and escalation', () => {
  const policy: AlertPolicy = {
    channels: ['slack', 'pagerduty'],
    repeatMs: 30 * MIN,
    escalate: { afterMs: 60 * MIN, channels: ['slack'] },
  };
  const ack = (minute: number, forMinutes?: number): AckState => ({
    by: 'maintainer',
    at: at(minute).toISOString(),
    severity: 'critical',
    via: 'comment',
    kind: forMinutes ? 'snooze' : 'ack',
    ...(forMinutes ? { until: at(minute + forMinutes).toISOString() } : {}),
  });

  it('an ack at 20 silences every repeat and the escalation; the pager hears "acknowledge"', () => {
    const sim = simulate([0, 20, 40, 70, 100], policy, { acks: new Map([[20, ack(20)]]) });
    expect(sim.told.map((t) => t.repeats + t.escalations)).toEqual([0, 0, 0, 0, 0]);
    expect(sim.told.map((t) => t.pages)).toEqual([
      ['trigger:pagerduty'],
      ['acknowledge:pagerduty'],
      [],
      [],
      [],
    ]);
  });

  it('a snooze that ends lets the due repeat and the escalation through at the next run', () => {
    // snoozed 20 → 80: the 30 and 60 repeats and the 60 escalation are held; at 85 both come,
    // once (slot 2); 95 is past the 90 boundary, so slot 3 is told there
    const sim = simulate([0, 20, 40, 70, 85, 95], policy, { acks: new Map([[20, ack(20, 60)]]) });
    expect(sim.told.map((t) => [t.minute, t.repeats, t.escalations])).toEqual([
      [0, 0, 0],
      [20, 0, 0],
      [40, 0, 0],
      [70, 0, 0],
      [85, 1, 1],
      [95, 1, 0],
    ]);
  });

  it('a change of severity ends the acknowledgement', () => {
    const sim = simulate([0, 20, 40, 70], policy, {
      acks: new Map([[20, ack(20)]]),
      findings: (m) => [pg(m >= 40 ? 'warning' : 'critical')],
    });
    const state = sim.states.get(pg().fingerprint)?.state;
    expect(state?.ack).toBeUndefined();
    expect(state?.severity).toBe('warning');
  });

  it('unack (the acknowledgement removed) lets the overdue repeat through at once', () => {
    const sim = simulate([0, 20, 40, 45], policy, {
      acks: new Map<number, AckState | undefined>([
        [20, ack(20)],
        [45, undefined],
      ]),
    });
    expect(sim.told.map((t) => t.repeats)).toEqual([0, 0, 0, 1]);
  });
});

describe('alert state', () => {
  it('keeps the state of an incident this run did not see (an unreachable server), drops a resolved one', () => {
    const first = simulate([0], chat);
    const kept = planAlerts({
      incidents: [],
      previous: first.states,
      resolved: new Set(),
      acks: new Map(),
      policy: chat,
      now: at(40),
      tried: () => [],
    });
    expect(kept.states.db1?.[pg().fingerprint]?.slot).toBe(0);
    expect(kept.run.repeats).toEqual([]);
  });

  it('a former root that is now a dependant is resolved on the pager as folded into the new root', () => {
    const graph2 = dependencyGraph(
      config({
        servers: [
          {
            name: 'db1',
            transport: 'local',
            services: [{ name: 'postgresql' }, { name: 'app', depends_on: ['postgresql'] }],
          },
        ],
      }).servers,
    );
    const app = tracked('db1', 'service', 'app', 'critical', 'app down');
    const policy: AlertPolicy = { channels: ['pagerduty'] };
    const one = planAlerts({
      incidents: groupIncidents([app], graph2),
      previous: new Map(),
      resolved: new Set(),
      acks: new Map(),
      policy,
      now: at(0),
      tried: () => [],
    });
    const two = planAlerts({
      incidents: groupIncidents([app, pg()], graph2),
      previous: new Map(
        Object.entries(one.states.db1 ?? {}).map(([k, s]) => [k, { server: 'db1', state: s }]),
      ),
      resolved: new Set(),
      acks: new Map(),
      policy,
      now: at(10),
      tried: () => [],
    });
    expect(two.run.pages.map((p) => [p.action, p.key])).toEqual([
      ['trigger', pg().fingerprint],
      ['resolve', app.fingerprint],
    ]);
    expect(two.run.pages[1]?.note).toContain(pg().fingerprint);
  });
});
