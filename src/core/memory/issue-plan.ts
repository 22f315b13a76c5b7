/**
 * What GitHub's issues should look like after this run, decided purely from the run record and the
 * issues found by their hidden markers (docs/architecture.md#github). The GitHub module executes the plan.
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
import { cell, fence, SEVERITY_ICON, truncate } from '../render/markdown.js';
import { htmlText, mdCode, mdInline, mdQuote, oneLine, titleText } from '../render/untrusted-text.js';
import type { ActionRecord, Diagnosis, RunRecord, TrackedFinding } from '../run-record.js';
import { raisedFindings } from '../status.js';
import type { Severity } from '../types.js';
import { formatDuration } from '../util/duration.js';
import type { ServerState } from './memory.js';

/** An issue as the planner needs to see it (from GitHub's list of issues). */
export interface IssueSnapshot {
  number: number;
  state: 'open' | 'closed';
  title: string;
  body: string;
  labels: string[];
  /** ISO time; set for closed issues */
  closedAt?: string;
}

export interface IssueUpdate {
  title?: string;
  body?: string;
  labels?: string[];
  state?: 'open' | 'closed';
  stateReason?: 'completed' | 'reopened';
}

export type IssueOp =
  | { kind: 'create'; key: string; title: string; body: string; labels: string[] }
  | { kind: 'update'; key: string; number: number; update: IssueUpdate; comment?: string };

export interface IssuePlanOptions {
  github: Config['github'];
  now: Date;
  /** web base of state-branch files, ending in `/` (ctx.stateUrl) */
  stateUrl?: string;
  /** state-branch path of a fingerprint's issue file */
  issueFile?: (fingerprint: string) => string;
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

/** What an issue remembers in its body about what it last told people. */
export interface IssueMemo {
  severity: Severity;
  /** ISO time the problem started (for "resolved after X") */
  since: string;
  /** hash of the diagnoses last shown */
  diagnosis?: string;
  /** fingerprints tracked (a fleet issue's members) */
  members: string[];
}

export const MANAGED_LABEL = 'claudeops';
export const FLEET_LABEL = 'fleet';
export const MAINTENANCE_LABEL = 'maintenance';
const MAX_BODY = 60_000;
const MAX_EVIDENCE = 3_000;

// ---- markers ------------------------------------------------------------------------------

const MARKER_UNSAFE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what must be encoded
  /[%<>\s\u0000-\u001f\u007f-\u009f\u00ad\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff]/g;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** With `>` and whitespace escaped a key cannot end the comment early; `%` too, so decoding is exact. */
function encodeMarker(value: string): string {
  return value.replace(LONE_SURROGATE, '\ufffd').replace(MARKER_UNSAFE, (c) => encodeURIComponent(c));
}

export function keyMarker(key: string): string {
  return `<!-- claudeops:fingerprint=${encodeMarker(key)} -->`;
}

export function keyOf(body: string): string | undefined {
  const m = /<!-- claudeops:fingerprint=(\S+) -->/.exec(body);
  if (!m?.[1]) return undefined;
  try {
    return decodeURIComponent(m[1]);
  } catch {
    return undefined;
  }
}

function memoMarker(memo: IssueMemo): string {
  return `<!-- claudeops:state=${Buffer.from(JSON.stringify(memo)).toString('base64')} -->`;
}

export function memoOf(body: string): IssueMemo | undefined {
  const m = /<!-- claudeops:state=([A-Za-z0-9+/=]+) -->/.exec(body);
  if (!m?.[1]) return undefined;
  try {
    const memo = JSON.parse(Buffer.from(m[1], 'base64').toString('utf8')) as Partial<IssueMemo>;
    if (typeof memo.severity !== 'string' || typeof memo.since !== 'string') return undefined;
    return {
      severity: memo.severity,
      since: memo.since,
      diagnosis: memo.diagnosis,
      members: memo.members ?? [],
    };
  } catch {
    return undefined;
  }
}

// ---- grouping -----------------------------------------------------------------------------

interface Group {
  key: string;
  fleet: boolean;
  findings: TrackedFinding[];
  /** (fleet) servers failing it in other shards, by their state files */
  elsewhere?: string[];
}

/** One key per check and target for the whole fleet, whichever shard sees it. */
export function fleetKey(check: string, target: string): string {
  return `fleet/${check}/${target}`;
}

/** How long another shard's record of a raised finding counts (a removed server stops counting). */
const ELSEWHERE_FRESH_MS = 36 * 3_600_000;

/**
 * Fleet keys → servers raising that finding according to the state files of servers this run did
 * not check (the other shards'), recorded recently.
 */
export function raisedElsewhere(
  states: Record<string, ServerState>,
  checked: ReadonlySet<string>,
  now: Date,
): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const [server, state] of Object.entries(states)) {
    if (checked.has(server)) continue;
    for (const [fp, f] of Object.entries(state.findings)) {
      if (f.severity === 'ok' || f.status === 'pending' || f.status === 'resolved') continue;
      if (now.getTime() - Date.parse(f.lastSeen) > ELSEWHERE_FRESH_MS) continue;
      if (!fp.startsWith(`${server}/`)) continue;
      const [check = '', ...rest] = fp.slice(server.length + 1).split('/');
      const key = fleetKey(check, rest.join('/'));
      out.set(key, (out.get(key) ?? new Set()).add(server));
    }
  }
  return out;
}

/** Indexes issues by key: the open one wins; else the most recently closed. */
export function indexIssues(issues: IssueSnapshot[]): Map<string, IssueSnapshot> {
  const byKey = new Map<string, IssueSnapshot>();
  const rank = (i: IssueSnapshot) =>
    i.state === 'open' ? `2${String(1e9 - i.number).padStart(10, '0')}` : `1${i.closedAt ?? ''}`;
  for (const issue of issues) {
    const key = keyOf(issue.body);
    if (!key) continue;
    const known = byKey.get(key);
    if (!known || rank(issue) > rank(known)) byKey.set(key, issue);
  }
  return byKey;
}

/**
 * Each raised finding goes to exactly one issue: an open fleet issue for its check, else a new
 * fleet issue when the check fails on at least `fleet_issue_min_servers` servers (in this run or,
 * per `elsewhere`, in other shards), else its own.
 */
export function groupFindings(
  findings: TrackedFinding[],
  issues: Map<string, IssueSnapshot>,
  minServers: number,
  elsewhere: Map<string, Set<string>> = new Map(),
): Group[] {
  const groups = new Map<string, Group>();
  const add = (key: string, fleet: boolean, f: TrackedFinding) => {
    const others = [...(elsewhere.get(key) ?? [])].sort();
    const group = groups.get(key) ?? {
      key,
      fleet,
      findings: [],
      ...(fleet && others.length ? { elsewhere: others } : {}),
    };
    group.findings.push(f);
    groups.set(key, group);
  };
  const serversPerCheck = new Map<string, Set<string>>();
  for (const [k, servers] of elsewhere) serversPerCheck.set(k, new Set(servers));
  for (const f of findings) {
    const k = fleetKey(f.check, f.target);
    serversPerCheck.set(k, (serversPerCheck.get(k) ?? new Set()).add(f.server));
  }
  for (const f of findings) {
    const fleet = fleetKey(f.check, f.target);
    if (issues.get(fleet)?.state === 'open' || (serversPerCheck.get(fleet)?.size ?? 0) >= minServers)
      add(fleet, true, f);
    else add(f.fingerprint, false, f);
  }
  return [...groups.values()];
}

// ---- the plan -----------------------------------------------------------------------------

export function planIssues(record: RunRecord, issues: IssueSnapshot[], options: IssuePlanOptions): IssuePlan {
  const byKey = indexIssues(issues);
  const raised = raisedFindings(record);
  const checked = new Set(record.servers.map((s) => s.server.name));
  const elsewhere = raisedElsewhere(options.fleetStates ?? {}, checked, options.now);
  const groups = groupFindings(raised, byKey, options.github.fleet_issue_min_servers, elsewhere);
  const ops: IssueOp[] = [];
  // a marker holds the key well-formed (a lone surrogate cannot be percent-encoded)
  const asMarked = (key: string) => key.replace(LONE_SURROGATE, '\ufffd');
  const active = new Set(groups.map((g) => asMarked(g.key)));
  for (const group of groups) {
    const op = planGroup(record, group, byKey.get(asMarked(group.key)), options);
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
  for (const [key, issue] of byKey) {
    if (issue.state !== 'open' || active.has(key)) continue;
    const op =
      planFolded(record, key, issue, inFleet, options) ??
      planClose(record, key, issue, raisedFingerprints, options);
    if (op) ops.push(op);
  }
  ops.push(...planDuplicates(issues, byKey, options));
  const labels = new Set<string>();
  for (const op of ops)
    for (const l of op.kind === 'create' ? op.labels : (op.update.labels ?? [])) labels.add(l);
  return { ops, labels: [...labels].sort() };
}

function worstSeverity(findings: TrackedFinding[]): Severity {
  return findings.some((f) => f.severity === 'critical') ? 'critical' : 'warning';
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
  group: Group,
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
  const body = o.redact(renderIssueBody(record, group, memo, diagnoses, actions, o));
  const labels = labelsFor(group, severity, o.github.labels, issue?.labels ?? []);
  const title = titleFor(group, severity);
  if (fresh) return { kind: 'create', key: group.key, title, body, labels };
  if (!issue) return undefined;
  const changes = reopen
    ? [`Recurred (closed ${issue.closedAt ?? 'earlier'}).`, ...actions.map(actionLine)]
    : [...changesSince(old, memo, severity, diagnoses, actions, fingerprints), ...newEvents(group, old)];
  if (changes.length === 0) return undefined;
  const update: IssueUpdate = { body, labels, ...(title !== issue.title ? { title } : {}) };
  if (reopen) Object.assign(update, { state: 'open', stateReason: 'reopened' });
  return {
    kind: 'update',
    key: group.key,
    number: issue.number,
    update,
    comment: o.redact(renderComment(record, changes, actions, o)),
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
function newEvents(group: Group, old: IssueMemo | undefined): string[] {
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
function diagnosisBlock(d: Diagnosis): string {
  const quote = mdQuote(
    '  _Written by the model, not verified by code:_',
    `Root cause: ${d.rootCause}\nNext step: ${d.nextStep}`,
  );
  return `${mdCode(d.fingerprint)} (${mdInline(d.confidence)} confidence):\n\n${quote.replace(/\n/g, '\n  ')}`;
}

/** The reason a model gave for a proposal, as a labelled quote under its list item. */
function reasonBlock(a: ActionRecord): string {
  return `\n\n${mdQuote('  _Reason given (model text, not verified by code):_', a.reason).replace(/\n/g, '\n  ')}`;
}

function actionLine(a: ActionRecord): string {
  const params = Object.entries(a.params)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  const what = `${mdCode(`${a.action}${params ? ` ${params}` : ''}`)} on ${mdInline(a.server)}`;
  if (a.decision === 'needs-approval') return `Proposed ${what}: needs approval.${reasonBlock(a)}`;
  // docs/architecture.md#remediation: the run whose failed fix opens the breaker says so on the issue
  const breaker = a.verification?.includes('Circuit breaker now OPEN')
    ? ' Circuit breaker now open: no more automatic tries; a human must look.'
    : '';
  const outcome =
    a.outcome === 'unverified' ? 'unverified (not proven fixed: counted as a failure)' : a.outcome;
  return `Ran ${what}: ${outcome ?? 'no outcome'}${a.exitCode !== undefined && a.exitCode !== null ? ` (exit ${a.exitCode})` : ''}.${breaker}`;
}

/** A server's own issue whose finding is now tracked by a fleet issue: closed, pointing there. */
function planFolded(
  record: RunRecord,
  key: string,
  issue: IssueSnapshot,
  inFleet: (key: string) => Group | undefined,
  o: IssuePlanOptions,
): IssueOp | undefined {
  const group = inFleet(key);
  if (!group) return undefined;
  const fleet = titleFor(group, worstSeverity(group.findings));
  return {
    kind: 'update',
    key,
    number: issue.number,
    update: { state: 'closed', stateReason: 'completed' },
    comment: [`Now tracked in the fleet-wide issue "${fleet}" (${group.key}).`, ...runFooter(record, o)].join(
      '\n\n',
    ),
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

/** The server a fingerprint belongs to: the fingerprint starts with one of these server names. */
function serverOf(servers: readonly string[], fingerprint: string): string | undefined {
  const names = [...servers].sort((a, b) => b.length - a.length);
  return names.find((n) => fingerprint.startsWith(`${n}/`));
}

// ---- rendering ----------------------------------------------------------------------------

function titleFor(group: Group, severity: Severity): string {
  const first = group.findings[0];
  if (!first) return `[${severity}] claudeops`;
  if (!group.fleet) return titleText(`[${severity}] ${first.server}: ${first.summary}`, 240);
  const servers = serversOf(group).length;
  return titleText(
    `[${severity}] ${first.check} ${first.target === '-' ? '' : `${first.target} `}failing on ${servers} servers`,
    240,
  );
}

/** Every server a group is about: this run's, and (fleet) the other shards'. */
function serversOf(group: Group): string[] {
  return [...new Set([...group.findings.map((f) => f.server), ...(group.elsewhere ?? [])])].sort();
}

function labelsFor(group: Group, severity: Severity, configured: string[], existing: string[]): string[] {
  const ours = (l: string) =>
    l === MANAGED_LABEL ||
    l === FLEET_LABEL ||
    l.startsWith('severity:') ||
    l.startsWith('server:') ||
    configured.includes(l);
  const servers = serversOf(group).map((s) => `server:${s}`);
  const wanted = [
    MANAGED_LABEL,
    `severity:${severity}`,
    ...(group.fleet ? [FLEET_LABEL] : []),
    ...servers,
    ...configured,
  ];
  // labels people added by hand stay
  return [...new Set([...existing.filter((l) => !ours(l)), ...wanted])];
}

function link(o: IssuePlanOptions, path: string | undefined, text: string): string | undefined {
  if (!path) return undefined;
  return o.stateUrl
    ? `[${mdInline(text)}](${o.stateUrl}${path.split('/').map(encodeURIComponent).join('/')})`
    : `${mdInline(text)}: ${mdInline(path)}`;
}

function runFooter(record: RunRecord, o: IssuePlanOptions): string[] {
  const report = link(o, record.reportPath, 'health report');
  return [`<sub>ClaudeOps run ${record.runId}${report ? ` · ${report}` : ''}</sub>`];
}

function renderIssueBody(
  record: RunRecord,
  group: Group,
  memo: IssueMemo,
  diagnoses: Diagnosis[],
  actions: ActionRecord[],
  o: IssuePlanOptions,
): string {
  const parts = [keyMarker(group.key), memoMarker(memo), ''];
  parts.push(
    `${SEVERITY_ICON[memo.severity] ?? ''} **${mdInline(memo.severity)}** since ${mdInline(memo.since)}`,
    '',
  );
  parts.push('| server | check | target | severity | summary | first seen |', '|---|---|---|---|---|---|');
  for (const f of group.findings) {
    parts.push(
      `| ${cell(f.server)} | ${cell(f.check)} | ${cell(f.target)} | ${f.severity} | ${cell(f.summary)}${f.trend ? ` (${cell(f.trend)})` : ''} | ${cell(f.firstSeen)} |`,
    );
  }
  if (group.elsewhere?.length)
    parts.push(
      '',
      `Also failing on servers checked by other shards: ${group.elsewhere.map(cell).join(', ')}.`,
    );
  parts.push('', '### Evidence', '');
  const withEvidence = group.findings.filter((f) => f.evidence);
  if (withEvidence.length === 0) parts.push('_No raw output was captured for these findings._');
  for (const f of withEvidence) {
    parts.push(
      `<details><summary>${htmlText(oneLine(f.fingerprint, 300))}</summary>`,
      '',
      fence(truncate(f.evidence ?? '', MAX_EVIDENCE)),
      '',
      '</details>',
      '',
    );
  }
  parts.push('', `### Diagnosis (${record.planner.kind})`, '');
  if (diagnoses.length === 0) parts.push(`_None this run: ${mdInline(record.planner.reason)}._`);
  for (const d of diagnoses) {
    parts.push(`- ${diagnosisBlock(d)}`);
    if (d.evidence) parts.push('', fence(truncate(d.evidence, MAX_EVIDENCE)));
  }
  parts.push('', '### Actions', '');
  if (actions.length === 0) parts.push('_No action was taken this run._');
  for (const a of actions) {
    const log = link(o, a.path, 'log');
    parts.push(`- ${actionLine(a)}${log ? ` ${log}` : ''}`);
  }
  parts.push('', '### Records', '');
  for (const fp of memo.members) {
    const file = link(o, o.issueFile?.(fp), `issues/ file for ${fp}`);
    if (file) parts.push(`- ${file}`);
  }
  parts.push('', ...runFooter(record, o));
  return truncate(parts.join('\n'), MAX_BODY);
}

function renderComment(
  record: RunRecord,
  changes: string[],
  actions: ActionRecord[],
  o: IssuePlanOptions,
): string {
  const lines = changes.map((c) => `- ${c}`);
  for (const a of actions) {
    const log = link(o, a.path, `log of ${a.action}`);
    if (log) lines.push(`- ${log}`);
  }
  return [...lines, '', ...runFooter(record, o)].join('\n');
}

// ---- maintenance ----------------------------------------------------------------------------

/** A maintenance window in the config's shape, so the policy gate treats both alike. */
export interface MaintenanceWindow {
  servers: string[];
  from: string;
  to: string;
  reason?: string;
}

/**
 * Maintenance declared by open issues labelled `maintenance` (Upptime-style): servers named by
 * `server:NAME` labels, or in the body by lines `servers: a, b` / `expectedDown: a, b`, with an
 * optional `start:` / `end:` ISO window (open-ended: while the issue is open). The policy gate
 * suppresses actions on them exactly as for the config's `maintenance:` windows.
 */
export function maintenanceWindows(issues: IssueSnapshot[], now: Date): MaintenanceWindow[] {
  const windows: MaintenanceWindow[] = [];
  for (const issue of issues) {
    if (issue.state !== 'open' || !issue.labels.includes(MAINTENANCE_LABEL)) continue;
    const names = new Set<string>();
    for (const l of issue.labels) if (l.startsWith('server:') && l.length > 7) names.add(l.slice(7));
    for (const m of issue.body.matchAll(/^\s*(?:servers|expectedDown)\s*:\s*(.+)$/gim)) {
      for (const n of (m[1] ?? '').split(/[\s,]+/)) if (n) names.add(n);
    }
    if (names.size === 0) continue;
    // open-ended sides: from a moment ago, to a day ahead (re-read every run while the issue is open)
    const from = timeField(issue.body, 'start') ?? now.getTime() - 1000;
    const to = timeField(issue.body, 'end') ?? now.getTime() + 86_400_000;
    if (from > now.getTime() || to <= now.getTime()) continue;
    windows.push({
      servers: [...names].sort(),
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      reason: `maintenance issue #${issue.number}`,
    });
  }
  return windows;
}

function timeField(body: string, field: string): number | undefined {
  const m = new RegExp(`^\\s*${field}\\s*:\\s*(\\S+)\\s*$`, 'im').exec(body);
  const t = m?.[1] ? Date.parse(m[1]) : Number.NaN;
  return Number.isFinite(t) ? t : undefined;
}
