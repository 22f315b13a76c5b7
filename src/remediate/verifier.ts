/**
 * Verification (docs/architecture.md#remediation): after a settle delay, re-run only the probes an action affects on that
 * one server (one round trip) and judge `fixed | not-fixed | worse | unverified`. `fixed` is a
 * claim that must be observed: the check that failed before the action is seen passing after it,
 * in the same re-check. Events (log lines, restarts, reboots) cannot be seen "passing" seconds
 * later — a quiet log only means nothing new was written — so they are verified through the state
 * checks the action names, or not at all (`unverified`).
 * The recheck itself is injected (`Recheck`) so the judgement stays pure and testable.
 */
import type { ServerConfig } from '../config/schema.js';
import { EVENT_CHECKS } from '../core/memory/trends.js';
import type { Clock, RemoteShell } from '../core/ports/index.js';
import type { Finding, Severity } from '../core/types.js';
import { errorMessage } from '../core/util/error-message.js';

/** Re-runs the probes behind these finding checks on one server; throws when it cannot. */
export type Recheck = (
  shell: RemoteShell,
  server: ServerConfig,
  checks: readonly string[],
) => Promise<Finding[]>;

export type Outcome = 'fixed' | 'not-fixed' | 'worse' | 'unverified';

export interface Verdict {
  outcome: Outcome;
  /** one paragraph for the action log: what re-ran, what it saw */
  detail: string;
  /** what the re-check saw, when it ran (later actions of the run judge against it) */
  after?: Finding[];
}

const RANK: Record<Severity, number> = { ok: 0, warning: 1, critical: 2 };

/** Checks whose findings are events: never re-checked to prove a fix (see the header). */
export const EVENT_CHECK_IDS: ReadonlySet<string> = new Set([...EVENT_CHECKS, 'log']);

/** The checks a re-check may prove a fix by: the state checks among those named. */
export function stateChecks(checks: readonly string[]): string[] {
  return checks.filter((c) => !EVENT_CHECK_IDS.has(c));
}

/**
 * Pure comparison over the state checks only. With a state fingerprint, that finding decides: it
 * must have been failing before and be seen ok after. With an event fingerprint (or none), the
 * failing state findings of the re-run checks decide: all seen ok after → fixed; none was failing
 * → unverified (nothing observable changed). Any in-scope finding that got worse (a restart that
 * broke a neighbour) makes the verdict `worse`.
 */
export function judge(
  before: readonly Finding[],
  after: readonly Finding[],
  checks: readonly string[],
  fingerprint?: string,
): Verdict {
  const states = stateChecks(checks);
  const inScope = (f: Finding) => states.includes(f.check) && !EVENT_CHECK_IDS.has(f.check);
  const seen = `re-ran ${states.join(', ') || 'nothing'}`;
  const previous = new Map(before.filter(inScope).map((f) => [f.fingerprint, RANK[f.severity]]));
  const regressions = after
    .filter(inScope)
    .filter((f) => f.severity !== 'ok' && RANK[f.severity] > (previous.get(f.fingerprint) ?? 0));
  if (regressions.length > 0) {
    const list = regressions.map((f) => `${f.fingerprint} (${f.severity}: ${f.summary})`).join('; ');
    return { outcome: 'worse', detail: `${seen}; worse: ${list}` };
  }
  const targetIsState =
    fingerprint !== undefined && before.some((f) => f.fingerprint === fingerprint && inScope(f));
  const failing = before.filter(
    (f) => inScope(f) && f.severity !== 'ok' && (!targetIsState || f.fingerprint === fingerprint),
  );
  if (failing.length === 0) {
    const why = targetIsState
      ? `${fingerprint} was not failing before`
      : 'no state check named by the action was failing before it';
    return { outcome: 'unverified', detail: `${seen}; ${why}: nothing observed to change` };
  }
  const afterBy = new Map(after.map((f) => [f.fingerprint, f]));
  const lines = failing.map(
    (f) => `${f.fingerprint} ${f.severity} → ${afterBy.get(f.fingerprint)?.severity ?? 'not re-checked'}`,
  );
  const missing = failing.filter((f) => !afterBy.has(f.fingerprint));
  if (missing.length > 0) return { outcome: 'unverified', detail: `${seen}: ${lines.join('; ')}` };
  const still = failing.filter((f) => afterBy.get(f.fingerprint)?.severity !== 'ok');
  if (still.length === 0) return { outcome: 'fixed', detail: `${seen}: ${lines.join('; ')}; ok now` };
  return { outcome: 'not-fixed', detail: `${seen}: ${lines.join('; ')}; still failing` };
}

export interface VerifyOptions {
  clock: Clock;
  /** wait before re-checking, so a restarted service has time to come up */
  settleMs: number;
  recheck: Recheck;
}

/**
 * Settles, re-checks once, judges. With no state check to re-run (an event the action names no
 * service or endpoint for) it waits the settle time and says `unverified`; a failed re-check is
 * `unverified` too: unproven is not fixed, and the breaker counts it as a failure.
 */
export async function verify(
  shell: RemoteShell,
  server: ServerConfig,
  before: readonly Finding[],
  checks: readonly string[],
  fingerprint: string | undefined,
  options: VerifyOptions,
): Promise<Verdict> {
  await options.clock.sleep(options.settleMs);
  const states = stateChecks(checks);
  if (states.length === 0) {
    const events = checks.join(', ') || 'nothing';
    return {
      outcome: 'unverified',
      detail: `waited ${Math.round(options.settleMs / 1000)} s; no state check covers ${events} (an event cannot be seen passing): unverified`,
    };
  }
  try {
    const after = await options.recheck(shell, server, states);
    return { ...judge(before, after, states, fingerprint), after };
  } catch (error) {
    const message = errorMessage(error);
    return { outcome: 'unverified', detail: `could not verify (${states.join(', ')}): ${message}` };
  }
}
