import type { CheckConfig } from '../config/schema.js';
import { type Finding, finding, type Severity } from '../core/types.js';
import { shellQuote } from '../core/util/shell-quote.js';
import { blocksOf, int, keyValues, quotedLines } from './output-text.js';
import type { Probe } from './probe.js';

export interface CheckResult {
  name: string;
  /** exit status; 124 = killed by timeout, undefined when no output came back */
  exitCode?: number;
  /** the first number the command printed */
  value?: number;
  output: string[];
}

export interface ChecksData {
  checks: CheckResult[];
}

/** The command is the repository's own config (trusted); it runs in its own sh with a timeout. */
function checkScript(check: CheckConfig, index: number): string {
  const seconds = Math.max(1, Math.ceil(check.timeout / 1000));
  return [
    `echo '@check ${index}'`,
    `o=$(co_t ${seconds} sh -c ${shellQuote(check.command)} 2>&1); echo "rc=$?"`,
    'co_q 5 "$o" 300',
  ].join('\n');
}

/** `> 100`, `<= 5`, ... → does the value satisfy it. */
export function compare(value: number, comparison: string): boolean {
  const m = /^\s*(>=|<=|==|!=|>|<)\s*(-?\d+(?:\.\d+)?)\s*$/.exec(comparison);
  if (!m) return false;
  const limit = Number(m[2]);
  switch (m[1]) {
    case '>':
      return value > limit;
    case '>=':
      return value >= limit;
    case '<':
      return value < limit;
    case '<=':
      return value <= limit;
    case '==':
      return value === limit;
    default:
      return value !== limit;
  }
}

function judge(check: CheckConfig | undefined, r: CheckResult): { severity: Severity; summary: string } {
  const first = r.output[0]?.trim() ?? '';
  if (r.exitCode === undefined) return { severity: 'warning', summary: `${r.name}: no output came back` };
  if (r.exitCode === 124) return { severity: 'critical', summary: `${r.name}: timed out` };
  if (r.exitCode !== 0)
    return { severity: 'critical', summary: `${r.name}: exited ${r.exitCode}${first ? `: ${first}` : ''}` };
  if (!check?.warn && !check?.crit)
    return { severity: 'ok', summary: `${r.name}: ok${first ? ` (${first})` : ''}` };
  if (r.value === undefined)
    return { severity: 'warning', summary: `${r.name}: output is not a number: ${first}` };
  if (check.crit && compare(r.value, check.crit))
    return { severity: 'critical', summary: `${r.name} = ${r.value} (crit ${check.crit.trim()})` };
  if (check.warn && compare(r.value, check.warn))
    return { severity: 'warning', summary: `${r.name} = ${r.value} (warn ${check.warn.trim()})` };
  return { severity: 'ok', summary: `${r.name} = ${r.value}` };
}

export const checksProbe: Probe<ChecksData> = {
  id: 'checks',
  applies: (server) => server.checks.length > 0,
  script: (server) => server.checks.map(checkScript).join('\n'),
  parse(output, server) {
    const blocks = blocksOf(output, 'check');
    return {
      checks: server.checks.map((c, i) => {
        const block = blocks.find((b) => b.head === String(i));
        if (!block) return { name: c.name, output: [] };
        const out = quotedLines(block.lines);
        const number = /^\s*(-?\d+(?:\.\d+)?)/.exec(out[0] ?? '')?.[1];
        const exitCode = int(keyValues(block.lines).rc);
        return {
          name: c.name,
          output: out,
          ...(exitCode !== undefined ? { exitCode } : {}),
          ...(number !== undefined ? { value: Number(number) } : {}),
        };
      }),
    };
  },
  evaluate(data, server): Finding[] {
    return data.checks.map((r) => {
      const { severity, summary } = judge(
        server.checks.find((c) => c.name === r.name),
        r,
      );
      return finding(server.name, 'check', r.name, severity, summary, {
        ...(r.value !== undefined ? { value: r.value } : {}),
        ...(r.output.length > 0 ? { evidence: r.output.join('\n') } : {}),
      });
    });
  },
};
