/**
 * The execute-approved task (docs/architecture.md#remediation): every approvals/<id>.md on the state branch whose status
 * is still `pending` is a candidate, and only a candidate GitHub confirms (approval-check.ts: a
 * merged PR that added exactly this file, by an account with write access, before expiry, the file
 * unchanged since) is run — through the policy gate again (the remediator), at most once: an
 * "executing" comment on the PR and the file marked executed in the run journal come before the
 * command, and the outcome is written back into the file. Refusals are recorded in the file and
 * the run record with their reason. Closed-unmerged approval PRs are recorded as declined. Each
 * handled PR gets one outcome comment.
 *
 * Without GitHub (the CLI without a token) nothing is executed: there is no way to tell a merged
 * approval from a file pushed to the branch.
 */

import type { Memory, MemoryFile } from '../core/memory/memory.js';
import type { GitHubApi, PullInfo } from '../core/ports/index.js';
import { fence, truncate } from '../core/render/markdown.js';
import { mdCode, mdInline } from '../core/render/untrusted-text.js';
import type { ActionRecord, RunRecord } from '../core/run-record.js';
import {
  type ApprovalPlan,
  idOfBranch,
  isExpired,
  parseApprovalFile,
  planNotAsShown,
  shownCommandBlock,
  withOutcome,
} from '../core/state-branch/approval-file.js';
import { approvalPath } from '../core/state-branch/paths.js';
import type { FileChange } from '../core/types.js';
import { errorMessage } from '../core/util/error-message.js';
import { redact } from '../core/util/redact.js';
import { secretsOf } from '../record/build-state-changes.js';
import type { RemediationRequest } from '../remediate/remediator.js';
import type { RunContext } from '../run-context.js';
import { checkApproval, executingMarker } from './approval-check.js';

/** The one thing needed from remediation: gate + execute + verify + record (Remediator.remediate). */
export type Remediate = (request: RemediationRequest) => Promise<ActionRecord>;

interface Handled {
  /** the file it came from (not derived from the plan's id, which may not match it) */
  path: string;
  content: string;
  comment: string;
  /** the approval PR to comment on */
  pull?: number;
}

export async function executeApproved(
  ctx: RunContext,
  record: RunRecord,
  memory: Memory,
  remediate: Remediate,
): Promise<FileChange[]> {
  const api = ctx.adapters.github;
  if (!api) {
    const pending = memory.approvals.filter((f) => parseApprovalFile(f.content)?.status === 'pending');
    if (pending.length > 0)
      record.warnings.push(
        `execute-approved: ${pending.length} pending approval(s) not executed: an approval is a merged pull ` +
          'request, and without GitHub (no github-token) it cannot be confirmed. The CLI never executes approvals.',
      );
    return [];
  }
  const pulls = await listApprovalPulls(api, ctx.inputs.stateBranch, record);
  const handled: Handled[] = [];
  for (const file of memory.approvals) {
    const result = await handleApproved(ctx, record, file, remediate, api, pulls);
    if (result) handled.push(result);
  }
  handled.push(...(await handleDeclined(ctx, record, memory, api, pulls ?? [])));
  // command output is server text: redacted before it reaches a PR or the branch
  const secrets = secretsOf(ctx);
  const safe = handled.map((h) => ({
    ...h,
    content: redact(h.content, secrets),
    comment: redact(h.comment, secrets),
  }));
  await commentOnPulls(api, record, safe);
  return safe.map((h) => ({ path: h.path, content: h.content }));
}

/** The approval PRs into the state branch, or undefined when GitHub cannot list them. */
async function listApprovalPulls(
  api: GitHubApi,
  stateBranch: string,
  record: RunRecord,
): Promise<PullInfo[] | undefined> {
  try {
    const pulls = await api.listPulls({ state: 'all', base: stateBranch });
    // the list's own filter is not trusted: an answer that ignored `?base=` lists other bases too
    return pulls.filter((p) => p.base === stateBranch && idOfBranch(p.head) !== undefined);
  } catch (error) {
    record.github.errors.push(
      `${errorMessage(error)} (approval PRs: no approval can be confirmed, nothing executed this run)`,
    );
    return undefined;
  }
}

async function handleApproved(
  ctx: RunContext,
  record: RunRecord,
  file: MemoryFile,
  remediate: Remediate,
  api: GitHubApi,
  pulls: PullInfo[] | undefined,
): Promise<Handled | undefined> {
  const plan = parseApprovalFile(file.content);
  if (!plan) {
    record.warnings.push(`${file.path}: not an approval file (no readable front matter): skipped`);
    return undefined;
  }
  if (plan.status !== 'pending') return undefined;
  const now = ctx.adapters.clock.now();
  const done = (status: ApprovalPlan['status'], outcome: string): ApprovalPlan => ({
    ...plan,
    status,
    outcome,
    handled_at: now.toISOString(),
    handled_by_run: record.runId,
  });
  if (isExpired(plan, now)) {
    record.actions.push(notRun(plan, now, `approval expired at ${plan.expires}: not executed`));
    const next = done('expired', `not executed: the approval expired at ${plan.expires}`);
    const pull = pulls?.find((p) => approvalPath(idOfBranch(p.head) ?? '') === file.path);
    const note = `Expired at ${mdInline(plan.expires)}; nothing was run. Propose it again if it is still needed.`;
    return finish(file, next, 'expired', [note], pull?.number);
  }
  const check = pulls
    ? await checkApproval(api, file, plan, pulls, {
        stateBranch: ctx.inputs.stateBranch,
        allowForks: ctx.config.github.approvals_from_forks,
      })
    : { verdict: 'unverified' as const, reason: 'the approval pull requests could not be listed' };
  if (check.verdict === 'unverified') {
    record.github.errors.push(`approval ${file.path}: not executed, left pending: ${check.reason}`);
    return undefined;
  }
  if (check.verdict === 'refused') {
    const reason = `not executed: ${check.reason}`;
    record.actions.push(notRun(plan, now, reason));
    return finish(file, done('denied', reason), 'refused', [reason], check.pull?.number);
  }
  const pull = check.pull.number;
  const unshown = planNotAsShown(file.content, secretsOf(ctx));
  if (unshown) {
    const reason = `not executed: ${unshown}`;
    record.actions.push(notRun(plan, now, reason));
    return finish(file, done('denied', reason), 'refused', [mdInline(reason)], pull);
  }
  if (!ctx.inputs.dryRun && !(await announceExecuting(api, record, file, plan, check.pull))) return undefined;
  return execute(ctx, record, file, plan, remediate, done, pull);
}

/**
 * Says on the merged PR that this run executes the plan now, before the command runs: a run that
 * finds the comment there never executes it again. False (the plan left pending) when GitHub
 * could not be told.
 */
async function announceExecuting(
  api: GitHubApi,
  record: RunRecord,
  file: MemoryFile,
  plan: ApprovalPlan,
  pull: { number: number; mergedBy?: string },
): Promise<boolean> {
  try {
    await api.comment(
      pull.number,
      `${executingMarker(plan.id)}\nClaudeOps run ${record.runId} is executing \`${plan.action}\` on ${plan.server} now (approved by ${pull.mergedBy}).`,
    );
    return true;
  } catch (error) {
    record.github.errors.push(`approval ${file.path}: not executed, left pending: ${errorMessage(error)}`);
    return false;
  }
}

async function execute(
  ctx: RunContext,
  record: RunRecord,
  file: MemoryFile,
  plan: ApprovalPlan,
  remediate: Remediate,
  done: (status: ApprovalPlan['status'], outcome: string) => ApprovalPlan,
  pull: number,
): Promise<Handled | undefined> {
  // journaled with the command: should the run die while it runs, the plan is not run twice
  const started = done('executed', 'unknown: the run ended while the approved command was running');
  const writeAhead = {
    path: file.path,
    content: redact(
      withOutcome(file.content, started, {
        title: 'started, outcome unknown',
        details: ['The run ended while the command was running. It will not be run again automatically.'],
      }),
      secretsOf(ctx),
    ),
  };
  let action: ActionRecord;
  try {
    action = await remediate({ ...requestOf(plan, file.path, file.content), writeAhead: [writeAhead] });
  } catch (error) {
    // the command may have started: never retry automatically, say so
    const message = `execution failed: ${errorMessage(error)}`;
    record.errors.push(`execute-approved ${plan.id}: ${message}`);
    return finish(
      file,
      done('denied', message),
      'failed',
      [mdInline(message), 'It will not be retried automatically.'],
      pull,
    );
  }
  if (action.decision === 'dry-run') {
    record.warnings.push(`approval ${plan.id}: dry run, left pending (nothing executed)`);
    return undefined;
  }
  if (action.decision !== 'execute') {
    const why = action.gateReason ?? action.reason;
    const next = done('denied', `refused by the policy gate: ${why}`);
    return finish(file, next, 'refused by the policy gate', [mdInline(why)], pull);
  }
  const next = {
    ...done('executed', action.outcome ?? 'not-fixed'),
    ...(action.path ? { action_log: action.path } : {}),
  };
  return finish(file, next, `executed, ${action.outcome ?? 'no verdict'}`, executedDetails(action), pull);
}

function requestOf(plan: ApprovalPlan, path: string, content: string): RemediationRequest {
  return {
    server: plan.server,
    action: plan.action,
    params: plan.params,
    ...(plan.fingerprint ? { fingerprint: plan.fingerprint } : {}),
    reason: `approved by merging ${path} (proposed by run ${plan.run})`,
    requestedBy: 'approval',
    intent: 'approved',
    approvedCommand: shownCommandBlock(content) ?? null,
  };
}

function executedDetails(action: ActionRecord): string[] {
  return [
    `- exit code: ${action.exitCode ?? 'none'}`,
    `- verification: ${mdInline(action.verification ?? 'none')}`,
    ...(action.path ? [`- action log: \`${action.path}\``] : []),
    ...(action.output ? ['', fence(truncate(action.output, 3000))] : []),
  ];
}

function finish(
  file: MemoryFile,
  plan: ApprovalPlan,
  title: string,
  details: string[],
  pull?: number,
): Handled {
  return {
    path: file.path,
    content: withOutcome(file.content, plan, { title, details }),
    comment: commentText(plan, title, details),
    ...(pull !== undefined ? { pull } : {}),
  };
}

function commentText(plan: ApprovalPlan, title: string, details: string[]): string {
  return [
    `**ClaudeOps: ${mdCode(plan.action)} on ${mdInline(plan.server)}: ${title}.**`,
    '',
    ...details,
  ].join('\n');
}

/** An approved plan the code did not run (expired, declined, not verifiably approved): said by code. */
function notRun(plan: ApprovalPlan, now: Date, reason: string): ActionRecord {
  return {
    id: plan.id,
    server: plan.server,
    action: plan.action,
    params: plan.params,
    risk: plan.risk,
    decision: 'deny',
    reason: `the approval plan ${plan.id} (proposed by run ${plan.run})`,
    gateReason: reason,
    outcome: 'not-run',
    ...(plan.fingerprint ? { fingerprint: plan.fingerprint } : {}),
    requestedBy: 'approval',
    at: now.toISOString(),
  };
}

/** Approval PRs closed without merging whose decline is not on the state branch yet. */
async function handleDeclined(
  ctx: RunContext,
  record: RunRecord,
  memory: Memory,
  api: GitHubApi,
  pulls: PullInfo[],
): Promise<Handled[]> {
  const known = new Set(memory.approvals.map((f) => f.path));
  const now = ctx.adapters.clock.now();
  const handled: Handled[] = [];
  for (const pull of pulls) {
    const id = idOfBranch(pull.head);
    if (!id || pull.state !== 'closed' || pull.merged || known.has(approvalPath(id))) continue;
    try {
      const proposed = await api.getFile(approvalPath(id), pull.headSha);
      const plan = proposed ? parseApprovalFile(proposed.content) : undefined;
      if (!proposed || !plan) {
        record.warnings.push(
          `approval PR #${pull.number}: its approval file could not be read: decline not recorded`,
        );
        continue;
      }
      const declined: ApprovalPlan = {
        ...plan,
        status: 'declined',
        outcome: `declined: PR #${pull.number} closed without merging`,
        handled_at: now.toISOString(),
        handled_by_run: record.runId,
      };
      record.actions.push(notRun(plan, now, declined.outcome ?? 'declined'));
      handled.push(
        finish(
          { path: approvalPath(id), content: proposed.content },
          declined,
          'declined',
          ['Closed without merging: recorded as declined, nothing was run.'],
          pull.number,
        ),
      );
    } catch (error) {
      record.github.errors.push(`${errorMessage(error)} (declined approval #${pull.number})`);
    }
  }
  return handled;
}

async function commentOnPulls(api: GitHubApi, record: RunRecord, handled: Handled[]): Promise<void> {
  for (const h of handled) {
    if (h.pull === undefined) continue;
    try {
      await api.comment(h.pull, h.comment);
      if (!record.github.pulls.includes(h.pull)) record.github.pulls.push(h.pull);
    } catch (error) {
      record.github.errors.push(`${errorMessage(error)} (comment on approval PR #${h.pull})`);
    }
  }
}
