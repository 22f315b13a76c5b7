/**
 * Bounds on what is read from the state branch (docs/state-branch.md#bounded-reading). The branch
 * is outside input: anyone with push access (or a bad hand edit) can put a 100 MB file, a symlink
 * or an absurd number there, and a run or a read command must stay small and correct anyway.
 */

/** Whole-file reads (state JSON, issue files, reports): `state.max_file_size`'s default. */
export const DEFAULT_MAX_FILE_BYTES = 1_048_576;

/**
 * A monthly history file (`history/<server>/<YYYY-MM>.tsv`) a check still appends to: a run every
 * minute for a month with a few endpoints is ≈ 6 MB. A larger one is set aside by the next check.
 */
export const MAX_HISTORY_FILE_BYTES = 16 * 1_048_576;

/** A streamed line longer than this is skipped (a history line is ≈ 100 bytes). */
export const MAX_LINE_BYTES = 65_536;

/** Lines of one monthly history file a window read keeps (the newest): a run every minute for a month fits. */
export const MAX_WINDOW_LINES = 50_000;

/** What `history` reads of a health report: its front matter comes first and is far smaller. */
export const REPORT_HEAD_BYTES = 16_384;

/** Git modes of regular files. A symlink (120000) or submodule (160000) on the branch is ignored. */
export function isRegularFile(mode: string): boolean {
  return mode === '100644' || mode === '100755';
}

export function nonRegularWarning(path: string, mode: string): string {
  const what = mode === '120000' ? 'a symlink' : mode === '160000' ? 'a submodule' : `of git mode ${mode}`;
  return `state branch: ${path} is ${what}, not a regular file: ignored`;
}
