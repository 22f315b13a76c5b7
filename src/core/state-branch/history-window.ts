/**
 * The bounded window reader of the history series (docs/state-branch.md#bounded-reading): the
 * points of some servers between two times, for `status`, `history --server`, the status page.
 * Reads only the monthly files (and rolled-up years) the window touches, streamed line by line:
 * a line outside the window is dropped by its time prefix before it is parsed, at most
 * MAX_WINDOW_LINES lines are kept per file (the newest), and values out of range are ignored with
 * a warning. Memory follows the window, never the size of the files.
 */
import {
  type HistoryDay,
  type HistoryPoint,
  monthsBetween,
  parseDayLine,
  parsePointLine,
  type Rejected,
} from '../memory/history-series.js';
import type { StateReader } from '../ports/index.js';
import { historyDailyPath, historyMonthPath } from './paths.js';
import { MAX_HISTORY_FILE_BYTES, MAX_WINDOW_LINES } from './read-limits.js';

export interface HistoryWindow {
  /** per server, in time order, within [since, until] */
  points: Map<string, HistoryPoint[]>;
  /** per server: rolled-up days (months past retention) within the window, when asked for */
  days: Map<string, HistoryDay[]>;
}

export interface WindowOptions {
  /** also read the rolled-up year files (`<YYYY>-daily.tsv`) the window touches */
  days?: boolean;
  /** lines kept per file (default MAX_WINDOW_LINES) */
  maxLines?: number;
}

interface FileWindow {
  server: string;
  kind: 'month' | 'days';
  /** lines of the file inside the window, counted as they stream by */
  inWindow: number;
  /** in-window lines passed over before the kept ones (the second pass of a file over the cap) */
  skip: number;
  /** the kept lines, parsed as they stream by: never more than `maxLines` */
  points: HistoryPoint[];
  days: HistoryDay[];
  rejected: Rejected[];
}

/**
 * A well-formed point line is longer (a 20-character time, a run, a status, three figures, tabs):
 * a file of fewer than `maxLines` × this many bytes holds no more lines than a read keeps, unless
 * malformed — and then the first pass finds out and the second reads the newest.
 */
const MIN_LINE_BYTES = 32;

/**
 * Every line is checked by its time prefix and, when it is one the answer keeps, parsed as it
 * streams by: only parsed points are held, never lines. A file that may hold more in-window
 * lines than the cap (by its size, or found so while parsing it) is read twice: the first pass
 * only counts them, the second parses just the newest `maxLines`. So what a read holds is the
 * answer, whatever the size of the file (docs/state-branch.md#bounded-reading).
 */
export async function readHistoryWindow(
  reader: StateReader,
  servers: readonly string[],
  since: Date,
  until: Date,
  options: WindowOptions = {},
): Promise<HistoryWindow> {
  const max = options.maxLines ?? MAX_WINDOW_LINES;
  const months = monthsBetween(since, until);
  const years = [...new Set(months.map((m) => m.slice(0, 4)))];
  const files = new Map<string, FileWindow>();
  const add = (path: string, server: string, kind: FileWindow['kind']) =>
    files.set(path, { server, kind, inWindow: 0, skip: 0, points: [], days: [], rejected: [] });
  for (const server of servers) {
    for (const m of months) add(historyMonthPath(server, m), server, 'month');
    if (options.days) for (const y of years) add(historyDailyPath(server, y), server, 'days');
  }
  const from = since.toISOString();
  const to = until.toISOString();
  const inside = (file: FileWindow, line: string): boolean => {
    // the time (or day) leads every line: outside the window, the line is not even parsed
    const tab = line.indexOf('\t');
    const key = tab < 0 ? line : line.slice(0, tab);
    return file.kind === 'month'
      ? key >= from && key <= to
      : key >= from.slice(0, 10) && key <= to.slice(0, 10);
  };
  const keep = (file: FileWindow, line: string) => {
    if (file.kind === 'month') {
      const p = parsePointLine(line, file.rejected);
      if (p && p.at >= from && p.at <= to) file.points.push(p);
    } else {
      const d = parseDayLine(line, file.rejected);
      if (d) file.days.push(d);
    }
  };
  // an append-only file's newest lines are at its end: of an oversize one, only the end is read
  const tail = { tailBytes: MAX_HISTORY_FILE_BYTES };
  /** files large enough to hold more lines than a read keeps: the first pass only counts them */
  const countOnly = new Set<string>();
  await reader.scan(
    [...files.keys()],
    (path, line) => {
      const file = files.get(path);
      if (!file || !inside(file, line)) return;
      file.inWindow += 1;
      if (countOnly.has(path)) return;
      if (file.inWindow <= max) keep(file, line);
      else if (file.inWindow === max + 1) {
        // over the cap: which lines are the newest is known only at the end; count, hold nothing
        file.points = [];
        file.days = [];
        file.rejected = [];
      }
    },
    {
      ...tail,
      start: (path, bytes) => {
        if (bytes > max * MIN_LINE_BYTES) countOnly.add(path);
      },
    },
  );
  const over = [...files].filter(([path, f]) => f.inWindow > max || (countOnly.has(path) && f.inWindow > 0));
  if (over.length > 0) {
    for (const [, f] of over) f.skip = Math.max(0, f.inWindow - max);
    const seen = new Map(over.map(([path]) => [path, 0]));
    await reader.scan(
      over.map(([path]) => path),
      (path, line) => {
        const file = files.get(path);
        const n = seen.get(path);
        if (!file || n === undefined || !inside(file, line)) return;
        seen.set(path, n + 1);
        if (n >= file.skip) keep(file, line);
      },
      tail,
    );
  }
  const points = new Map<string, HistoryPoint[]>(servers.map((s) => [s, []]));
  const days = new Map<string, HistoryDay[]>(servers.map((s) => [s, []]));
  for (const [path, file] of files) {
    if (file.inWindow > max)
      reader.warn(
        `${path}: ${file.inWindow} lines fall in the window, over the ${max} a read keeps: only the newest ${max} used`,
      );
    // one at a time: spreading 50 000 arguments is what once overflowed the stack
    const mine = points.get(file.server);
    for (const p of file.points) mine?.push(p);
    const mineDays = days.get(file.server);
    for (const d of file.days) mineDays?.push(d);
    warnRejected(reader, path, file.rejected);
  }
  for (const list of points.values()) list.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  for (const list of days.values()) list.sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : 0));
  return { points, days };
}

/** One warning per file: how many values were ignored, and the first of them. */
export function warnRejected(reader: StateReader, path: string, rejected: readonly Rejected[]): void {
  const first = rejected[0];
  if (!first) return;
  const more = rejected.length > 1 ? ` (${rejected.length} values in all)` : '';
  reader.warn(`${path}: ignored ${first.field} ${first.value}: out of range or malformed${more}`);
}
