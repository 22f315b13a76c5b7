/**
 * `task: doctor` and `claudeops doctor` (README "Quick start"), the runner src/tasks.ts hands the
 * task to: the setup checked through the run's own ports (docs/architecture.md#ports) — each
 * problem one error line with its fix (an annotation in the Action), the summary, outputs `status`
 * (ok or error) and `findings` (the number of problems). Records nothing on the state branch.
 */
import { newRunRecord, type RunRecord } from '../core/run-record.js';
import { overallStatus } from '../core/status.js';
import { selectServers } from '../core/util/select-servers.js';
import type { RunContext } from '../run-context.js';
import { runDoctor } from './doctor.js';
import { problemLine, renderDoctorMarkdown, serverLine } from './render-doctor.js';

export async function doctorTask(ctx: RunContext): Promise<RunRecord> {
  const { adapters, logger } = ctx;
  const record = newRunRecord({
    runId: ctx.runId,
    task: 'doctor',
    mode: ctx.mode,
    dryRun: ctx.inputs.dryRun,
    startedAt: adapters.clock.now().toISOString(),
  });
  const servers = selectServers(ctx.config, ctx.inputs.servers, ctx.inputs.shard);
  const report = await logger.group('Doctor', () =>
    runDoctor({ ...ctx.config, servers }, ctx.inputs.configPath, {
      transport: adapters.transport,
      clock: adapters.clock,
      ...(adapters.stateAccess ? { state: adapters.stateAccess } : {}),
      ...(adapters.model ? { model: adapters.model } : {}),
      onServer: (result) => logger.info(serverLine(result)),
    }),
  );
  for (const problem of report.problems) logger.error(problemLine(problem));
  record.errors.push(...report.problems.map(problemLine));
  record.status = overallStatus(record);
  record.finishedAt = adapters.clock.now().toISOString();
  await adapters.sink.summary(renderDoctorMarkdown(report));
  adapters.sink.outputs({ status: record.status, findings: String(report.problems.length) });
  return record;
}
