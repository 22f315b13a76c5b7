import type { Memory } from '../core/memory.js';
import type { RemoteShell } from '../core/ports.js';
import type { RunRecord } from '../core/run-record.js';
import type { RunContext } from '../run-context.js';

/**
 * Diagnose (Claude or rules) and remediate through the policy gate; fills record.planner,
 * record.diagnoses, record.actions, record.usage. (Initial version: decides nothing.)
 */
export async function diagnoseAndRemediate(
  _ctx: RunContext,
  record: RunRecord,
  _memory: Memory,
  _shells: Map<string, RemoteShell>,
): Promise<void> {
  record.planner = { kind: 'none', reason: 'remediation is not wired yet' };
}
