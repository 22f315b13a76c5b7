import { emptyMemory, type Memory } from '../core/memory.js';
import type { RunContext } from '../run-context.js';

/** Reads memory from the state branch; a store that cannot be read costs memory, never the run. */
export async function loadMemory(ctx: RunContext): Promise<Memory> {
  try {
    return await ctx.adapters.state.load();
  } catch (error) {
    const memory = emptyMemory();
    memory.warnings.push(`memory: the state branch could not be read, running without memory: ${String(error)}`);
    return memory;
  }
}
