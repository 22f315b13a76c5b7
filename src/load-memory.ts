import { emptyMemory, type Memory } from './core/memory/memory.js';
import { metaOf } from './core/state-branch/front-matter.js';
import { ranOnServer } from './core/status.js';
import { countOf as count } from './core/util/count-of.js';
import { errorMessage } from './core/util/error-message.js';
import type { RunContext } from './run-context.js';

/**
 * Reads memory from the state branch. A store that cannot be read costs memory, never the run:
 * the run goes on as a first run would, and says so.
 */
export async function loadMemory(ctx: RunContext): Promise<Memory> {
  const started = performance.now();
  try {
    const memory = await ctx.adapters.state.load();
    ctx.logger.info(`memory: ${describe(memory)} (${Math.round(performance.now() - started)} ms)`);
    return memory;
  } catch (error) {
    const memory = emptyMemory();
    const reason = errorMessage(error);
    memory.warnings.push(`memory: the state branch could not be read, running without memory: ${reason}`);
    return memory;
  }
}

function describe(memory: Memory): string {
  const servers = Object.keys(memory.servers).length;
  if (memory.reports.length === 0 && servers === 0) return 'the state branch is empty: this is the first run';
  // actions that ran, as everywhere; proposals and refusals are records of the last 24 h too
  const ran = memory.recentActions.filter((f) => ranOnServer(metaOf(f) as { decision: string })).length;
  const other = memory.recentActions.length - ran;
  return (
    `${count(memory.reports.length, 'recent report')}, ${count(memory.openIssues.length, 'open issue')}, ` +
    `${count(ran, 'action')} run in the last 24 h${other ? ` (and ${other} proposed or refused)` : ''}, ` +
    `${count(memory.approvals.length, 'approval')}, state of ${count(servers, 'server')}; last run ${memory.lastRunAt ?? 'unknown'}`
  );
}
