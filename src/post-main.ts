/**
 * The post step (runs even when the main step crashed): pushes any run journal whose run did not
 * finish committing, so a record of what was done to servers is never lost. It never fails the job.
 */
import * as core from '@actions/core';
import { readActionInputs } from './adapters/action-inputs.js';
import { flushJournal } from './adapters/journal.js';
import { journalDir, remoteStateStore } from './compose.js';
import { errorMessage } from './core/util/error-message.js';

/** The post step's entry point (GitHub's runner, `@github/local-action --post`): never fails the job. */
export async function run(): Promise<void> {
  process.exitCode = await runPost();
}

export async function runPost(env: NodeJS.ProcessEnv = process.env): Promise<number> {
  try {
    const inputs = readActionInputs();
    const store = await remoteStateStore(inputs, env, { mask: core.setSecret, log: core.info });
    const outcomes = await flushJournal({ dir: journalDir(env), target: store, log: core.info });
    for (const outcome of outcomes) {
      if (outcome.error || !outcome.result?.pushed) {
        core.warning(
          `post: the journal of run ${outcome.runId} is not on the state branch: ${outcome.error ?? 'push rejected'}`,
        );
      }
    }
  } catch (error) {
    core.warning(`post: ${errorMessage(error)}`);
  }
  return 0;
}
