/**
 * The pipeline of one run (docs/architecture.md#pipeline), top to bottom:
 *   load memory → collect → evaluate → diagnose + remediate → record → report
 * (memory loads while the SSH connections open: only each server's collector script waits for it)
 * Each phase is a function of its own module; this file only orders them, keeps a failing phase
 * from silencing the others, and decides the run's status and exit code in one place.
 */
import { createHash } from 'node:crypto';
import { createRemediator, diagnoseAndRemediate } from './agent/diagnose-and-remediate.js';
import { groupRunIncidents, pausedActions, planFollowUps } from './alerting/follow-through.js';
import { collectFleet } from './collect.js';
import type { Config, ServerConfig } from './config/schema.js';
import { trackFindings } from './core/memory/lifecycle.js';
import { emptyMemory, type Memory } from './core/memory/memory.js';
import type { RemoteShell } from './core/ports/index.js';
import { progressLine } from './core/render/progress-line.js';
import { newRunRecord, type RunRecord } from './core/run-record.js';
import { healthReportPath } from './core/state-branch/paths.js';
import { overallStatus } from './core/status.js';
import { isOwnFlow, taskTraits } from './core/tasks.js';
import { cleanFinding, type FileChange, type ServerReport } from './core/types.js';
import { errorMessage } from './core/util/error-message.js';
import { selectServers } from './core/util/select-servers.js';
import { fleetFindings, shardsOf } from './fleet-shards.js';
import { readAcknowledgements } from './github/acknowledgements.js';
import { executeApproved } from './github/execute-approved.js';
import { fetchMaintenanceWindows } from './github/issues.js';
import { syncGitHub } from './github/sync.js';
import { loadMemory } from './load-memory.js';
import { evaluateServer } from './probes/evaluate.js';
import { serverFigures } from './probes/server-figures.js';
import { buildStateChanges, findingText, redactedRecord, secretsOf } from './record/build-state-changes.js';
import { commitMessage, journalRecord } from './record/journal.js';
import { healBreakers } from './remediate/policy-gate.js';
import { pingHeartbeat } from './report/heartbeat.js';
import { notifyRun } from './report/notify-run.js';
import { writeReport } from './report/write-report.js';
import type { RunContext } from './run-context.js';
import { TASK_RUNNERS } from './tasks.js';

export interface RunResult {
  record: RunRecord;
  exitCode: number;
}

export async function run(ctx: RunContext): Promise<RunResult> {
  // a hung API cannot hold the run: every GitHub call of the run, together, ends within the budget
  ctx.adapters.github?.startBudget?.(ctx.config.github.report_budget);
  const task = ctx.inputs.task;
  if (isOwnFlow(task)) {
    const record = await TASK_RUNNERS[task](ctx);
    return { record, exitCode: exitCodeFor(record, ctx.config['fail-on']) };
  }
  const { logger } = ctx;
  const record = startRecord(ctx);
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
    memory = await memoryLoad;
    record.warnings.push(...memory.warnings);
    shells = await collecting;
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
  record.finishedAt = ctx.adapters.clock.now().toISOString();
  // from here on the record is only written and shown: redact it once, before any renderer escapes it
  Object.assign(record, redactedRecord(ctx, record));

  const startProblem = await startPing;
  if (startProblem) record.warnings.push(startProblem);
  await logger.group('Record', () => recordRun(ctx, record, memory, approvalChanges));
  await logger.group('Report', async () => {
    const fleet = await fleetStates(ctx, record, memory);
    await guard(record, 'github', () => syncGitHub(ctx, record, memory, fleet));
    record.status = overallStatus(record);
    // the summary's "took" covers the whole run: recording and the GitHub round trips included
    record.finishedAt = ctx.adapters.clock.now().toISOString();
    await writeReport(ctx, record);
    await guard(record, 'notify', () => notifyRun(ctx, record, memory));
    const endProblem = await pingHeartbeat(ctx, record.status === 'error' ? 'fail' : 'success');
    if (endProblem) logger.warning(endProblem);
  });
  return { record, exitCode: exitCodeFor(record, ctx.config['fail-on']) };
}

/**
 * Every server's state as the state branch holds it now. A matrix shard re-reads the branch after
 * its own commit, so the shards that finished before it count (one fleet issue across shards), and
 * records which shards of this workflow run have reported; the last one lists the whole fleet.
 */
async function fleetStates(ctx: RunContext, record: RunRecord, memory: Memory): Promise<Memory['servers']> {
  const shard = ctx.inputs.shard;
  let states = { ...memory.servers, ...record.serverStates };
  if (!shard || !record.commit?.pushed) return states;
  try {
    states = { ...(await ctx.adapters.state.load()).servers, ...record.serverStates };
  } catch (error) {
    record.warnings.push(`shards: the state branch could not be re-read: ${errorMessage(error)}`);
  }
  const shards = shardsOf(ctx.config, ctx.inputs.servers, shard.count, states, (id) => id === ctx.runId);
  record.shards = shards.map((s) => ({ ...s, self: s.index === shard.index }));
  if (shards.every((s) => s.reported)) record.fleetReport = fleetFindings(states, (id) => id === ctx.runId);
  return states;
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
    parallelism: ctx.config.defaults.parallelism ?? 10,
    nonce: ctx.nonce,
    cursorsFor: async (server) => (await memoryLoad).servers[server.name]?.cursors ?? {},
    runnerChecks: ctx.adapters.runnerChecks,
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

/** Approved plans first (task execute-approved), then diagnosis and remediation through the gate. */
async function act(
  ctx: RunContext,
  record: RunRecord,
  memory: Memory,
  shells: Map<string, RemoteShell>,
  approvalChanges: FileChange[],
): Promise<void> {
  // A value for this run: the config is never changed, whatever the maintenance issues say.
  const maintenance = [...ctx.config.maintenance, ...(await maintenanceFromIssues(ctx, record))];
  // One Remediator per run, so caps, cooldowns and the breaker count every action of the run.
  const remediator = createRemediator(ctx, record, memory, shells, {
    maintenance,
    paused: pausedActions(record),
  });
  if (taskTraits(ctx.inputs.task).approvedPlansOnly) {
    await guard(record, 'execute-approved', async () => {
      approvalChanges.push(...(await executeApproved(ctx, record, memory, (r) => remediator.remediate(r))));
    });
  }
  await guard(record, 'diagnose', () => diagnoseAndRemediate(ctx, record, memory, shells, { remediator }));
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

function evaluate(ctx: RunContext, record: RunRecord, memory: Memory): void {
  const now = ctx.adapters.clock.now();
  const clean = findingText(ctx);
  for (const report of record.servers) {
    report.findings = evaluateServer(
      report.server,
      report.observation,
      ctx.config.defaults.thresholds,
      now,
    ).map((f) => cleanFinding(f, clean));
    if (report.observation.reachable)
      report.figures = serverFigures(report.server, report.observation, ctx.config.defaults.thresholds);
  }
  const tracked = trackFindings(record.servers, memory, ctx.config, now, { runId: ctx.runId });
  record.findings = tracked.findings;
  record.changes = tracked.changes;
  record.resolved = tracked.resolved;
  record.serverStates = tracked.serverStates;
  healResolvedBreakers(record);
  groupRunIncidents(ctx, record);
}

/** A breaker whose finding resolved closes (told once); the next episode starts with a clean count. */
function healResolvedBreakers(record: RunRecord): void {
  const resolved = new Set(record.resolved.map((f) => f.fingerprint));
  for (const [server, state] of Object.entries(record.serverStates)) {
    const healed = healBreakers(server, state.remediation, resolved);
    if (healed.changes.length === 0) continue;
    state.remediation = healed.bookkeeping;
    record.breakers = [...(record.breakers ?? []), ...healed.changes];
  }
}

async function recordRun(
  ctx: RunContext,
  record: RunRecord,
  memory: Memory,
  extra: FileChange[],
): Promise<void> {
  try {
    const changes = [...buildStateChanges(ctx, record, memory), ...extra];
    record.commit = await ctx.adapters.state.commit(changes, commitMessage(record));
    if (!record.commit.pushed) {
      const why = record.commit.error ? ` (${pushRefusal(record.commit.error)})` : '';
      record.errors.push(
        `record: not on the state branch — the push was refused ${record.commit.attempts ?? 1} time(s)${why}. ` +
          `The commit is kept in ${record.commit.location || 'the runner'} and in the run journal; ` +
          'the post step pushes it once more. The run fails until the record lands.',
      );
    }
  } catch (error) {
    record.errors.push(`record: the state branch could not be written: ${errorMessage(error)}`);
  }
}

/** What the remote said about a refused push: its own lines (a hook's message), else git's last. */
function pushRefusal(error: string): string {
  const lines = error.split('\n').map((l) => l.trim());
  const remote = lines.filter((l) => /^remote:|\[(?:remote )?rejected\]/.test(l));
  return (remote.length > 0 ? remote.join('; ') : (lines.at(-1) ?? '')).slice(0, 400);
}

/** Journals the record so far: if the run dies before it commits, the post step pushes this. */
async function stage(ctx: RunContext, record: RunRecord, memory: Memory, extra: FileChange[]): Promise<void> {
  try {
    await journalRecord(ctx, record, memory, extra);
  } catch (error) {
    record.warnings.push(`journal: could not be written: ${errorMessage(error)}`);
  }
}

/**
 * Open issues labelled `maintenance` (Upptime-style) silence actions on the servers they name.
 * If they cannot be read, no action runs: acting during someone's maintenance is the worse error.
 */
async function maintenanceFromIssues(ctx: RunContext, record: RunRecord): Promise<Config['maintenance']> {
  const api = ctx.adapters.github;
  if (!api) return [];
  const now = ctx.adapters.clock.now();
  try {
    return await fetchMaintenanceWindows(api, now);
  } catch (error) {
    record.warnings.push(
      `maintenance issues could not be read, so no action runs this run: ${errorMessage(error)}`,
    );
    return [
      {
        servers: ctx.config.servers.map((s) => s.name),
        from: now.toISOString(),
        to: new Date(now.getTime() + 86_400_000).toISOString(),
        reason: 'maintenance issues could not be read: no automatic actions this run',
      },
    ];
  }
}

/** A failing optional phase is reported, never allowed to stop recording. */
async function guard(record: RunRecord, phase: string, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (error) {
    record.errors.push(`${phase}: ${errorMessage(error)}`);
  }
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
