import type { RunRecord } from './run-record.js';
import { taskTraits } from './tasks.js';
import { type RunStatus, worst } from './types.js';

/**
 * The run's status output, for every task: the one place it is decided (docs/architecture.md#pipeline).
 * `error` when the pipeline broke or its record did not reach the state branch (never a green job
 * without a record); otherwise the worst raised finding. Debounced (pending) and resolved findings
 * do not count. A fleet-wide record (task summarize) is `error` on any problem (a shard missing),
 * else the worst of its shards' statuses. Any other task with a flow of its own (compact, doctor,
 * digest) is `error` when it failed; one that commits nothing (compact, doctor) needs no commit.
 */
export function overallStatus(record: RunRecord): RunStatus {
  const traits = taskTraits(record.task);
  if (record.aborted || (!traits.commitsNothing && !record.commit?.pushed)) return 'error';
  if (traits.fleetWide) {
    if (record.errors.length > 0) return 'error';
    return (record.shards ?? []).reduce<RunStatus>((s, shard) => worst(s, shard.status ?? 'error'), 'ok');
  }
  // a task with a flow of its own (compact, doctor, digest) raises no findings: it failed or it did not
  if (!traits.healthLoop) return record.errors.length > 0 ? 'error' : 'ok';
  let status: RunStatus = 'ok';
  for (const f of record.findings) {
    if (f.lifecycle === 'pending' || f.lifecycle === 'resolved') continue;
    status = worst(status, f.severity);
  }
  return status;
}

/**
 * The status a record written before its commit carries (its health report, a fleet report): as
 * overallStatus, with the commit counted as landing (whether it lands is for the job summary to say).
 */
export function statusBeforeCommit(record: RunRecord): RunStatus {
  return overallStatus({
    ...record,
    commit: record.commit ?? { sha: '', pushed: true, branch: '', location: '' },
  });
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
