/**
 * The runners of the tasks with a flow of their own (src/core/tasks.ts says which): run.ts hands
 * such a task to its runner here and runs the health loop for every other.
 */

import { compactState } from './compact-state.js';
import type { RunRecord } from './core/run-record.js';
import type { OwnFlowTask } from './core/tasks.js';
import { digest } from './digest.js';
import { doctorTask } from './doctor/doctor-task.js';
import type { RunContext } from './run-context.js';
import { summarize } from './summarize.js';

/** Runs the task and returns its record with the status set; run.ts turns it into the exit code. */
export type TaskRunner = (ctx: RunContext) => Promise<RunRecord>;

export const TASK_RUNNERS: Record<OwnFlowTask, TaskRunner> = {
  summarize,
  compact: compactState,
  doctor: doctorTask,
  digest,
};
