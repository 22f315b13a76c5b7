/**
 * The pipeline's phases after collection, as run.ts orders them: evaluate, acknowledgements, the
 * journal stages, diagnose and remediate, follow-ups, record, report. run.ts imports this module
 * when collection starts, so a run compiles before its first SSH connection only what collecting
 * needs, and the rest while the servers answer (docs/architecture.md#pipeline).
 */
import { createRemediator, diagnoseAndRemediate } from './agent/diagnose-and-remediate.js';
import { groupRunIncidents, pausedActions } from './alerting/follow-through.js';
import type { Config } from './config/schema.js';
import { trackFindings } from './core/memory/lifecycle.js';
import type { Memory } from './core/memory/memory.js';
import type { RemoteShell } from './core/ports/index.js';
import type { RunRecord } from './core/run-record.js';
import { overallStatus } from './core/status.js';
import { taskTraits } from './core/tasks.js';
import { cleanFinding, type FileChange } from './core/types.js';
import { errorMessage } from './core/util/error-message.js';
import { fleetFindings, shardsOf } from './fleet-shards.js';
import { executeApproved } from './github/execute-approved.js';
import { fetchMaintenanceWindows } from './github/issues.js';
import { syncGitHub } from './github/sync.js';
import { evaluateServer } from './probes/evaluate.js';
import { serverFigures } from './probes/server-figures.js';
import { buildStateChanges, findingText } from './record/build-state-changes.js';
import { commitMessage, journalRecord } from './record/journal.js';
import { healBreakers } from './remediate/policy-gate.js';
import { pingHeartbeat } from './report/heartbeat.js';
import { notifyRun } from './report/notify-run.js';
import { writeReport } from './report/write-report.js';
import type { RunContext } from './run-context.js';

export { planFollowUps } from './alerting/follow-through.js';
export { readAcknowledgements } from './github/acknowledgements.js';
export { redactRecord } from './report/write-report.js';

/** Outputs, issues and PRs, notifications and the closing heartbeat, once the record is committed. */
export async function report(ctx: RunContext, record: RunRecord, memory: Memory): Promise<void> {
  const fleet = await fleetStates(ctx, record, memory);
  await guard(record, 'github', () => syncGitHub(ctx, record, memory, fleet));
  record.status = overallStatus(record);
  // the summary's "took" covers the whole run: recording and the GitHub round trips included
  record.finishedAt = ctx.adapters.clock.now().toISOString();
  await writeReport(ctx, record);
  await guard(record, 'notify', () => notifyRun(ctx, record, memory));
  const endProblem = await pingHeartbeat(ctx, record.status === 'error' ? 'fail' : 'success');
  if (endProblem) ctx.logger.warning(endProblem);
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

/** Approved plans first (task execute-approved), then diagnosis and remediation through the gate. */
export async function act(
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

export function evaluate(ctx: RunContext, record: RunRecord, memory: Memory): void {
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

export async function recordRun(
  ctx: RunContext,
  record: RunRecord,
  memory: Memory,
  extra: FileChange[],
): Promise<void> {
  try {
    // run.ts redacted the record when collecting and acting ended; nothing was added since
    const changes = [...buildStateChanges(ctx, record, memory, { redacted: true }), ...extra];
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
export async function stage(
  ctx: RunContext,
  record: RunRecord,
  memory: Memory,
  extra: FileChange[],
): Promise<void> {
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
export async function guard(record: RunRecord, phase: string, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (error) {
    record.errors.push(`${phase}: ${errorMessage(error)}`);
  }
}
