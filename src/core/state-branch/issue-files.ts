import type { Memory } from '../memory/memory.js';
import { mdCode, mdInline, mdInlineDecode } from '../render/untrusted-text.js';
import type { RunRecord, TrackedFinding } from '../run-record.js';
import type { FileChange } from '../types.js';
import { formatDuration } from '../util/duration.js';
import { parseDocument, renderFrontMatter } from './front-matter.js';
import { issuePath } from './paths.js';

export interface IssueMeta {
  fingerprint: string;
  status: 'open' | 'resolved';
  severity: string;
  servers: string[];
  check: string;
  target: string;
  first_seen: string;
  last_seen: string;
  updated: string;
}

export interface IssueDoc {
  meta: IssueMeta;
  summary: string;
  /** "- <iso> — <event>" lines, oldest first */
  history: string[];
}

const HISTORY_HEADING = '## History';

export function renderIssueFile(doc: IssueDoc): string {
  const { meta } = doc;
  const title = `# ${mdInline(`${meta.servers.join(', ')}: ${meta.check}${meta.target === '-' ? '' : ` ${meta.target}`}`)}`;
  const state = meta.status === 'open' ? `open (${meta.severity})` : 'resolved';
  return [
    renderFrontMatter(meta),
    title,
    `**Status: ${mdInline(state)}** — ${mdInline(doc.summary)}`,
    `First seen ${mdInline(meta.first_seen)}, last seen ${mdInline(meta.last_seen)}. Fingerprint ${mdCode(meta.fingerprint)}.`,
    `${HISTORY_HEADING}\n\n${doc.history.join('\n')}`,
  ]
    .join('\n\n')
    .concat('\n');
}

/**
 * Reads an issue file back; undefined when it is not one (hand-edited beyond recognition).
 * `parsed`: its front matter as memory parsed it when loading (not parsed again).
 */
export function parseIssueFile(text: string, parsed?: Record<string, unknown>): IssueDoc | undefined {
  const meta = parsed ?? validMeta(text);
  if (!meta || !isMeta(meta)) return undefined;
  const summary = mdInlineDecode(/^\*\*Status: [^*]*\*\* — (.*)$/m.exec(text)?.[1] ?? '');
  const after = text.split(`${HISTORY_HEADING}\n`)[1] ?? '';
  const history = after.split('\n').filter((line) => line.startsWith('- '));
  return { meta, summary, history };
}

function validMeta(text: string): Record<string, unknown> | undefined {
  const { meta, valid } = parseDocument(text);
  return valid ? meta : undefined;
}

function isMeta(v: unknown): v is IssueMeta {
  if (typeof v !== 'object' || v === null) return false;
  const m = v as Record<string, unknown>;
  return (
    typeof m.fingerprint === 'string' &&
    (m.status === 'open' || m.status === 'resolved') &&
    Array.isArray(m.servers) &&
    typeof m.first_seen === 'string' &&
    typeof m.updated === 'string'
  );
}

/** Is this issue file open? (Memory keeps only the open ones.) */
export function isOpenIssue(text: string, parsed?: Record<string, unknown>): boolean {
  return parseIssueFile(text, parsed)?.meta.status === 'open';
}

/**
 * Two versions of one issue file (two runs, or a reopened issue whose earlier history lives only
 * on the branch): the later update's front matter, the earliest first seen, every history line.
 */
export function mergeIssueFiles(ours: string, theirs: string): string {
  const a = parseIssueFile(ours);
  const b = parseIssueFile(theirs);
  if (!a || !b) return ours;
  const top = b.meta.updated > a.meta.updated ? b : a;
  const history = [...new Set([...b.history, ...a.history])].sort();
  const first = [a.meta.first_seen, b.meta.first_seen].sort()[0] ?? a.meta.first_seen;
  return renderIssueFile({ ...top, meta: { ...top.meta, first_seen: first }, history });
}

type Event = { finding: TrackedFinding; line: string; status: IssueMeta['status']; lastSeen?: string };

/** The issue files this run changes, one per fingerprint whose story moved on. */
export function issueFileChanges(record: RunRecord, memory: Memory): FileChange[] {
  const at = record.finishedAt ?? record.startedAt;
  const open = new Map(memory.openIssues.map((f) => [f.path, f.content]));
  // several events of one run on one issue (opened, then its fix opened the breaker) add up
  const docs = new Map<string, IssueDoc>();
  // files named before names were bounded move to their bounded path (same fingerprint, same story)
  const moved: FileChange[] = [];
  // each open issue read once, from the front matter memory parsed
  const read = new Map<string, IssueDoc>();
  for (const file of memory.openIssues) {
    const doc = parseIssueFile(file.content, file.meta);
    if (!doc) continue;
    const path = issuePath(doc.meta.fingerprint);
    if (path === file.path) {
      read.set(path, doc);
      continue;
    }
    moved.push({ path: file.path });
    open.set(path, file.content);
    docs.set(path, doc);
  }
  for (const event of eventsOf(record, memory)) {
    const path = issuePath(event.finding.fingerprint);
    const existing = open.get(path);
    const before = docs.get(path) ?? read.get(path) ?? (existing ? parseIssueFile(existing) : undefined);
    if (before && repeatsLast(before.history, event.line)) continue;
    docs.set(path, nextDoc(before, event, at));
  }
  return [...moved, ...[...docs].map(([path, doc]) => ({ path, content: renderIssueFile(doc) }))];
}

function eventsOf(record: RunRecord, memory: Memory): Event[] {
  const run = `(run ${record.runId})`;
  const events: Event[] = [];
  for (const f of record.findings) {
    const prev = memory.servers[f.server]?.findings[f.fingerprint];
    const stamp = f.lifecycle === 'new' ? f.firstSeen : (record.finishedAt ?? record.startedAt);
    if (f.lifecycle === 'new') {
      events.push({
        finding: f,
        status: 'open',
        line: `- ${stamp} — opened (${f.severity}): ${mdInline(f.summary)} ${run}`,
      });
    } else if (f.lifecycle === 'flapping' && prev?.status !== 'flapping') {
      const line = `- ${stamp} — flapping (${f.severity}): status keeps changing; updates suppressed until it settles ${run}`;
      events.push({ finding: f, status: 'open', line });
    } else if (f.lifecycle === 'ongoing' && prev && prev.severity !== 'ok' && prev.severity !== f.severity) {
      const line = `- ${stamp} — severity ${prev.severity} → ${f.severity}: ${mdInline(f.summary)} ${run}`;
      events.push({ finding: f, status: 'open', line });
    }
  }
  for (const f of record.resolved) {
    const took = Date.parse(record.startedAt) - Date.parse(f.firstSeen);
    const after = Number.isFinite(took) && took > 0 ? ` after ${formatDuration(took)}` : '';
    const line = `- ${record.startedAt} — resolved${after}: ${mdInline(f.summary)} ${run}`;
    const lastSeen = memory.servers[f.server]?.findings[f.fingerprint]?.lastSeen;
    events.push({ finding: f, status: 'resolved', line, ...(lastSeen ? { lastSeen } : {}) });
  }
  events.push(...decisionEvents(record, run), ...breakerEvents(record, memory, run));
  return events;
}

/** One line of text from model or server output, bounded and escaped: history lines stay one line each. */
function oneLine(text: string, max = 400): string {
  return mdInline(text, max);
}

/**
 * The run's diagnoses and the actions it ran or proposed, on the issue of the finding they are
 * about: the issue's history is what a later run (and its model) reads as "what we thought and
 * did last time".
 */
function decisionEvents(record: RunRecord, run: string): Event[] {
  const at = record.finishedAt ?? record.startedAt;
  const raised = new Map(record.findings.filter((f) => f.severity !== 'ok').map((f) => [f.fingerprint, f]));
  const events: Event[] = [];
  for (const d of record.diagnoses) {
    const f = raised.get(d.fingerprint);
    if (!f) continue;
    const line = `- ${at} — diagnosis (${oneLine(d.by ?? 'rules')}, ${oneLine(d.confidence)} confidence): ${oneLine(d.rootCause)} Next: ${oneLine(d.nextStep, 200)} ${run}`;
    events.push({ finding: f, status: 'open', line });
  }
  for (const a of record.actions) {
    const f = a.fingerprint ? raised.get(a.fingerprint) : undefined;
    if (!f || (a.decision !== 'execute' && a.decision !== 'needs-approval')) continue;
    const target = a.target && a.target !== '-' ? ` ${oneLine(a.target, 200)}` : '';
    const result = a.decision === 'execute' ? (a.outcome ?? 'not-run') : 'proposed for approval';
    const verified = a.verification ? `; verification: ${oneLine(a.verification, 200)}` : '';
    const line = `- ${a.at} — action ${oneLine(a.action, 100)}${target} (by ${a.requestedBy}): ${result}${verified} ${run}`;
    events.push({ finding: f, status: 'open', line });
  }
  return events;
}

/**
 * docs/architecture.md#remediation: when an automatic fix failed N times and the circuit breaker opened, the issue of the
 * finding it tried to fix says so (no more automatic tries: a human must look).
 */
function breakerEvents(record: RunRecord, memory: Memory, run: string): Event[] {
  const events: Event[] = [];
  const seen = new Set<string>();
  for (const a of record.actions) {
    const key = `${a.action}:${a.target ?? '-'}`;
    const entry = record.serverStates[a.server]?.remediation?.[key];
    const f = record.findings.find((x) => x.fingerprint === a.fingerprint);
    if (a.decision !== 'execute' || !entry?.breakerOpen || !f || f.severity === 'ok') continue;
    if (memory.servers[a.server]?.remediation?.[key]?.breakerOpen || seen.has(`${a.server}/${key}`)) continue;
    seen.add(`${a.server}/${key}`);
    const line = `- ${a.at} — circuit breaker open: ${mdInline(a.action)}${a.target && a.target !== '-' ? ` on ${mdInline(a.target)}` : ''} failed to fix this ${entry.failures} times in a row; no more automatic tries, a human must look ${run}`;
    events.push({ finding: f, status: 'open', line });
  }
  return events;
}

/** A history line's words without its time and run: what a reader sees repeated. */
const gist = (line: string) => line.replace(/^- \S+ — /, '').replace(/ \(run [^)]*\)$/, '');

/** Lines that say the same again when nothing changed: a diagnosis, a proposal awaiting approval. */
const restates = (gistText: string) =>
  gistText.startsWith('diagnosis ') || / proposed for approval$/.test(gistText);

/**
 * A diagnosis or a proposal that says what the latest one like it in this episode said: the
 * issue's history keeps it once, not once per run (twelve identical lines in five minutes).
 */
function repeatsLast(history: readonly string[], line: string): boolean {
  const words = gist(line);
  if (!restates(words)) return false;
  const kind = words.split(' ')[0];
  for (const earlier of [...history].reverse()) {
    const said = gist(earlier);
    if (/^(opened|resolved)\b/.test(said)) return false;
    if (restates(said) && said.split(' ')[0] === kind) return said === words;
  }
  return false;
}

function nextDoc(before: IssueDoc | undefined, event: Event, at: string): IssueDoc {
  const f = event.finding;
  const resolved = event.status === 'resolved';
  const earlier = before?.meta.first_seen;
  const meta: IssueMeta = {
    fingerprint: f.fingerprint,
    status: event.status,
    severity: resolved ? (before?.meta.severity ?? f.severity) : f.severity,
    servers: [f.server],
    check: f.check,
    target: f.target,
    first_seen: earlier && earlier < f.firstSeen ? earlier : f.firstSeen,
    last_seen: resolved ? (event.lastSeen ?? before?.meta.last_seen ?? at) : at,
    updated: at,
  };
  const history = [...(before?.history ?? []), event.line];
  return { meta, summary: f.summary, history };
}
