/**
 * `claudeops watch --every DURATION` (README "When to use the Action, watch or the timer"): check
 * in a foreground loop where a schedule cannot run often enough — GitHub's cron runs at most every
 * 5 minutes, often late; a self-hosted box or runner can check every minute.
 *
 * - One run at a time: the next starts `every` after the last one started (at once when a run took
 *   longer), plus a random delay of up to a tenth of `every` (at most a minute), so watchers
 *   started together drift apart.
 * - SIGTERM / SIGINT between runs: stop at once. During a run: the run goes on until its record is
 *   committed and pushed, then watch stops; a second signal stops at once (that run's record may
 *   be lost). The run's git and shell children run in their own process group, so a terminal's
 *   Ctrl-C reaches only watch, never a `git push` in flight.
 * - A run whose record could not be pushed is said at once; after 3 in a row watch stops with
 *   exit 1 and the last reason, rather than go on checking without a record.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseWatchArgs } from '../config/onboarding-args.js';
import type { RunInputs } from '../config/run-inputs.js';
import type { Logger } from '../core/ports/index.js';
import { formatDuration } from '../core/util/duration.js';
import { CommandFailed } from './exit-codes.js';

/** What one check run left behind, as watch needs it. */
export interface CheckOutcome {
  exitCode: number;
  /** the record reached the state repository's branch */
  pushed: boolean;
  location?: string;
  error?: string;
}

export const MAX_PUSH_FAILURES = 3;

export interface WatchIo {
  /** subscribes to SIGTERM and SIGINT; returns the unsubscribe */
  onSignal(handler: (signal: string) => void): () => void;
  /** ends the process now (a second signal during a run) */
  exitNow(code: number): never;
  now(): number;
  random(): number;
}

const realIo: WatchIo = {
  onSignal(handler) {
    process.on('SIGTERM', handler);
    process.on('SIGINT', handler);
    return () => {
      process.off('SIGTERM', handler);
      process.off('SIGINT', handler);
    };
  },
  exitNow: (code) => process.exit(code),
  now: () => Date.now(),
  random: Math.random,
};

/** The wait before the next run: what is left of `every` since the last start, plus jitter. */
export function nextDelay(everyMs: number, elapsedMs: number, random: number): number {
  const jitter = Math.min(everyMs / 10, 60_000) * random;
  return Math.round(Math.max(0, everyMs - elapsedMs) + jitter);
}

/**
 * Each run's id: a fresh random one, as `check` makes; inside a workflow job (GITHUB_RUN_ID set)
 * the job's id with the run's number, so no two runs of one watch write the same file name.
 */
export function watchRunId(env: NodeJS.ProcessEnv, n: number): string {
  return env.GITHUB_RUN_ID ? `${env.GITHUB_RUN_ID}-w${n}` : `local-${randomBytes(4).toString('hex')}`;
}

/** Returns 0 when stopped by a signal; throws (src/cli/exit-codes.ts) on a usage error or after too many unpushed records. */
export async function runWatch(
  argv: string[],
  env: NodeJS.ProcessEnv,
  logger: Logger,
  check: (inputs: RunInputs, runId: string) => Promise<CheckOutcome>,
  io: WatchIo = realIo,
): Promise<number> {
  const { inputs, everyMs } = parseWatchArgs(argv.slice(1), env, (p) => readFileSync(p, 'utf8'));
  let stopping = false;
  let running = false;
  let wake: (() => void) | undefined;
  const unsubscribe = io.onSignal((signal) => {
    if (running && stopping) {
      logger.warning(`watch: ${signal} again: stopping now; the run in flight may not be recorded`);
      io.exitNow(130);
    }
    stopping = true;
    if (running) logger.info(`watch: ${signal}: stopping once this run is recorded (again to stop now)`);
    wake?.();
  });
  logger.info(
    `watch: a check every ${formatDuration(everyMs)} (${inputs.configPath}); SIGTERM or Ctrl-C stops`,
  );
  try {
    let failures = 0;
    for (let n = 1; !stopping; n++) {
      const started = io.now();
      running = true;
      const outcome = await check(inputs, watchRunId(env, n));
      running = false;
      failures = unpushedInARow(failures, outcome, n, logger);
      if (stopping) break;
      const delay = nextDelay(everyMs, io.now() - started, io.random());
      logger.info(`watch: next run in ${formatDuration(delay)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
    }
    logger.info('watch: stopped');
    return 0;
  } finally {
    unsubscribe();
  }
}

/** Runs in a row whose record was not pushed, this one counted; at MAX_PUSH_FAILURES watch stops. */
function unpushedInARow(before: number, outcome: CheckOutcome, n: number, logger: Logger): number {
  if (outcome.pushed) return 0;
  const failures = before + 1;
  const why = (outcome.error ?? `exit ${outcome.exitCode}`).replace(/\s+/g, ' ').trim().slice(0, 300);
  logger.error(
    `watch: run ${n}: its record was not pushed to ${outcome.location ?? 'the state repository'}: ${why}`,
  );
  if (failures >= MAX_PUSH_FAILURES)
    throw new CommandFailed(
      `watch: ${failures} runs in a row could not push their record; stopping (last reason: ${why}). Fix the state repository, then start watch again.`,
    );
  return failures;
}
