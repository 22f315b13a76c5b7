import { renderSummary } from '../core/render/render-summary.js';
import type { RunRecord } from '../core/run-record.js';
import { raisedFindings } from '../core/status.js';
import { redactedRecord, redactRendered } from '../record/build-state-changes.js';
import type { RunContext } from '../run-context.js';

/** The run's outputs (docs/architecture.md#interfaces), set once, here. */
export function outputsOf(record: RunRecord): Record<string, string> {
  return {
    status: record.status,
    findings: String(raisedFindings(record).length),
    actions: String(record.actions.filter((a) => a.decision === 'execute' && a.outcome !== 'not-run').length),
    issues: JSON.stringify(record.github.issues),
    report: record.reportPath ?? '',
  };
}

/** Job summary, outputs, and a loud line for every failure so nothing fails silently. */
export async function writeReport(ctx: RunContext, record: RunRecord): Promise<void> {
  for (const error of [...record.errors, ...record.github.errors])
    ctx.logger.warning(redactRendered(ctx, error));
  // errors of the Record and Report phases came after the record was redacted: redact again
  const summary = redactRendered(ctx, renderSummary(redactedRecord(ctx, record), ctx.links ?? {}));
  try {
    await ctx.adapters.sink.summary(summary);
  } catch (error) {
    ctx.logger.warning(`summary: could not be written: ${String(error)}`);
  }
  ctx.adapters.sink.outputs(outputsOf(record));
}
