import { describe, expect, it } from 'vitest';
import type { Mode } from '../../../src/config/schema.js';
import { buildCatalog } from '../../../src/remediate/catalog.js';
import {
  activeMaintenance,
  type Bookkeeping,
  decide,
  type GateContext,
  type GateRequest,
  recordAttempt,
} from '../../../src/remediate/policy-gate.js';
import { config, NOW, server } from '../../support/agent-fixtures.js';

const cfg = config({
  remediations: {
    'reindex-db': { command: 'echo reindex', risk: 'medium' },
    'failover-db': { command: 'echo failover', risk: 'high' },
  },
  maintenance: [
    { servers: ['web1'], from: '2026-11-22T02:00Z', to: '2026-11-22T04:00Z', reason: 'kernel upgrade' },
    { servers: ['tag:db'], from: '2026-11-21T07:00Z', to: '2026-11-21T09:00Z' },
  ],
});
const catalog = buildCatalog(server(cfg), cfg).actions;
const restart: GateRequest = {
  server: 'web1',
  serverTags: ['web'],
  actionId: 'restart-service',
  params: { service: 'nginx' },
  intent: 'auto',
};

function ctx(over: Partial<GateContext> = {}): GateContext {
  return {
    catalog,
    mode: 'safe',
    dryRun: false,
    now: NOW,
    maintenance: cfg.maintenance,
    bookkeeping: {},
    ...over,
  };
}
const ago = (ms: number) => new Date(NOW.getTime() - ms).toISOString();

describe('policy gate', () => {
  it('executes an allowlisted low-risk action with valid parameters in safe mode', () => {
    const d = decide(restart, ctx());
    expect(d.decision).toBe('execute');
    expect(d.decision === 'execute' && d.rendered.command).toBe("systemctl restart -- 'nginx'");
    expect(d.reason).toBe('risk low allowed in mode safe');
  });

  it('denies what is not in the catalog, whatever it looks like', () => {
    for (const actionId of ['shell', 'rm -rf /', '', 'restart-service; reboot', '__proto__', 'constructor']) {
      const d = decide({ ...restart, actionId }, ctx());
      expect(d.decision, actionId).toBe('deny');
      expect(d.reason).toMatch(/^not allowlisted/);
    }
  });

  it('denies invalid parameters', () => {
    const d = decide({ ...restart, params: { service: 'sshd' } }, ctx());
    expect(d).toMatchObject({ decision: 'deny' });
    expect(d.reason).toMatch(/^invalid parameters: service: expected one of/);
    expect(decide({ ...restart, params: null }, ctx()).reason).toMatch(/invalid parameters/);
  });

  it.each<[Mode, 'low' | 'medium' | 'high', string]>([
    ['report', 'low', 'deny'],
    ['report', 'medium', 'deny'],
    ['report', 'high', 'deny'],
    ['safe', 'low', 'execute'],
    ['safe', 'medium', 'needs-approval'],
    ['safe', 'high', 'needs-approval'],
    ['full', 'low', 'execute'],
    ['full', 'medium', 'execute'],
    ['full', 'high', 'needs-approval'],
  ])('mode %s, risk %s → %s', (mode, risk, expected) => {
    const actionId = { low: 'restart-service', medium: 'reindex-db', high: 'failover-db' }[risk];
    const params = risk === 'low' ? { service: 'nginx' } : {};
    const d = decide({ ...restart, actionId, params }, ctx({ mode }));
    expect(d.decision).toBe(expected);
    if (mode === 'report') expect(d.reason).toMatch(/mode report observes only/);
    if (expected === 'needs-approval' && risk === 'high')
      expect(d.reason).toBe('risk high always needs approval');
  });

  it('denies inside a maintenance window (by name or tag), not outside it', () => {
    const during = new Date('2026-11-22T03:00:00Z');
    const d = decide(restart, ctx({ now: during }));
    expect(d).toMatchObject({
      decision: 'deny',
      reason: 'maintenance window until 2026-11-22T04:00Z (kernel upgrade)',
    });
    expect(decide(restart, ctx({ now: new Date('2026-11-22T04:00:00Z') })).decision).toBe('execute');
    expect(decide({ ...restart, serverTags: ['db'] }, ctx()).reason).toMatch(
      /^maintenance window until 2026-11-21T09:00Z$/,
    );
    expect(activeMaintenance(cfg.maintenance, 'other', [], NOW)).toBeUndefined();
  });

  it('denies while the circuit breaker is open; an approval may try again', () => {
    const open: Bookkeeping = {
      'restart-service:nginx': { attempts: [ago(86_400_000 * 2)], failures: 3, breakerOpen: true },
    };
    const d = decide(restart, ctx({ bookkeeping: open }));
    expect(d.decision).toBe('deny');
    expect(d.reason).toMatch(/^circuit breaker open: restart-service:nginx failed to fix 3 times/);
    expect(decide({ ...restart, intent: 'approved' }, ctx({ bookkeeping: open })).decision).toBe('execute');
    // counted failures at the threshold open it even if the flag was lost
    const counted: Bookkeeping = {
      'restart-service:nginx': { attempts: [], failures: 3, breakerOpen: false },
    };
    expect(decide(restart, ctx({ bookkeeping: counted })).decision).toBe('deny');
    expect(decide(restart, ctx({ bookkeeping: counted, breakerThreshold: 5 })).decision).toBe('execute');
    // another target of the same action is not affected
    expect(decide({ ...restart, params: { service: 'cron' } }, ctx({ bookkeeping: open })).decision).toBe(
      'execute',
    );
  });

  it('denies within the cooldown and over the daily limit', () => {
    const recent: Bookkeeping = {
      'restart-service:nginx': { attempts: [ago(10 * 60_000)], failures: 0, breakerOpen: false },
    };
    const d = decide(restart, ctx({ bookkeeping: recent }));
    expect(d.decision).toBe('deny');
    expect(d.reason).toMatch(
      /^cooldown: restart-service:nginx last ran .*not again before 2026-11-21T08:20:00.000Z/,
    );
    const busy: Bookkeeping = {
      'restart-service:nginx': {
        attempts: [ago(20 * 3_600_000), ago(10 * 3_600_000), ago(2 * 3_600_000)],
        failures: 0,
        breakerOpen: false,
      },
    };
    expect(decide(restart, ctx({ bookkeeping: busy })).reason).toBe(
      'daily limit: restart-service:nginx ran 3 times in 24 h (max 3)',
    );
    const old: Bookkeeping = {
      'restart-service:nginx': {
        attempts: [ago(30 * 3_600_000), ago(26 * 3_600_000), ago(25 * 3_600_000)],
        failures: 0,
        breakerOpen: false,
      },
    };
    expect(decide(restart, ctx({ bookkeeping: old })).decision).toBe('execute');
  });

  it('returns dry-run for what would execute, and keeps every other answer', () => {
    const d = decide(restart, ctx({ dryRun: true }));
    expect(d).toMatchObject({ decision: 'dry-run', reason: 'dry run: allowed, not executed' });
    expect(decide({ ...restart, actionId: 'failover-db', params: {} }, ctx({ dryRun: true })).decision).toBe(
      'needs-approval',
    );
    expect(decide({ ...restart, actionId: 'nope' }, ctx({ dryRun: true })).decision).toBe('deny');
  });

  it('turns a proposal into needs-approval (skipping rate limits) but still checks allowlist, params and mode', () => {
    const busy: Bookkeeping = {
      'restart-service:nginx': { attempts: [ago(60_000)], failures: 5, breakerOpen: true },
    };
    expect(decide({ ...restart, intent: 'propose' }, ctx({ bookkeeping: busy }))).toMatchObject({
      decision: 'needs-approval',
      reason: 'proposed for human approval (risk low)',
    });
    expect(decide({ ...restart, intent: 'propose', actionId: 'x' }, ctx()).decision).toBe('deny');
    expect(decide({ ...restart, intent: 'propose' }, ctx({ mode: 'report' })).decision).toBe('deny');
  });

  it('executes an approved high-risk plan in safe mode, still inside cooldown limits', () => {
    const approved: GateRequest = { ...restart, actionId: 'failover-db', params: {}, intent: 'approved' };
    expect(decide(approved, ctx())).toMatchObject({
      decision: 'execute',
      reason: 'approved by a merged pull request',
    });
    const recent: Bookkeeping = {
      'failover-db:-': { attempts: [ago(60_000)], failures: 0, breakerOpen: false },
    };
    expect(decide(approved, ctx({ bookkeeping: recent })).reason).toMatch(/^cooldown/);
  });

  it('records attempts and opens the breaker after N failures; a fix closes it', () => {
    let books: Bookkeeping = {};
    books = recordAttempt(books, 'k', NOW, 'not-fixed');
    books = recordAttempt(books, 'k', NOW, 'worse');
    expect(books.k).toMatchObject({ failures: 2, breakerOpen: false, lastOutcome: 'worse' });
    books = recordAttempt(books, 'k', NOW, 'not-fixed');
    expect(books.k).toMatchObject({ failures: 3, breakerOpen: true });
    books = recordAttempt(books, 'k', NOW, 'fixed');
    expect(books.k).toMatchObject({ failures: 0, breakerOpen: false, lastOutcome: 'fixed' });
    expect(books.k?.attempts).toHaveLength(4);
    const old = recordAttempt(
      { k: { attempts: [ago(8 * 86_400_000)], failures: 0, breakerOpen: false } },
      'k',
      NOW,
      'fixed',
    );
    expect(old.k?.attempts).toEqual([NOW.toISOString()]);
  });
});

describe('the daily limit holds at any max_per_day the config accepts (red team)', () => {
  // bookkeeping that kept fewer attempts than the limit never reached it: the 21st run of a
  // 25-a-day action saw 20 attempts "in 24 h" and ran again, all day long
  const most = config({
    remediations: { 'flush-queue': { command: 'echo flush', risk: 'low', cooldown: '0s', max_per_day: 50 } },
  });
  const actions = buildCatalog(server(most), most).actions;
  const flush: GateRequest = { server: 'web1', actionId: 'flush-queue', params: {}, intent: 'auto' };
  it('the 51st of max_per_day 50 within a day is denied', () => {
    let bookkeeping: Bookkeeping = {};
    const decisions: string[] = [];
    for (let i = 0; i < 51; i += 1) {
      const now = new Date(NOW.getTime() + i * 60_000);
      const d = decide(flush, ctx({ catalog: actions, now, bookkeeping }));
      decisions.push(d.decision);
      if (d.decision === 'execute') bookkeeping = recordAttempt(bookkeeping, 'flush-queue:-', now, 'fixed');
    }
    expect(decisions.slice(0, 50)).toEqual(Array(50).fill('execute'));
    expect(decisions[50]).toBe('deny');
  });
});
