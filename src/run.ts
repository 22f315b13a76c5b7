/**
 * The pipeline of one run (docs/architecture.md#pipeline), top to bottom:
 *   load memory → collect → evaluate → diagnose + remediate → record → report
 * (memory loads while the SSH connections open: only each server's collector script waits for it)
 * Each phase is a function of its own module; this file only orders them, keeps a failing phase
 * from silencing the others, and decides the run's status and exit code in one place.
 */
import { createHash } from 'node:crypto';
import { collectFleet } from './collect.js';
import { DEFAULT_PARALLELISM } from './config/defaults.js';
import type { ServerConfig } from './config/schema.js';
import { emptyMemory, type Memory } from './core/memory/memory.js';
import type { RemoteShell } from './core/ports/index.js';
import { progressLine } from './core/render/progress-line.js';
import { newRunRecord, type RunRecord } from './core/run-record.js';
import { healthReportPath } from './core/state-branch/paths.js';
import { isOwnFlow } from './core/tasks.js';
import type { FileChange, ServerReport } from './core/types.js';
import { errorMessage } from './core/util/error-message.js';
import { selectServers } from './core/util/select-servers.js';
import { loadMemory } from './load-memory.js';
import { evaluateServer } from './probes/evaluate.js';
import { secretsOf } from './record/run-secrets.js';
import { pingHeartbeat } from './report/heartbeat.js';
import type { RunContext } from './run-context.js';

export interface RunResult {
  record: RunRecord;
  exitCode: number;
}

export async function run(ctx: RunContext): Promise<RunResult> {
  // a hung API cannot hold the run: every GitHub call of the run, together, ends within the budget
  ctx.adapters.github?.startBudget?.(ctx.config.github.report_budget);
  const task = ctx.inputs.task;
  if (isOwnFlow(task)) {
    const record = await (await import('./tasks.js')).TASK_RUNNERS[task](ctx);
    return { record, exitCode: exitCodeFor(record, ctx.config['fail-on']) };
  }
  const { logger } = ctx;
  const record = startRecord(ctx);
  let loading: Promise<typeof import('./run-phases.js')> | undefined;
  let shells = new Map<string, RemoteShell>();
  let memory: Memory = emptyMemory();
  const approvalChanges: FileChange[] = [];
  // The start ping runs beside loading memory; a slow monitoring service never delays the run.
  const startPing = pingHeartbeat(ctx, 'start');
  try {
    const servers = selectServers(ctx.config, ctx.inputs.servers, ctx.inputs.shard);
    // Memory loads beside the collection: SSH handshakes need none of it, and each server's
    // collector script, which carries that server's log cursors, waits for it (loadMemory never
    // rejects). A collection that fails meanwhile is awaited, and thrown, just below.
    const memoryLoad = loadMemory(ctx);
    const collecting = logger.group('Collect', () => collect(ctx, record, servers, memoryLoad));
    collecting.catch(() => undefined);
    // The phases after collection compile while the servers answer, once memory is in: by then
    // the connections have started (compiled first, they would delay them). A broken install
    // fails the run where they are awaited.
    loading = memoryLoad.then(() => import('./run-phases.js'));
    loading.catch(() => undefined);
    memory = await memoryLoad;
    record.warnings.push(...memory.warnings);
    shells = await collecting;
    const { evaluate, guard, readAcknowledgements, stage, act, planFollowUps } = await loading;
    await logger.group('Evaluate', async () => evaluate(ctx, record, memory));
    await guard(record, 'acknowledgements', () => readAcknowledgements(ctx, record, memory));
    await stage(ctx, record, memory, approvalChanges);
    await logger.group('Diagnose and remediate', () => act(ctx, record, memory, shells, approvalChanges));
    await guard(record, 'alerting', async () => planFollowUps(ctx, record, memory));
    await stage(ctx, record, memory, approvalChanges);
  } catch (error) {
    record.aborted = errorMessage(error);
    record.errors.push(`run: ${record.aborted}`);
  } finally {
    await closeAll(shells);
  }
  const { redactRecord, recordRun, report } = await (loading ?? import('./run-phases.js'));
  record.finishedAt = ctx.adapters.clock.now().toISOString();
  const startProblem = await startPing;
  if (startProblem) record.warnings.push(startProblem);
  // from here on the record is only written and shown: redact it once, before any renderer
  // escapes it; the commit renders it as it is (recordRun)
  redactRecord(ctx, record);
  await logger.group('Record', () => recordRun(ctx, record, memory, approvalChanges));
  await logger.group('Report', () => report(ctx, record, memory));
  return { record, exitCode: exitCodeFor(record, ctx.config['fail-on']) };
}

/**
 * One round trip per server, connected while memory loads; the shells stay open for diagnostics
 * and remediation.
 */
async function collect(
  ctx: RunContext,
  record: RunRecord,
  servers: ServerConfig[],
  memoryLoad: Promise<Memory>,
): Promise<Map<string, RemoteShell>> {
  const byName = new Map(servers.map((s) => [s.name, s]));
  const collected = await collectFleet(servers, ctx.adapters.transport, {
    parallelism: ctx.config.defaults.parallelism ?? DEFAULT_PARALLELISM,
    nonce: ctx.nonce,
    cursorsFor: async (server) => (await memoryLoad).servers[server.name]?.cursors ?? {},
    runnerChecks: ctx.adapters.runnerChecks,
    ...(ctx.adapters.channelHttp ? { channelHttp: ctx.adapters.channelHttp } : {}),
    secrets: secretsOf(ctx),
    commandTimeoutMs: ctx.config.defaults.command_timeout ?? 120_000,
    onServer: (observation) => {
      const server = byName.get(observation.server);
      const seen = server
        ? evaluateServer(server, observation, ctx.config.defaults.thresholds, ctx.adapters.clock.now())
        : [];
      const line = progressLine(observation, seen);
      ctx.logger.info(line.text, line.tone);
    },
    ...(ctx.config.defaults.connect_timeout ? { connectTimeoutMs: ctx.config.defaults.connect_timeout } : {}),
  });
  record.servers = collected.observations.flatMap((observation): ServerReport[] => {
    const server = byName.get(observation.server);
    return server ? [{ server, observation, findings: [] }] : [];
  });
  record.warnings.push(...(ctx.adapters.transportWarnings?.() ?? []));
  return collected.shells;
}

function startRecord(ctx: RunContext): RunRecord {
  const startedAt = ctx.adapters.clock.now();
  const shard = shardLabel(ctx);
  return newRunRecord({
    runId: ctx.runId,
    task: ctx.inputs.task,
    mode: ctx.mode,
    dryRun: ctx.inputs.dryRun,
    shard,
    startedAt: startedAt.toISOString(),
    reportPath: healthReportPath(startedAt, ctx.runId, shard),
  });
}

/**
 * Jobs of one workflow run share its run id; the shard (or the server selection) tells their
 * report files apart, so parallel matrix jobs never write the same path.
 */
function shardLabel(ctx: RunContext): string | undefined {
  const { shard, servers } = ctx.inputs;
  if (shard) return `${shard.index}of${shard.count}`;
  if (servers) return `s${createHash('sha256').update(servers).digest('hex').slice(0, 8)}`;
  return undefined;
}

async function closeAll(shells: Map<string, RemoteShell>): Promise<void> {
  await Promise.allSettled([...shells.values()].map((shell) => shell.close()));
}

/** The one place that decides the process exit code (docs/architecture.md#interfaces). */
export function exitCodeFor(record: RunRecord, failOn: 'never' | 'warning' | 'critical'): number {
  if (record.status === 'error') return 1;
  if (failOn === 'critical' && record.status === 'critical') return 1;
  if (failOn === 'warning' && (record.status === 'warning' || record.status === 'critical')) return 1;
  return 0;
}
