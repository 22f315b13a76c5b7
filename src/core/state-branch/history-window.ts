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
import { PointRing } from './point-ring.js';
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
  /** the newest in-window point lines, compact (month files) */
  points: PointRing;
  /** the newest in-window day lines (rolled-up years: a line a day, few) */
  days: DayRing;
}

/** The newest `capacity` day lines of a file, each with the values its line had ignored. */
class DayRing {
  seen = 0;
  private readonly slots: { day?: HistoryDay; rejected: Rejected[] }[] = [];
  constructor(readonly capacity: number) {}
  push(day: HistoryDay | undefined, rejected: readonly Rejected[]): void {
    this.slots[this.seen % this.capacity] = { ...(day ? { day } : {}), rejected: [...rejected] };
    this.seen += 1;
  }
  take(): { days: HistoryDay[]; rejected: Rejected[] } {
    const kept = Math.min(this.seen, this.capacity);
    const days: HistoryDay[] = [];
    const rejected: Rejected[] = [];
    for (let i = this.seen - kept; i < this.seen; i++) {
      const slot = this.slots[i % this.capacity];
      if (slot?.day) days.push(slot.day);
      for (const r of slot?.rejected ?? []) rejected.push(r);
    }
    return { days, rejected };
  }
}

/**
 * Every line is checked by its time prefix and, when inside the window, parsed as it streams by
 * into a ring that keeps the newest `maxLines` of its file compactly (point-ring.ts): one pass,
 * whatever the size of the file, and what a read holds is the answer
 * (docs/state-branch.md#bounded-reading).
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
    files.set(path, { server, kind, points: new PointRing(max), days: new DayRing(max) });
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
  const rejected: Rejected[] = [];
  await reader.scan(
    [...files.keys()],
    (path, line) => {
      const file = files.get(path);
      if (!file || !inside(file, line)) return;
      rejected.length = 0;
      if (file.kind === 'month') file.points.push(parsePointLine(line, rejected), rejected);
      else file.days.push(parseDayLine(line, rejected), rejected);
    },
    // an append-only file's newest lines are at its end: of an oversize one, only the end is read
    { tailBytes: MAX_HISTORY_FILE_BYTES },
  );
  const points = new Map<string, HistoryPoint[]>(servers.map((s) => [s, []]));
  const days = new Map<string, HistoryDay[]>(servers.map((s) => [s, []]));
  for (const [path, file] of files) {
    const seen = file.kind === 'month' ? file.points.seen : file.days.seen;
    if (seen > max)
      reader.warn(
        `${path}: ${seen} lines fall in the window, over the ${max} a read keeps: only the newest ${max} used`,
      );
    const kept = file.kind === 'month' ? file.points.take() : { points: [], rejected: [] };
    const rolled = file.kind === 'days' ? file.days.take() : { days: [], rejected: [] };
    // one at a time: spreading 50 000 arguments is what once overflowed the stack
    const mine = points.get(file.server);
    for (const p of kept.points) mine?.push(p);
    const mineDays = days.get(file.server);
    for (const d of rolled.days) mineDays?.push(d);
    warnRejected(reader, path, file.kind === 'month' ? kept.rejected : rolled.rejected);
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
