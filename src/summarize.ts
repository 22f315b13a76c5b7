/**
 * `task: summarize`: one fleet-wide report for a workflow run whose servers were split over
 * shards. Collects nothing from servers: it reads the shards' health reports and the servers'
 * state files on the state branch, and writes one report beside them plus the job summary.
 */

import type { Memory } from './core/memory/memory.js';
import { renderSummary } from './core/render/render-summary.js';
import { newRunRecord, type RunRecord } from './core/run-record.js';
import { frontMatter, metaText, renderFrontMatter } from './core/state-branch/front-matter.js';
import { fleetReportPath, shardReportPattern } from './core/state-branch/paths.js';
import { overallStatus, statusBeforeCommit } from './core/status.js';
import type { RunStatus } from './core/types.js';
import { errorMessage } from './core/util/error-message.js';
import { fleetFindings, shardsOf } from './fleet-shards.js';
import { loadMemory } from './load-memory.js';
import { redactRendered } from './record/build-state-changes.js';
import { writeReport } from './report/write-report.js';
import type { RunContext } from './run-context.js';

interface ShardReport {
  path: string;
  index: number;
  count: number;
  meta: Record<string, unknown>;
}

/** GitHub's run id without the attempt: a re-run shard (`123-2`) belongs to the same workflow run. */
export function workflowRunId(runId: string): string {
  return /^(\d+)-\d+$/.exec(runId)?.[1] ?? runId;
}

/** The run's record, status set by core/status.ts; run.ts turns it into the exit code. */
export async function summarize(ctx: RunContext): Promise<RunRecord> {
  const now = ctx.adapters.clock.now();
  const record = newRunRecord({
    runId: ctx.runId,
    task: 'summarize',
    mode: ctx.mode,
    dryRun: ctx.inputs.dryRun,
    startedAt: now.toISOString(),
    reportPath: fleetReportPath(now, ctx.runId),
  });
  const base = workflowRunId(ctx.runId);
  const ranIn = (id: string) => workflowRunId(id) === base;
  try {
    const memory: Memory = await ctx.logger.group('Load memory', () => loadMemory(ctx));
    record.warnings.push(...memory.warnings);
    const reports = await ctx.logger.group('Shard reports', () => shardReports(ctx, base));
    const count = ctx.inputs.shard?.count ?? Math.max(0, ...reports.map((r) => r.count));
    if (count === 0) throw new Error(`no shard of workflow run ${base} wrote a health report`);
    const byIndex = new Map(reports.filter((r) => r.count === count).map((r) => [r.index, r]));
    record.shards = shardsOf(ctx.config, ctx.inputs.servers, count, memory.servers, ranIn).map((s) => {
      const report = byIndex.get(s.index);
      const status = report ? { status: shardStatus(metaText(report.meta, 'status')) } : {};
      return { label: s.label, servers: s.servers, reported: report !== undefined, self: false, ...status };
    });
    for (const s of record.shards.filter((x) => !x.reported))
      record.errors.push(
        `shard ${s.label} did not report in workflow run ${base} (servers: ${s.servers.join(', ') || 'none'})`,
      );
    record.fleetReport = fleetFindings(memory.servers, ranIn);
    record.fleetActions = [...byIndex.values()].flatMap((r) => shardActions(r));
  } catch (error) {
    record.aborted = errorMessage(error);
    record.errors.push(`summarize: ${record.aborted}`);
  }
  record.finishedAt = ctx.adapters.clock.now().toISOString();
  record.status = statusBeforeCommit(record);
  await ctx.logger.group('Record', () => commitReport(ctx, record));
  await ctx.logger.group('Report', async () => {
    record.status = overallStatus(record);
    await writeReport(ctx, record);
  });
  return record;
}

/** The newest report of each shard of this workflow run (a re-run attempt replaces the first). */
async function shardReports(ctx: RunContext, base: string): Promise<ShardReport[]> {
  const reader = await ctx.adapters.state.openReader?.();
  if (!reader) throw new Error('the state branch cannot be read here');
  const pattern = shardReportPattern(base);
  const paths = (await reader.list('health/')).filter((p) => pattern.test(p)).sort();
  const newest = new Map<string, string>();
  for (const path of paths) newest.set(path.replace(/^.*-(\d+of\d+)\.md$/, '$1'), path);
  const contents = await reader.read([...newest.values()]);
  return [...newest.values()].flatMap((path) => {
    const match = pattern.exec(path);
    const content = contents.get(path);
    if (!match || content === undefined) return [];
    return [{ path, index: Number(match[1]), count: Number(match[2]), meta: frontMatter(content) }];
  });
}

function shardStatus(text: string): RunStatus {
  return text === 'ok' || text === 'warning' || text === 'critical' ? text : 'error';
}

function shardActions(report: ShardReport): NonNullable<RunRecord['fleetActions']> {
  const list = Array.isArray(report.meta.actions) ? (report.meta.actions as Record<string, unknown>[]) : [];
  return list.map((a) => ({
    shard: `${report.index}of${report.count}`,
    server: metaText(a, 'server'),
    action: metaText(a, 'action'),
    decision: metaText(a, 'decision'),
    outcome: metaText(a, 'outcome'),
  }));
}

async function commitReport(ctx: RunContext, record: RunRecord): Promise<void> {
  const path = record.reportPath ?? fleetReportPath(new Date(record.startedAt), ctx.runId);
  const meta = {
    run: record.runId,
    task: record.task,
    started: record.startedAt,
    finished: record.finishedAt ?? null,
    status: record.status,
    shards: (record.shards ?? []).map((s) => ({ shard: s.label, reported: s.reported })),
    findings: (record.fleetReport ?? []).map((f) => ({
      server: f.server,
      fingerprint: f.fingerprint,
      severity: f.severity,
    })),
  };
  const content = redactRendered(ctx, `${renderFrontMatter(meta)}\n\n${renderSummary(record)}`);
  try {
    record.commit = await ctx.adapters.state.commit(
      [{ path, content }],
      `claudeops summarize ${record.runId}: ${(record.shards ?? []).filter((s) => s.reported).length} of ${record.shards?.length ?? 0} shards`,
    );
    if (!record.commit.pushed)
      record.errors.push('record: the fleet report was not pushed to the state branch');
  } catch (error) {
    record.errors.push(`record: the state branch could not be written: ${errorMessage(error)}`);
  }
}
