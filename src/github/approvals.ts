/**
 * Approval pull requests (docs/architecture.md#remediation): each `needs-approval` action of this run becomes a branch
 * `claudeops/approve-<id>` off the state branch adding approvals/<id>.md, and a PR against the
 * state branch. Merging is the approval; the execute-approved task runs it.
 *
 * One proposal per plan (server + action + params): not while a PR for it is open, not while an
 * approved copy waits on the state branch, and not again within the expiry after a human declined
 * it (asking again every run would be nagging, not operating).
 */

import type { Memory } from '../core/memory/memory.js';
import type { GitHubApi, PullInfo } from '../core/ports/index.js';
import { titleText } from '../core/render/untrusted-text.js';
import type { ActionRecord, RunRecord } from '../core/run-record.js';
import {
  type ApprovalPlan,
  approvalBranch,
  idOfBranch,
  type PlanFinding,
  parseApprovalFile,
  planFromAction,
  proposedApprovalFile,
  renderApprovalPullBody,
} from '../core/state-branch/approval-file.js';
import { approvalPath } from '../core/state-branch/paths.js';
import { errorMessage } from '../core/util/error-message.js';
import { redact, redactDeep } from '../core/util/redact.js';
import { secretsOf } from '../record/build-state-changes.js';
import type { RunContext } from '../run-context.js';

const PLAN_MARKER = /<!-- claudeops:plan=(\S+) -->/;

export function planOfPull(pull: PullInfo): string | undefined {
  return PLAN_MARKER.exec(pull.body)?.[1];
}

/** Plans that must not be proposed again now. */
async function blockedPlans(
  api: GitHubApi,
  stateBranch: string,
  memory: Memory,
  now: Date,
  expiryMs: number,
): Promise<Set<string>> {
  const blocked = new Set<string>();
  for (const file of memory.approvals) {
    const plan = parseApprovalFile(file.content);
    if (plan?.status === 'pending') blocked.add(plan.plan);
  }
  const pulls = await api.listPulls({ state: 'all', base: stateBranch });
  for (const pull of pulls) {
    const key = planOfPull(pull);
    if (!key || !idOfBranch(pull.head)) continue;
    if (pull.state === 'open') blocked.add(key);
    else if (!pull.merged && declinedRecently(memory, pull, now, expiryMs)) blocked.add(key);
  }
  return blocked;
}

/** A declined plan stays quiet until its proposal would have expired anyway. */
function declinedRecently(memory: Memory, pull: PullInfo, now: Date, expiryMs: number): boolean {
  const id = idOfBranch(pull.head) ?? '';
  const file = memory.approvals.find((f) => f.path === approvalPath(id));
  const plan = file ? parseApprovalFile(file.content) : undefined;
  const since = Date.parse(plan?.handled_at ?? plan?.created ?? '');
  // not recorded yet (execute-approved has not run since): count it as recent
  return !Number.isFinite(since) || now.getTime() - since < expiryMs;
}

/** Opens one PR per new plan; failures are recorded per plan and never stop the others. */
export async function openApprovalPulls(
  ctx: RunContext,
  record: RunRecord,
  memory: Memory,
  api: GitHubApi,
): Promise<void> {
  const proposals = record.actions.filter((a) => a.decision === 'needs-approval');
  if (!ctx.config.github.approvals || proposals.length === 0) return;
  const now = ctx.adapters.clock.now();
  const expiry = ctx.config.github.approval_expiry;
  const stateBranch = ctx.inputs.stateBranch;
  const blocked = await blockedPlans(api, stateBranch, memory, now, expiry);
  const base = await api.branchSha(stateBranch);
  if (!base)
    throw new Error(
      `GitHub API failed: the state branch ${stateBranch} is not on GitHub, so approval PRs cannot be opened`,
    );
  for (const action of proposals) {
    const plan = planFromAction(action, record.runId, now, expiry);
    if (blocked.has(plan.plan)) continue;
    blocked.add(plan.plan);
    try {
      const finding = record.findings.find((f) => f.fingerprint === action.fingerprint);
      const pull = await proposeOne(ctx, api, base, plan, action, finding);
      record.github.pulls.push(pull.number);
      action.pull = pull.number;
    } catch (error) {
      record.github.errors.push(`${errorMessage(error)} (approval ${plan.id})`);
    }
  }
}

async function proposeOne(
  ctx: RunContext,
  api: GitHubApi,
  base: string,
  plan: ApprovalPlan,
  action: ActionRecord,
  finding: PlanFinding | undefined,
): Promise<PullInfo> {
  const secrets = secretsOf(ctx);
  // redacted before rendering: escaped text no longer matches the secret patterns
  const shownPlan = redactDeep(plan, secrets);
  const shownAction = redactDeep(action, secrets);
  const branch = approvalBranch(plan.id);
  const path = approvalPath(plan.id);
  if (!(await api.branchSha(branch))) await api.createBranch(branch, base);
  const existing = await api.getFile(path, branch);
  await api.putFile({
    branch,
    path,
    content: proposedApprovalFile(plan, action, secrets),
    message: `claudeops: propose ${plan.action} on ${plan.server} (${plan.id})`,
    ...(existing ? { sha: existing.sha } : {}),
  });
  return api.createPull({
    title: titleText(`Approve: ${plan.action} on ${plan.server} (${plan.risk} risk)`),
    head: branch,
    base: ctx.inputs.stateBranch,
    body: redact(
      renderApprovalPullBody(
        shownPlan,
        shownAction,
        path,
        finding ? redactDeep({ severity: finding.severity, summary: finding.summary }, secrets) : undefined,
      ),
      secrets,
    ),
  });
}
