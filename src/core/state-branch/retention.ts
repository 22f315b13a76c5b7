/**
 * Retention (pure): health reports and action logs older than `state.retention_days` are rolled
 * into one `health/<YYYY-MM>/summary.md` (`actions/<YYYY-MM>/summary.md`) per month, in the same commit that deletes them, so the branch tip
 * (what every run fetches) stays small however long the fleet is watched. Git history keeps the
 * originals. History series older than the window become one line per day. The adapter lists and
 * reads what these functions name; every decision is made here.
 */

import { mergeLines, parseHistory, rollUpDays } from '../memory/history-series.js';
import type { MemoryFile } from '../memory/memory.js';
import { type CellValue, cell, trusted } from '../render/markdown.js';
import type { FileChange } from '../types.js';
import type { BranchEntry } from './branch-entry.js';
import { frontMatter } from './front-matter.js';
import { dailyHistoryPath, summaryPath } from './paths.js';

const DAY_DIR = /^\d{4}-\d{2}-\d{2}$/;

/** Day directories (YYYY-MM-DD) strictly older than the retention window. */
export function expiredDays(dayDirs: readonly string[], now: Date, retentionDays: number): string[] {
  const cutoff = new Date(now.getTime() - retentionDays * 86_400_000).toISOString().slice(0, 10);
  return dayDirs.filter((d) => DAY_DIR.test(d) && d < cutoff).sort();
}

/** Rolled-up kinds: per-run health reports and per-action logs, both one file per event. */
export type RolledKind = 'health' | 'actions';
export const ROLLED_KINDS: readonly RolledKind[] = ['health', 'actions'];

interface Layout {
  title: string;
  header: string[];
  cells(meta: Record<string, unknown>, content: string): string[];
}

const LAYOUTS: Record<RolledKind, Layout> = {
  health: {
    title: 'Health reports',
    header: ['started (UTC)', 'status', 'servers', 'findings'],
    cells: (meta, content) => [
      text(meta.started),
      text(meta.status) || firstHeading(content),
      text(meta.servers),
      findingsOf(meta.findings),
    ],
  },
  actions: {
    title: 'Actions',
    header: ['at (UTC)', 'server', 'action', 'decision', 'outcome'],
    cells: (meta, content) => [
      text(meta.at),
      text(meta.server),
      text(meta.action) || firstHeading(content),
      text(meta.decision),
      text(meta.outcome),
    ],
  },
};

function text(v: unknown): string {
  return v === undefined || v === null ? '' : String(v);
}

function findingsOf(v: unknown): string {
  if (!Array.isArray(v)) return '';
  const joined = v
    .map((f) => (isRecord(f) ? `${text(f.fingerprint)} (${text(f.severity)})` : text(f)))
    .join(', ');
  return joined.length > 300 ? `${joined.slice(0, 300)}…` : joined;
}

/** One row per file, keyed by its path so rolling up twice never duplicates. */
export function summaryRow(kind: RolledKind, file: MemoryFile): string {
  // the path is ours (state-branch layout): a code span the summary reads back as the row's key
  const cells: CellValue[] = [
    trusted(`\`${file.path.replace(/`/g, '')}\``),
    ...LAYOUTS[kind].cells(frontMatter(file.content), file.content),
  ];
  return `| ${cells.map(cell).join(' | ')} |`;
}

/** The month's summary with these files added (existing rows kept, sorted by path). */
export function rollUp(
  kind: RolledKind,
  month: string,
  existing: string | undefined,
  files: readonly MemoryFile[],
): string {
  const rows = new Map<string, string>();
  for (const line of (existing ?? '').split('\n')) {
    const key = /^\| `([^`]+)`/.exec(line)?.[1];
    if (key) rows.set(key, line);
  }
  for (const file of files) rows.set(file.path, summaryRow(kind, file));
  const body = [...rows.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, row]) => row);
  const header = ['file', ...LAYOUTS[kind].header];
  return [
    `# ${LAYOUTS[kind].title}, ${month}`,
    'Files older than the retention window (`state.retention_days`) are rolled up here, one row each; ' +
      'the full files remain in this branch’s git history.',
    [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...body].join('\n'),
  ]
    .join('\n\n')
    .concat('\n');
}

function firstHeading(text: string): string {
  return /^# (.*)$/m.exec(text)?.[1] ?? '';
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Day directories of each rolled kind that are past the window, from a listing of `health/` and `actions/`. */
export function expiredDayDirs(
  top: readonly BranchEntry[],
  now: Date,
  retentionDays: number,
): { kind: RolledKind; days: string[] }[] {
  return ROLLED_KINDS.map((kind) => ({
    kind,
    days: expiredDays(
      top
        .filter((e) => e.type === 'tree' && e.path.startsWith(`${kind}/`))
        .map((e) => e.path.slice(kind.length + 1)),
      now,
      retentionDays,
    ),
  })).filter((k) => k.days.length > 0);
}

/** The months the expired days fall in: their summaries take the rolled rows. */
export function monthsOf(days: readonly string[]): string[] {
  return [...new Set(days.map((d) => d.slice(0, 7)))];
}

/**
 * The changes that roll expired day directories of one kind up: per month, the summary with a row
 * for each file, and each file deleted. `files` are the files under those days, `contents` their
 * text and the existing summaries' text.
 */
export function rollUpDayChanges(
  kind: RolledKind,
  days: readonly string[],
  files: readonly string[],
  contents: ReadonlyMap<string, string>,
): FileChange[] {
  const out: FileChange[] = [];
  for (const month of monthsOf(days)) {
    const inMonth = files.filter((f) => f.startsWith(`${kind}/${month}-`));
    const rows = inMonth.map((path) => ({ path, content: contents.get(path) ?? '' }));
    const path = summaryPath(kind, month);
    out.push({ path, content: rollUp(kind, month, contents.get(path), rows) });
    out.push(...inMonth.map((f) => ({ path: f })));
  }
  return out;
}

const HISTORY_MONTH = /^history\/[^/]+\/(\d{4}-\d{2})\.tsv$/;

/** Monthly history files wholly older than the window (from a recursive listing of `history/`). */
export function expiredHistoryFiles(paths: readonly string[], now: Date, retentionDays: number): string[] {
  const cutoff = new Date(now.getTime() - retentionDays * 86_400_000).toISOString().slice(0, 7);
  return paths.filter((p) => {
    const month = HISTORY_MONTH.exec(p)?.[1];
    return month !== undefined && month < cutoff;
  });
}

/**
 * Expired history months → one line per day, merged into `<YYYY>-daily.tsv`, the months deleted.
 * `contents` holds the expired months and the existing daily files.
 */
export function rollUpHistoryChanges(
  expired: readonly string[],
  contents: ReadonlyMap<string, string>,
): FileChange[] {
  const out: FileChange[] = [];
  for (const daily of new Set(expired.map(dailyHistoryPath))) {
    const months = expired.filter((p) => dailyHistoryPath(p) === daily);
    const rolled = months.map((p) => rollUpDays(parseHistory(contents.get(p) ?? '')));
    out.push({ path: daily, content: mergeLines(contents.get(daily), ...rolled) });
    out.push(...months.map((path) => ({ path })));
  }
  return out;
}
