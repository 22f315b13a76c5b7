import * as core from '@actions/core';
import type { Logger, ReportSink } from '../core/ports/index.js';

/** Logs through the runner: a collapsible group per phase, annotations for warnings and errors. */
export const actionLogger: Logger = {
  info: (message) => core.info(message),
  warning: (message) => core.warning(message),
  error: (message) => core.error(message),
  group: (name, fn) => core.group(name, fn),
};

/**
 * GitHub drops a step summary over 1024 KiB whole ("upload aborted"), and what fills one is
 * outside input (a server can name a thousand full mounts, each a row): kept under it, with room.
 */
export const STEP_SUMMARY_MAX_BYTES = 1000 * 1024;

/** The summary cut at a line to fit, with a last line that says so. */
export function fitSummary(markdown: string, max = STEP_SUMMARY_MAX_BYTES): string {
  if (Buffer.byteLength(markdown) <= max) return markdown;
  const note = `\n\n… summary cut at ${Math.floor(max / 1024)} KiB (GitHub's limit): the full report is on the state branch\n`;
  const room = max - Buffer.byteLength(note);
  // a byte budget on UTF-8: decoding a cut multi-byte character gives U+FFFD, dropped with its line
  const head = Buffer.from(markdown).subarray(0, room).toString('utf8');
  return `${head.slice(0, Math.max(0, head.lastIndexOf('\n')))}${note}`;
}

export const actionSink: ReportSink = {
  async summary(markdown) {
    if (!process.env.GITHUB_STEP_SUMMARY) return;
    await core.summary.addRaw(fitSummary(markdown), true).write();
  },
  outputs(values) {
    for (const [name, value] of Object.entries(values)) core.setOutput(name, value);
  },
};
