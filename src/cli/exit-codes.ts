/**
 * The CLI's exit codes (docs/architecture.md#interfaces), decided here for every command: 0 done,
 * 1 the command failed (a bad config, an unreadable state branch, nothing to show, a run that
 * failed), 2 a usage error. Commands throw; they never pick a code themselves.
 */
import { UsageError } from '../config/cli-args.js';
import { ConfigError } from '../config/parse-config.js';
import { type Logger, StateBranchNotFound } from '../core/ports/index.js';
import { errorMessage } from '../core/util/error-message.js';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/** A command that ran and failed, with a message written for the user (exit 1). */
export class CommandFailed extends Error {}

/** Errors whose message is written for the user: shown as they are, without a prefix. */
const SPOKEN = [CommandFailed, ConfigError, StateBranchNotFound, UsageError];

/** The exit code for an error a command ended with. */
export function exitCodeOf(error: unknown): number {
  return error instanceof UsageError ? EXIT_USAGE : EXIT_FAILED;
}

/** What the user reads for an error a command ended with. */
export function failureMessage(error: unknown): string {
  return SPOKEN.some((kind) => error instanceof kind)
    ? errorMessage(error)
    : `claudeops: ${errorMessage(error)}`;
}

/** Logs why a command ended and returns its exit code. */
export function failed(error: unknown, logger: Pick<Logger, 'error'>): number {
  logger.error(failureMessage(error));
  return exitCodeOf(error);
}

/** Runs a command: its own exit code when it returns, the code for its error when it throws. */
export async function withExitCode(
  logger: Pick<Logger, 'error'>,
  command: () => Promise<number> | number,
): Promise<number> {
  try {
    return await command();
  } catch (error) {
    return failed(error, logger);
  }
}
