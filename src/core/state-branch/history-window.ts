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
  /** raw lines in the window, the newest `maxLines` (parsed at the end: only what is kept) */
  lines: string[];
  dropped: number;
}

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
  for (const server of servers) {
    for (const m of months)
      files.set(historyMonthPath(server, m), { server, kind: 'month', lines: [], dropped: 0 });
    if (options.days)
      for (const y of years)
        files.set(historyDailyPath(server, y), { server, kind: 'days', lines: [], dropped: 0 });
  }
  const from = since.toISOString();
  const to = until.toISOString();
  // an append-only file's newest lines are at its end: of an oversize one, only the end is read
  const tail = { tailBytes: MAX_HISTORY_FILE_BYTES };
  await reader.scan(
    [...files.keys()],
    (path, line) => {
      const file = files.get(path);
      if (!file) return;
      // the time (or day) leads every line: outside the window, the line is not even parsed
      const tab = line.indexOf('\t');
      const key = tab < 0 ? line : line.slice(0, tab);
      if (file.kind === 'month' ? key < from || key > to : key < from.slice(0, 10) || key > to.slice(0, 10))
        return;
      file.lines.push(line);
      // trimmed in batches: amortized O(1) per line, never more than 2 × max held
      if (file.lines.length >= 2 * max) {
        file.dropped += file.lines.length - max;
        file.lines = file.lines.slice(-max);
      }
    },
    tail,
  );
  const points = new Map<string, HistoryPoint[]>(servers.map((s) => [s, []]));
  const days = new Map<string, HistoryDay[]>(servers.map((s) => [s, []]));
  for (const [path, file] of files) {
    if (file.lines.length > max) {
      file.dropped += file.lines.length - max;
      file.lines = file.lines.slice(-max);
    }
    if (file.dropped > 0)
      reader.warn(
        `${path}: ${file.dropped + file.lines.length} lines fall in the window, over the ${max} a read keeps: ` +
          `only the newest ${max} used`,
      );
    const rejected: Rejected[] = [];
    if (file.kind === 'month') {
      const mine = points.get(file.server) ?? [];
      for (const line of file.lines) {
        const p = parsePointLine(line, rejected);
        if (p && p.at >= from && p.at <= to) mine.push(p);
      }
    } else {
      const mine = days.get(file.server) ?? [];
      for (const line of file.lines) {
        const d = parseDayLine(line, rejected);
        if (d) mine.push(d);
      }
    }
    warnRejected(reader, path, rejected);
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
