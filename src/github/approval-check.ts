/**
 * What makes an approvals/<id>.md an approval (issue 10): not that it sits on the state branch —
 * anything holding `contents: write` can put it there — but that GitHub confirms a human with
 * write access merged a pull request adding exactly that file, and that nothing changed it since.
 * Checked at execution, every time:
 *
 *   1. the plan's `id` is its file name (approvals/<id>.md, a safe id);
 *   2. a merged pull request from claudeops/approve-<id> into the state branch changed exactly
 *      one file, that one, as an addition, ending with the blob now on the branch (an edit after
 *      the merge — the status line included — voids it). Base branch, head branch and head
 *      repository are read from the pull request itself (`pulls.get`), never trusted from the
 *      list that found it: its base must be the state branch, its head a branch of this repository
 *      (a fork only with `github.approvals_from_forks`);
 *   3. it was merged before the plan's `expires`;
 *   4. the account that merged it has write, maintain or admin permission now;
 *   5. the pull request carries no "executing" marker of an earlier run (at most once, even if the
 *      file is reverted to `pending`).
 *
 * GitHub failing to answer is not a refusal: the plan stays pending and nothing runs this time.
 */
import { createHash } from 'node:crypto';
import type { MemoryFile } from '../core/memory/memory.js';
import type { GitHubApi, PullDetail, PullInfo, RepoPermission } from '../core/ports/index.js';
import { type ApprovalPlan, approvalBranch } from '../core/state-branch/approval-file.js';
import { approvalPath, safeId } from '../core/state-branch/paths.js';
import { errorMessage } from '../core/util/error-message.js';

export type ApprovalCheck =
  | { verdict: 'approved'; pull: PullDetail }
  /** final: recorded in the file, never asked again */
  | { verdict: 'refused'; reason: string; pull?: PullInfo }
  /** GitHub could not be asked: nothing runs, the plan stays pending */
  | { verdict: 'unverified'; reason: string };

const WRITERS: ReadonlySet<RepoPermission> = new Set(['admin', 'maintain', 'write']);

/** Where an approval's pull request must come from and go to. */
export interface ApprovalRules {
  stateBranch: string;
  /** `github.approvals_from_forks`: a head branch in another repository counts too */
  allowForks: boolean;
}

/** The marker a run comments on an approval PR just before it executes the plan. */
export function executingMarker(id: string): string {
  return `<!-- claudeops:executing=${safeId(id)} -->`;
}

/** git's object id of a blob: what GitHub reports as a file's `sha`. */
export function gitBlobSha(content: string): string {
  return createHash('sha1')
    .update(`blob ${Buffer.byteLength(content)}\0`)
    .update(content)
    .digest('hex');
}

/** Checks 1 to 5 for one pending plan; `pulls` are the approval PRs into the state branch. */
export async function checkApproval(
  api: GitHubApi,
  file: MemoryFile,
  plan: ApprovalPlan,
  pulls: readonly PullInfo[],
  rules: ApprovalRules,
): Promise<ApprovalCheck> {
  if (safeId(plan.id) !== plan.id || approvalPath(plan.id) !== file.path) {
    return {
      verdict: 'refused',
      reason: `the plan's id "${plan.id.slice(0, 100)}" does not match its file name ${file.path}`,
    };
  }
  const ours = pulls.filter((p) => p.head === approvalBranch(plan.id));
  const merged = ours.filter((p) => p.merged);
  if (merged.length === 0) return { verdict: 'refused', reason: noMergeReason(file.path, ours) };
  try {
    const blob = file.blob ?? gitBlobSha(file.content);
    let refusal: ApprovalCheck | undefined;
    for (const pull of merged) {
      const checked = await checkPull(api, pull, { path: file.path, blob, plan, rules });
      if (checked.verdict === 'approved') return checked;
      refusal ??= checked;
    }
    return refusal ?? { verdict: 'refused', reason: noMergeReason(file.path, ours) };
  } catch (error) {
    return { verdict: 'unverified', reason: `GitHub could not confirm the approval: ${errorMessage(error)}` };
  }
}

function noMergeReason(path: string, ours: readonly PullInfo[]): string {
  const closed = ours.find((p) => p.state === 'closed');
  if (closed) return `pull request #${closed.number} for ${path} was closed without merging`;
  const open = ours.find((p) => p.state === 'open');
  if (open) return `pull request #${open.number} for ${path} is not merged`;
  return `no pull request added ${path}: a file pushed to the state branch is not an approval`;
}

interface Expected {
  path: string;
  blob: string;
  plan: ApprovalPlan;
  rules: ApprovalRules;
}

async function checkPull(api: GitHubApi, pull: PullInfo, expected: Expected): Promise<ApprovalCheck> {
  const { path, blob, plan } = expected;
  const refuse = (reason: string): ApprovalCheck => ({ verdict: 'refused', reason, pull });
  const detail = await api.getPull(pull.number);
  if (!detail.merged || !detail.mergedAt || !detail.mergedBy)
    return refuse(`pull request #${pull.number} is not recorded as merged by anyone`);
  const misplaced = wrongPlace(detail, expected, `${api.owner}/${api.repo}`);
  if (misplaced) return refuse(misplaced);
  const files = await api.listPullFiles(pull.number);
  const only = files.length === 1 ? files[0] : undefined;
  if (!only || only.path !== path || only.status !== 'added')
    return refuse(
      `pull request #${pull.number} did not add exactly ${path} (it changed ${files.length} files)`,
    );
  if (only.sha !== blob) {
    return refuse(
      `${path} on the state branch (blob ${blob.slice(0, 12)}) is not the file pull request #${pull.number} added ` +
        `(blob ${only.sha.slice(0, 12)}): it was edited after the merge`,
    );
  }
  const expires = Date.parse(plan.expires);
  if (!Number.isFinite(expires) || Date.parse(detail.mergedAt) >= expires)
    return refuse(
      `pull request #${pull.number} was merged at ${detail.mergedAt}, after the plan expired (${plan.expires})`,
    );
  const permission = await api.permissionOf(detail.mergedBy);
  if (!WRITERS.has(permission)) {
    return refuse(
      `pull request #${pull.number} was merged by ${detail.mergedBy}, whose permission is ${permission} (write needed)`,
    );
  }
  const comments = await api.listComments(pull.number);
  if (comments.some((c) => c.body.includes(executingMarker(plan.id))))
    return refuse(`pull request #${pull.number} says an earlier run already executed it: at most once`);
  return { verdict: 'approved', pull: detail };
}

/**
 * Why the pull request, as GitHub describes it, is not an approval PR of this repository's state
 * branch: its base, its head branch and the repository that branch lives in.
 */
function wrongPlace(detail: PullDetail, expected: Expected, thisRepo: string): string | undefined {
  const n = `pull request #${detail.number}`;
  const { stateBranch, allowForks } = expected.rules;
  if (detail.base !== stateBranch)
    return `${n} was merged into ${detail.base}, not into the state branch ${stateBranch}`;
  if (!sameRepo(detail.baseRepo, thisRepo)) return `${n} belongs to ${detail.baseRepo}, not to ${thisRepo}`;
  const branch = approvalBranch(expected.plan.id);
  if (detail.head !== branch) return `${n} comes from branch ${detail.head}, not from ${branch}`;
  if (!allowForks && !sameRepo(detail.headRepo, thisRepo)) {
    const from = detail.headRepo ?? 'a repository that no longer exists';
    return `${n} comes from ${from}, not from a branch of ${thisRepo} (github.approvals_from_forks is off)`;
  }
  return undefined;
}

/** GitHub's owner and repository names are case-insensitive. */
function sameRepo(a: string | null, b: string): boolean {
  return a !== null && a.toLowerCase() === b.toLowerCase();
}
