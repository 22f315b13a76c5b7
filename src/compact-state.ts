/**
 * `task: compact` (docs/state-branch.md#compaction): replaces the state branch's history older
 * than `state.compact_keep_days` by one commit, so the remote stays bounded however long the
 * fleet is watched. Opt-in: nothing else ever rewrites the branch. Collects nothing from servers
 * and commits no report (the branch's files are exactly what they were); says what it did in the
 * job summary and the outputs.
 */
import { newRunRecord, type RunRecord } from './core/run-record.js';
import { overallStatus } from './core/status.js';
import { errorMessage } from './core/util/error-message.js';
import { redactRendered } from './record/build-state-changes.js';
import { outputsOf } from './report/write-report.js';
import type { RunContext } from './run-context.js';

export async function compactState(ctx: RunContext): Promise<RunRecord> {
  const record = newRunRecord({
    runId: ctx.runId,
    task: 'compact',
    mode: ctx.mode,
    dryRun: ctx.inputs.dryRun,
    startedAt: ctx.adapters.clock.now().toISOString(),
  });
  const keepDays = ctx.config.state.compact_keep_days;
  let outcome = '';
  try {
    const compact = ctx.adapters.state.compact?.bind(ctx.adapters.state);
    if (!compact) throw new Error('this state store cannot compact its history');
    if (ctx.inputs.dryRun) outcome = `dry run: the history older than ${keepDays} days would be compacted`;
    else {
      const result = await ctx.logger.group('Compact the state branch', () => compact({ keepDays }));
      record.warnings.push(...result.warnings);
      outcome = result.summary;
    }
    ctx.logger.info(`compaction: ${outcome}`);
  } catch (error) {
    record.aborted = errorMessage(error);
    record.errors.push(`compact: ${record.aborted}`);
  }
  for (const w of record.warnings) ctx.logger.warning(w);
  for (const e of record.errors) ctx.logger.warning(e);
  record.finishedAt = ctx.adapters.clock.now().toISOString();
  record.status = overallStatus(record);
  const lines = [
    '# State branch compaction',
    '',
    record.status === 'ok' ? outcome : `**Failed:** ${record.aborted ?? ''}`,
    '',
    ...record.warnings.map((w) => `- ⚠️ ${w}`),
  ];
  try {
    await ctx.adapters.sink.summary(redactRendered(ctx, `${lines.join('\n').trimEnd()}\n`));
  } catch (error) {
    ctx.logger.warning(`summary: could not be written: ${errorMessage(error)}`);
  }
  ctx.adapters.sink.outputs(outputsOf(record));
  return record;
}
