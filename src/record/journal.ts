import type { Memory } from '../core/memory/memory.js';
import type { RunRecord } from '../core/run-record.js';
import { raisedFindings } from '../core/status.js';
import type { FileChange } from '../core/types.js';
import { countOf } from '../core/util/count-of.js';
import type { RunContext } from '../run-context.js';
import { buildStateChanges } from './build-state-changes.js';

/** The state-branch commit message of a run (the journal's and the final commit's). */
export function commitMessage(record: RunRecord, note?: string): string {
  const base = `claudeops ${record.task}: ${record.runId}`;
  return note
    ? `${base} (${note})`
    : `${base} (${countOf(raisedFindings(record).length, 'finding')}, ${countOf(record.actions.length, 'action')})`;
}

/**
 * The one way a run journals its record so far (write-ahead): everything it would commit now, as
 * if it ended now. If the run dies before its commit, the post step pushes this. Throws when the
 * journal cannot be written: the caller decides whether that stops an action or is a warning.
 */
export async function journalRecord(
  ctx: RunContext,
  record: RunRecord,
  memory: Memory,
  extra: readonly FileChange[] = [],
  note?: string,
): Promise<void> {
  const stage = ctx.adapters.state.stage;
  if (!stage) return;
  const finishedAt = ctx.adapters.clock.now().toISOString();
  const changes = [...buildStateChanges(ctx, { ...record, finishedAt }, memory), ...extra];
  await stage.call(ctx.adapters.state, changes, commitMessage(record, note));
}
