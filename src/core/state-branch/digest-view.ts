/**
 * The weekly digest (docs/alerting.md#weekly-digest), computed from the state branch through a
 * StateReader: per server uptime, incidents opened and resolved with their time to resolve, the
 * actions run and how they came out, what recurs, what flaps, and what the model cost.
 *
 * Where each figure comes from, and what bounds the reading:
 * - uptime and availability: `history/<server>/<YYYY-MM>.tsv`, the months the window touches
 *   (uptime: runs that reached the server; availability, as the status page counts it: runs that
 *   reached it and saw no critical finding — over the runs that tried it);
 * - incidents, recurrences, flapping: the history lines of `issues/*.md` (opened, resolved after,
 *   flapping), streamed — only those lines and the front matter are kept — one file per
 *   fingerprint, at most MAX_ISSUE_FILES of them;
 * - actions: the front matter of `actions/<day>/…md` of the window's days, at most MAX_ACTION_LOGS;
 * - model cost: the front matter of `health/<day>/…md` of the window's days, the newest
 *   MAX_REPORTS (a note says when a cap cut a count).
 * Everything goes through the reader's bounded calls (docs/state-branch.md#bounded-reading).
 */
import { availabilityOf } from '../memory/availability.js';
import type { StateReader } from '../ports/index.js';
import { frontMatter } from './front-matter.js';
import { readHistoryWindow } from './history-window.js';
import { parseIssueFile } from './issue-files.js';
import { REPORT_HEAD_BYTES } from './read-limits.js';
import { serverNames } from './state-views.js';

/** An action log's flat front matter comes first and is small. */
const ACTION_HEAD_BYTES = 4_096;
const HISTORY_EVENT = /^- \S+ — (?:opened|resolved|flapping)\b/;

export const MAX_ISSUE_FILES = 5_000;
export const MAX_ACTION_LOGS = 5_000;
export const MAX_REPORTS = 3_000;

export interface DigestServer {
  server: string;
  /** runs that tried the server in the window */
  runs: number;
  /** uptime: percent of those runs that reached it; undefined when none ran */
  uptime?: number;
  /** availability (core/memory/availability.ts): reached and no critical finding, percent */
  available?: number;
  /** incidents opened on it in the window */
  opened: number;
}

export interface DigestIncident {
  fingerprint: string;
  server: string;
  severity: string;
  summary: string;
  opened: string;
  resolved?: string;
  /** resolved − opened, when it resolved in the window */
  ttrMs?: number;
}

export interface DigestAction {
  action: string;
  server: string;
  /** executed attempts */
  runs: number;
  fixed: number;
  /** not fixed, worse, or unverified (a fix nobody saw work) */
  failed: number;
}

export interface Digest {
  since: string;
  until: string;
  servers: DigestServer[];
  incidents: {
    opened: number;
    resolved: number;
    /** still open at the end of the window (opened in it or before) */
    open: number;
    meanTtrMs?: number;
    medianTtrMs?: number;
    /** episodes that began or ended in the window, newest first */
    list: DigestIncident[];
  };
  actions: {
    executed: number;
    outcomes: Record<'fixed' | 'not-fixed' | 'worse' | 'unverified', number>;
    proposed: number;
    denied: number;
    byAction: DigestAction[];
  };
  /** fingerprints opened more than once in the window */
  recurring: { fingerprint: string; openings: number }[];
  /** fingerprints whose issue says "flapping" in the window */
  flapping: { fingerprint: string; times: number }[];
  cost: { runs: number; tokens: number; usd: number };
  /** what the reading left out (a cap reached, a file it could not read) */
  notes: string[];
}

const inWindow = (at: string, since: string, until: string) => at >= since && at <= until;

interface Episode {
  opened: string;
  resolved?: string;
}

/** An issue file's history as episodes (opened … resolved) and its flapping marks. */
export function episodesOf(
  history: readonly string[],
  firstSeen: string,
): { episodes: Episode[]; flaps: string[] } {
  const episodes: Episode[] = [];
  const flaps: string[] = [];
  let current: Episode | undefined;
  const events = history
    .map((line) => /^- (\S+) — (opened|resolved|flapping)\b/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ at: m[1] ?? '', kind: m[2] ?? '' }))
    .sort((a, b) => a.at.localeCompare(b.at));
  for (const e of events) {
    if (e.kind === 'flapping') flaps.push(e.at);
    if (e.kind === 'resolved') {
      // a resolution whose opening is older than the file's lines: the file's first sighting
      if (!current) episodes.push({ opened: firstSeen, resolved: e.at });
      else current.resolved = e.at;
      current = undefined;
    } else if (!current) {
      // opened, or raised straight away as flapping (that too gets its issue)
      current = { opened: e.at };
      episodes.push(current);
    }
  }
  return { episodes, flaps };
}

function median(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/** Paths under `prefix` whose `<prefix><YYYY-MM-DD>/` day is inside the window. */
async function dayFiles(
  reader: StateReader,
  prefix: string,
  since: string,
  until: string,
): Promise<string[]> {
  const first = since.slice(0, 10);
  const last = until.slice(0, 10);
  return (await reader.list(prefix)).filter((p) => {
    const day = p.slice(prefix.length, prefix.length + 10);
    return /^\d{4}-\d{2}-\d{2}$/.test(day) && day >= first && day <= last;
  });
}

export async function readDigest(reader: StateReader, sinceDate: Date, untilDate: Date): Promise<Digest> {
  const since = sinceDate.toISOString();
  const until = untilDate.toISOString();
  const notes: string[] = [];
  const incidents = await readIncidents(reader, since, until, notes);
  const servers = await readUptime(reader, sinceDate, untilDate, incidents.list);
  return {
    since,
    until,
    servers,
    incidents: {
      opened: incidents.list.filter((i) => inWindow(i.opened, since, until)).length,
      resolved: incidents.ttrs.length,
      open: incidents.open,
      ...(incidents.ttrs.length
        ? { meanTtrMs: incidents.ttrs.reduce((a, b) => a + b, 0) / incidents.ttrs.length }
        : {}),
      ...(incidents.ttrs.length ? { medianTtrMs: median(incidents.ttrs) } : {}),
      list: incidents.list.sort((a, b) => b.opened.localeCompare(a.opened)),
    },
    actions: await readActions(reader, since, until, notes),
    recurring: incidents.recurring,
    flapping: incidents.flapping,
    cost: await readCost(reader, since, until, notes),
    notes,
  };
}

async function readIncidents(reader: StateReader, since: string, until: string, notes: string[]) {
  let paths = (await reader.list('issues/')).filter((p) => p.endsWith('.md'));
  if (paths.length > MAX_ISSUE_FILES) {
    notes.push(`${paths.length} issue files: the first ${MAX_ISSUE_FILES} were read`);
    paths = paths.slice(0, MAX_ISSUE_FILES);
  }
  // per file: its front matter, its status line and its opened/resolved/flapping lines, nothing else
  const kept = new Map<string, { head: string[]; fences: number; status: string; events: string[] }>();
  await reader.scan(paths, (path, line) => {
    const file = kept.get(path) ?? { head: [], fences: 0, status: '', events: [] };
    kept.set(path, file);
    if (file.fences < 2) {
      if (line === '---') file.fences += 1;
      file.head.push(line);
    } else if (line.startsWith('**Status:')) file.status = line;
    else if (HISTORY_EVENT.test(line)) file.events.push(line);
  });
  const files = new Map(
    [...kept].map(([path, f]) => [
      path,
      `${f.head.join('\n')}\n\n${f.status}\n\n## History\n\n${f.events.join('\n')}\n`,
    ]),
  );
  const list: DigestIncident[] = [];
  const ttrs: number[] = [];
  const recurring: Digest['recurring'] = [];
  const flapping: Digest['flapping'] = [];
  let open = 0;
  for (const path of paths) {
    const doc = parseIssueFile(files.get(path) ?? '');
    if (!doc) continue;
    const { fingerprint, severity, servers } = doc.meta;
    const { episodes, flaps } = episodesOf(doc.history, doc.meta.first_seen);
    let openings = 0;
    for (const e of episodes) {
      const openedIn = inWindow(e.opened, since, until);
      const resolvedIn = e.resolved !== undefined && inWindow(e.resolved, since, until);
      if (openedIn) openings += 1;
      if (e.opened <= until && (e.resolved === undefined || e.resolved > until)) open += 1;
      if (!openedIn && !resolvedIn) continue;
      const ttrMs = resolvedIn && e.resolved ? Date.parse(e.resolved) - Date.parse(e.opened) : undefined;
      if (ttrMs !== undefined) ttrs.push(ttrMs);
      list.push({
        fingerprint,
        server: servers[0] ?? '',
        severity,
        // a resolved issue file says "no longer reported (was: …)": the digest shows what it was
        summary: doc.summary.replace(/^no longer reported \(was: ([\s\S]*)\)$/, '$1'),
        opened: e.opened,
        ...(resolvedIn && e.resolved ? { resolved: e.resolved } : {}),
        ...(ttrMs !== undefined ? { ttrMs } : {}),
      });
    }
    if (openings > 1) recurring.push({ fingerprint, openings });
    const flapsIn = flaps.filter((t) => inWindow(t, since, until)).length;
    if (flapsIn > 0) flapping.push({ fingerprint, times: flapsIn });
  }
  recurring.sort((a, b) => b.openings - a.openings || a.fingerprint.localeCompare(b.fingerprint));
  flapping.sort((a, b) => b.times - a.times || a.fingerprint.localeCompare(b.fingerprint));
  return { list, ttrs, recurring, flapping, open };
}

async function readUptime(
  reader: StateReader,
  since: Date,
  until: Date,
  incidents: readonly DigestIncident[],
): Promise<DigestServer[]> {
  const names = await serverNames(reader);
  const window = await readHistoryWindow(reader, names, since, until);
  return names.map((server) => {
    const points = window.points.get(server) ?? [];
    const reached = points.filter((p) => p.status !== 'down').length;
    // floored to hundredths like availability: 99.999 % never shows as 100 %
    const uptime = points.length ? Math.floor((reached * 10_000) / points.length) / 100 : undefined;
    const available = availabilityOf(points, since, until).percent;
    const opened = incidents.filter(
      (i) => i.server === server && inWindow(i.opened, since.toISOString(), until.toISOString()),
    ).length;
    return {
      server,
      runs: points.length,
      ...(uptime !== undefined ? { uptime } : {}),
      ...(available !== undefined ? { available } : {}),
      opened,
    };
  });
}

async function readActions(reader: StateReader, since: string, until: string, notes: string[]) {
  let paths = await dayFiles(reader, 'actions/', since, until);
  if (paths.length > MAX_ACTION_LOGS) {
    notes.push(`${paths.length} action logs in the window: the newest ${MAX_ACTION_LOGS} were read`);
    paths = paths.sort().slice(-MAX_ACTION_LOGS);
  }
  const metas: Record<string, unknown>[] = [];
  await reader.heads(paths, ACTION_HEAD_BYTES, (_path, head) => {
    metas.push(frontMatter(head));
  });
  const outcomes = { fixed: 0, 'not-fixed': 0, worse: 0, unverified: 0 };
  const byKey = new Map<string, DigestAction>();
  let executed = 0;
  let proposed = 0;
  let denied = 0;
  for (const meta of metas) {
    const at = String(meta.at ?? '');
    if (!inWindow(at, since, until)) continue;
    if (meta.decision === 'needs-approval') proposed += 1;
    if (meta.decision === 'deny') denied += 1;
    if (meta.decision !== 'execute') continue;
    executed += 1;
    const outcome = String(meta.outcome ?? '');
    if (outcome in outcomes) outcomes[outcome as keyof typeof outcomes] += 1;
    const key = `${meta.action}\u0000${meta.server}`;
    const entry = byKey.get(key) ?? {
      action: String(meta.action),
      server: String(meta.server),
      runs: 0,
      fixed: 0,
      failed: 0,
    };
    entry.runs += 1;
    if (outcome === 'fixed') entry.fixed += 1;
    else if (outcome in outcomes) entry.failed += 1;
    byKey.set(key, entry);
  }
  const byAction = [...byKey.values()].sort((a, b) => b.runs - a.runs || a.action.localeCompare(b.action));
  return { executed, outcomes, proposed, denied, byAction };
}

async function readCost(reader: StateReader, since: string, until: string, notes: string[]) {
  let paths = (await dayFiles(reader, 'health/', since, until)).filter((p) => p.endsWith('.md'));
  if (paths.length > MAX_REPORTS) {
    notes.push(
      `${paths.length} health reports in the window: model cost counted over the newest ${MAX_REPORTS}`,
    );
    paths = paths.sort().slice(-MAX_REPORTS);
  }
  const cost = { runs: 0, tokens: 0, usd: 0 };
  await reader.heads(paths, REPORT_HEAD_BYTES, (_path, head) => {
    const meta = frontMatter(head);
    const started = String(meta.started ?? '');
    if (!inWindow(started, since, until)) return;
    cost.runs += 1;
    // a hand-edited report cannot make the cost negative or absurd
    const tokens = Number(meta.tokens);
    const usd = Number(meta.cost_usd);
    if (Number.isFinite(tokens) && tokens > 0 && tokens < 1e12) cost.tokens += tokens;
    if (Number.isFinite(usd) && usd > 0 && usd < 1e6) cost.usd += usd;
  });
  cost.usd = Math.round(cost.usd * 10_000) / 10_000;
  return cost;
}
