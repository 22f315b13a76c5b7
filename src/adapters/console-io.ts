import type { Logger, ReportSink, Tone } from '../core/ports/index.js';
import { tinted, wantsColour } from '../core/render/progress-line.js';
import { terminalReport } from '../core/render/terminal-report.js';
import { plainText } from '../core/render/untrusted-text.js';
import { redact } from '../core/util/redact.js';

/**
 * Everything the CLI prints is redacted: known secret formats always, and the run's own secrets
 * (keys, tokens, `redact.secrets`) once they are known — the list is read at every write.
 */
function redactor(secrets: readonly string[]): (text: string) => string {
  // and a terminal gets no escape sequence or control character from a server
  return (text) => plainText(redact(text, secrets));
}

/** The CLI's logger: progress on stderr, so stdout carries only the report. */
export function consoleLogger(
  stream: NodeJS.WritableStream & { isTTY?: boolean } = process.stderr,
  env: NodeJS.ProcessEnv = process.env,
  secrets: readonly string[] = [],
): Logger {
  const clean = redactor(secrets);
  const colour = wantsColour(stream.isTTY, env);
  return {
    colour,
    // colour goes on after cleaning, which strips every escape sequence
    info: (message, tone?: Tone) =>
      stream.write(`${colour && tone ? tinted(clean(message), tone) : clean(message)}\n`),
    warning: (message) => stream.write(`warning: ${clean(message)}\n`),
    error: (message) => stream.write(`error: ${clean(message)}\n`),
    async group(name, fn) {
      stream.write(`▸ ${clean(name)}\n`);
      return fn();
    },
  };
}

/**
 * The CLI prints the report — the job summary made plain for a terminal, its tables fitted to the
 * terminal's width — and then the outputs as `name=value` lines.
 */
export function consoleSink(
  stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number } = process.stdout,
  secrets: readonly string[] = [],
  env: NodeJS.ProcessEnv = process.env,
): ReportSink {
  const clean = redactor(secrets);
  return {
    async summary(markdown) {
      const width = stream.isTTY ? stream.columns : undefined;
      const colour = wantsColour(stream.isTTY, env);
      stream.write(`${terminalReport(clean(markdown), { ...(width ? { width } : {}), colour })}\n`);
    },
    outputs(values) {
      for (const [name, value] of Object.entries(values)) stream.write(`${name}=${clean(value)}\n`);
    },
  };
}
