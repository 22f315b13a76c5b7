import { emptyMemory, type Memory, type ServerState } from '../core/memory/memory.js';
import type { RunRecord } from '../core/run-record.js';
import { errorMessage } from '../core/util/error-message.js';
import type { RunContext } from '../run-context.js';
import { openApprovalPulls } from './approvals.js';
import { syncIssues } from './issues.js';

/**
 * Brings GitHub in line with the run (Report phase, after the state branch was written, so links
 * and approval branches point at this run's records): approval PRs first, then issues (whose
 * comments mention the proposals). Each part fails on its own: a dead API is recorded in
 * record.github.errors ("GitHub API failed: …"), shown in the summary, and never stops the run.
 * Pass the run's memory: approvals already waiting on the state branch are not proposed again.
 */
export async function syncGitHub(
  ctx: RunContext,
  record: RunRecord,
  memory: Memory = emptyMemory(),
  fleetStates: Record<string, ServerState> = memory.servers,
): Promise<void> {
  const api = ctx.adapters.github;
  if (!api) return;
  for (const [part, fn] of [
    ['approval PRs', () => openApprovalPulls(ctx, record, memory, api)],
    ['issues', () => syncIssues(ctx, record, api, fleetStates)],
  ] as const) {
    try {
      await fn();
    } catch (error) {
      const message = errorMessage(error);
      record.github.errors.push(
        message.startsWith('GitHub API failed')
          ? `${message} (${part})`
          : `GitHub ${part} failed: ${message}`,
      );
    }
  }
}
