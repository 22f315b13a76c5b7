/**
 * The policy gate (docs/architecture.md#remediation): the code that decides whether a proposed remediation runs. Every
 * proposal — from Claude, the rule-based planner, boot recovery or a merged approval — passes
 * here, and the answer is recorded whatever it is. Pure: the caller passes the clock's time,
 * the config and memory's bookkeeping.
 */
import type { Config, Mode } from '../config/schema.js';
import type { ServerState } from '../core/memory/memory.js';
import { LIMITS } from '../core/memory/server-state.js';
import type { BreakerTransition as BreakerChange } from '../core/run-record.js';
import { renderAction } from './catalog.js';
import type { CatalogAction, RenderedAction, Risk } from './catalog-action.js';
import { checkScope, type ScopeFacts, type ScopeFinding } from './scope.js';

/** Failed attempts on the same action and target before the breaker opens. */
export const DEFAULT_BREAKER_THRESHOLD = 3;
const DAY = 86_400_000;

export type Bookkeeping = ServerState['remediation'];

/**
 * `auto`: a planner wants it run now. `propose`: the planner asks a human (approval PR).
 * `approved`: a human merged an approval; the plan's risk no longer needs one.
 */
export type Intent = 'auto' | 'propose' | 'approved';

export interface GateRequest {
  server: string;
  serverTags?: readonly string[];
  actionId: string;
  /** untrusted: validated here */
  params: unknown;
  intent: Intent;
  /** the finding the action claims to fix (untrusted when a planner names it) */
  fingerprint?: string;
}

/**
 * What scope is checked against (planners' requests: Claude, the rules). Absent for requests no
 * planner makes — a merged approval (a human decided), boot recovery (the config's boot order).
 */
export interface GateScope {
  /** the findings this run is deciding on, by fingerprint */
  findings: ReadonlyMap<string, ScopeFinding>;
  facts: ScopeFacts;
}

export interface GateContext {
  catalog: ReadonlyMap<string, CatalogAction>;
  mode: Mode;
  dryRun: boolean;
  now: Date;
  maintenance: Config['maintenance'];
  bookkeeping: Bookkeeping;
  breakerThreshold?: number;
  scope?: GateScope;
  /** after this long open, the breaker lets one trial through (half-open); unset: never */
  breakerCooloffMs?: number;
}

export type GateDecision =
  | { decision: 'execute'; rendered: RenderedAction; reason: string }
  | { decision: 'dry-run'; rendered: RenderedAction; reason: string }
  | { decision: 'needs-approval'; rendered: RenderedAction; reason: string }
  | { decision: 'deny'; reason: string; rendered?: RenderedAction; risk?: Risk };

const MODE_ALLOWS: Record<Mode, readonly Risk[]> = { report: [], safe: ['low'], full: ['low', 'medium'] };

/** The maintenance window covering this server now, if any. */
export function activeMaintenance(
  windows: Config['maintenance'],
  server: string,
  tags: readonly string[],
  now: Date,
): Config['maintenance'][number] | undefined {
  const t = now.getTime();
  return windows.find(
    (w) =>
      Date.parse(w.from) <= t &&
      t < Date.parse(w.to) &&
      w.servers.some((s) => s === server || s === '*' || (s.startsWith('tag:') && tags.includes(s.slice(4)))),
  );
}

/** Attempts of one action on one target within the last day, and the newest one. */
function recentAttempts(entry: Bookkeeping[string] | undefined, now: Date): { count: number; last?: number } {
  const times = (entry?.attempts ?? []).map((a) => Date.parse(a)).filter((t) => Number.isFinite(t));
  const inDay = times.filter((t) => now.getTime() - t < DAY);
  return { count: inDay.length, last: times.length > 0 ? Math.max(...times) : undefined };
}

function deny(reason: string, rendered?: RenderedAction): GateDecision {
  return rendered
    ? { decision: 'deny', reason, rendered, risk: rendered.action.risk }
    : { decision: 'deny', reason };
}

/** Limits that hold for every intent: allowlist, parameters, report mode, maintenance. */
function checkStatic(request: GateRequest, ctx: GateContext): RenderedAction | GateDecision {
  const action = ctx.catalog.get(request.actionId);
  if (!action) {
    return deny(
      `not allowlisted: "${String(request.actionId).slice(0, 80)}" is not in this server's catalog`,
    );
  }
  const rendered = renderAction(action, request.params);
  if (!rendered.ok) return deny(`invalid parameters: ${rendered.error}`);
  if (ctx.scope) {
    const finding = request.fingerprint ? ctx.scope.findings.get(request.fingerprint) : undefined;
    const fits = finding?.server === request.server ? finding : undefined;
    const why = checkScope(rendered.value, fits, request.fingerprint, ctx.scope.facts);
    if (why) return deny(`out of scope: ${why}`, rendered.value);
  }
  if (ctx.mode === 'report') return deny('mode report observes only: no remediation runs', rendered.value);
  const window = activeMaintenance(ctx.maintenance, request.server, request.serverTags ?? [], ctx.now);
  if (window) {
    const why = window.reason ? ` (${window.reason})` : '';
    return deny(`maintenance window until ${window.to}${why}`, rendered.value);
  }
  return rendered.value;
}

/** Limits on automatic repetition: breaker, cooldown, daily limit. */
function checkRepetition(
  rendered: RenderedAction,
  request: GateRequest,
  ctx: GateContext,
): GateDecision | undefined {
  const entry = ctx.bookkeeping[rendered.key];
  const threshold = ctx.breakerThreshold ?? DEFAULT_BREAKER_THRESHOLD;
  // an approval is a human deciding to try again: it always may
  if (request.intent !== 'approved' && (entry?.breakerOpen || (entry?.failures ?? 0) >= threshold)) {
    const halfOpenAt = halfOpenTime(entry, ctx.breakerCooloffMs);
    if (halfOpenAt === undefined || ctx.now.getTime() < halfOpenAt) {
      const until =
        halfOpenAt === undefined ? '' : `; one trial allowed from ${new Date(halfOpenAt).toISOString()}`;
      return deny(
        `circuit breaker open: ${rendered.key} failed to fix ${entry?.failures ?? threshold} times; needs a human${until}`,
        rendered,
      );
    }
  }
  const { count, last } = recentAttempts(entry, ctx.now);
  const { cooldownMs, maxPerDay } = rendered.action;
  if (last !== undefined && ctx.now.getTime() - last < cooldownMs) {
    const until = new Date(last + cooldownMs).toISOString();
    return deny(
      `cooldown: ${rendered.key} last ran ${new Date(last).toISOString()}, not again before ${until}`,
      rendered,
    );
  }
  if (count >= maxPerDay)
    return deny(`daily limit: ${rendered.key} ran ${count} times in 24 h (max ${maxPerDay})`, rendered);
  return undefined;
}

function riskDecision(
  rendered: RenderedAction,
  request: GateRequest,
  ctx: GateContext,
): GateDecision | undefined {
  const { risk } = rendered.action;
  if (request.intent === 'propose') {
    return { decision: 'needs-approval', rendered, reason: `proposed for human approval (risk ${risk})` };
  }
  if (request.intent === 'approved') return undefined;
  if (risk === 'high')
    return { decision: 'needs-approval', rendered, reason: 'risk high always needs approval' };
  if (!MODE_ALLOWS[ctx.mode].includes(risk)) {
    return {
      decision: 'needs-approval',
      rendered,
      reason: `risk ${risk} is above what mode ${ctx.mode} runs`,
    };
  }
  return undefined;
}

/** Decides one proposed remediation: `execute | dry-run | needs-approval | deny(reason)`. */
export function decide(request: GateRequest, ctx: GateContext): GateDecision {
  const checked = checkStatic(request, ctx);
  if ('decision' in checked) return checked;
  const rendered = checked;
  if (request.intent !== 'propose') {
    const repeated = checkRepetition(rendered, request, ctx);
    if (repeated) return repeated;
  }
  const byRisk = riskDecision(rendered, request, ctx);
  if (byRisk) return byRisk;
  if (ctx.dryRun) return { decision: 'dry-run', rendered, reason: 'dry run: allowed, not executed' };
  const why =
    request.intent === 'approved'
      ? 'approved by a merged pull request'
      : `risk ${rendered.action.risk} allowed in mode ${ctx.mode}`;
  return { decision: 'execute', rendered, reason: why };
}

/** When an open breaker lets its one trial through: `breaker.cooloff` after it (last) opened. */
function halfOpenTime(
  entry: Bookkeeping[string] | undefined,
  cooloffMs: number | undefined,
): number | undefined {
  if (cooloffMs === undefined || !entry) return undefined;
  const opened = Date.parse(entry.openedAt ?? entry.attempts.at(-1) ?? '');
  return Number.isFinite(opened) ? opened + cooloffMs : undefined;
}

/**
 * Bookkeeping after an executed attempt: count it, and open the breaker after N failures. A failed
 * half-open trial opens it again for a new cool-off; a fix closes it.
 */
export function recordAttempt(
  bookkeeping: Bookkeeping,
  key: string,
  at: Date,
  outcome: 'fixed' | 'not-fixed' | 'worse' | 'unverified',
  threshold = DEFAULT_BREAKER_THRESHOLD,
  fingerprint?: string,
): Bookkeeping {
  const before = bookkeeping[key] ?? { attempts: [], failures: 0, breakerOpen: false };
  // as many as the state keeps, which is at least max_per_day (the config's bound): fewer, and the
  // daily limit of an action allowed more than that would never be reached
  const attempts = [...before.attempts, at.toISOString()]
    .filter((a) => at.getTime() - Date.parse(a) < 7 * DAY)
    .slice(-LIMITS.attempts);
  const failures = outcome === 'fixed' ? 0 : before.failures + 1;
  const breakerOpen = failures >= threshold;
  const f = fingerprint ?? before.fingerprint;
  return {
    ...bookkeeping,
    [key]: {
      attempts,
      failures,
      breakerOpen,
      lastOutcome: outcome,
      ...(breakerOpen ? { openedAt: at.toISOString() } : {}),
      ...(f !== undefined ? { fingerprint: f } : {}),
    },
  };
}

/**
 * Breakers whose finding resolved close: the problem is gone, so the next one starts with a clean
 * count. Returns new bookkeeping (never mutates) and the changes to tell.
 */
export function healBreakers(
  server: string,
  bookkeeping: Bookkeeping,
  resolved: ReadonlySet<string>,
): { bookkeeping: Bookkeeping; changes: BreakerChange[] } {
  const out: Bookkeeping = { ...bookkeeping };
  const changes: BreakerChange[] = [];
  for (const [key, entry] of Object.entries(bookkeeping)) {
    if (!entry.breakerOpen || entry.fingerprint === undefined || !resolved.has(entry.fingerprint)) continue;
    const { openedAt: _opened, ...rest } = entry;
    out[key] = { ...rest, failures: 0, breakerOpen: false };
    changes.push({ server, key, change: 'closed', why: `${entry.fingerprint} resolved` });
  }
  return { bookkeeping: out, changes };
}
