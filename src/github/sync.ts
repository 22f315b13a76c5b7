import type { RunRecord } from '../core/run-record.js';
import type { RunContext } from '../run-context.js';

/**
 * Brings GitHub in line with the run: issues opened/updated/closed, approval PRs.
 * (Initial version: no GitHub calls yet.)
 */
export async function syncGitHub(ctx: RunContext, record: RunRecord): Promise<void> {
  if (!ctx.adapters.github) return;
  record.github.errors.push('github: issue sync is not wired yet');
}
