/**
 * The execute-approved task (DESIGN §6): every approvals/<id>.md on the state branch whose status
 * is still `pending` was approved by a merge. Each is checked against its expiry and the policy
 * gate again (through the remediator), executed at most once, and its outcome written back into
 * the file: the returned changes go into this run's state-branch commit, and that recorded status
 * is what keeps a later run from executing it again. Closed-unmerged approval PRs are recorded as
 * declined. Each handled PR gets one comment.
 *
 * GitHub is optional here: without it (CLI) approvals on the branch still run; only PR comments
 * and declined detection need it.
 */
import {
  type ApprovalPlan,
  approvalPath,
  idOfBranch,
  isExpired,
  parseApprovalFile,
  withOutcome,
} from '../core/approval-file.js';
import { errorMessage } from '../core/error-message.js';
import { fence, truncate } from '../core/markdown.js';
import type { Memory, MemoryFile } from '../core/memory.js';
import { redact } from '../core/redact.js';
import type { ActionRecord, RunRecord } from '../core/run-record.js';
import type { FileChange } from '../core/types.js';
import { secretsOf } from '../record/build-state-changes.js';
import type { RemediationRequest } from '../remediate/remediator.js';
import type { RunContext } from '../run-context.js';
import type { GitHubApi, PullInfo } from './api.js';

/** The one thing needed from remediation: gate + execute + verify + record (Remediator.remediate). */
export type Remediate = (request: RemediationRequest) => Promise<ActionRecord>;

interface Handled {
  id: string;
  content: string;
  comment: string;
}

export async function executeApproved(
  ctx: RunContext,
  record: RunRecord,
  memory: Memory,
  remediate: Remediate,
): Promise<FileChange[]> {
  const api = ctx.adapters.github;
  const pulls = api ? await listApprovalPulls(api, ctx.inputs.stateBranch, record) : [];
  const handled: Handled[] = [];
  for (const file of memory.approvals) {
    const result = await handleApproved(ctx, record, file, remediate);
    if (result) handled.push(result);
  }
  if (api) handled.push(...(await handleDeclined(ctx, record, memory, api, pulls)));
  // command output is server text: redacted before it reaches a PR or the branch
  const secrets = secretsOf(ctx);
  const safe = handled.map((h) => ({
    ...h,
    content: redact(h.content, secrets),
    comment: redact(h.comment, secrets),
  }));
  if (api) await commentOnPulls(api, record, pulls, safe);
  return safe.map((h) => ({ path: approvalPath(h.id), content: h.content }));
}

async function listApprovalPulls(
  api: GitHubApi,
  stateBranch: string,
  record: RunRecord,
): Promise<PullInfo[]> {
  try {
    const pulls = await api.listPulls({ state: 'all', base: stateBranch });
    return pulls.filter((p) => idOfBranch(p.head) !== undefined);
  } catch (error) {
    record.github.errors.push(
      `${errorMessage(error)} (approval PRs: no comments, no declined check this run)`,
    );
    return [];
  }
}

async function handleApproved(
  ctx: RunContext,
  record: RunRecord,
  file: MemoryFile,
  remediate: Remediate,
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
    return finish(file, next, 'expired', [
      `Expired at ${plan.expires}; nothing was run. Propose it again if it is still needed.`,
    ]);
  }
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
    action = await remediate({ ...requestOf(plan, file.path), writeAhead: [writeAhead] });
  } catch (error) {
    // the command may have started: never retry automatically, say so
    const message = `execution failed: ${errorMessage(error)}`;
    record.errors.push(`execute-approved ${plan.id}: ${message}`);
    return finish(file, done('denied', message), 'failed', [
      message,
      'It will not be retried automatically.',
    ]);
  }
  if (action.decision === 'dry-run') {
    record.warnings.push(`approval ${plan.id}: dry run, left pending (nothing executed)`);
    return undefined;
  }
  if (action.decision !== 'execute') {
    const next = done('denied', `refused by the policy gate: ${action.reason}`);
    return finish(file, next, 'refused by the policy gate', [action.reason]);
  }
  const next = {
    ...done('executed', action.outcome ?? 'not-fixed'),
    ...(action.path ? { action_log: action.path } : {}),
  };
  return finish(file, next, `executed, ${action.outcome ?? 'no verdict'}`, executedDetails(action));
}

function requestOf(plan: ApprovalPlan, path: string): RemediationRequest {
  return {
    server: plan.server,
    action: plan.action,
    params: plan.params,
    ...(plan.fingerprint ? { fingerprint: plan.fingerprint } : {}),
    reason: `approved by merging ${path} (proposed by run ${plan.run})`,
    requestedBy: 'approval',
    intent: 'approved',
  };
}

function executedDetails(action: ActionRecord): string[] {
  return [
    `- exit code: ${action.exitCode ?? 'none'}`,
    `- verification: ${action.verification ?? 'none'}`,
    ...(action.path ? [`- action log: \`${action.path}\``] : []),
    ...(action.output ? ['', fence(truncate(action.output, 3000))] : []),
  ];
}

function finish(file: MemoryFile, plan: ApprovalPlan, title: string, details: string[]): Handled {
  return {
    id: plan.id,
    content: withOutcome(file.content, plan, { title, details }),
    comment: commentText(plan, title, details),
  };
}

function commentText(plan: ApprovalPlan, title: string, details: string[]): string {
  return [`**ClaudeOps: \`${plan.action}\` on ${plan.server}: ${title}.**`, '', ...details].join('\n');
}

function notRun(plan: ApprovalPlan, now: Date, reason: string): ActionRecord {
  return {
    id: plan.id,
    server: plan.server,
    action: plan.action,
    params: plan.params,
    risk: plan.risk,
    decision: 'deny',
    reason,
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
        finish({ path: approvalPath(id), content: proposed.content }, declined, 'declined', [
          'Closed without merging: recorded as declined, nothing was run.',
        ]),
      );
    } catch (error) {
      record.github.errors.push(`${errorMessage(error)} (declined approval #${pull.number})`);
    }
  }
  return handled;
}

async function commentOnPulls(
  api: GitHubApi,
  record: RunRecord,
  pulls: PullInfo[],
  handled: Handled[],
): Promise<void> {
  for (const h of handled) {
    const pull = pulls.find((p) => idOfBranch(p.head) === h.id);
    if (!pull) continue;
    try {
      await api.comment(pull.number, h.comment);
      if (!record.github.pulls.includes(pull.number)) record.github.pulls.push(pull.number);
    } catch (error) {
      record.github.errors.push(`${errorMessage(error)} (comment on approval PR #${pull.number})`);
    }
  }
}
