import type { Memory } from '../memory/memory.js';
import type { FileChange } from '../types.js';

export interface CommitResult {
  sha: string;
  /** false when only the local record exists (no remote, or every push attempt was rejected) */
  pushed: boolean;
  branch: string;
  /** where the record lives: a remote URL or a local directory */
  location: string;
  /** why the push did not land, when pushed is false */
  error?: string;
  /** push attempts made */
  attempts?: number;
}

/** What a compaction of the state branch did (docs/state-branch.md#compaction). */
export interface CompactResult {
  compacted: boolean;
  /** what was done, or why nothing was, in a sentence */
  summary: string;
  /** commits kept (re-made on the new root, same files) */
  kept: number;
  oldTip?: string;
  newTip?: string;
  warnings: string[];
}

/** The state branch: memory in, one commit per run out (docs/architecture.md#state-branch). */
export interface StateStore {
  load(): Promise<Memory>;
  /**
   * Commits this run's changes as one commit and pushes it. On a rejected push it fetches the new
   * tip, re-applies the changes (state/*.json merged by meaning) and retries, bounded.
   */
  commit(changes: FileChange[], message: string): Promise<CommitResult>;
  /**
   * Writes the changes so far to the run journal, so a crash before commit loses nothing:
   * the post step pushes the journal of a run that never committed.
   */
  stage?(changes: FileChange[], message?: string): Promise<void>;
  /** Read access to the branch tip as it is now (the status page); dispose() when done. */
  openReader?(): Promise<StateReader>;
  /**
   * Replaces the history older than `keepDays` by one commit holding the files as they were then,
   * keeping later commits and the tip's files as they are (`task: compact`; opt-in).
   */
  compact?(options: { keepDays: number }): Promise<CompactResult>;
  dispose?(): Promise<void>;
}

/**
 * Read access to the state branch at one commit (CLI read commands, the status page). Bounded
 * whatever the branch holds (docs/state-branch.md#bounded-reading): only regular files are seen
 * (a symlink or submodule entry is skipped, with a warning), a whole-file read is capped, and
 * long files are streamed line by line or cut to their head, never held whole.
 */
export interface StateReader {
  /** the regular files under a prefix (`history/`, `issues/`) */
  list(prefix: string): Promise<string[]>;
  /**
   * Whole files, each at most `maxBytes` (default: the reader's limit, `state.max_file_size`):
   * a larger file, a symlink or a path that does not exist is absent from the map (with a warning
   * for the first two).
   */
  read(paths: readonly string[], options?: { maxBytes?: number }): Promise<Map<string, string>>;
  /**
   * The first `bytes` of each file (the front matter of a report) to `visit`, one file at a time,
   * in the order given: the rest of a file is streamed past, never held.
   */
  heads(paths: readonly string[], bytes: number, visit: (path: string, head: string) => void): Promise<void>;
  /**
   * Streams every line of these files, in the order given, to `visit` (path, line, line number
   * from 1); a line longer than MAX_LINE_BYTES is skipped, with a warning. Memory stays bounded
   * whatever the size of the files: only what `visit` keeps is kept. With `tailBytes`, a larger
   * file is read from its last `tailBytes` only (its first, cut line dropped; line numbers count
   * from there), with a warning: the newest lines of an append-only file, at a bounded cost.
   */
  scan(
    paths: readonly string[],
    visit: (path: string, line: string, lineNo: number) => void,
    options?: { tailBytes?: number },
  ): Promise<void>;
  /** A problem found in what was read (a value out of range): the command prints it once. */
  warn(message: string): void;
  /** bytes of file content read so far (streamed bytes count) */
  readonly bytesRead: number;
}
