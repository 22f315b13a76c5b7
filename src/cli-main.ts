/** The CLI's composition root: argv → local state repository, console output → run(). */
import { readFileSync } from 'node:fs';
import { consoleLogger, consoleSink } from './adapters/console-io.js';
import { createGitStateStore } from './adapters/git-state-store.js';
import { withExitCode } from './cli/exit-codes.js';
import { runReadCommand } from './cli/read-commands.js';
import { runSetupCommand } from './cli/server-setup.js';
import { buildContext, runIdFrom } from './compose.js';
import { helpOrVersion, isReadCommand, isSetupCommand, parseCliArgs } from './config/cli-args.js';
import { loadConfig } from './config/load-config.js';
import { secretsOf } from './record/build-state-changes.js';
import { run } from './run.js';
import { packageVersion } from './version.js';

/** Returns the process exit code (src/cli/exit-codes.ts): 0 done, 1 the run failed, 2 a usage error. */
export async function runCli(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  // filled once the inputs and config are read: every later line printed is redacted with them
  const secrets: string[] = [];
  const logger = consoleLogger(process.stderr, env, secrets);
  const early = helpOrVersion(argv, packageVersion());
  if (early !== undefined) {
    process.stdout.write(`${early}\n`);
    return 0;
  }
  // sudoers | authorized-keys | forced-command | helper: print files for the servers (least privilege)
  if (isSetupCommand(argv[0])) return runSetupCommand(argv, env, logger);
  // status | history | issues | show | status-page: read the state branch, write nothing
  if (isReadCommand(argv[0])) return runReadCommand(argv, logger);
  return withExitCode(logger, async () => {
    const inputs = parseCliArgs(argv, env, (path) => readFileSync(path, 'utf8'));
    const config = await loadConfig(inputs.configPath, env);
    const state = createGitStateStore({
      localDir: inputs.stateRepo ?? '.claudeops/state',
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
      runId: runIdFrom(env),
    });
    secrets.push(...secretsOf(ctx));
    try {
      const { record, exitCode } = await run(ctx);
      logger.info(`recorded in ${record.commit?.location ?? '(nowhere)'} as ${record.reportPath ?? '?'}`);
      return exitCode;
    } finally {
      // never a clone left in the temp dir: a record not pushed is kept in the state repository
      await state.dispose();
    }
  });
}
