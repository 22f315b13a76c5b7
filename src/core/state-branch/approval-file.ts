/**
 * approvals/<id>.md (docs/architecture.md#remediation, #state-branch), pure: a plan a human approves
 * by merging the PR that adds it, and, once handled, its outcome. Only `pending` plans are
 * candidates, and a candidate runs only when GitHub confirms the merge
 * (src/github/approval-check.ts): the file on the branch proves nothing by itself.
 */

import { askedLabel } from '../render/authorship.js';
import { commandForPeople } from '../render/command-text.js';
import { fence, truncate } from '../render/markdown.js';
import { mdCode, mdInline, mdQuote } from '../render/untrusted-text.js';
import type { ActionRecord } from '../run-record.js';
import { humanDuration, humanTime } from '../util/duration.js';
import { redact, redactDeep } from '../util/redact.js';
import { parseDocument, renderFrontMatter } from './front-matter.js';
import { safeId } from './paths.js';

export type ApprovalStatus = 'pending' | 'executed' | 'expired' | 'declined' | 'denied';

export interface ApprovalPlan {
  id: string;
  server: string;
  action: string;
  params: Record<string, string>;
  risk: ActionRecord['risk'];
  fingerprint?: string;
  created: string;
  expires: string;
  status: ApprovalStatus;
  /** same server + action + params → same key: one open proposal per plan */
  plan: string;
  /** the run that proposed it */
  run: string;
  outcome?: string;
  handled_at?: string;
  handled_by_run?: string;
  action_log?: string;
}

export const APPROVAL_BRANCH_PREFIX = 'claudeops/approve-';

export function approvalBranch(id: string): string {
  return `${APPROVAL_BRANCH_PREFIX}${safeId(id)}`;
}

/** The approval id a branch of ours carries, or undefined for any other branch. */
export function idOfBranch(branch: string): string | undefined {
  return branch.startsWith(APPROVAL_BRANCH_PREFIX) ? branch.slice(APPROVAL_BRANCH_PREFIX.length) : undefined;
}

/** Stable key of "the same plan": server, action and parameters in a canonical order. */
export function planKey(server: string, action: string, params: Record<string, string>): string {
  const canonical = JSON.stringify([
    server,
    action,
    Object.entries(params).sort(([a], [b]) => a.localeCompare(b)),
  ]);
  let h = 0x811c9dc5;
  for (let i = 0; i < canonical.length; i += 1) h = Math.imul(h ^ canonical.charCodeAt(i), 0x01000193) >>> 0;
  return `${safeId(server).slice(0, 40)}-${safeId(action).slice(0, 40)}-${h.toString(16).padStart(8, '0')}`;
}

export function planFromAction(
  action: ActionRecord,
  runId: string,
  now: Date,
  expiryMs: number,
): ApprovalPlan {
  return {
    id: safeId(action.id),
    server: action.server,
    action: action.action,
    params: action.params,
    risk: action.risk,
    ...(action.fingerprint ? { fingerprint: action.fingerprint } : {}),
    created: now.toISOString(),
    expires: new Date(now.getTime() + expiryMs).toISOString(),
    status: 'pending',
    plan: planKey(action.server, action.action, action.params),
    run: runId,
  };
}

/** The finding a plan is for, as the run saw it. */
export interface PlanFinding {
  severity: string;
  summary: string;
}

/** "until Tue, 24 Nov 2026 08:00 UTC (3 days after it was proposed)" */
function expiryText(plan: ApprovalPlan): string {
  const lasts = Date.parse(plan.expires) - Date.parse(plan.created);
  return `${humanTime(plan.expires)}${Number.isFinite(lasts) && lasts > 0 ? ` (${humanDuration(lasts)} after it was proposed)` : ''}`;
}

/**
 * The approval PR's description, in the order a reviewer needs it: the finding, the exact command
 * it runs, when the approval lapses; then why it was asked, as a quote labelled by who asked.
 */
export function renderApprovalPullBody(
  plan: ApprovalPlan,
  action: ActionRecord,
  path: string,
  finding?: PlanFinding,
): string {
  const params = Object.entries(plan.params).map(([k, v]) => mdCode(`${k}=${v}`));
  const icon = finding?.severity === 'critical' ? '🔴' : finding?.severity === 'warning' ? '🟡' : '';
  return [
    `<!-- claudeops:plan=${plan.plan.replace(/[^\w.-]/g, '-')} -->`,
    finding
      ? `**Finding:** ${icon} ${mdInline(finding.severity)} on **${mdInline(plan.server)}** — ${mdInline(finding.summary)}${plan.fingerprint ? ` (${mdCode(plan.fingerprint)})` : ''}`
      : `**Finding:** ${plan.fingerprint ? mdCode(plan.fingerprint) : 'none named'} on **${mdInline(plan.server)}**`,
    '',
    `**Proposed:** ${mdCode(plan.action)} (${mdInline(plan.risk)} risk)${params.length > 0 ? ` with ${params.join(', ')}` : ''}${action.command ? ', which runs exactly:' : '.'}`,
    ...(action.command ? ['', commandBlock(action.command)] : []),
    '',
    `**Merge to approve**: it runs once, if merged before **${mdInline(expiryText(plan))}**; the policy gate is checked again when it runs. Close to decline. The plan and its evidence: \`${path}\`.`,
    '',
    mdQuote(askedLabel(action.requestedBy), action.reason),
  ].join('\n');
}

export function renderApprovalFile(plan: ApprovalPlan, action: ActionRecord): string {
  return [
    renderFrontMatter(plan),
    '',
    ...planHead(plan),
    ...(action.command ? ['', COMMAND_LINE, '', commandBlock(action.command)] : []),
    '',
    '## Why',
    '',
    mdQuote(askedLabel(action.requestedBy), action.reason),
    '',
    '## Evidence',
    '',
    action.evidence ? fence(truncate(action.evidence, 4000)) : '_No raw output was attached._',
    '',
  ].join('\n');
}

/** The file's text from its title to the plan's last bullet: everything it shows a reviewer of the plan but the command. */
function planHead(plan: ApprovalPlan): string[] {
  const params = Object.entries(plan.params);
  return [
    `# Approve ${mdCode(plan.action)} on ${mdInline(plan.server)}`,
    '',
    `Merging the pull request that adds this file approves running this plan **once**, before ${mdInline(expiryText(plan))}.`,
    'The policy gate is checked again when it runs (maintenance, circuit breaker, rate limits).',
    'Closing the pull request without merging declines it.',
    '',
    '## Plan',
    '',
    `- action: ${mdCode(plan.action)} (risk: **${mdInline(plan.risk)}**)`,
    `- server: ${mdInline(plan.server)}`,
    ...(params.length > 0 ? [`- parameters: ${params.map(([k, v]) => mdCode(`${k}=${v}`)).join(', ')}`] : []),
    ...(plan.fingerprint ? [`- finding: ${mdCode(plan.fingerprint)}`] : []),
  ];
}

/**
 * Why a file's front matter (what runs: server, action, parameters, finding) is not the plan its
 * text shows a reviewer, or undefined when the text starts with exactly the plan the front matter
 * renders to. A commit on the approval branch that edits one and not the other is caught here; the
 * command is compared at execution (remediator.ts, `approvedCommand`).
 */
export function planNotAsShown(content: string, secrets: readonly string[]): string | undefined {
  const plan = parseApprovalFile(content);
  if (!plan) return 'not an approval file';
  const head = redact(planHead(redactDeep(plan, secrets)).join('\n'), secrets);
  if (parseDocument(content).body.replace(/^\n+/, '').startsWith(`${head}\n`)) return undefined;
  return (
    `its front matter (server ${plan.server.slice(0, 80)}, action ${plan.action.slice(0, 80)}, its parameters and finding) ` +
    'is not the plan its text shows: a file changed on one side only is not what its reviewer read'
  );
}

const COMMAND_LINE = 'Command it runs:';

/** The fenced block an approval shows its command in (people's form: the inline helper as its call). */
function commandBlock(command: string): string {
  return fence(commandForPeople(command), 'sh');
}

/**
 * The approval file as a run proposes it: plan and action redacted before rendering (escaped text
 * no longer matches the secret patterns), then the whole text.
 */
export function proposedApprovalFile(
  plan: ApprovalPlan,
  action: ActionRecord,
  secrets: readonly string[],
): string {
  return redact(renderApprovalFile(redactDeep(plan, secrets), redactDeep(action, secrets)), secrets);
}

/** The command block an approval file proposed for `command` shows (what execution must match). */
export function approvalCommandShown(command: string, secrets: readonly string[]): string {
  return redact(commandBlock(redact(command, secrets)), secrets);
}

/**
 * The command block a file's plan shows: the fenced block right after its first "Command it runs:"
 * line, fences included; undefined when there is none. What a reviewer merged is this, not what the
 * catalog renders later: an approved plan runs only when the two are the same (remediator.ts).
 */
export function shownCommandBlock(content: string): string | undefined {
  const lines = parseDocument(content).body.split('\n');
  const at = lines.indexOf(COMMAND_LINE);
  if (at < 0 || lines[at + 1] !== '') return undefined;
  const ticks = /^(`{3,})sh$/.exec(lines[at + 2] ?? '')?.[1];
  const end = ticks ? lines.indexOf(ticks, at + 3) : -1;
  return end < 0 ? undefined : lines.slice(at + 2, end + 1).join('\n');
}

/** The front matter of an approval file, or undefined when it is not one. */
export function parseApprovalFile(content: string): ApprovalPlan | undefined {
  const { meta, valid } = parseDocument(content);
  if (!valid) return undefined;
  const p = meta as Partial<ApprovalPlan>;
  if (typeof p.id !== 'string' || typeof p.server !== 'string' || typeof p.action !== 'string')
    return undefined;
  const params = Object.fromEntries(Object.entries(p.params ?? {}).map(([k, v]) => [k, String(v)]));
  return {
    ...p,
    id: p.id,
    server: p.server,
    action: p.action,
    params,
    risk: p.risk ?? 'high',
    created: String(p.created ?? ''),
    expires: String(p.expires ?? ''),
    status: p.status ?? 'pending',
    plan: p.plan ?? planKey(p.server, p.action, params),
    run: String(p.run ?? ''),
  };
}

export function isExpired(plan: ApprovalPlan, now: Date): boolean {
  const t = Date.parse(plan.expires);
  // an unreadable expiry is treated as expired: never run what cannot be bounded
  return !Number.isFinite(t) || t <= now.getTime();
}

/** The file rewritten with its outcome: new front matter, the body kept, an Outcome section added. */
export function withOutcome(
  content: string,
  plan: ApprovalPlan,
  outcome: { title: string; details: string[] },
): string {
  const { body } = parseDocument(content);
  return [
    renderFrontMatter(plan),
    body.trimEnd(),
    '',
    `## Outcome: ${outcome.title}`,
    '',
    ...outcome.details,
    '',
  ].join('\n');
}
