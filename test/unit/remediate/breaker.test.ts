/**
 * The circuit breaker heals: half-open after `breaker.cooloff` (one trial), closed by a fix or by
 * its finding resolving; one notification when it opens and one when it closes, none in between.
 */
import { describe, expect, it } from 'vitest';
import { emptyServerState } from '../../../src/core/memory/memory.js';
import {
  breakerChanges,
  notificationMessage,
  notificationText,
  shouldNotify,
} from '../../../src/core/render/render-notification.js';
import type { Finding } from '../../../src/core/types.js';
import { buildCatalog } from '../../../src/remediate/catalog.js';
import {
  type Bookkeeping,
  decide,
  type GateContext,
  healBreakers,
  recordAttempt,
} from '../../../src/remediate/policy-gate.js';
import { Remediator } from '../../../src/remediate/remediator.js';
import {
  config,
  fakeClock,
  memory,
  NOW,
  record,
  ScriptedShell,
  server,
  tracked,
} from '../../support/agent-fixtures.js';

const cfg = config();
const catalog = buildCatalog(server(cfg), cfg).actions;
const HOUR = 3_600_000;
const restart = {
  server: 'web1',
  actionId: 'restart-service',
  params: { service: 'nginx' },
  intent: 'auto' as const,
};
const gate = (bookkeeping: Bookkeeping, now: Date, cooloff?: number): GateContext => ({
  catalog,
  mode: 'safe',
  dryRun: false,
  now,
  maintenance: [],
  bookkeeping,
  ...(cooloff !== undefined ? { breakerCooloffMs: cooloff } : {}),
});
const at = (hours: number) => new Date(NOW.getTime() + hours * HOUR);

describe('circuit breaker that heals', () => {
  const opened = (() => {
    let b: Bookkeeping = {};
    for (let i = 0; i < 3; i++)
      b = recordAttempt(b, 'restart-service:nginx', at(i), 'not-fixed', 3, 'web1/service/nginx');
    return b;
  })();

  it('opens after N failures, remembering when and for which finding', () => {
    expect(opened['restart-service:nginx']).toMatchObject({
      failures: 3,
      breakerOpen: true,
      openedAt: at(2).toISOString(),
      fingerprint: 'web1/service/nginx',
    });
  });

  it('half-open after the cool-off: one trial; a failed trial opens it for a new cool-off, a fix closes it', () => {
    const d = decide(restart, gate(opened, at(10), 24 * HOUR));
    expect(d.decision).toBe('deny');
    expect(d.reason).toMatch(/one trial allowed from 2026-11-22T10:00:00.000Z$/);
    expect(decide(restart, gate(opened, at(26), 24 * HOUR)).decision).toBe('execute');
    // without a cool-off it never heals by time
    expect(decide(restart, gate(opened, at(2000))).decision).toBe('deny');
    const failedTrial = recordAttempt(opened, 'restart-service:nginx', at(26), 'unverified', 3);
    expect(failedTrial['restart-service:nginx']).toMatchObject({
      breakerOpen: true,
      openedAt: at(26).toISOString(),
    });
    expect(decide(restart, gate(failedTrial, at(30), 24 * HOUR)).decision).toBe('deny');
    const fixed = recordAttempt(opened, 'restart-service:nginx', at(26), 'fixed', 3);
    expect(fixed['restart-service:nginx']).toMatchObject({ breakerOpen: false, failures: 0 });
    expect(fixed['restart-service:nginx']?.openedAt).toBeUndefined();
  });

  it('closes when its finding resolves, and only then', () => {
    const none = healBreakers('web1', opened, new Set(['web1/disk//']));
    expect(none.changes).toEqual([]);
    expect(none.bookkeeping).toEqual(opened);
    const healed = healBreakers('web1', opened, new Set(['web1/service/nginx']));
    expect(healed.changes).toEqual([
      { server: 'web1', key: 'restart-service:nginx', change: 'closed', why: 'web1/service/nginx resolved' },
    ]);
    expect(healed.bookkeeping['restart-service:nginx']).toMatchObject({ breakerOpen: false, failures: 0 });
    expect(opened['restart-service:nginx']?.breakerOpen).toBe(true);
  });

  it('one notification when it opens, none while it stays open, one when it closes', async () => {
    const down = tracked('web1', 'service', 'nginx', 'critical', 'nginx is inactive', {
      lifecycle: 'ongoing',
    });
    const stillDown: Finding[] = [{ ...down }];
    const clock = fakeClock();
    const runAt = async (bookkeeping: Bookkeeping, now: Date, after: Finding[]) => {
      const run = record(cfg, [down]);
      run.serverStates = {};
      const m = memory();
      m.servers.web1 = { ...emptyServerState('web1'), remediation: structuredClone(bookkeeping) };
      const r = new Remediator({
        config: cfg,
        mode: 'safe',
        dryRun: false,
        runId: `run-${now.getTime()}`,
        clock: { ...clock, now: () => now },
        record: run,
        memory: m,
        shells: new Map([['web1', new ScriptedShell('web1')]]),
        recheck: async () => after,
        secrets: [],
        settleMs: 0,
        breakerCooloffMs: 24 * HOUR,
      });
      await r.remediate({
        server: 'web1',
        action: 'restart-service',
        params: { service: 'nginx' },
        intent: 'auto',
        fingerprint: down.fingerprint,
        reason: 'down',
        requestedBy: 'rules',
      });
      run.status = 'critical';
      // what the notification announces: breakers whose state differs from what the last run left
      const changes = breakerChanges(m.servers, run.serverStates);
      const text = notificationText(notificationMessage(run, undefined, changes));
      return { run, changes, notify: shouldNotify(run, 'changes', changes), text };
    };
    let b: Bookkeeping = recordAttempt({}, 'restart-service:nginx', at(-2), 'not-fixed', 3, down.fingerprint);
    b = recordAttempt(b, 'restart-service:nginx', at(-1), 'not-fixed', 3, down.fingerprint);
    const { run: third, ...told } = await runAt(b, at(0), stillDown);
    expect(third.breakers).toEqual([
      {
        server: 'web1',
        key: 'restart-service:nginx',
        change: 'opened',
        why: 'restart-service failed to fix 3 times',
      },
    ]);
    expect(told.notify).toBe(true);
    expect(told.changes).toEqual([{ server: 'web1', key: 'restart-service:nginx', open: true }]);
    expect(told.text).toContain('circuit breaker opened: restart-service:nginx on web1');
    // the next run is denied by the open breaker: recorded, but no news, no message
    const open = third.serverStates.web1?.remediation ?? {};
    const fourth = await runAt(open, at(1), stillDown);
    expect(fourth.run.actions.map((a) => a.decision)).toEqual(['deny']);
    expect(fourth.changes).toEqual([]);
    expect(fourth.notify).toBe(false);
    // after the cool-off the half-open trial works: closed, told once
    const { run: trial, text } = await runAt(open, at(25), [
      { ...down, severity: 'ok', summary: 'nginx is active' },
    ]);
    expect(trial.actions.map((a) => [a.decision, a.outcome])).toEqual([['execute', 'fixed']]);
    expect(trial.breakers).toEqual([
      { server: 'web1', key: 'restart-service:nginx', change: 'closed', why: 'restart-service fixed it' },
    ]);
    expect(text).toContain('circuit breaker closed: restart-service:nginx on web1');
  });

  it('the config knob: breaker.cooloff, default 24 h', () => {
    expect(config().breaker.cooloff).toBe(24 * HOUR);
    expect(config({ breaker: { cooloff: '6h' } }).breaker.cooloff).toBe(6 * HOUR);
    expect(() => config({ breaker: { cooloff: 'soon' } })).toThrow();
  });
});
