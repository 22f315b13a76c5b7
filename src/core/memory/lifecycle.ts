/**
 * Finding lifecycle (pure, docs/architecture.md#state-branch): relates this run's findings to memory per fingerprint,
 * new → ongoing → resolved, with debounce (a warning must hold N runs before it is raised),
 * flap detection (churn suppressed), trends and the per-server state the next run reads.
 */
import type { Config } from '../../config/schema.js';
import type { ChangeSummary, TrackedFinding } from '../run-record.js';
import type { Finding, ServerReport, Severity } from '../types.js';
import { byName } from '../util/by-name.js';
import { emptyServerState, type FindingState, type Memory, type ServerState } from './memory.js';
import { LIMITS } from './server-state.js';
import {
  bootInfoOf,
  currentSamples,
  didReboot,
  growthFindings,
  isEvent,
  logRateNotes,
  missedRunsFinding,
  rebootFinding,
  restartCountersOf,
  restartFindings,
} from './trends.js';

export interface Tracked {
  /** raised and debounced (pending) non-ok findings, including trend and event findings */
  findings: TrackedFinding[];
  /** raised earlier, ok now */
  resolved: TrackedFinding[];
  serverStates: Record<string, ServerState>;
  changes: ChangeSummary;
}

export interface TrackOptions {
  /** this run's id: recorded in each state file so re-applying the same run never counts twice */
  runId?: string;
}

/** The lifecycle's knobs, plus how many quiet runs resolve an event (`github.close_after_ok_runs`). */
type Rules = Config['lifecycle'] & { close_after_ok_runs: number };
const RAISED = new Set(['new', 'ongoing', 'flapping']);
/** Resolved fingerprints are forgotten after this long, so a state file does not grow forever. */
const FORGET_AFTER_MS = 30 * 86_400_000;
/** Samples older than this predict nothing. */
const SAMPLE_MAX_AGE_MS = 7 * 86_400_000;

export function trackFindings(
  servers: ServerReport[],
  memory: Memory,
  config: Config,
  now: Date,
  options: TrackOptions = {},
): Tracked {
  const at = now.toISOString();
  const runId = options.runId ?? at;
  const tracked: Tracked = { findings: [], resolved: [], serverStates: byName(), changes: emptyChanges() };
  const rules: Rules = { ...config.lifecycle, close_after_ok_runs: config.github.close_after_ok_runs };
  for (const report of servers) {
    const previous = memory.servers[report.server.name] ?? emptyServerState(report.server.name);
    const state = report.observation.reachable
      ? trackReachable(report, previous, rules, now, tracked)
      : trackUnreachable(report, previous, rules, now, tracked);
    state.recentRuns = [...state.recentRuns.filter((id) => id !== runId), runId].slice(-LIMITS.recentRuns);
    tracked.serverStates[report.server.name] = state;
  }
  const missed = missedRunsFinding(memory.lastRunAt, config.schedule, now);
  if (missed && missed.severity !== 'ok') {
    tracked.findings.push({ ...missed, lifecycle: 'new', firstSeen: at, runs: 1 });
    tracked.changes.missedRuns = missed.summary;
  }
  summarize(tracked);
  return tracked;
}

function emptyChanges(): ChangeSummary {
  return { new: [], resolved: [], stillFailing: [], trends: [], flapping: [], reboots: [], unverified: [] };
}

/** A server that could not be checked keeps every earlier finding as it was: no false "resolved". */
function trackUnreachable(
  report: ServerReport,
  previous: ServerState,
  rules: Rules,
  now: Date,
  tracked: Tracked,
): ServerState {
  const at = now.toISOString();
  const findings = { ...previous.findings };
  for (const f of report.findings) applyStep(findings, f, now, rules, tracked);
  const carried = Object.entries(previous.findings)
    .filter(([fp, s]) => RAISED.has(s.status) && !report.findings.some((f) => f.fingerprint === fp))
    .map(([fp]) => fp);
  if (carried.length) tracked.changes.unverified.push({ server: report.server.name, fingerprints: carried });
  return { ...previous, server: report.server.name, lastRun: at, runs: previous.runs + 1, findings };
}

function trackReachable(
  report: ServerReport,
  previous: ServerState,
  rules: Rules,
  now: Date,
  tracked: Tracked,
): ServerState {
  const at = now.toISOString();
  const name = report.server.name;
  const obs = report.observation;
  const samples = appendSamples(previous.samples, currentSamples(report.findings), now);
  const growth = growthFindings(name, samples, currentSamples(report.findings), now);
  const boot = bootInfoOf(obs);
  const counters = restartCountersOf(obs);
  const rebooted = didReboot(previous, boot, now);
  if (rebooted) tracked.changes.reboots.push(name);
  const all: Finding[] = [
    ...report.findings,
    ...growth.findings,
    ...(previous.lastChecked ? [rebootFinding(name, previous, boot, now)] : []),
    ...restartFindings(name, previous.counters, counters),
  ];
  const findings = { ...previous.findings };
  const before = tracked.findings.length;
  for (const f of all) applyStep(findings, f, now, rules, tracked);
  attachTrendNotes(tracked.findings.slice(before), name, { ...logRateNotes(samples), ...growth.notes });
  // A probe that failed says nothing about its checks: only a complete run may resolve what it
  // no longer reports (the server's reachability and probe errors themselves always resolve).
  const complete = Object.keys(obs.probeErrors).length === 0;
  const seen = new Set(all.map((f) => f.fingerprint));
  for (const [fp, s] of Object.entries(previous.findings)) {
    const meta = fp.startsWith(`${name}/unreachable/`) || fp.startsWith(`${name}/probe-error/`);
    if (!seen.has(fp) && (complete || meta)) applyStep(findings, vanished(fp, name, s), now, rules, tracked);
  }
  forgetOld(findings, now);
  return {
    ...previous,
    server: name,
    lastRun: at,
    lastChecked: at,
    runs: previous.runs + 1,
    ...(boot.bootId !== undefined ? { bootId: boot.bootId } : {}),
    ...(boot.uptimeSeconds !== undefined ? { uptimeSeconds: boot.uptimeSeconds } : {}),
    reboots: rebooted ? [...previous.reboots, at].slice(-LIMITS.reboots) : previous.reboots,
    cursors: { ...previous.cursors, ...obs.cursors },
    findings,
    samples,
    counters: { ...previous.counters, ...counters },
  };
}

/** A fingerprint no probe reports any more (target removed from the config, or now fine). */
function vanished(fingerprint: string, server: string, s: FindingState): Finding {
  const [, check = '', ...rest] = fingerprint.split('/');
  const target = rest.join('/') || '-';
  return {
    fingerprint,
    server,
    check,
    target,
    severity: 'ok',
    summary: `no longer reported (was: ${s.summary})`,
  };
}

function attachTrendNotes(found: TrackedFinding[], server: string, notes: Record<string, string>): void {
  for (const f of found) {
    if (f.server !== server) continue;
    const metric = f.check.replace(/-growth$/, '').replace(/^inode$/, 'inodes');
    const note = notes[`${metric}:${f.target}`];
    if (note) f.trend = note;
  }
}

function appendSamples(
  previous: Record<string, [string, number][]>,
  current: Record<string, number>,
  now: Date,
): Record<string, [string, number][]> {
  const at = now.toISOString();
  const oldest = new Date(now.getTime() - SAMPLE_MAX_AGE_MS).toISOString();
  const out: Record<string, [string, number][]> = {};
  for (const key of new Set([...Object.keys(previous), ...Object.keys(current)])) {
    const kept = (previous[key] ?? []).filter(([t]) => t >= oldest && t !== at);
    const value = current[key];
    const next: [string, number][] = value === undefined ? kept : [...kept, [at, value]];
    if (next.length) out[key] = next.slice(-LIMITS.samples);
  }
  return out;
}

function forgetOld(findings: Record<string, FindingState>, now: Date): void {
  const cutoff = new Date(now.getTime() - FORGET_AFTER_MS).toISOString();
  for (const [fp, s] of Object.entries(findings)) {
    if (s.status === 'resolved' && s.lastSeen < cutoff) delete findings[fp];
  }
}

/** Runs one fingerprint one step and files the outcome in `tracked`. */
function applyStep(
  findings: Record<string, FindingState>,
  f: Finding,
  now: Date,
  rules: Rules,
  tracked: Tracked,
): void {
  const outcome = step(findings[f.fingerprint], f, now, rules);
  if (outcome.state) findings[f.fingerprint] = outcome.state;
  if (outcome.tracked) tracked.findings.push(outcome.tracked);
  if (outcome.resolved) tracked.resolved.push(outcome.resolved);
}

export interface StepOutcome {
  /** the fingerprint's next state; undefined when there is nothing to remember (ok and unknown) */
  state?: FindingState;
  /** the finding as this run reports it (non-ok only) */
  tracked?: TrackedFinding;
  /** set when a raised finding turned ok this run */
  resolved?: TrackedFinding;
}

/** One fingerprint, one run: the lifecycle state machine. */
export function step(prev: FindingState | undefined, f: Finding, now: Date, rules: Rules): StepOutcome {
  const at = now.toISOString();
  if (f.severity === 'ok' && !prev) return {};
  const history = [...(prev?.history ?? []), [at, f.severity] as [string, Severity]].slice(-LIMITS.history);
  const flapping = changesIn(history.slice(-rules.flap_window)) >= rules.flap_changes;
  return f.severity === 'ok'
    ? stepOk(prev as FindingState, f, at, history, flapping, rules)
    : stepBad(prev, f, at, history, flapping, rules);
}

function stepOk(
  prev: FindingState,
  f: Finding,
  at: string,
  history: [string, Severity][],
  flapping: boolean,
  rules: Rules,
): StepOutcome {
  const raised = RAISED.has(prev.status);
  // an event stays raised (quiet) until close_after_ok_runs runs passed without a new one
  if (raised && prev.event && prev.okStreak + 1 < rules.close_after_ok_runs) {
    const status = prev.status === 'new' ? 'ongoing' : prev.status;
    return { state: { ...prev, status, severity: 'ok', streak: 0, okStreak: prev.okStreak + 1, history } };
  }
  const status = raised && flapping && !prev.event ? 'flapping' : 'resolved';
  const state: FindingState = {
    ...prev,
    status,
    severity: 'ok',
    streak: 0,
    okStreak: prev.okStreak + 1,
    history,
    ...(status === 'resolved' && prev.status !== 'resolved' ? { resolvedAt: at } : {}),
  };
  if (!raised || status === 'flapping') return { state };
  const resolved: TrackedFinding = {
    ...f,
    lifecycle: 'resolved',
    firstSeen: prev.firstSeen,
    runs: prev.streak,
  };
  return { state, resolved };
}

function stepBad(
  prev: FindingState | undefined,
  f: Finding,
  at: string,
  history: [string, Severity][],
  flapping: boolean,
  rules: Rules,
): StepOutcome {
  const wasBad = prev !== undefined && prev.severity !== 'ok';
  const raised = prev !== undefined && RAISED.has(prev.status);
  const event = isEvent(f);
  const streak = wasBad ? prev.streak + 1 : 1;
  // a raised event that was quiet and fires again continues its episode (and its issue)
  const firstSeen = (wasBad || raised || prev?.status === 'flapping') && prev ? prev.firstSeen : at;
  // events are never debounced, never called flapping: each burst is news, seen in the run it happens
  const debounced = f.severity === 'warning' && !event && streak < rules.debounce_runs;
  const lifecycle = event
    ? raised && wasBad
      ? 'ongoing'
      : 'new'
    : flapping
      ? 'flapping'
      : raised
        ? 'ongoing'
        : debounced
          ? 'pending'
          : 'new';
  const state: FindingState = {
    status: lifecycle,
    severity: f.severity,
    firstSeen,
    lastSeen: at,
    streak,
    okStreak: 0,
    history,
    summary: f.summary,
    ...(prev?.resolvedAt ? { resolvedAt: prev.resolvedAt } : {}),
    ...(event ? { event } : {}),
  };
  return { state, tracked: { ...f, ...(event ? { event } : {}), lifecycle, firstSeen, runs: streak } };
}

/** Status changes between consecutive runs (ok ↔ warning ↔ critical). */
export function changesIn(history: readonly [string, Severity][]): number {
  let changes = 0;
  for (let i = 1; i < history.length; i++) {
    if (history[i]?.[1] !== history[i - 1]?.[1]) changes++;
  }
  return changes;
}

function summarize(tracked: Tracked): void {
  const c = tracked.changes;
  for (const f of tracked.findings) {
    if (f.lifecycle === 'new') c.new.push(f.fingerprint);
    if (f.lifecycle === 'flapping') c.flapping.push(f.fingerprint);
    if ((f.lifecycle === 'ongoing' || f.lifecycle === 'flapping') && f.runs >= 3) {
      c.stillFailing.push({ fingerprint: f.fingerprint, runs: f.runs });
    }
    if (f.trend && f.lifecycle !== 'pending') c.trends.push({ fingerprint: f.fingerprint, note: f.trend });
  }
  c.resolved = tracked.resolved.map((f) => f.fingerprint);
}
