/**
 * What an issue says (docs/architecture.md#github): its title, body and comments. Server and model
 * text stays inert (untrusted-text); the model's words are only ever shown as a labelled quote.
 */
import { askedLabel, diagnosisLabel } from '../render/authorship.js';
import { cell, fence, SEVERITY_ICON, truncate } from '../render/markdown.js';
import { htmlText, mdCode, mdInline, mdQuote, oneLine, titleText } from '../render/untrusted-text.js';
import type { ActionRecord, Diagnosis, RunRecord } from '../run-record.js';
import type { Severity } from '../types.js';
import { type IssueGroup, serversOf } from './issue-groups.js';
import { type IssueMemo, keyMarker, memoMarker } from './issue-markers.js';

/** Where an issue's links point. */
export interface IssueLinks {
  /** web base of state-branch files, ending in `/` (ctx.stateUrl) */
  stateUrl?: string;
  /** state-branch path of a fingerprint's issue file */
  issueFile?: (fingerprint: string) => string;
}

const MAX_BODY = 60_000;
const MAX_EVIDENCE = 3_000;

export function diagnosisBlock(d: Diagnosis): string {
  const quote = mdQuote(`  ${diagnosisLabel(d.by)}`, `Root cause: ${d.rootCause}\nNext step: ${d.nextStep}`);
  return `${mdCode(d.fingerprint)} (${mdInline(d.confidence)} confidence):\n\n${quote.replace(/\n/g, '\n  ')}`;
}

/** Why a proposal was asked for, as a quote under its list item labelled by who asked. */
export function reasonBlock(a: ActionRecord): string {
  return `\n\n${mdQuote(`  ${askedLabel(a.requestedBy)}`, a.reason).replace(/\n/g, '\n  ')}`;
}

export function actionLine(a: ActionRecord): string {
  const params = Object.entries(a.params)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  const what = `${mdCode(`${a.action}${params ? ` ${params}` : ''}`)} on ${mdInline(a.server)}`;
  if (a.decision === 'needs-approval') return `Proposed ${what}: needs approval.${reasonBlock(a)}`;
  // docs/architecture.md#remediation: the run whose failed fix opens the breaker says so on the issue
  const breaker = a.verification?.includes('Circuit breaker now OPEN')
    ? ' Circuit breaker now open: no more automatic tries; a human must look.'
    : '';
  const outcome =
    a.outcome === 'unverified' ? 'unverified (not proven fixed: counted as a failure)' : a.outcome;
  return `Ran ${what}: ${outcome ?? 'no outcome'}${a.exitCode !== undefined && a.exitCode !== null ? ` (exit ${a.exitCode})` : ''}.${breaker}`;
}

export function titleFor(group: IssueGroup, severity: Severity): string {
  const first = group.findings[0];
  if (!first) return `[${severity}] claudeops`;
  const more = group.dependants?.length
    ? ` (+${group.dependants.length} dependant${group.dependants.length === 1 ? '' : 's'})`
    : '';
  if (!group.fleet) return titleText(`[${severity}] ${first.server}: ${first.summary}${more}`, 240);
  const servers = serversOf(group).length;
  return titleText(
    `[${severity}] ${first.check} ${first.target === '-' ? '' : `${first.target} `}failing on ${servers} servers`,
    240,
  );
}

function link(o: IssueLinks, path: string | undefined, text: string): string | undefined {
  if (!path) return undefined;
  return o.stateUrl
    ? `[${mdInline(text)}](${o.stateUrl}${path.split('/').map(encodeURIComponent).join('/')})`
    : `${mdInline(text)}: ${mdInline(path)}`;
}

export function runFooter(record: RunRecord, o: IssueLinks): string[] {
  const report = link(o, record.reportPath, 'health report');
  return [`<sub>ClaudeOps run ${record.runId}${report ? ` · ${report}` : ''}</sub>`];
}

export function renderIssueBody(
  record: RunRecord,
  group: IssueGroup,
  memo: IssueMemo,
  diagnoses: Diagnosis[],
  actions: ActionRecord[],
  o: IssueLinks,
  ack?: { by: string; until?: string },
): string {
  const parts = [keyMarker(group.key), memoMarker(memo), ''];
  parts.push(
    `${SEVERITY_ICON[memo.severity] ?? ''} **${mdInline(memo.severity)}** since ${mdInline(memo.since)}`,
    '',
  );
  parts.push(...findingsTable(group), ...incidentNotes(group, ack));
  parts.push('', '### Evidence', '', ...evidenceBlocks(group));
  parts.push('', `### Diagnosis (${record.planner.kind})`, '');
  if (diagnoses.length === 0) parts.push(`_None this run: ${mdInline(record.planner.reason)}._`);
  for (const d of diagnoses) {
    parts.push(`- ${diagnosisBlock(d)}`);
    if (d.evidence) parts.push('', fence(truncate(d.evidence, MAX_EVIDENCE)));
  }
  parts.push('', '### Actions', '');
  if (actions.length === 0) parts.push('_No action was taken this run._');
  for (const a of actions) {
    const log = link(o, a.path, 'log');
    parts.push(`- ${actionLine(a)}${log ? ` ${log}` : ''}`);
  }
  parts.push('', '### Records', '');
  for (const fp of memo.members) {
    const file = link(o, o.issueFile?.(fp), `issues/ file for ${fp}`);
    if (file) parts.push(`- ${file}`);
  }
  parts.push('', ...runFooter(record, o));
  return truncate(parts.join('\n'), MAX_BODY);
}

/** One row per finding of the issue. */
function findingsTable(group: IssueGroup): string[] {
  return [
    '| server | check | target | severity | summary | first seen |',
    '|---|---|---|---|---|---|',
    ...group.findings.map(
      (f) =>
        `| ${cell(f.server)} | ${cell(f.check)} | ${cell(f.target)} | ${f.severity} | ${cell(f.summary)}${f.trend ? ` (${cell(f.trend)})` : ''} | ${cell(f.firstSeen)} |`,
    ),
  ];
}

/** Where else it fails, the findings that fail with its root, and who acknowledged it. */
function incidentNotes(group: IssueGroup, ack: { by: string; until?: string } | undefined): string[] {
  const parts: string[] = [];
  if (group.elsewhere?.length)
    parts.push(
      '',
      `Also failing on servers checked by other shards: ${group.elsewhere.map(cell).join(', ')}.`,
    );
  if (group.dependants?.length)
    parts.push(
      '',
      `**One incident, one root cause**: ${mdCode(group.key)} fails, and ${group.dependants.length} finding(s) that need it fail with it (\`depends_on\`, \`boot.order\`): ${group.dependants.map((d) => mdCode(d)).join(', ')}. Remediation aims at the root first; the dependants are re-checked after it.`,
    );
  if (ack)
    parts.push(
      '',
      `**Acknowledged** by ${mdInline(`@${ack.by}`)}${ack.until ? ` until ${mdInline(ack.until)}` : ''}: repeats, escalation and automatic actions are paused. Comment \`/claudeops unack\` to resume them.`,
    );
  return parts;
}

/** The raw output of each finding that has some, folded. */
function evidenceBlocks(group: IssueGroup): string[] {
  const withEvidence = group.findings.filter((f) => f.evidence);
  if (withEvidence.length === 0) return ['_No raw output was captured for these findings._'];
  return withEvidence.flatMap((f) => [
    `<details><summary>${htmlText(oneLine(f.fingerprint, 300))}</summary>`,
    '',
    fence(truncate(f.evidence ?? '', MAX_EVIDENCE)),
    '',
    '</details>',
    '',
  ]);
}

export function renderComment(
  record: RunRecord,
  changes: string[],
  actions: ActionRecord[],
  o: IssueLinks,
): string {
  const lines = changes.map((c) => `- ${c}`);
  for (const a of actions) {
    const log = link(o, a.path, `log of ${a.action}`);
    if (log) lines.push(`- ${log}`);
  }
  return [...lines, '', ...runFooter(record, o)].join('\n');
}
