/**
 * What doctor says (pure): a line per server as it is done, a line per problem with its fix (the
 * CLI's stderr, the Action's error annotations), and the summary (markdown: the job summary; the
 * CLI prints it as its report). Problem text can carry server words (sudo's answer, an SSH error),
 * so the summary escapes it.
 */
import { mdInline } from '../core/render/untrusted-text.js';
import type { DoctorReport, ServerResult } from './doctor.js';
import type { Problem } from './problem.js';

const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

/** `✓ web1 ok 0.6s` or `✗ db1 2 problems 0.7s`, as each server is done. */
export function serverLine(r: ServerResult): string {
  const seconds = `${(r.durationMs / 1000).toFixed(1)}s`;
  return r.problems.length === 0
    ? `✓ ${r.server} ok ${seconds}`
    : `✗ ${r.server} ${plural(r.problems.length, 'problem')} ${seconds}`;
}

/** One line per problem, with its fix. */
export function problemLine(p: Problem): string {
  const where = p.server ? `${p.server} ${p.check}` : p.check;
  return `✗ ${where}: ${p.message} → fix: ${p.fix}`;
}

function checked(report: DoctorReport): string {
  const api =
    report.api === 'skipped'
      ? 'API key: not set (the rule-based planner decides; set ANTHROPIC_API_KEY for Claude)'
      : `API key: ${report.api === 'ok' ? 'works' : 'refused'}`;
  const state =
    report.state === undefined
      ? 'state branch: not checked'
      : `state branch ${report.state.location}: ${report.state.ok ? 'can be written' : 'see the problem'}`;
  return `${plural(report.servers.length, 'server')} checked (reachable, host key, SSH key, sudo, tools, clock); ${state}; ${api}.`;
}

export function renderDoctorMarkdown(report: DoctorReport): string {
  const n = report.problems.length;
  const head = n === 0 ? '## ClaudeOps doctor: all good' : `## ClaudeOps doctor: ${plural(n, 'problem')}`;
  const problems = report.problems.map((p) => `- ${mdInline(problemLine(p), 2_000)}`);
  return [head, '', ...(n ? [...problems, ''] : []), mdInline(checked(report), 2_000), ''].join('\n');
}
