/**
 * The CLI's composition root: argv → the command's own module. Each command's modules load only
 * when it runs, so `--version` and `help` load none of them (nor the console's redaction) and a
 * read command no pipeline.
 */
import { packageVersion } from './adapters/package-version.js';
import { helpOrVersion, isReadCommand, isSetupCommand } from './config/cli-args.js';

/** Returns the process exit code (src/cli/exit-codes.ts): 0 done, 1 the run failed, 2 a usage error. */
export async function runCli(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const early = helpOrVersion(argv, packageVersion());
  if (early !== undefined) {
    process.stdout.write(`${early}\n`);
    return 0;
  }
  // filled once the inputs and config are read: every later line printed is redacted with them
  const secrets: string[] = [];
  const logger = (await import('./adapters/console-io.js')).consoleLogger(process.stderr, env, secrets);
  // sudoers | authorized-keys | forced-command | helper: print files for the servers (least privilege)
  if (isSetupCommand(argv[0]))
    return (await import('./cli/server-setup.js')).runSetupCommand(argv, env, logger);
  // status | history | issues | show | status-page: read the state branch, write nothing
  if (isReadCommand(argv[0])) return (await import('./cli/read-commands.js')).runReadCommand(argv, logger);
  // init | watch | timer | check and every task: the pipeline's commands
  return (await import('./cli/pipeline-command.js')).runPipelineCommand(argv, env, logger, secrets);
}
