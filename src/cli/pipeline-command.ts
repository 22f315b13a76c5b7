/**
 * `claudeops init | watch | timer | check` and every task command: argv → local state repository,
 * console output → run(). Loaded by cli-main only when one of these commands runs.
 */
import { readFileSync } from 'node:fs';
import { loadConfig } from '../adapters/config-file.js';
import { type SshTransport, sshTransportFor } from '../adapters/ssh.js';
import { parseCliArgs } from '../config/cli-args.js';
import { DEFAULT_PARALLELISM } from '../config/defaults.js';
import type { RunInputs } from '../config/run-inputs.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../core/ports/index.js';
import { isOwnFlow } from '../core/tasks.js';
import { errorMessage } from '../core/util/error-message.js';
import { selectServers } from '../core/util/select-servers.js';
import { runIdFrom } from '../run-identity.js';
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
 *
 * Before the first connection only the config (read and validated whole: an invalid config
 * touches no server), the SSH transport and what they import are loaded; the connections the
 * collection opens first then start, and the rest of the pipeline loads while the servers answer.
 */
async function checkOnce(
  inputs: RunInputs,
  env: NodeJS.ProcessEnv,
  logger: Logger,
  secrets: string[],
  runId = runIdFrom(env),
): Promise<CheckOutcome> {
  // what the finally below closes: set as soon as each exists
  const held: { state?: { dispose(): Promise<void> }; ssh?: SshTransport } = {};
  try {
    const config = await loadConfig(inputs.configPath, env);
    const ssh = sshTransportFor(config, inputs, logger);
    held.ssh = ssh;
    await connectEarly(ssh, config, inputs);
    const { ctx, store, run } = await pipelineFor({ config, inputs, env, logger, secrets, runId, ssh }, held);
    const { record, exitCode } = await run(ctx);
    if (record.commit || record.reportPath)
      logger.info(`recorded in ${record.commit?.location ?? '(nowhere)'} as ${record.reportPath ?? '?'}`);
    return {
      exitCode,
      pushed: record.commit?.pushed === true,
      location: store.location,
      ...(record.commit?.error ? { error: record.commit.error } : {}),
    };
  } catch (error) {
    return { exitCode: failed(error, logger), pushed: false, error: errorMessage(error) };
  } finally {
    // a connection opened early for a run that ended before collecting is closed, not left open
    held.ssh?.release();
    // never a clone left in the temp dir: a record not pushed is kept in the state repository
    await held.state?.dispose();
  }
}

interface PipelineParts {
  config: Config;
  inputs: RunInputs;
  env: NodeJS.ProcessEnv;
  logger: Logger;
  secrets: string[];
  runId: string;
  ssh: SshTransport;
}

/** The rest of the pipeline, loaded now (the early connections open meanwhile), and the run's context. */
async function pipelineFor(
  { config, inputs, env, logger, secrets, runId, ssh }: PipelineParts,
  held: { state?: { dispose(): Promise<void> } },
) {
  const [
    { createGitStateStore },
    { consoleSink },
    { localStateAccess },
    { buildContext },
    { secretsOf },
    { run },
  ] = await Promise.all([
    import('../adapters/git-state-store.js'),
    import('../adapters/console-io.js'),
    import('../adapters/state-access.js'),
    import('../compose.js'),
    import('../record/run-secrets.js'),
    import('../run.js'),
  ]);
  const stateRepo = inputs.stateRepo ?? '.claudeops/state';
  const store = createGitStateStore({
    localDir: stateRepo,
    branch: inputs.stateBranch,
    retentionDays: config.state.retention_days,
    maxStateBytes: config.state.max_file_size,
    log: (m) => logger.info(m),
  });
  held.state = store;
  const ctx = buildContext({
    config,
    inputs,
    env,
    logger,
    sink: consoleSink(process.stdout, secrets),
    state: store,
    stateAccess: localStateAccess(stateRepo),
    runId,
    ssh,
  });
  secrets.push(...secretsOf(ctx).filter((s) => !secrets.includes(s)));
  return { ctx, store, run };
}

/**
 * Starts the SSH connections the collection opens first (collect.ts starts `parallelism` servers
 * at once; at most HANDSHAKES of them handshake together): the same server objects, so the
 * collection's connect() takes them. A task with a flow of its own, a selection run() will refuse,
 * and `transport: local` servers open nothing here.
 */
async function connectEarly(ssh: SshTransport, config: Config, inputs: RunInputs): Promise<void> {
  if (isOwnFlow(inputs.task)) return;
  let servers: Config['servers'];
  try {
    servers = selectServers(config, inputs.servers, inputs.shard);
  } catch {
    return; // run() reports it, before any connection
  }
  const first = servers
    .slice(0, config.defaults.parallelism ?? DEFAULT_PARALLELISM)
    .filter((s) => s.transport !== 'local');
  await ssh.warm(first);
}
