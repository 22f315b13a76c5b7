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
  dispose?(): Promise<void>;
}

/** Read access to the state branch at one commit (CLI read commands, the status page). */
export interface StateReader {
  /** every file path under a prefix (`history/`, `issues/`) */
  list(prefix: string): Promise<string[]>;
  /** the contents of these files; paths that do not exist are absent from the map */
  read(paths: readonly string[]): Promise<Map<string, string>>;
  /** bytes of file content read so far */
  readonly bytesRead: number;
}
