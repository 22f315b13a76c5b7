import type { Logger, ReportSink } from '../core/ports/index.js';
import { wantsColour } from '../core/render/progress-line.js';

/** The CLI's logger: progress on stderr, so stdout carries only the report. */
export function consoleLogger(
  stream: NodeJS.WritableStream & { isTTY?: boolean } = process.stderr,
  env: NodeJS.ProcessEnv = process.env,
): Logger {
  return {
    colour: wantsColour(stream.isTTY, env),
    info: (message) => stream.write(`${message}\n`),
    warning: (message) => stream.write(`warning: ${message}\n`),
    error: (message) => stream.write(`error: ${message}\n`),
    async group(name, fn) {
      stream.write(`▸ ${name}\n`);
      return fn();
    },
  };
}

/** The CLI prints the report and then the outputs as `name=value` lines. */
export function consoleSink(stream: NodeJS.WritableStream = process.stdout): ReportSink {
  return {
    async summary(markdown) {
      stream.write(`${markdown}\n`);
    },
    outputs(values) {
      for (const [name, value] of Object.entries(values)) stream.write(`${name}=${value}\n`);
    },
  };
}
