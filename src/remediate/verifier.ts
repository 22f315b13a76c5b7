/**
 * Verification (DESIGN §6): after a settle delay, re-run only the probes an action affects on that
 * one server (one round trip) and compare severities before and after: `fixed | not-fixed | worse`.
 * The recheck itself is injected (`Recheck`) so the judgement stays pure and testable.
 */
import type { ServerConfig } from '../config/schema.js';
import { errorMessage } from '../core/error-message.js';
import type { Clock, RemoteShell } from '../core/ports.js';
import type { Finding, Severity } from '../core/types.js';

/** Re-runs the probes behind these finding checks on one server; throws when it cannot. */
export type Recheck = (
  shell: RemoteShell,
  server: ServerConfig,
  checks: readonly string[],
) => Promise<Finding[]>;

export type Outcome = 'fixed' | 'not-fixed' | 'worse';

export interface Verdict {
  outcome: Outcome;
  /** one paragraph for the action log: what re-ran, what it saw */
  detail: string;
}

const RANK: Record<Severity, number> = { ok: 0, warning: 1, critical: 2 };

function worstOf(findings: readonly Finding[]): Severity {
  return findings.reduce<Severity>((w, f) => (RANK[f.severity] > RANK[w] ? f.severity : w), 'ok');
}

/**
 * Pure comparison. With a fingerprint, that finding decides fixed/not-fixed; any other finding of
 * the re-run checks that got worse (a restart that broke a neighbour) makes the verdict `worse`.
 */
export function judge(
  before: readonly Finding[],
  after: readonly Finding[],
  checks: readonly string[],
  fingerprint?: string,
): Verdict {
  const inScope = (f: Finding) => checks.includes(f.check) || f.fingerprint === fingerprint;
  const target = (f: Finding) => (fingerprint ? f.fingerprint === fingerprint : inScope(f));
  const was = worstOf(before.filter(target));
  const now = worstOf(after.filter(target));
  const previous = new Map(before.filter(inScope).map((f) => [f.fingerprint, RANK[f.severity]]));
  const regressions = after
    .filter(inScope)
    .filter((f) => f.severity !== 'ok' && RANK[f.severity] > (previous.get(f.fingerprint) ?? 0));
  const seen = `re-ran ${checks.join(', ') || 'nothing'}: ${fingerprint ?? 'checks'} ${was} → ${now}`;
  if (regressions.length > 0) {
    const list = regressions.map((f) => `${f.fingerprint} (${f.severity}: ${f.summary})`).join('; ');
    return { outcome: 'worse', detail: `${seen}; worse: ${list}` };
  }
  if (RANK[now] < RANK[was] || (was === 'ok' && now === 'ok')) {
    return { outcome: 'fixed', detail: now === 'ok' ? `${seen}; ok now` : `${seen}; improved, still ${now}` };
  }
  return { outcome: 'not-fixed', detail: `${seen}; unchanged` };
}

export interface VerifyOptions {
  clock: Clock;
  /** wait before re-checking, so a restarted service has time to come up */
  settleMs: number;
  recheck: Recheck;
}

/** Settles, re-checks once, judges. A failed re-check is `not-fixed`: unproven is not fixed. */
export async function verify(
  shell: RemoteShell,
  server: ServerConfig,
  before: readonly Finding[],
  checks: readonly string[],
  fingerprint: string | undefined,
  options: VerifyOptions,
): Promise<Verdict> {
  await options.clock.sleep(options.settleMs);
  try {
    const after = await options.recheck(shell, server, checks);
    return judge(before, after, checks, fingerprint);
  } catch (error) {
    const message = errorMessage(error);
    return { outcome: 'not-fixed', detail: `could not verify (${checks.join(', ')}): ${message}` };
  }
}
