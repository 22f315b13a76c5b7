/**
 * Runs one rendered catalog command over the server's already-open shell, with a timeout. Never
 * throws: a dropped connection is an outcome to record like any other. Output is redacted and
 * bounded here, before it reaches the record, the model or the branch.
 */

import type { RemoteShell } from '../core/ports/index.js';
import { errorMessage } from '../core/util/error-message.js';
import { redact } from '../core/util/redact.js';

export interface Execution {
  /** stdout then stderr, redacted and bounded */
  output: string;
  /** null when killed (timeout) or when the shell failed */
  exitCode: number | null;
  timedOut: boolean;
  durationMs: number;
}

export const OUTPUT_LIMIT = 8_000;

/** Keeps the head and the tail of long output: the cause is usually at one end. */
export function boundOutput(text: string, limit = OUTPUT_LIMIT): string {
  if (text.length <= limit) return text;
  const half = Math.floor(limit / 2);
  return `${text.slice(0, half)}\n… [${text.length - limit} characters cut] …\n${text.slice(-half)}`;
}

export async function executeCommand(
  shell: RemoteShell,
  command: string,
  timeoutMs: number,
  secrets: readonly string[],
): Promise<Execution> {
  const started = Date.now();
  try {
    const result = await shell.run(`${command}\n`, { timeoutMs });
    const combined = [result.stdout, result.stderr]
      .map((s) => s.replace(/\s+$/, ''))
      .filter((s) => s.length > 0)
      .join('\n--- stderr ---\n');
    const note = result.timedOut ? `\n[killed after ${timeoutMs} ms: timeout]` : '';
    return {
      output: boundOutput(redact(combined + note, secrets)),
      exitCode: result.timedOut ? null : result.code,
      timedOut: result.timedOut,
      durationMs: result.durationMs,
    };
  } catch (error) {
    const message = errorMessage(error);
    return {
      output: redact(`the shell failed: ${message}`, secrets),
      exitCode: null,
      timedOut: false,
      durationMs: Date.now() - started,
    };
  }
}
