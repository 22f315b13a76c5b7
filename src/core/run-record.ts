/**
 * Everything one run saw, decided and did. Phases fill it in order; `record` renders it to the
 * state branch and `report` to GitHub, the job summary and the outputs.
 */
import type { Mode } from '../config/schema.js';
import type { AlertRun } from './alerting/alert-types.js';
import type { AckState, ServerState } from './memory/memory.js';
import type { CommitResult } from './ports/index.js';
import type { Finding, RunStatus, ServerReport, Task } from './types.js';
import { byName } from './util/by-name.js';

/** A breaker that opened or closed in this run, and why (shown in the action log and the summary). */
export interface BreakerTransition {
  server: string;
  key: string;
  change: 'opened' | 'closed';
  why: string;
}

/** A finding after lifecycle: how it relates to memory. */
export interface TrackedFinding extends Finding {
  lifecycle: 'new' | 'ongoing' | 'resolved' | 'flapping' | 'pending';
  firstSeen: string;
  /** consecutive runs in this state */
  runs: number;
  /** human note: "full in ~9 h", "restarted 3 times since last run" */
  trend?: string;
}

/** "What changed since the last run" (the health report's section), filled by lifecycle. */
export interface ChangeSummary {
  /** fingerprints raised for the first time this episode */
  new: string[];
  /** fingerprints that were raised and are ok now */
  resolved: string[];
  /** raised and still non-ok for 3+ consecutive runs */
  stillFailing: { fingerprint: string; runs: number }[];
  /** growth predictions ("full in ~9 h") */
  trends: { fingerprint: string; note: string }[];
  /** fingerprints whose status keeps changing: raised once as flapping, churn suppressed */
  flapping: string[];
  /** servers whose boot id changed since the last run (the recover task's trigger) */
  reboots: string[];
  /** servers that could not be checked: their earlier findings are carried over unverified */
  unverified: { server: string; fingerprints: string[] }[];
  /** the watcher's own gap, when scheduled runs went missing */
  missedRuns?: string;
}

export interface Diagnosis {
  fingerprint: string;
  rootCause: string;
  confidence: 'low' | 'medium' | 'high';
  evidence: string;
  nextStep: string;
  /** which tier decided: Claude, or the rule-based planner */
  by?: 'claude' | 'rules';
}

export interface ActionRecord {
  id: string;
  server: string;
  action: string;
  params: Record<string, string>;
  risk: 'low' | 'medium' | 'high';
  decision: 'execute' | 'needs-approval' | 'deny' | 'dry-run';
  /** why it was asked, in the requester's words: model text when `requestedBy` is claude */
  reason: string;
  /** why the policy gate (code) decided as it did: written by code, never by the model */
  gateReason?: string;
  command?: string;
  output?: string;
  exitCode?: number | null;
  /** fixed only when the failing check was seen failing before and passing after; unverified counts as failed */
  outcome?: 'fixed' | 'not-fixed' | 'worse' | 'unverified' | 'not-run';
  fingerprint?: string;
  requestedBy: 'claude' | 'rules' | 'approval' | 'recover';
  at: string;
  /** state-branch path of its log, once recorded */
  path?: string;
  /** (agent) what the action acts on: a service, a directory; `-` for whole-server actions */
  target?: string;
  /** (agent) the supporting evidence a planner gave (redacted): approval PRs show it */
  evidence?: string;
  /** (agent) how verification decided the outcome: which checks re-ran, severities before/after */
  verification?: string;
  /** (agent) how long the command ran */
  durationMs?: number;
  /** denied requests for the same action and target later in the same run, counted here */
  repeats?: number;
  /** (needs-approval) the approval pull request opened for it */
  pull?: number;
}

/** (agent) One boot recovery of one server: services started in `boot.order`, each waited for. */
export interface BootRecovery {
  server: string;
  at: string;
  /** why it ran: the task, or the boot id change seen */
  trigger: string;
  steps: {
    service: string;
    /** running already | started | failed to start | not ready in time | skipped (why) */
    state: 'already-running' | 'started' | 'failed' | 'not-ready' | 'skipped' | 'blocked';
    detail: string;
    waitedMs?: number;
    actionId?: string;
  }[];
  /** state-branch path of its log */
  path: string;
  /** every configured check of the server, run once when recovery ended */
  finalCheck?: {
    at: string;
    /** findings the checks produced (ok included) */
    checked: number;
    failing: { fingerprint: string; severity: string; summary: string }[];
    /** set when the checks could not run */
    error?: string;
  };
}

export interface Usage {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  costUsd: number;
  calls: number;
}

/** One incident of the run: its root finding and the findings it causes. */
export interface IncidentRecord {
  key: string;
  severity: 'critical' | 'warning';
  dependants: string[];
  /** acknowledged on GitHub and still holding: by whom, until when */
  ack?: { by: string; until?: string; kind: 'ack' | 'snooze' };
}

/** What the run makes of one incident's issue activity (docs/alerting.md#acknowledge). */
export interface AckRecord {
  key: string;
  issue: number;
  /** the issue had new acknowledging activity this run (else `state` is only carried) */
  changed: boolean;
  /** the acknowledgement as it stands after this run's events (absent: none) */
  state?: AckState;
  /** the one comment confirming what changed (absent: nothing to say) */
  confirmation?: string;
  /** time up to which the issue's comments were read */
  readAt?: string;
}

export interface RunRecord {
  runId: string;
  task: Task;
  mode: Mode;
  dryRun: boolean;
  shard?: string;
  startedAt: string;
  finishedAt?: string;
  servers: ServerReport[];
  findings: TrackedFinding[];
  /** fingerprints that were non-ok last run and are ok now */
  resolved: TrackedFinding[];
  serverStates: Record<string, ServerState>;
  /** what changed since the last run (new, resolved, still failing, trends, reboots, missed runs) */
  changes?: ChangeSummary;
  planner: { kind: 'none' | 'claude' | 'rules'; reason: string };
  diagnoses: Diagnosis[];
  /** Claude's final text, recorded verbatim */
  narrative?: string;
  actions: ActionRecord[];
  /** (agent) boot recoveries done by this run (task recover, or a reboot noticed) */
  recoveries?: BootRecovery[];
  /**
   * (sharded runs) every shard of this workflow run, and whether its servers' state files on the
   * state branch already record this run (read after this shard committed)
   */
  shards?: {
    label: string;
    servers: string[];
    reported: boolean;
    self: boolean;
    /** (task summarize) the status the shard's own health report gives */
    status?: RunStatus;
  }[];
  /** (sharded runs) raised findings across every shard's servers, when this shard was the last to report */
  fleetReport?: { server: string; fingerprint: string; severity: string; summary: string }[];
  /** (task summarize) the actions every shard's health report lists */
  fleetActions?: { shard: string; server: string; action: string; decision: string; outcome: string }[];
  /** circuit breakers that opened or closed in this run (each told once) */
  breakers?: BreakerTransition[];
  /**
   * (alerting) this run's incidents: one per root cause, its dependants folded in
   * (docs/alerting.md#one-incident-per-root-cause); findings in no incident are their own
   */
  incidents?: IncidentRecord[];
  /** (alerting) dependants re-checked after their root was acted on, and what they showed */
  reevaluated?: { fingerprint: string; root: string; severity: string; summary: string }[];
  /** (alerting) what this run tells beyond what changed: repeats, escalations, paging events */
  alerting?: AlertRun;
  /** (alerting) acknowledgements read from the incidents' issues: confirmations to post, ended ones */
  acks?: AckRecord[];
  usage: Usage;
  github: { issues: number[]; pulls: number[]; errors: string[] };
  /** set when the pipeline itself broke before finishing: the run's status is then `error` */
  aborted?: string;
  /** recoverable failures of phases (a dead API, a failed push): reported, never silent */
  errors: string[];
  warnings: string[];
  /** the health report's path on the state branch */
  reportPath?: string;
  commit?: CommitResult;
  status: RunStatus;
}

/** A record before any phase ran: identity given, every collection empty, status ok. */
export function newRunRecord(
  identity: Pick<RunRecord, 'runId' | 'task' | 'mode' | 'dryRun' | 'startedAt'> & Partial<RunRecord>,
): RunRecord {
  return {
    servers: [],
    findings: [],
    resolved: [],
    serverStates: byName(),
    planner: { kind: 'none', reason: 'no findings needed a decision' },
    diagnoses: [],
    actions: [],
    usage: zeroUsage(),
    github: { issues: [], pulls: [], errors: [] },
    errors: [],
    warnings: [],
    status: 'ok',
    ...identity,
  };
}

export function zeroUsage(): Usage {
  return { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, costUsd: 0, calls: 0 };
}
