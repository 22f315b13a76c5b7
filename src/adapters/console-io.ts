import type { Logger, ReportSink } from '../core/ports/index.js';
import { wantsColour } from '../core/render/progress-line.js';
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
  return {
    colour: wantsColour(stream.isTTY, env),
    info: (message) => stream.write(`${clean(message)}\n`),
    warning: (message) => stream.write(`warning: ${clean(message)}\n`),
    error: (message) => stream.write(`error: ${clean(message)}\n`),
    async group(name, fn) {
      stream.write(`▸ ${clean(name)}\n`);
      return fn();
    },
  };
}

/** The CLI prints the report and then the outputs as `name=value` lines. */
export function consoleSink(
  stream: NodeJS.WritableStream = process.stdout,
  secrets: readonly string[] = [],
): ReportSink {
  const clean = redactor(secrets);
  return {
    async summary(markdown) {
      stream.write(`${clean(markdown)}\n`);
    },
    outputs(values) {
      for (const [name, value] of Object.entries(values)) stream.write(`${name}=${clean(value)}\n`);
    },
  };
}
