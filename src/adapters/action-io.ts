import * as core from '@actions/core';
import type { Logger, ReportSink } from '../core/ports/index.js';

/** Logs through the runner: a collapsible group per phase, annotations for warnings and errors. */
export const actionLogger: Logger = {
  info: (message) => core.info(message),
  warning: (message) => core.warning(message),
  error: (message) => core.error(message),
  group: (name, fn) => core.group(name, fn),
};

export const actionSink: ReportSink = {
  async summary(markdown) {
    if (!process.env.GITHUB_STEP_SUMMARY) return;
    await core.summary.addRaw(markdown, true).write();
  },
  outputs(values) {
    for (const [name, value] of Object.entries(values)) core.setOutput(name, value);
  },
};
