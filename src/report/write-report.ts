import { renderSummary } from '../core/render/render-summary.js';
import type { RunRecord } from '../core/run-record.js';
import { findingCount, ranOnServer } from '../core/status.js';
import { redactedRecord, redactRendered } from '../record/build-state-changes.js';
import type { RunContext } from '../run-context.js';

/** The run's outputs (docs/architecture.md#interfaces), set once, here. */
export function outputsOf(record: RunRecord): Record<string, string> {
  return {
    status: record.status,
    findings: String(findingCount(record)),
    actions: String(record.actions.filter(ranOnServer).length),
    issues: JSON.stringify(record.github.issues),
    report: record.reportPath ?? '',
  };
}

/**
 * One line per failed phase (`record: …`, `notify: …`, every GitHub call as `github`): in the
 * Action each is an annotation, and ten failed GitHub calls are one problem, not ten. The job
 * summary lists every error in full.
 */
export function phaseAnnotations(errors: readonly string[]): string[] {
  const byPhase = new Map<string, string[]>();
  for (const error of errors) {
    const phase = error.startsWith('GitHub API failed')
      ? 'github'
      : (/^([\w -]{1,40}):/.exec(error)?.[1] ?? error);
    byPhase.set(phase, [...(byPhase.get(phase) ?? []), error]);
  }
  return [...byPhase.values()].map(([first = '', ...rest]) =>
    rest.length ? `${first} (and ${rest.length} more like it: see the job summary)` : first,
  );
}

/** Job summary, outputs, and one loud line per failed phase so nothing fails silently. */
export async function writeReport(ctx: RunContext, record: RunRecord): Promise<void> {
  for (const line of phaseAnnotations([...record.errors, ...record.github.errors]))
    ctx.logger.warning(redactRendered(ctx, line));
  // errors of the Record and Report phases came after the record was redacted: redact again
  const summary = redactRendered(ctx, renderSummary(redactedRecord(ctx, record), ctx.links ?? {}));
  try {
    await ctx.adapters.sink.summary(summary);
  } catch (error) {
    ctx.logger.warning(`summary: could not be written: ${String(error)}`);
  }
  ctx.adapters.sink.outputs(outputsOf(record));
}
