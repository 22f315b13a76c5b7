/**
 * One line per collected server, as it finishes, saying what was found there:
 * `✓ web1 ok 0.4s`, `✗ web1 critical: 5 critical, 1 warning 0.4s`, `✗ db1 unreachable: … 3.0s`.
 * The findings are the server's as its thresholds judge them now (before debounce: a new warning
 * shows here at once, and in the report once it has held).
 */
import type { Tone } from '../ports/index.js';
import type { Finding, ServerObservation } from '../types.js';
import { countOf as count } from '../util/count-of.js';

const TINT: Record<Tone, string> = { ok: '\u001b[32m', warning: '\u001b[33m', critical: '\u001b[31m' };
const RESET = '\u001b[0m';

export interface ProgressLine {
  text: string;
  tone: Tone;
}

export function progressLine(observation: ServerObservation, findings: readonly Finding[]): ProgressLine {
  const seconds = `${(observation.durationMs / 1000).toFixed(1)}s`;
  if (!observation.reachable) {
    // the error text is the server's or the transport's: one line, no control characters of its own
    return {
      text: `✗ ${observation.server} unreachable: ${oneLine(observation.error ?? 'no answer')} ${seconds}`,
      tone: 'critical',
    };
  }
  const critical = findings.filter((f) => f.severity === 'critical').length;
  const warning = findings.filter((f) => f.severity === 'warning').length;
  const failed = Object.keys(observation.probeErrors).length;
  const failedProbes = failed > 0 ? ` (${count(failed, 'probe')} failed)` : '';
  if (critical > 0)
    return {
      text: `✗ ${observation.server} critical: ${[`${critical} critical`, ...(warning ? [count(warning, 'warning')] : [])].join(', ')}${failedProbes} ${seconds}`,
      tone: 'critical',
    };
  if (warning > 0)
    return {
      text: `! ${observation.server} warning: ${count(warning, 'warning')}${failedProbes} ${seconds}`,
      tone: 'warning',
    };
  return {
    text: `✓ ${observation.server} ok${failedProbes} ${seconds}`,
    tone: failed > 0 ? 'warning' : 'ok',
  };
}

/** A line in its tone's colour (for a terminal that wants colour). */
export function tinted(text: string, tone: Tone): string {
  return `${TINT[tone]}${text}${RESET}`;
}

/** Colour only for a person at a terminal, never when NO_COLOR is set (https://no-color.org). */
export function wantsColour(isTty: boolean | undefined, env: Record<string, string | undefined>): boolean {
  return Boolean(isTty) && !(env.NO_COLOR !== undefined && env.NO_COLOR !== '');
}

/** Control characters (ANSI escapes, newlines) of server or transport text become spaces. */
function oneLine(text: string): string {
  return [...text]
    .map((ch) => (/\p{Cc}/u.test(ch) ? ' ' : ch))
    .join('')
    .replace(/ {2,}/g, ' ');
}
