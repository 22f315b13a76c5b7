/**
 * Action logs (`actions/<day>/<time>-<server>-<action>-<run>.md`) and boot logs (`boot/...md`):
 * one markdown file per proposed, denied or executed action and per boot recovery, with YAML front
 * matter for machines (memory reads the last 24 h of them) and a body for people. Pure.
 * Server output is fenced here and redacted by the caller that writes the branch.
 */

import type { ActionRecord, BootRecovery, RunRecord } from '../run-record.js';
import { renderFlatFrontMatter } from '../state-branch/front-matter.js';
import type { FileChange } from '../types.js';
import { countOf } from '../util/count-of.js';
import { askedLabel, GATE_LABEL } from './authorship.js';
import { commandForPeople } from './command-text.js';
import { fence, table, truncate } from './markdown.js';
import { mdInline, mdQuote } from './untrusted-text.js';

const OUTPUT_MAX = 8_000;

const OUTCOME_TEXT: Record<string, string> = {
  fixed: '✅ fixed',
  'not-fixed': '❌ not fixed',
  worse: '⚠️ worse',
  unverified: '❔ unverified (counted as a failure)',
  'not-run': '— not run',
};

export function renderActionLog(
  action: ActionRecord,
  record: Pick<RunRecord, 'runId' | 'mode' | 'dryRun'>,
): string {
  const params = Object.entries(action.params)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  const sections = [
    actionLogFrontMatter(action, record),
    `# ${mdInline(action.action)} on ${mdInline(action.server)}${action.target && action.target !== '-' ? ` (${mdInline(action.target)})` : ''}`,
    table(
      ['decision', 'outcome', 'risk', 'requested by', 'parameters'],
      [
        [
          action.decision,
          OUTCOME_TEXT[action.outcome ?? ''] ?? '—',
          action.risk,
          action.requestedBy,
          params || '—',
        ],
      ],
    ),
    ...(action.gateReason
      ? [`**${GATE_LABEL}:** ${mdInline(action.decision)} — ${mdInline(action.gateReason)}`]
      : []),
    mdQuote(askedLabel(action.requestedBy), action.reason),
  ];
  if (action.repeats)
    sections.push(
      `Asked for again ${action.repeats} more time(s) in this run: each denied, nothing run, no other log written.`,
    );
  if (action.evidence) sections.push(`## Evidence\n\n${fence(truncate(action.evidence, OUTPUT_MAX))}`);
  if (action.command) sections.push(`## Command\n\n${fence(commandForPeople(action.command), 'sh')}`);
  if (action.output !== undefined) {
    const meta = `exit code ${action.exitCode ?? 'none (killed: timeout)'}${action.durationMs !== undefined ? `, ${Math.round(action.durationMs)} ms` : ''}`;
    sections.push(`## Output\n\n${meta}\n\n${fence(truncate(action.output || '(no output)', OUTPUT_MAX))}`);
  }
  if (action.verification) sections.push(`## Verification\n\n${mdInline(action.verification, 4_000)}`);
  return `${sections.join('\n\n')}\n`;
}

/** The log's front matter: what scripts and later runs read. */
function actionLogFrontMatter(
  action: ActionRecord,
  record: Pick<RunRecord, 'runId' | 'mode' | 'dryRun'>,
): string {
  return renderFlatFrontMatter({
    id: action.id,
    run: record.runId,
    at: action.at,
    server: action.server,
    action: action.action,
    target: action.target,
    params: JSON.stringify(action.params),
    risk: action.risk,
    decision: action.decision,
    outcome: action.outcome,
    exit_code: action.exitCode,
    fingerprint: action.fingerprint,
    requested_by: action.requestedBy,
    repeats: action.repeats,
    mode: record.mode,
    dry_run: record.dryRun,
  });
}

/**
 * A boot step's detail for the health report and the job summary: a failed start's detail carries
 * the server's output, which only the (fenced) action log shows.
 */
export function bootStepDetail(step: BootRecovery['steps'][number]): string {
  return step.state === 'failed'
    ? `${step.detail.split(':')[0] ?? ''} (output in the action log)`
    : step.detail;
}

/** Boot steps that count as failed: a service that is not up, or one never started for its dependency. */
export function bootStepFailed(state: BootRecovery['steps'][number]['state']): boolean {
  return state === 'failed' || state === 'not-ready' || state === 'blocked';
}

/** One line on the server's state when recovery ended (every configured check, run once). */
export function finalCheckLine(boot: BootRecovery): string {
  const f = boot.finalCheck;
  if (!f) return 'Final check: not run (server unreachable).';
  if (f.error) return `Final check (${f.at}): could not run: ${mdInline(f.error)}`;
  if (f.failing.length === 0)
    return `Final check (${f.at}): ${f.checked === 1 ? 'the one check' : `all ${f.checked} checks`} ok.`;
  return `Final check (${f.at}): ${f.failing.length} of ${countOf(f.checked, 'check')} failing.`;
}

export function renderBootLog(
  boot: BootRecovery,
  record: Pick<RunRecord, 'runId' | 'mode' | 'dryRun'>,
): string {
  const failed = boot.steps.filter((s) => bootStepFailed(s.state)).length;
  const head = renderFlatFrontMatter({
    server: boot.server,
    run: record.runId,
    at: boot.at,
    trigger: boot.trigger,
    services: boot.steps.length,
    failed,
    mode: record.mode,
    dry_run: record.dryRun,
  });
  const rows = boot.steps.map((s) => [
    s.service,
    s.state,
    s.waitedMs !== undefined ? `${Math.round(s.waitedMs / 1000)} s` : '—',
    bootStepDetail(s),
  ]);
  const body =
    rows.length > 0 ? table(['service', 'state', 'waited', 'detail'], rows) : 'No services in boot.order.';
  // a failed start's output is server text: fenced below the table, never inside a cell
  const outputs = boot.steps
    .filter((s) => s.state === 'failed')
    .map((s) => `## ${mdInline(s.service)}: output\n\n${fence(truncate(s.detail, 4000))}`);
  const failing = boot.finalCheck?.failing ?? [];
  const final = [
    `## Final check\n\n${finalCheckLine(boot)}`,
    ...(failing.length > 0
      ? [
          table(
            ['finding', 'severity', 'summary'],
            failing.map((f) => [f.fingerprint, f.severity, f.summary]),
          ),
        ]
      : []),
  ].join('\n\n');
  return `${[
    `${head}\n\n# Boot recovery of ${mdInline(boot.server)}\n\nTrigger: ${mdInline(boot.trigger)}`,
    body,
    ...outputs,
    final,
  ].join('\n\n')}\n`;
}

/** The action and boot log files of this run (paths were assigned when they were recorded). */
export function agentLogFiles(record: RunRecord): FileChange[] {
  const files: FileChange[] = [];
  for (const action of record.actions) {
    if (action.path) files.push({ path: action.path, content: renderActionLog(action, record) });
  }
  for (const boot of record.recoveries ?? [])
    files.push({ path: boot.path, content: renderBootLog(boot, record) });
  return files;
}
