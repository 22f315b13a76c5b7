/**
 * The compact per-server history on the state branch (pure). One tab-separated line per run and
 * server, in monthly files, so that "uptime over 90 days" reads at most four small files per
 * server however long the fleet has been watched:
 *
 *   history/<server>/<YYYY-MM>.tsv     time run status disk% mem% load/cpu [endpoint=u|d<code>:<ms> …]
 *   history/<server>/endpoints.tsv     endpoint id → URL, one line each
 *   history/<server>/<YYYY>-daily.tsv  months past retention, rolled up: one line per day
 *
 * Files only ever grow by appended lines, so two runs writing the same month merge by taking the
 * union of their lines (sorted: lines start with the time). Unknown values are `-`.
 */

import type { RunRecord } from '../run-record.js';
import { historyEndpointsPath, historyMonthPath } from '../state-branch/paths.js';
import { raisedFindings } from '../status.js';
import type { FileChange, ServerReport } from '../types.js';

export type PointStatus = 'ok' | 'warning' | 'critical' | 'down';

/** What one check of a server (or endpoint) counts as: available when reachable and not critical (availability.ts). */
export const isAvailable = (status: PointStatus): boolean => status === 'ok' || status === 'warning';

export interface EndpointPoint {
  up: boolean;
  /** HTTP status, 0 when no answer */
  code: number;
  latencyMs?: number;
}

export interface HistoryPoint {
  at: string;
  run: string;
  status: PointStatus;
  disk?: number;
  memory?: number;
  load?: number;
  /** per endpoint id */
  endpoints: Record<string, EndpointPoint>;
}

/** A rolled-up day (months past retention). */
export interface HistoryDay {
  day: string;
  runs: number;
  /** runs that reached the server */
  up: number;
  /** runs that reached the server and had no critical finding (absent in lines rolled up before it was kept) */
  available?: number;
  worst: PointStatus;
  maxDisk?: number;
  /** per endpoint id: checks, ups, mean latency */
  endpoints: Record<string, { checks: number; up: number; meanMs?: number }>;
}

/** A short stable id for an endpoint URL (FNV-1a, 32 bits): keeps per-run lines short. */
export function endpointId(url: string): string {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(url)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}

const num = (v: number | undefined) =>
  v === undefined || !Number.isFinite(v) ? '-' : String(Math.round(v * 100) / 100);

function serverStatus(record: RunRecord, report: ServerReport): PointStatus {
  if (!report.observation.reachable) return 'down';
  const mine = raisedFindings(record).filter((f) => f.server === report.server.name);
  if (mine.some((f) => f.severity === 'critical')) return 'critical';
  return mine.length > 0 ? 'warning' : 'ok';
}

export function historyLine(record: RunRecord, report: ServerReport): string {
  const f = report.figures;
  const point: HistoryPoint = {
    at: report.observation.startedAt || record.startedAt,
    run: record.runId,
    status: serverStatus(record, report),
    endpoints: Object.fromEntries(
      (f?.endpoints ?? []).map((e) => [
        endpointId(e.url),
        { up: e.up, code: e.status ?? 0, ...(e.latencyMs !== undefined ? { latencyMs: e.latencyMs } : {}) },
      ]),
    ),
  };
  if (f?.disks[0]) point.disk = f.disks[0].usedPercent;
  if (f?.memoryPercent !== undefined) point.memory = f.memoryPercent;
  if (f?.loadPerCpu !== undefined) point.load = f.loadPerCpu;
  return pointLine(point);
}

/** One point as its line in the monthly file. */
export function pointLine(p: HistoryPoint): string {
  const endpoints = Object.entries(p.endpoints).map(
    ([id, e]) => `${id}=${e.up ? 'u' : 'd'}${e.code}:${num(e.latencyMs)}`,
  );
  return [
    p.at,
    p.run.replace(/\s/g, '_'),
    p.status,
    num(p.disk),
    num(p.memory),
    num(p.load),
    ...endpoints,
  ].join('\t');
}

/** This run's lines, as appends: the store adds them to what the branch already holds. */
export function historyChanges(record: RunRecord): FileChange[] {
  const changes: FileChange[] = [];
  for (const report of record.servers) {
    const server = report.server.name;
    const at = report.observation.startedAt || record.startedAt;
    changes.push({
      path: historyMonthPath(server, at.slice(0, 7)),
      content: `${historyLine(record, report)}\n`,
      append: true,
    });
    const urls = report.figures?.endpoints.map((e) => e.url) ?? [];
    if (urls.length > 0) {
      const lines = urls.map((u) => `${endpointId(u)}\t${u.replace(/\s/g, '%20')}\n`).join('');
      changes.push({ path: historyEndpointsPath(server), content: lines, append: true });
    }
  }
  return changes;
}

/** Union of the lines of two versions of an append-only file, in order, each line once. */
export function mergeLines(...versions: (string | undefined)[]): string {
  const lines = new Set<string>();
  for (const v of versions) for (const line of (v ?? '').split('\n')) if (line.trim()) lines.add(line);
  const sorted = [...lines].sort();
  return sorted.length ? `${sorted.join('\n')}\n` : '';
}

/**
 * Plausible ranges of the figures in history files. The branch is outside input (a hand edit, a
 * bad merge): a value outside its range is ignored, with a warning, never shown or averaged.
 */
export const FIGURE_RANGES = {
  disk: [0, 100],
  memory: [0, 100],
  load: [0, 10_000],
  latencyMs: [0, 3_600_000],
  code: [0, 999],
  runs: [0, 1_000_000],
} as const satisfies Record<string, readonly [number, number]>;

type Figure = keyof typeof FIGURE_RANGES;
const UNITS: Partial<Record<Figure, string>> = { disk: ' %', memory: ' %', latencyMs: ' ms' };

/** A value in a history line that was ignored: what and why, for a warning. */
export interface Rejected {
  field: string;
  value: string;
}

/** A figure within its range, or undefined ('-' or empty is unknown, not an error). */
function figure(raw: string | undefined, kind: Figure, rejected: Rejected[]): number | undefined {
  if (raw === undefined || raw === '-' || raw === '') return undefined;
  // decimal only: Number() would also take '0x10', ' 5' or 'Infinity'
  const value = DECIMAL.test(raw) ? Number(raw) : Number.NaN;
  const [min, max] = FIGURE_RANGES[kind];
  if (Number.isFinite(value) && value >= min && value <= max) return value;
  rejected.push({ field: kind, value: `${raw}${UNITS[kind] ?? ''}` });
  return undefined;
}

const DECIMAL = /^-?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;
const STATUSES: readonly string[] = ['ok', 'warning', 'critical', 'down'];

/**
 * One line of a monthly file. Undefined for a line that is no point (blank, a bad time or
 * status: `rejected` says why when it looked like one); out-of-range figures are left out of the
 * point and listed in `rejected`.
 */
export function parsePointLine(line: string, rejected: Rejected[] = []): HistoryPoint | undefined {
  const [at, run, status, disk, memory, load, ...eps] = line.split('\t');
  if (!at || !line.trim()) return undefined;
  if (!TIME.test(at) || Number.isNaN(Date.parse(at))) {
    rejected.push({ field: 'time', value: at.slice(0, 40) });
    return undefined;
  }
  if (!run || !status) {
    rejected.push({ field: 'line', value: line.slice(0, 40) });
    return undefined;
  }
  if (!STATUSES.includes(status)) {
    rejected.push({ field: 'status', value: status.slice(0, 40) });
    return undefined;
  }
  const point: HistoryPoint = { at, run, status: status as PointStatus, endpoints: {} };
  const d = figure(disk, 'disk', rejected);
  const mem = figure(memory, 'memory', rejected);
  const l = figure(load, 'load', rejected);
  if (d !== undefined) point.disk = d;
  if (mem !== undefined) point.memory = mem;
  if (l !== undefined) point.load = l;
  for (const e of eps) {
    const m = /^([0-9a-f]{8})=([ud])(\d+):(.*)$/.exec(e);
    if (!m?.[1]) continue;
    const code = figure(m[3], 'code', rejected);
    if (code === undefined) continue;
    const latency = figure(m[4], 'latencyMs', rejected);
    point.endpoints[m[1]] = {
      up: m[2] === 'u',
      code,
      ...(latency !== undefined ? { latencyMs: latency } : {}),
    };
  }
  return point;
}

const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

export function parseHistory(text: string, rejected: Rejected[] = []): HistoryPoint[] {
  return text.split('\n').flatMap((line) => parsePointLine(line, rejected) ?? []);
}

export function parseEndpointNames(text: string): Record<string, string> {
  const names: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const [id, url] = line.split('\t');
    if (id && url) names[id] = url;
  }
  return names;
}

const RANK: Record<PointStatus, number> = { ok: 0, warning: 1, critical: 2, down: 3 };

/** Rolls a month of points into one line per day (retention). */
export function rollUpDays(points: readonly HistoryPoint[]): string {
  const days = new Map<string, HistoryDay>();
  const latency = new Map<string, number[]>();
  for (const p of points) {
    const key = p.at.slice(0, 10);
    const day = days.get(key) ?? { day: key, runs: 0, up: 0, worst: 'ok' as PointStatus, endpoints: {} };
    day.runs += 1;
    if (p.status !== 'down') day.up += 1;
    if (isAvailable(p.status)) day.available = (day.available ?? 0) + 1;
    if (RANK[p.status] > RANK[day.worst]) day.worst = p.status;
    if (p.disk !== undefined) day.maxDisk = Math.max(day.maxDisk ?? 0, p.disk);
    for (const [id, e] of Object.entries(p.endpoints)) {
      const agg = day.endpoints[id] ?? { checks: 0, up: 0 };
      agg.checks += 1;
      if (e.up) agg.up += 1;
      day.endpoints[id] = agg;
      if (e.latencyMs !== undefined)
        latency.set(`${key} ${id}`, [...(latency.get(`${key} ${id}`) ?? []), e.latencyMs]);
    }
    days.set(key, day);
  }
  const lines = [...days.values()].map((d) => {
    const eps = Object.entries(d.endpoints).map(([id, e]) => {
      const ms = latency.get(`${d.day} ${id}`) ?? [];
      const mean = ms.length ? Math.round(ms.reduce((a, b) => a + b, 0) / ms.length) : undefined;
      return `${id}=${e.checks}/${e.up}:${num(mean)}`;
    });
    // `ok=N` after the endpoints: readers that predate it skip it as an unknown token
    return [d.day, d.runs, d.up, d.worst, num(d.maxDisk), ...eps, `ok=${d.available ?? 0}`].join('\t');
  });
  return mergeLines(lines.join('\n'));
}

/** One line of a rolled-up year file; undefined for a line that is no day (see parsePointLine). */
export function parseDayLine(line: string, rejected: Rejected[] = []): HistoryDay | undefined {
  const [day, runs, up, worst, maxDisk, ...eps] = line.split('\t');
  if (!day || !line.trim()) return undefined;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) {
    rejected.push({ field: 'day', value: day.slice(0, 40) });
    return undefined;
  }
  const n = figure(runs, 'runs', rejected);
  const ups = figure(up, 'runs', rejected);
  if (n === undefined || ups === undefined) return undefined;
  if (ups > n) {
    rejected.push({ field: 'reachable runs', value: `${ups}/${n}` });
    return undefined;
  }
  if (!STATUSES.includes(worst ?? '')) {
    rejected.push({ field: 'status', value: (worst ?? '').slice(0, 40) });
    return undefined;
  }
  const d: HistoryDay = { day, runs: n, up: ups, worst: worst as PointStatus, endpoints: {} };
  const disk = figure(maxDisk, 'disk', rejected);
  if (disk !== undefined) d.maxDisk = disk;
  for (const e of eps) {
    // `ok=N` (runs available that day) comes last: readers that predate it skip it as an unknown token
    const ok = /^ok=(\d+)$/.exec(e);
    if (ok) {
      const available = figure(ok[1], 'runs', rejected);
      if (available !== undefined && available <= ups) d.available = available;
      else rejected.push({ field: 'available runs', value: `${ok[1]}/${ups}` });
      continue;
    }
    const m = /^([0-9a-f]{8})=(\d+)\/(\d+):(.*)$/.exec(e);
    if (!m?.[1]) continue;
    const checks = figure(m[2], 'runs', rejected);
    const upCount = figure(m[3], 'runs', rejected);
    if (checks === undefined || upCount === undefined) continue;
    if (upCount > checks) {
      rejected.push({ field: 'endpoint up', value: `${upCount}/${checks}` });
      continue;
    }
    const mean = figure(m[4], 'latencyMs', rejected);
    d.endpoints[m[1]] = { checks, up: upCount, ...(mean !== undefined ? { meanMs: mean } : {}) };
  }
  return d;
}

export function parseDays(text: string, rejected: Rejected[] = []): HistoryDay[] {
  return text.split('\n').flatMap((line) => parseDayLine(line, rejected) ?? []);
}

/** The months (YYYY-MM) a window [from, to] touches: the only files an uptime figure reads. */
export function monthsBetween(from: Date, to: Date): string[] {
  const months: string[] = [];
  const cursor = new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), 1));
  while (cursor <= to) {
    months.push(cursor.toISOString().slice(0, 7));
    cursor.setUTCMonth(cursor.getUTCMonth() + 1);
  }
  return months;
}
