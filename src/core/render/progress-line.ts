/** One line per collected server, as it finishes: `✓ web1 ok 0.4s`, `✗ db1 unreachable 3.0s`. */
import type { ServerObservation } from '../types.js';

const GREEN = '\u001b[32m';
const YELLOW = '\u001b[33m';
const RED = '\u001b[31m';
const RESET = '\u001b[0m';

export function progressLine(observation: ServerObservation, colour: boolean): string {
  const seconds = `${(observation.durationMs / 1000).toFixed(1)}s`;
  const failedProbes = Object.keys(observation.probeErrors).length;
  const [mark, word, tint] = !observation.reachable
    ? ['✗', `unreachable: ${observation.error ?? 'no answer'}`, RED]
    : failedProbes > 0
      ? ['!', `collected, ${failedProbes} probe${failedProbes === 1 ? '' : 's'} failed`, YELLOW]
      : ['✓', 'ok', GREEN];
  // The error text is the server's or the transport's: one line, no control characters of its own.
  const text = `${mark} ${observation.server} ${oneLine(word)} ${seconds}`;
  return colour ? `${tint}${text}${RESET}` : text;
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
