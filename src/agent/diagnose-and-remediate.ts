/**
 * Diagnose (Claude or rules) and remediate through the policy gate; fills record.planner,
 * record.diagnoses, record.actions, record.recoveries, record.usage and the remediation
 * bookkeeping in record.serverStates.
 *
 * Claude is asked only about findings that are new, changed, or whose last automatic fix failed
 * (`claude.when: changes`, the default) — never about a healthy or unchanged fleet. Without a
 * model, on an API failure, or when its budget is spent, the rule-based planner decides.
 */

import { randomBytes } from 'node:crypto';
import type { Config } from '../config/schema.js';
import type { Memory, MemoryFile } from '../core/memory/memory.js';
import type { RemoteShell } from '../core/ports/index.js';
import type { RunRecord, TrackedFinding } from '../core/run-record.js';
import { metaOf } from '../core/state-branch/front-matter.js';
import { raisedFindings } from '../core/status.js';
import { taskTraits } from '../core/tasks.js';
import { redact } from '../core/util/redact.js';
import { findingText, secretsOf } from '../record/build-state-changes.js';
import { journalRecord } from '../record/journal.js';
import { probeRecheck } from '../remediate/probe-recheck.js';
import { Remediator } from '../remediate/remediator.js';
import type { Recheck } from '../remediate/verifier.js';
import type { RunContext } from '../run-context.js';
import { type LoopResult, MAX_FREE_TEXT, runClaudeLoop } from './claude-loop.js';
import { buildDiagnostics, diagnosticFactsOf } from './diagnostics.js';
import { prefetchPackageChanges, prefetchServiceEvidence } from './prefetch.js';
import { unknownModelWarning } from './pricing.js';
import { prompt } from './prompts.js';
import { recoverServer, recoveryTrigger } from './recover.js';
import { planRules } from './rules-planner.js';
import { matchRunbooks, runbooksBlock } from './runbooks.js';
import { buildTaskPrompt } from './task-prompt.js';
import type { ParamNames } from './tools.js';

export interface AgentDeps {
  /** verification re-check (default: re-run the affected probes over the open shell) */
  recheck?: Recheck;
  /** wait before verifying (default 5 s) */
  settleMs?: number;
  /** between readiness polls in boot recovery (default 2 s) */
  pollMs?: number;
  /** the run's one Remediator (run.ts builds it once for approved plans and diagnosis alike) */
  remediator?: Remediator;
  /** maintenance windows in force this run: the config's plus those of open maintenance issues */
  maintenance?: Config['maintenance'];
  /** findings of acknowledged incidents: no automatic action on them (why, by fingerprint) */
  paused?: ReadonlyMap<string, string>;
}

/** Builds the run's Remediator: the one door to the gate (execute-approved uses it too, intent `approved`). */
export function createRemediator(
  ctx: RunContext,
  record: RunRecord,
  memory: Memory,
  shells: ReadonlyMap<string, RemoteShell>,
  deps: AgentDeps = {},
): Remediator {
  const clock = ctx.adapters.clock;
  return new Remediator({
    config: deps.maintenance ? { ...ctx.config, maintenance: deps.maintenance } : ctx.config,
    mode: ctx.mode,
    dryRun: ctx.inputs.dryRun,
    runId: ctx.runId,
    clock,
    record,
    memory,
    shells,
    secrets: secretsOf(ctx),
    settleMs: deps.settleMs,
    breakerCooloffMs: ctx.config.breaker.cooloff,
    ...(deps.paused ? { paused: deps.paused } : {}),
    // write-ahead: the record as if the run ended now, before the command runs
    beforeRun: (pending, extra) =>
      journalRecord(ctx, pending, memory, extra, 'ended while an action was running'),
    recheck:
      deps.recheck ??
      probeRecheck({
        thresholds: ctx.config.defaults.thresholds,
        now: () => clock.now(),
        cursorsFor: (server) => record.serverStates[server]?.cursors ?? memory.servers[server]?.cursors ?? {},
        clean: findingText(ctx),
        secrets: secretsOf(ctx),
      }),
  });
}

export async function diagnoseAndRemediate(
  ctx: RunContext,
  record: RunRecord,
  memory: Memory,
  shells: Map<string, RemoteShell>,
  deps: AgentDeps = {},
): Promise<void> {
  const remediator = deps.remediator ?? createRemediator(ctx, record, memory, shells, deps);
  const recovered = await recover(ctx, record, memory, shells, remediator, deps);
  if (taskTraits(record.task).approvedPlansOnly) {
    record.planner = { kind: 'none', reason: `task ${record.task} runs approved plans only` };
    return;
  }
  // services boot recovery just brought up were collected as down: not a fault to plan for;
  // a finding caused by another (docs/alerting.md#one-incident-per-root-cause) waits for its root
  const seen = raisedFindings(record).filter((f) => !broughtUp(f, recovered, record));
  const waiting = dependantsOf(record);
  const raised = seen.filter((f) => !waiting.has(f.fingerprint));
  try {
    await plan(ctx, record, memory, shells, remediator, raised, recovered);
  } finally {
    await reevaluateDependants(ctx, record, shells, remediator);
  }
}

async function plan(
  ctx: RunContext,
  record: RunRecord,
  memory: Memory,
  shells: Map<string, RemoteShell>,
  remediator: Remediator,
  raised: TrackedFinding[],
  recovered: ReadonlySet<string>,
): Promise<void> {
  if (raised.length === 0) {
    record.planner = {
      kind: 'none',
      reason: recovered.size > 0 ? 'boot recovery only: no other findings' : 'no findings needed a decision',
    };
    return;
  }
  const when = ctx.config.claude.when;
  const targets = when === 'always' ? raised : raised.filter((f) => needsClaude(f, memory));
  const model = ctx.adapters.model;
  if (when === 'never' || !model) {
    const why = !model ? 'no Anthropic API key' : 'claude.when is never';
    await runRules(raised, remediator, record, ctx);
    record.planner = { kind: 'rules', reason: `${why}: the rule-based planner decided` };
    return;
  }
  if (when === 'after-rules') {
    await afterRules(ctx, record, memory, shells, remediator, raised);
    return;
  }
  if (targets.length === 0) {
    record.planner = {
      kind: 'none',
      reason: 'no new or changed findings and no failed fixes: earlier decisions stand, Claude not called',
    };
    return;
  }
  const loop = await askClaude(ctx, record, memory, shells, remediator, targets, raisedFindings(record));
  await settle(loop, targets, remediator, record, ctx);
}

/** Fingerprints of findings that are dependants of an incident's root this run. */
function dependantsOf(record: RunRecord): Set<string> {
  return new Set((record.incidents ?? []).flatMap((i) => i.dependants));
}

/**
 * After the roots were acted on: an incident whose root an action fixed in this run has its
 * dependants re-checked (their probes, one round trip per server). What the re-check saw is
 * recorded (record.reevaluated); a dependant still failing with its root fixed is a fault of its
 * own now, and the rules planner decides for it. A root not fixed leaves its dependants waiting.
 */
async function reevaluateDependants(
  ctx: RunContext,
  record: RunRecord,
  shells: Map<string, RemoteShell>,
  remediator: Remediator,
): Promise<void> {
  const fixed = new Set(
    record.actions.filter((a) => a.decision === 'execute' && a.outcome === 'fixed').map((a) => a.fingerprint),
  );
  const incidents = (record.incidents ?? []).filter((i) => i.dependants.length > 0 && fixed.has(i.key));
  const still: TrackedFinding[] = [];
  for (const incident of incidents) {
    const members = record.findings.filter((f) => incident.dependants.includes(f.fingerprint));
    for (const server of new Set(members.map((f) => f.server))) {
      const shell = shells.get(server);
      const config = remediator.serverConfig(server);
      const mine = members.filter((f) => f.server === server);
      if (!shell || !config) continue;
      let after: Map<string, { severity: string; summary: string }>;
      try {
        const rechecked = await remediator.recheck(shell, config, [...new Set(mine.map((f) => f.check))]);
        after = new Map(rechecked.map((f) => [f.fingerprint, f]));
      } catch (error) {
        record.warnings.push(`re-checking the dependants of ${incident.key} on ${server}: ${String(error)}`);
        continue;
      }
      for (const f of mine) {
        const seen = after.get(f.fingerprint);
        if (!seen) continue;
        record.reevaluated = [
          ...(record.reevaluated ?? []),
          { fingerprint: f.fingerprint, root: incident.key, severity: seen.severity, summary: seen.summary },
        ];
        if (seen.severity !== 'ok') still.push(f);
      }
    }
  }
  if (still.length > 0) await runRules(still, remediator, record, ctx);
}

const DAY = 86_400_000;
/** what one diagnostic may take, seen from here (the server-side timeout is shorter) */
const DIAGNOSTIC_TIMEOUT_MS = 30_000;

/**
 * `claude.when: after-rules`, two tiers: the rules act first on the faults they have a playbook
 * for; Claude is asked about findings without one (when new or changed, as with `changes`), about
 * those whose rules fix did not come out `fixed`, and about faults that came back within 24 h
 * (a fix that does not hold is a fault the rules do not understand). The planner's reason names
 * which tier decided what.
 */
async function afterRules(
  ctx: RunContext,
  record: RunRecord,
  memory: Memory,
  shells: Map<string, RemoteShell>,
  remediator: Remediator,
  raised: TrackedFinding[],
): Promise<void> {
  const now = ctx.adapters.clock.now().getTime();
  const plans = planRules(raised, ctx.config.servers, (server) => remediator.catalog(server).actions);
  const known = new Set(plans.filter((p) => p.steps.length > 0).map((p) => p.finding.fingerprint));
  const recurring = raised.filter((f) => recurredWithin(f, memory, now, DAY));
  const again = new Set(recurring.map((f) => f.fingerprint));
  const first = raised.filter((f) => known.has(f.fingerprint) && !again.has(f.fingerprint));
  await runRules(first, remediator, record, ctx);
  const failed = first.filter((f) => rulesFixFailed(f, record));
  const unknown = raised.filter((f) => !known.has(f.fingerprint) && needsClaude(f, memory));
  const targets = [...new Map([...unknown, ...failed, ...recurring].map((f) => [f.fingerprint, f])).values()];
  const tiers = [
    `the rules acted first on ${first.length} finding(s) with a playbook (${first.length - failed.length} fixed or decided)`,
    unknown.length ? `${unknown.length} without a playbook` : '',
    failed.length ? `${failed.length} whose rules fix did not fix` : '',
    recurring.length ? `${recurring.length} recurring within 24 h` : '',
  ].filter(Boolean);
  if (targets.length === 0) {
    record.planner = {
      kind: first.length > 0 ? 'rules' : 'none',
      reason: `claude.when after-rules: ${tiers[0]}; nothing left for Claude, not called`,
    };
    return;
  }
  const loop = await askClaude(ctx, record, memory, shells, remediator, targets, raised);
  await settle(loop, targets, remediator, record, ctx);
  record.planner.reason = `claude.when after-rules: ${tiers.join('; ')} → Claude asked about ${targets.length}: ${record.planner.reason}`;
}

/**
 * Every parameter name the fleet's catalogs and diagnostics use, sorted: the same config gives the
 * same tool schemas run after run (the prompt cache keeps hitting).
 */
function paramNamesOf(ctx: RunContext, remediator: Remediator): ParamNames {
  const names = (lists: string[][]) => [...new Set(lists.flat())].sort();
  return {
    params: names(
      ctx.config.servers.flatMap((s) =>
        [...remediator.catalog(s).actions.values()].map((a) => Object.keys(a.params)),
      ),
    ),
    args: names(
      ctx.config.servers.flatMap((s) => [...buildDiagnostics(s).values()].map((d) => Object.keys(d.params))),
    ),
  };
}

/** Executed rules actions on this finding in this run, none of which fixed it. */
function rulesFixFailed(f: TrackedFinding, record: RunRecord): boolean {
  const ran = record.actions.filter(
    (a) => a.fingerprint === f.fingerprint && a.requestedBy === 'rules' && a.decision === 'execute',
  );
  return ran.length > 0 && !ran.some((a) => a.outcome === 'fixed');
}

/** The finding went away and came back within `ms`: resolved recently, or ok between two sightings. */
export function recurredWithin(f: TrackedFinding, memory: Memory, now: number, ms: number): boolean {
  const before = memory.servers[f.server]?.findings[f.fingerprint];
  if (!before) return false;
  if (before.resolvedAt && now - Date.parse(before.resolvedAt) <= ms) return true;
  const recent = before.history.filter(([at]) => now - Date.parse(at) <= ms).map(([, s]) => s);
  const firstBad = recent.findIndex((s) => s !== 'ok');
  return firstBad >= 0 && recent.slice(firstBad).includes('ok');
}

/**
 * A finding boot recovery has answered: a service it started (or found running) and ready, or
 * blocked behind a failed dependency, or that service's configured port.
 */
function broughtUp(f: TrackedFinding, recovered: ReadonlySet<string>, record: RunRecord): boolean {
  if (f.check === 'service') return recovered.has(`${f.server}/${f.target}`);
  if (f.check !== 'port') return false;
  const server = record.servers.find((r) => r.server.name === f.server)?.server;
  return (server?.services ?? []).some(
    (s) => s.port !== undefined && String(s.port) === f.target && recovered.has(`${f.server}/${s.name}`),
  );
}

/** New, changed severity, flapping, or the last automatic fix on its target failed. */
export function needsClaude(f: TrackedFinding, memory: Memory): boolean {
  const state = memory.servers[f.server];
  const before = state?.findings[f.fingerprint];
  if (f.lifecycle === 'new' || f.lifecycle === 'flapping' || !before || before.severity !== f.severity)
    return true;
  const since = state?.lastRun ? Date.parse(state.lastRun) : 0;
  const failedOnTarget = Object.entries(state?.remediation ?? {}).some(([key, b]) => {
    const last = b.attempts.at(-1);
    const failed =
      b.lastOutcome === 'not-fixed' || b.lastOutcome === 'worse' || b.lastOutcome === 'unverified';
    return failed && key.endsWith(`:${f.target}`) && last !== undefined && Date.parse(last) >= since;
  });
  // repository remediations take no parameters (bookkept as `id:-`): their action logs name the finding
  return failedOnTarget || memory.recentActions.some((a) => failedFix(a, f.fingerprint, since));
}

/** An action log of an executed attempt on this finding, since `since`, that did not fix it. */
function failedFix(log: MemoryFile, fingerprint: string, since: number): boolean {
  const m = metaOf(log);
  return (
    m.fingerprint === fingerprint &&
    m.decision === 'execute' &&
    (m.outcome === 'not-fixed' || m.outcome === 'worse' || m.outcome === 'unverified') &&
    Date.parse(String(m.at)) >= since
  );
}

async function askClaude(
  ctx: RunContext,
  record: RunRecord,
  memory: Memory,
  shells: Map<string, RemoteShell>,
  remediator: Remediator,
  targets: TrackedFinding[],
  raised: TrackedFinding[],
): Promise<LoopResult> {
  const nonce = randomBytes(9).toString('hex');
  const secrets = secretsOf(ctx);
  const asked = new Set(targets.map((f) => f.fingerprint));
  const task = await taskFor(ctx, { record, memory, shells, targets, raised, asked, secrets, nonce });
  const { claude } = ctx.config;
  // the model is present: checked by the caller
  const model = ctx.adapters.model as NonNullable<typeof ctx.adapters.model>;
  const unpriced = unknownModelWarning(model.name);
  if (unpriced) record.warnings.push(`claude: ${unpriced}`);
  const runbooks = matchRunbooks(ctx.runbooks ?? [], targets, ctx.config.servers);
  return runClaudeLoop({
    model,
    paramNames: paramNamesOf(ctx, remediator),
    warn: (message) => record.warnings.push(`claude: ${message}`),
    system: prompt('system.md'),
    runbooks: runbooksBlock(runbooks, secrets) || undefined,
    task,
    limits: {
      maxTurns: claude.max_turns,
      maxTokens: claude.max_tokens_per_run,
      timeoutMs: claude.timeout,
      maxToolCallsPerTurn: claude.max_tool_calls_per_turn,
      maxToolCallsPerRun: claude.max_tool_calls_per_run,
    },
    tools: { record, remediator, shells, secrets, nonce, asked, diagnosticTimeoutMs: DIAGNOSTIC_TIMEOUT_MS },
    usage: record.usage,
  });
}

/** The evidence fetched before the model is asked, and the task prompt that carries it. */
async function taskFor(
  ctx: RunContext,
  o: {
    record: RunRecord;
    memory: Memory;
    shells: Map<string, RemoteShell>;
    targets: TrackedFinding[];
    raised: TrackedFinding[];
    asked: ReadonlySet<string>;
    secrets: readonly string[];
    nonce: string;
  },
): Promise<string> {
  const { record, memory, shells, targets, raised, asked, secrets, nonce } = o;
  const prefetched = await prefetchServiceEvidence({
    targets,
    servers: ctx.config.servers,
    shells,
    secrets,
    timeoutMs: DIAGNOSTIC_TIMEOUT_MS,
  });
  const involved = new Set(targets.map((f) => f.server));
  const packageChanges = await prefetchPackageChanges({
    servers: ctx.config.servers.filter((s) => involved.has(s.name)),
    shells,
    lastRun: (server) => memory.servers[server]?.lastChecked,
    secrets,
    timeoutMs: DIAGNOSTIC_TIMEOUT_MS,
  });
  return buildTaskPrompt({
    diagnosticFacts: (name) => diagnosticFactsOf(record, name),
    prefetched,
    packageChanges,
    runId: ctx.runId,
    task: record.task,
    mode: ctx.mode,
    dryRun: ctx.inputs.dryRun,
    now: ctx.adapters.clock.now(),
    targets,
    others: raised.filter((f) => !asked.has(f.fingerprint)),
    memory,
    servers: ctx.config.servers,
    reachable: new Set(shells.keys()),
    config: ctx.config,
    secrets,
    nonce,
  });
}

/**
 * After Claude: findings it neither diagnosed nor acted on go to the rule-based planner — also when
 * its report simply left them out — and the planner's reason says which tier decided what.
 */
async function settle(
  loop: LoopResult,
  targets: TrackedFinding[],
  remediator: Remediator,
  record: RunRecord,
  ctx: RunContext,
): Promise<void> {
  if (loop.end !== 'done' && loop.text && !record.narrative)
    record.narrative = redact(loop.text.slice(0, MAX_FREE_TEXT), secretsOf(ctx));
  const handled = new Set([
    ...record.diagnoses.map((d) => d.fingerprint),
    ...record.actions.map((a) => a.fingerprint),
  ]);
  const left = targets.filter((f) => !handled.has(f.fingerprint));
  if (left.length === 0) {
    record.planner = { kind: 'claude', reason: loop.detail };
    return;
  }
  const names = left.map((f) => f.fingerprint).join(', ');
  if (loop.end === 'done') {
    record.warnings.push(
      `claude: the report did not cover ${names}: the rule-based planner decided for them`,
    );
  } else if (loop.end === 'api-error' || loop.end === 'refusal') record.errors.push(`claude: ${loop.detail}`);
  else record.warnings.push(`claude: ${loop.detail}`);
  await runRules(left, remediator, record, ctx);
  const covered = targets.length - left.length;
  record.planner =
    loop.end === 'done'
      ? {
          kind: 'claude',
          reason: `${loop.detail} for ${covered} of ${targets.length} finding(s); the rule-based planner decided for ${names}, which Claude's report did not cover`,
        }
      : {
          kind: 'rules',
          reason: `${loop.detail}; the rule-based planner decided for ${left.length} finding(s)`,
        };
}

/** Runs rule plans: each plan's steps in order, stopping at the first fix or the first step not run. */
async function runRules(
  findings: TrackedFinding[],
  remediator: Remediator,
  record: RunRecord,
  ctx: RunContext,
): Promise<void> {
  const plans = planRules(findings, ctx.config.servers, (server) => remediator.catalog(server).actions);
  for (const plan of plans) {
    if (!record.diagnoses.some((d) => d.fingerprint === plan.diagnosis.fingerprint))
      record.diagnoses.push(plan.diagnosis);
    for (const step of plan.steps) {
      const action = await remediator.remediate({
        server: plan.finding.server,
        action: step.action,
        params: step.params,
        fingerprint: plan.finding.fingerprint,
        reason: plan.diagnosis.nextStep,
        evidence: plan.finding.summary,
        requestedBy: 'rules',
        intent: 'auto',
      });
      if (action.decision !== 'execute' || action.outcome === 'fixed') break;
    }
  }
}

/** Boot recovery for servers that rebooted (or all, on task recover); returns `server/service` started or running. */
async function recover(
  ctx: RunContext,
  record: RunRecord,
  memory: Memory,
  shells: Map<string, RemoteShell>,
  remediator: Remediator,
  deps: AgentDeps,
): Promise<Set<string>> {
  const up = new Set<string>();
  for (const report of record.servers) {
    const server = report.server;
    const trigger = recoveryTrigger(record, memory.servers[server.name]?.bootId, server.name);
    if (!trigger || (!taskTraits(record.task).recoverAlways && (server.boot?.order.length ?? 0) === 0))
      continue;
    const boot = await recoverServer(server, trigger, {
      record,
      remediator,
      shells,
      clock: ctx.adapters.clock,
      pollMs: deps.pollMs,
    });
    for (const step of boot.steps) {
      // blocked: its dependency is down, so no planner may start it behind recovery's back either
      if (step.state === 'started' || step.state === 'already-running' || step.state === 'blocked')
        up.add(`${server.name}/${step.service}`);
    }
  }
  return up;
}
