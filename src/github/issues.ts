/**
 * Executes the issue plan (src/core/issues/issue-plan.ts) against GitHub. Reading is bounded: open
 * claudeops issues plus those closed within the reopen window (older ones can never be reopened),
 * so the cost does not grow with the repository's history.
 */

import { MAINTENANCE_LABEL, MANAGED_LABEL } from '../core/issues/issue-labels.js';
import { type IssueOp, planIssues } from '../core/issues/issue-plan.js';
import { type MaintenanceWindow, maintenanceWindows } from '../core/issues/maintenance-issues.js';
import type { ServerState } from '../core/memory/memory.js';
import type { GitHubApi, IssueSnapshot } from '../core/ports/index.js';
import type { RunRecord } from '../core/run-record.js';
import { issuePath } from '../core/state-branch/paths.js';
import { errorMessage } from '../core/util/error-message.js';
import { redact } from '../core/util/redact.js';
import { secretsOf } from '../record/build-state-changes.js';
import type { RunContext } from '../run-context.js';

const LABEL_COLORS: [RegExp, string, string][] = [
  [/^claudeops$/, '5319e7', 'Opened and tracked by ClaudeOps'],
  [/^severity:critical$/, 'b60205', 'ClaudeOps: critical finding'],
  [/^severity:warning$/, 'fbca04', 'ClaudeOps: warning finding'],
  [/^server:/, 'c5def5', 'ClaudeOps: the server concerned'],
  [/^fleet$/, 'd93f0b', 'ClaudeOps: the same fault on several servers'],
  [/^maintenance$/, '0e8a16', 'ClaudeOps: suppresses automatic actions on the servers named'],
];

/** Issues the planner may act on: open ones, and closed ones young enough to be reopened. */
export async function fetchTrackedIssues(
  api: GitHubApi,
  now: Date,
  reopenWithinMs: number,
): Promise<IssueSnapshot[]> {
  const open = await api.listIssues({ labels: [MANAGED_LABEL], state: 'open' });
  const since = new Date(now.getTime() - reopenWithinMs).toISOString();
  const closed = await api.listIssues({ labels: [MANAGED_LABEL], state: 'closed', since });
  return [...open, ...closed];
}

/** Brings issues in line with this run; every failure is recorded, none stops the others. */
export async function syncIssues(
  ctx: RunContext,
  record: RunRecord,
  api: GitHubApi,
  fleetStates: Record<string, ServerState> = {},
): Promise<void> {
  const { github } = ctx.config;
  if (!github.issues) return;
  const now = ctx.adapters.clock.now();
  const secrets = secretsOf(ctx);
  const issues = await fetchTrackedIssues(api, now, github.reopen_within);
  const plan = planIssues(record, issues, {
    github,
    now,
    stateUrl: ctx.links?.stateUrl,
    issueFile: issuePath,
    redact: (text) => redact(text, secrets),
    fleetStates,
  });
  if (plan.ops.length === 0) return;
  await ensureLabels(api, plan.labels);
  for (const op of plan.ops) {
    try {
      const number = await execute(api, op);
      if (!record.github.issues.includes(number)) record.github.issues.push(number);
    } catch (error) {
      record.github.errors.push(`${errorMessage(error)} (issue ${op.key})`);
    }
  }
}

async function execute(api: GitHubApi, op: IssueOp): Promise<number> {
  if (op.kind === 'create') {
    const created = await api.createIssue({ title: op.title, body: op.body, labels: op.labels });
    return created.number;
  }
  await api.updateIssue(op.number, op.update);
  if (op.comment) await api.comment(op.number, op.comment);
  return op.number;
}

/** Creates the labels that do not exist yet, with colors people can tell apart. */
export async function ensureLabels(api: GitHubApi, names: string[]): Promise<void> {
  const existing = new Set(await api.listLabels());
  for (const name of names) {
    if (existing.has(name)) continue;
    const [, color, description] = LABEL_COLORS.find(([re]) => re.test(name)) ?? [/./, 'ededed', 'ClaudeOps'];
    await api.createLabel({ name, color, description });
  }
}

/**
 * Open `maintenance` issues as windows in the config's `maintenance:` shape: appended to the list
 * the policy gate gets, a maintenance issue suppresses actions like a configured window. A GitHub
 * failure here must not unlock actions silently, so it throws and the caller decides.
 */
export async function fetchMaintenanceWindows(api: GitHubApi, now: Date): Promise<MaintenanceWindow[]> {
  const issues = await api.listIssues({ labels: [MAINTENANCE_LABEL], state: 'open' });
  return maintenanceWindows(issues, now);
}
