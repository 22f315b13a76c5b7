/**
 * What the read commands show (`status`, `history`, `issues`, `show`), computed from the state
 * branch through a StateReader. Each view is plain data (printed as JSON with --format json) plus
 * a text rendering, one line per item.
 */
import { availabilityOf } from '../memory/availability.js';
import type { ServerState } from '../memory/memory.js';
import { parseStateFile, stemOf } from '../memory/server-state.js';
import type { StateReader } from '../ports/index.js';
import { terminalTable, terminalTableParts, wrapText } from '../render/terminal-table.js';
import { ranOnServer } from '../status.js';
import { formatDuration } from '../util/duration.js';
import { frontMatter } from './front-matter.js';
import { readHistoryWindow } from './history-window.js';
import { type IssueDoc, parseIssueFile } from './issue-files.js';
import { issuePath, SET_ASIDE_FILE } from './paths.js';
import { REPORT_HEAD_BYTES } from './read-limits.js';

export interface ServerNow {
  server: string;
  status: string;
  lastChecked?: string;
  lastRun?: string;
  disk?: number;
  memory?: number;
  load?: number;
  /** share of the week's checks in which the server was reachable and had no critical finding */
  availability7d?: number;
  openIssues: number;
}

export interface FleetNow {
  at: string;
  lastRun?: string;
  servers: ServerNow[];
}

/**
 * Every server the state branch keeps a state file for, by the name the file itself holds (a long
 * name's file name is bounded, so the path alone cannot say it), with its state when it parses.
 */
export async function serverStates(reader: StateReader): Promise<Map<string, ServerState | undefined>> {
  // a state file set aside for its size (state/<server>.corrupt-<time>.json) is no server
  const paths = (await reader.list('state/')).filter((p) => p.endsWith('.json') && !SET_ASIDE_FILE.test(p));
  const texts = await reader.read(paths);
  const out = new Map<string, ServerState | undefined>();
  for (const path of paths) {
    const parsed = parseStateFile(path, texts.get(path) ?? '');
    if (parsed.ok) out.set(parsed.state.server, parsed.state);
    else if (!out.has(stemOf(path))) out.set(stemOf(path), undefined);
  }
  return new Map([...out].sort(([a], [b]) => a.localeCompare(b)));
}

export async function serverNames(reader: StateReader): Promise<string[]> {
  return [...(await serverStates(reader)).keys()];
}

async function openIssueDocs(reader: StateReader): Promise<{ path: string; doc: IssueDoc }[]> {
  const paths = (await reader.list('issues/')).filter((p) => p.endsWith('.md'));
  const files = await reader.read(paths);
  return paths.flatMap((path) => {
    const doc = parseIssueFile(files.get(path) ?? '');
    return doc && doc.meta.status === 'open' ? [{ path, doc }] : [];
  });
}

export async function fleetNow(reader: StateReader, now: Date): Promise<FleetNow> {
  const states = await serverStates(reader);
  const names = [...states.keys()];
  const week = new Date(now.getTime() - 7 * 86_400_000);
  const series = (await readHistoryWindow(reader, names, week, now)).points;
  const issues = await openIssueDocs(reader);
  const servers = names.map((name): ServerNow => {
    const state = states.get(name);
    const points = series.get(name) ?? [];
    const last = points.at(-1);
    const up = availabilityOf(points, week, now);
    return {
      server: name,
      status: last?.status === 'down' ? 'unreachable' : (last?.status ?? 'unknown'),
      ...(state?.lastChecked ? { lastChecked: state.lastChecked } : {}),
      ...(state?.lastRun ? { lastRun: state.lastRun } : {}),
      ...(last?.disk !== undefined ? { disk: last.disk } : {}),
      ...(last?.memory !== undefined ? { memory: last.memory } : {}),
      ...(last?.load !== undefined ? { load: last.load } : {}),
      ...(up.percent !== undefined ? { availability7d: up.percent } : {}),
      openIssues: issues.filter((i) => i.doc.meta.servers.includes(name)).length,
    };
  });
  const lastRun = newestRun(states);
  return { at: now.toISOString(), ...(lastRun ? { lastRun } : {}), servers };
}

/** The newest run any server's state names, if any. */
export function newestRun(states: ReadonlyMap<string, ServerState | undefined>): string | undefined {
  return (
    [...states.values()]
      .map((s) => s?.lastRun ?? '')
      .sort()
      .at(-1) || undefined
  );
}

const pct = (v: number | undefined) => (v === undefined ? '—' : `${v}%`);
const when = (iso: string | undefined) => (iso ? iso.slice(0, 16).replace('T', ' ') : '—');
const ago = (iso: string | undefined, now: Date) =>
  iso ? `${formatDuration(Math.max(0, now.getTime() - Date.parse(iso)))} ago` : 'never';

/** `width`: the terminal's columns (tables wrap to fit); unset when the output is not a terminal. */
export function fleetText(fleet: FleetNow, width?: number): string {
  const now = new Date(fleet.at);
  if (fleet.servers.length === 0) return 'No server recorded yet: run `claudeops check` first.';
  const rows = [
    ['server', 'status', 'disk', 'memory', 'load/cpu', 'avail. 7d', 'open issues', 'last checked'],
    ...fleet.servers.map((s) => [
      s.server,
      s.status,
      pct(s.disk),
      pct(s.memory),
      s.load === undefined ? '—' : String(s.load),
      pct(s.availability7d),
      String(s.openIssues),
      `${when(s.lastChecked)} (${ago(s.lastChecked, now)})`,
    ]),
  ];
  const head = `Fleet as last recorded; last run ${when(fleet.lastRun)} UTC (${ago(fleet.lastRun, now)})`;
  return `${width ? wrapText(head, width).join('\n') : head}\n\n${terminalTable(rows, width)}`;
}

export interface RunLine {
  at: string;
  run: string;
  status: string;
  path?: string;
  servers?: number;
  findings?: number;
  actions?: number;
  server?: string;
  disk?: number;
  memory?: number;
  load?: number;
}

/** A list whose items are built when asked for (`at(i)`, 0 ≤ i < length). */
export interface RunList {
  length: number;
  at(i: number): RunLine;
}

const item = <T>(list: readonly T[], i: number): T => {
  const found = list[i];
  if (found === undefined) throw new RangeError(`item ${i} of ${list.length}`);
  return found;
};

const listOf = (lines: readonly RunLine[]): RunList => ({ length: lines.length, at: (i) => item(lines, i) });

/** Runs newer than `since`, newest first: from health reports, or one server's series. */
export async function runHistory(
  reader: StateReader,
  since: Date,
  now: Date,
  server: string | undefined,
): Promise<RunList> {
  if (server) {
    const points = (await readHistoryWindow(reader, [server], since, now)).points.get(server) ?? [];
    // a line is built when printed: 50 000 of them never live at once
    return {
      length: points.length,
      at: (i) => {
        const p = item(points, points.length - 1 - i);
        return {
          at: p.at,
          run: p.run,
          status: p.status === 'down' ? 'unreachable' : p.status,
          server,
          ...(p.disk !== undefined ? { disk: p.disk } : {}),
          ...(p.memory !== undefined ? { memory: p.memory } : {}),
          ...(p.load !== undefined ? { load: p.load } : {}),
        };
      },
    };
  }
  return listOf(await reportRuns(reader, since));
}

/** Every run newer than `since`, newest first, from the front matter of its health report. */
async function reportRuns(reader: StateReader, since: Date): Promise<RunLine[]> {
  const day = since.toISOString().slice(0, 10);
  const paths = (await reader.list('health/')).filter((p) => {
    const d = /^health\/(\d{4}-\d{2}-\d{2})\//.exec(p)?.[1];
    return d !== undefined && d >= day;
  });
  // front matter only, one report at a time: 90 days of a 15-minute fleet is ~500 MB of reports
  const lines: RunLine[] = [];
  await reader.heads(paths, REPORT_HEAD_BYTES, (path, head) => {
    const meta = frontMatter(head);
    const started = typeof meta.started === 'string' ? meta.started : undefined;
    if (!started || started < since.toISOString()) return;
    const actions = Array.isArray(meta.actions)
      ? meta.actions.filter(
          (a) => typeof a === 'object' && a !== null && ranOnServer(a as { decision: string }),
        ).length
      : 0;
    const servers = Number(meta.servers ?? 0);
    // a copy: strings parsed out of the head may be slices that keep its 16 KiB alive, and 8 640
    // heads held that way were most of the memory of `history --since 90d` on a 15-minute fleet
    const line = structuredClone({
      at: started,
      run: String(meta.run ?? ''),
      status: String(meta.status ?? '?'),
      path,
      servers: Number.isSafeInteger(servers) && servers >= 0 ? servers : 0,
      findings: Array.isArray(meta.findings) ? meta.findings.length : 0,
      actions,
    });
    lines.push(line);
  });
  return lines.sort((a, b) => b.at.localeCompare(a.at));
}

/** The history table in pieces that join to its text (terminalTableParts): written as rendered. */
export function historyText(lines: RunList, server: string | undefined, width?: number): Iterable<string> {
  if (lines.length === 0)
    return [server ? `No runs recorded for ${server} in that window.` : 'No runs in that window.'];
  const header = server
    ? ['time (UTC)', 'run', 'status', 'disk', 'memory', 'load/cpu']
    : ['time (UTC)', 'run', 'status', 'servers', 'findings', 'actions run', 'report'];
  const row = (l: RunLine) =>
    server
      ? [when(l.at), l.run, l.status, pct(l.disk), pct(l.memory), String(l.load ?? '—')]
      : [
          when(l.at),
          l.run,
          l.status,
          String(l.servers ?? 0),
          String(l.findings ?? 0),
          String(l.actions ?? 0),
          l.path ?? '',
        ];
  return terminalTableParts(
    { count: lines.length + 1, row: (i) => (i === 0 ? header : row(lines.at(i - 1))) },
    width,
  );
}

export interface OpenIssue {
  fingerprint: string;
  severity: string;
  servers: string[];
  summary: string;
  firstSeen: string;
  lastSeen: string;
  ageMs: number;
  lastAction?: string;
  path: string;
}

export async function openIssues(reader: StateReader, now: Date): Promise<OpenIssue[]> {
  const docs = await openIssueDocs(reader);
  return docs
    .map(({ path, doc }) => {
      const action = [...doc.history].reverse().find((h) => / — action /.test(h));
      return {
        fingerprint: doc.meta.fingerprint,
        severity: doc.meta.severity,
        servers: doc.meta.servers,
        summary: doc.summary,
        firstSeen: doc.meta.first_seen,
        lastSeen: doc.meta.last_seen,
        ageMs: Math.max(0, now.getTime() - Date.parse(doc.meta.first_seen)),
        ...(action ? { lastAction: action.replace(/^- /, '') } : {}),
        path,
      };
    })
    .sort((a, b) => b.ageMs - a.ageMs);
}

export function issuesText(issues: readonly OpenIssue[], width?: number): string {
  if (issues.length === 0) return 'No open problems.';
  // whole texts: a terminal's table wraps them at words (a cut mid-word read as a different word)
  return terminalTable(
    [
      ['severity', 'fingerprint', 'age', 'last seen', 'summary', 'last action'],
      ...issues.map((i) => [
        i.severity,
        i.fingerprint,
        formatDuration(i.ageMs),
        when(i.lastSeen),
        i.summary,
        i.lastAction ?? '—',
      ]),
    ],
    width,
  );
}

export interface Shown {
  kind: 'report' | 'issue';
  path: string;
  meta: Record<string, unknown>;
  content: string;
}

/** A run (by id, or report path) or a problem (by fingerprint). */
export async function show(reader: StateReader, target: string): Promise<Shown | undefined> {
  if (target.startsWith('health/')) {
    const content = (await reader.read([target])).get(target);
    return content === undefined
      ? undefined
      : { kind: 'report', path: target, meta: frontMatter(content), content };
  }
  if (target.includes('/')) {
    const path = issuePath(target);
    const content = (await reader.read([path])).get(path);
    if (content !== undefined) return { kind: 'issue', path, meta: frontMatter(content), content };
  }
  const safeRun = target.replace(/[^A-Za-z0-9._-]/g, '-');
  const reports = (await reader.list('health/')).filter((p) => {
    const name = p.split('/').at(-1) ?? '';
    return new RegExp(`^\\d{6}-${safeRun.replace(/[.]/g, '\\.')}(-[A-Za-z0-9._-]+)?\\.md$`).test(name);
  });
  if (reports.length === 0) return undefined;
  const files = await reader.read(reports);
  const content = reports.map((p) => files.get(p) ?? '').join('\n');
  const path = reports.join(', ');
  return { kind: 'report', path, meta: frontMatter(files.get(reports[0] ?? '') ?? ''), content };
}
