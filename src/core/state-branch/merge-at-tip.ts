/**
 * Re-applying a run's changes onto a newer tip (docs/architecture.md#state-branch): state files
 * merged by meaning (two runs that both counted must both count), issue files by their history,
 * append-only series line by line. Pure: the store's adapter reads the tip's versions and writes
 * what these functions return.
 */
import { mergeLines } from '../memory/history-series.js';
import type { ServerState } from '../memory/memory.js';
import { mergeServerStates, parseStateFile, serializeServerState } from '../memory/server-state.js';
import type { FileChange } from '../types.js';
import type { BranchEntry } from './branch-entry.js';
import { mergeIssueFiles } from './issue-files.js';

/** This run's writes that may need merging with the tip: state and issue files. */
export function mergeCandidates(changes: readonly FileChange[]): string[] {
  return changes
    .filter((c) => c.content !== undefined && /^(state|issues)\//.test(c.path))
    .map((c) => c.path);
}

/**
 * Whether the tip's version must be merged in: issue files always (a reopened issue's history lives
 * only on the branch); state files only when another run changed them since this run read them.
 */
export function mustMerge(atTip: BranchEntry, loadedOid: string | undefined): boolean {
  return atTip.type === 'blob' && (atTip.path.startsWith('issues/') || loadedOid !== atTip.oid);
}

/** Our version of a file merged with the tip's; `byMeaning` when it was a state file. */
export function mergeAtTip(
  path: string,
  ours: string,
  theirs: string,
  base: ServerState | null | undefined,
): { content: string; byMeaning: boolean } {
  if (path.startsWith('state/'))
    return { content: mergeStateFile(path, ours, theirs, base), byMeaning: true };
  return { content: mergeIssueFiles(ours, theirs), byMeaning: false };
}

/** 3-way merge of one state file; our version wins when the other cannot be read. */
export function mergeStateFile(
  path: string,
  ours: string,
  theirs: string,
  base: ServerState | null | undefined,
): string {
  const o = parseStateFile(path, ours);
  if (!o.ok) return ours;
  const t = parseStateFile(path, theirs);
  return serializeServerState(mergeServerStates(base ?? undefined, o.state, t.ok ? t.state : undefined));
}

/** This run's append-only changes (history series). */
export function appendChanges(changes: readonly FileChange[]): FileChange[] {
  return changes.filter((c) => c.append && c.content !== undefined);
}

/** Each append's lines added to the file as the tip holds it, every line once: never lost, never doubled. */
export function appendAtTip(
  appends: readonly FileChange[],
  atTip: ReadonlyMap<string, string>,
): FileChange[] {
  return appends.map((c) => ({ path: c.path, content: mergeLines(atTip.get(c.path), c.content) }));
}
