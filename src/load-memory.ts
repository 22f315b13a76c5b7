import { emptyMemory, type Memory } from './core/memory/memory.js';
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
  return (
    `${memory.reports.length} recent reports, ${memory.openIssues.length} open issues, ` +
    `${memory.recentActions.length} actions in the last 24 h, ${memory.approvals.length} approvals, ` +
    `state of ${servers} servers; last run ${memory.lastRunAt ?? 'unknown'}`
  );
}
