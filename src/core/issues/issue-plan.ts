/**
 * What GitHub's issues should look like after this run, decided purely from the run record and the
 * issues found by their hidden markers (docs/architecture.md#github); `github/issues.ts` executes
 * the plan. Beside it: which issue a finding goes to (issue-groups.ts), what an issue says
 * (issue-body.ts), its markers (issue-markers.ts) and labels (issue-labels.ts).
 *
 * Rules, in order of importance:
 * - never a duplicate: one issue per key (a fingerprint, or `fleet/<check>/<target>` when the same
 *   check fails on many servers); found again by the marker `<!-- claudeops:fingerprint=KEY -->`;
 * - never a comment storm: at most one comment per issue per run, and only on a meaningful change
 *   (opened again, severity changed, an action taken, a new diagnosis, servers joined);
 * - a quiet run writes nothing: an issue whose state has not changed is left alone;
 * - an issue closes after `close_after_ok_runs` consecutive ok runs of every finding it tracks,
 *   and a closed issue is reopened when its problem recurs within `reopen_within`;
 * - one fleet issue per check and target across matrix shards: every shard reads the others'
 *   state files, so servers failing in any shard count towards `fleet_issue_min_servers`, a
 *   server's own issue is folded into the fleet issue once there is one, and the fleet issue
 *   closes when the last server (in whichever shard) recovered;
 * - an unreachable server never "recovers" its other checks; a server of another shard counts by
 *   the state its own shard recorded.
 */
import type { Config } from '../../config/schema.js';
import type { ServerState } from '../memory/memory.js';
import type { IssueSnapshot, IssueUpdate } from '../ports/index.js';
import { mdCode, mdInline } from '../render/untrusted-text.js';
import type { ActionRecord, Diagnosis, RunRecord, TrackedFinding } from '../run-record.js';
import { raisedFindings } from '../status.js';
import type { Severity } from '../types.js';
import { formatDuration } from '../util/duration.js';
import {
  actionLine,
  diagnosisBlock,
  type IssueLinks,
  renderComment,
  renderIssueBody,
  runFooter,
  titleFor,
} from './issue-body.js';
import {
  fleetKey,
  groupFindings,
  type IssueGroup,
  indexIssues,
  raisedElsewhere,
  serverOf,
  worstSeverity,
} from './issue-groups.js';
import { labelsFor } from './issue-labels.js';
import { type IssueMemo, keyOf, markedKey, memoOf } from './issue-markers.js';

export type IssueOp =
  | { kind: 'create'; key: string; title: string; body: string; labels: string[] }
  | { kind: 'update'; key: string; number: number; update: IssueUpdate; comment?: string };

export interface IssuePlanOptions extends IssueLinks {
  github: Config['github'];
  now: Date;
  /** redaction applied to every body and comment (evidence is server text) */
  redact: (text: string) => string;
  /**
   * State files of every server on the state branch (other shards' servers included): their raised
   * findings count towards fleet issues, their ok streaks close them.
   */
  fleetStates?: Record<string, ServerState>;
}

export interface IssuePlan {
  ops: IssueOp[];
  /** every label the ops set, so they can be created (with colors) before use */
  labels: string[];
}

export function planIssues(record: RunRecord, issues: IssueSnapshot[], options: IssuePlanOptions): IssuePlan {
  const byKey = indexIssues(issues);
  const raised = raisedFindings(record);
  const checked = new Set(record.servers.map((s) => s.server.name));
  const elsewhere = raisedElsewhere(options.fleetStates ?? {}, checked, options.now);
  const rootOf = new Map(
    (record.incidents ?? []).flatMap((i) => [i.key, ...i.dependants].map((fp) => [fp, i.key] as const)),
  );
  const groups = groupFindings(raised, byKey, options.github.fleet_issue_min_servers, elsewhere, rootOf);
  const ops: IssueOp[] = [];
  const active = new Set(groups.map((g) => markedKey(g.key)));
  for (const group of groups) {
    const op = planGroup(record, group, byKey.get(markedKey(group.key)), options);
    if (op) ops.push(op);
  }
  const raisedFingerprints = new Set(raised.map((f) => f.fingerprint));
  const fleetGroups = new Map(groups.filter((g) => g.fleet).map((g) => [g.key, g]));
  const servers = [...checked, ...Object.keys(options.fleetStates ?? {})];
  const inFleet = (key: string) => {
    const server = serverOf(servers, key);
    if (!server || key.startsWith('fleet/')) return undefined;
    const [check = '', ...rest] = key.slice(server.length + 1).split('/');
    return fleetGroups.get(fleetKey(check, rest.join('/')));
  };
  const inIncident = (key: string) => groups.find((g) => g.dependants?.includes(key));
  for (const [key, issue] of byKey) {
    if (issue.state !== 'open' || active.has(key)) continue;
    const op =
      planFolded(record, key, issue, inFleet, options) ??
      planFolded(record, key, issue, inIncident, options) ??
      planClose(record, key, issue, raisedFingerprints, options);
    if (op) ops.push(op);
  }
  ops.push(...planDuplicates(issues, byKey, options));
  const labels = new Set<string>();
  for (const op of ops)
    for (const l of op.kind === 'create' ? op.labels : (op.update.labels ?? [])) labels.add(l);
  return { ops, labels: [...labels].sort() };
}

function diagnosesFor(record: RunRecord, fingerprints: Set<string>): Diagnosis[] {
  return record.diagnoses.filter((d) => fingerprints.has(d.fingerprint));
}

/** Actions worth telling an issue about: something ran, or a human is asked to approve. */
function actionsFor(record: RunRecord, fingerprints: Set<string>): ActionRecord[] {
  return record.actions.filter(
    (a) =>
      a.fingerprint !== undefined &&
      fingerprints.has(a.fingerprint) &&
      (a.decision === 'execute' || a.decision === 'needs-approval'),
  );
}

function diagnosisHash(diagnoses: Diagnosis[]): string | undefined {
  if (diagnoses.length === 0) return undefined;
  let h = 0x811c9dc5;
  for (const ch of diagnoses.map((d) => `${d.fingerprint}:${d.rootCause}:${d.nextStep}`).join('\n')) {
    h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  }
  return h.toString(16);
}

function planGroup(
  record: RunRecord,
  group: IssueGroup,
  issue: IssueSnapshot | undefined,
  o: IssuePlanOptions,
): IssueOp | undefined {
  const fingerprints = new Set(group.findings.map((f) => f.fingerprint));
  const diagnoses = diagnosesFor(record, fingerprints);
  const actions = actionsFor(record, fingerprints);
  const severity = worstSeverity(group.findings);
  const old = issue ? memoOf(issue.body) : undefined;
  const reopen = issue?.state === 'closed' && withinReopenWindow(issue, o);
  const fresh = !issue || (issue.state === 'closed' && !reopen);
  const since = !fresh && !reopen && old ? old.since : earliest(group.findings);
  const memo: IssueMemo = {
    severity,
    since,
    diagnosis: diagnosisHash(diagnoses) ?? old?.diagnosis,
    members: [...new Set([...(fresh || reopen ? [] : (old?.members ?? [])), ...fingerprints])].sort(),
  };
  const ack = record.incidents?.find((i) => i.key === group.key)?.ack;
  const body = o.redact(renderIssueBody(record, group, memo, diagnoses, actions, o, ack));
  const labels = labelsFor(group, severity, o.github.labels, issue?.labels ?? [], ack !== undefined);
  const title = titleFor(group, severity);
  if (fresh) return { kind: 'create', key: group.key, title, body, labels };
  if (!issue) return undefined;
  const changes = reopen
    ? [`Recurred (closed ${issue.closedAt ?? 'earlier'}).`, ...actions.map(actionLine)]
    : [...changesSince(old, memo, severity, diagnoses, actions, fingerprints), ...newEvents(group, old)];
  const rechecked = (record.reevaluated ?? []).filter((r) => r.root === group.key);
  if (rechecked.length > 0)
    changes.push(
      `Re-checked after the fix of the root: ${rechecked.map((r) => `${mdCode(r.fingerprint)} ${r.severity === 'ok' ? 'ok again' : `still ${r.severity} (planned on its own)`}`).join(', ')}.`,
    );
  // docs/alerting.md#acknowledge: what the issue's comments and label changed, confirmed once
  const confirmation = record.acks?.find(
    (a) => a.key === group.key && a.issue === issue.number,
  )?.confirmation;
  if (confirmation) changes.push(confirmation);
  const relabelled = [...labels].sort().join('\n') !== [...issue.labels].sort().join('\n');
  if (changes.length === 0 && !relabelled) return undefined;
  const update: IssueUpdate = { body, labels, ...(title !== issue.title ? { title } : {}) };
  if (reopen) Object.assign(update, { state: 'open', stateReason: 'reopened' });
  return {
    kind: 'update',
    key: group.key,
    number: issue.number,
    update,
    ...(changes.length > 0 ? { comment: o.redact(renderComment(record, changes, actions, o)) } : {}),
  };
}

function earliest(findings: TrackedFinding[]): string {
  return findings.map((f) => f.firstSeen).sort()[0] ?? new Date(0).toISOString();
}

function withinReopenWindow(issue: IssueSnapshot, o: IssuePlanOptions): boolean {
  const closed = issue.closedAt ? Date.parse(issue.closedAt) : Number.NaN;
  return Number.isFinite(closed) && o.now.getTime() - closed <= o.github.reopen_within;
}

function changesSince(
  old: IssueMemo | undefined,
  memo: IssueMemo,
  severity: Severity,
  diagnoses: Diagnosis[],
  actions: ActionRecord[],
  fingerprints: Set<string>,
): string[] {
  const changes: string[] = [];
  if (!old || old.severity !== severity)
    changes.push(`Severity ${old?.severity ?? 'unknown'} → **${severity}**.`);
  if (diagnoses.length > 0 && memo.diagnosis !== old?.diagnosis) {
    for (const d of diagnoses) changes.push(`New diagnosis for ${diagnosisBlock(d)}`);
  }
  const joined = [...fingerprints].filter((f) => !(old?.members ?? []).includes(f));
  if (old && old.members.length > 0 && joined.length > 0)
    changes.push(`Now also failing: ${joined.map((f) => mdCode(f)).join(', ')}.`);
  for (const a of actions) changes.push(actionLine(a));
  return changes;
}

/** An event that fired again on an open issue is news even at the same severity. */
function newEvents(group: IssueGroup, old: IssueMemo | undefined): string[] {
  if (!old) return [];
  return group.findings
    .filter((f) => f.event && f.lifecycle === 'new' && old.members.includes(f.fingerprint))
    .map(
      (f) =>
        `New events on ${mdInline(f.server)}: ${mdInline(f.summary)}${f.trend ? ` (${mdInline(f.trend)})` : ''}.`,
    );
}

/**
 * A model's diagnosis as an issue shows it: the finding and confidence in the code's words, the
 * model's root cause and next step only inside a labelled quote (list-item indented).
 */
/**
 * A server's own issue whose finding is now tracked by a fleet issue, or by the issue of the
 * incident whose root causes it: closed, pointing there.
 */
function planFolded(
  record: RunRecord,
  key: string,
  issue: IssueSnapshot,
  inFleet: (key: string) => IssueGroup | undefined,
  o: IssuePlanOptions,
): IssueOp | undefined {
  const group = inFleet(key);
  if (!group) return undefined;
  const title = titleFor(group, worstSeverity(group.findings));
  const where = group.fleet
    ? `Now tracked in the fleet-wide issue "${title}" (${group.key}).`
    : `Caused by ${mdCode(group.key)}: now tracked, with the other findings it causes, in the issue "${title}".`;
  return {
    kind: 'update',
    key,
    number: issue.number,
    update: { state: 'closed', stateReason: 'completed' },
    comment: o.redact([where, ...runFooter(record, o)].join('\n\n')),
  };
}

/**
 * Two shards that opened the same issue at the same moment: the oldest open one stays (the index
 * picks it), every other open issue with that key is closed as its duplicate.
 */
function planDuplicates(
  issues: IssueSnapshot[],
  byKey: Map<string, IssueSnapshot>,
  o: IssuePlanOptions,
): IssueOp[] {
  const ops: IssueOp[] = [];
  for (const issue of issues) {
    const key = keyOf(issue.body);
    const kept = key ? byKey.get(key) : undefined;
    if (!key || !kept || issue.state !== 'open' || kept.number === issue.number) continue;
    ops.push({
      kind: 'update',
      key,
      number: issue.number,
      update: { state: 'closed', stateReason: 'completed' },
      comment: o.redact(`Duplicate of #${kept.number} (opened by a parallel shard at the same time).`),
    });
  }
  return ops;
}

/**
 * An open issue with nothing raised: close it when every finding it tracks was seen ok, on a server
 * this run reached, for `close_after_ok_runs` consecutive runs. A member on another shard's server
 * counts by the state that shard recorded.
 */
function planClose(
  record: RunRecord,
  key: string,
  issue: IssueSnapshot,
  raised: Set<string>,
  o: IssuePlanOptions,
): IssueOp | undefined {
  const memo = memoOf(issue.body);
  const members = memo && memo.members.length > 0 ? memo.members : [key];
  if (members.some((fp) => raised.has(fp))) return undefined;
  const reached = new Set(record.servers.filter((s) => s.observation.reachable).map((s) => s.server.name));
  const checked = new Set(record.servers.map((s) => s.server.name));
  const states = { ...(o.fleetStates ?? {}), ...record.serverStates };
  const streaks: number[] = [];
  for (const fp of members) {
    const server = serverOf(Object.keys(states), fp) ?? serverOf([...checked], fp);
    if (!server || (checked.has(server) ? !reached.has(server) : !states[server])) return undefined;
    const state = states[server]?.findings[fp];
    // a finding memory no longer tracks has gone away entirely (check removed): nothing to wait for
    streaks.push(state ? state.okStreak : o.github.close_after_ok_runs);
  }
  const okRuns = Math.min(...streaks);
  if (okRuns < o.github.close_after_ok_runs) return undefined;
  const lasted = memo ? formatDuration(o.now.getTime() - Date.parse(memo.since)) : undefined;
  const comment = [
    `✅ Resolved${lasted ? ` after ${lasted}` : ''}: ok for ${okRuns} consecutive run${okRuns === 1 ? '' : 's'}.`,
    ...runFooter(record, o),
  ].join('\n\n');
  return {
    kind: 'update',
    key,
    number: issue.number,
    update: { state: 'closed', stateReason: 'completed' },
    comment,
  };
}
