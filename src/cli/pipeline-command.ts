/**
 * `claudeops init | watch | timer | check` and every task command: argv → local state repository,
 * console output → run(). Loaded by cli-main only when one of these commands runs.
 */
import { readFileSync } from 'node:fs';
import { loadConfig } from '../adapters/config-file.js';
import { consoleSink } from '../adapters/console-io.js';
import { createGitStateStore } from '../adapters/git-state-store.js';
import { localStateAccess } from '../adapters/state-access.js';
import { buildContext, runIdFrom } from '../compose.js';
import { parseCliArgs } from '../config/cli-args.js';
import type { RunInputs } from '../config/run-inputs.js';
import type { Logger } from '../core/ports/index.js';
import { errorMessage } from '../core/util/error-message.js';
import { secretsOf } from '../record/run-secrets.js';
import { run } from '../run.js';
import { failed, withExitCode } from './exit-codes.js';
import type { CheckOutcome } from './watch-command.js';

/**
 * Returns the process exit code (exit-codes.ts). `secrets` is the list the logger redacts with:
 * filled once the inputs and config are read.
 */
export async function runPipelineCommand(
  argv: string[],
  env: NodeJS.ProcessEnv,
  logger: Logger,
  secrets: string[],
): Promise<number> {
  // init | watch | timer: set up, run without a schedule (doctor is a task: below). Each loads its
  // own modules: a check needs none of them (init's host-key scan alone would load the SSH client).
  if (argv[0] === 'init')
    return withExitCode(logger, async () => (await import('./init-command.js')).runInit(argv, env, logger));
  if (argv[0] === 'timer')
    return withExitCode(logger, async () =>
      (await import('./timer-command.js')).runTimerCommand(argv, logger),
    );
  if (argv[0] === 'watch')
    return withExitCode(logger, async () =>
      (await import('./watch-command.js')).runWatch(argv, env, logger, (inputs, runId) =>
        checkOnce(inputs, env, logger, secrets, runId),
      ),
    );
  return withExitCode(logger, async () => {
    const inputs = parseCliArgs(argv, env, (path) => readFileSync(path, 'utf8'));
    return (await checkOnce(inputs, env, logger, secrets)).exitCode;
  });
}

/**
 * One run of a task, recorded to the local state repository: what `check` (and every task
 * command) does, and each run of `watch`. Never throws: a failure is logged and becomes its code.
 */
async function checkOnce(
  inputs: RunInputs,
  env: NodeJS.ProcessEnv,
  logger: Logger,
  secrets: string[],
  runId = runIdFrom(env),
): Promise<CheckOutcome> {
  const stateRepo = inputs.stateRepo ?? '.claudeops/state';
  let state: ReturnType<typeof createGitStateStore> | undefined;
  try {
    const config = await loadConfig(inputs.configPath, env);
    state = createGitStateStore({
      localDir: stateRepo,
      branch: inputs.stateBranch,
      retentionDays: config.state.retention_days,
      maxStateBytes: config.state.max_file_size,
      log: (m) => logger.info(m),
    });
    const ctx = buildContext({
      config,
      inputs,
      env,
      logger,
      sink: consoleSink(process.stdout, secrets),
      state,
      stateAccess: localStateAccess(stateRepo),
      runId,
    });
    secrets.push(...secretsOf(ctx).filter((s) => !secrets.includes(s)));
    const { record, exitCode } = await run(ctx);
    if (record.commit || record.reportPath)
      logger.info(`recorded in ${record.commit?.location ?? '(nowhere)'} as ${record.reportPath ?? '?'}`);
    return {
      exitCode,
      pushed: record.commit?.pushed === true,
      location: state.location,
      ...(record.commit?.error ? { error: record.commit.error } : {}),
    };
  } catch (error) {
    return { exitCode: failed(error, logger), pushed: false, error: errorMessage(error) };
  } finally {
    // never a clone left in the temp dir: a record not pushed is kept in the state repository
    await state?.dispose();
  }
}
