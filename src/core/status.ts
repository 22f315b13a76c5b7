import type { RunRecord } from './run-record.js';
import { taskTraits } from './tasks.js';
import { type RunStatus, worst } from './types.js';

/**
 * The run's status output: `error` when the pipeline broke or its record did not reach the state
 * branch (never a green job without a record); otherwise the worst raised finding. Debounced
 * (pending) and resolved findings do not count.
 */
export function overallStatus(record: RunRecord): RunStatus {
  if (!record.commit?.pushed || record.aborted) return 'error';
  let status: RunStatus = 'ok';
  for (const f of record.findings) {
    if (f.lifecycle === 'pending' || f.lifecycle === 'resolved') continue;
    status = worst(status, f.severity);
  }
  return status;
}

export function raisedFindings(record: RunRecord) {
  return record.findings.filter(
    (f) => f.severity !== 'ok' && f.lifecycle !== 'pending' && f.lifecycle !== 'resolved',
  );
}

/**
 * An action counts as run when the gate let it through and it was executed on the server: not a
 * proposal, a refusal, a dry run or a denied repeat. The one definition behind every "N actions"
 * (outputs, job summary, health report, `claudeops history`, memory).
 */
export function ranOnServer(a: { decision: string; outcome?: string | null }): boolean {
  return a.decision === 'execute' && a.outcome !== 'not-run';
}

const SEVERITY_ORDER: Record<string, number> = { critical: 0, warning: 1, ok: 2 };

/** Criticals first, then warnings (stable otherwise): a warning listed above a critical reads as the bigger problem. */
export function worstFirst(a: { severity: string }, b: { severity: string }): number {
  return (SEVERITY_ORDER[a.severity] ?? 3) - (SEVERITY_ORDER[b.severity] ?? 3);
}

/** Findings a run reports: its own raised ones, or for `task: summarize` the whole fleet's. */
export function findingCount(record: RunRecord): number {
  return taskTraits(record.task).fleetWide
    ? (record.fleetReport?.length ?? 0)
    : raisedFindings(record).length;
}
