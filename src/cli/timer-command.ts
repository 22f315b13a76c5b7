/**
 * `claudeops timer --every DURATION [--user U] --out DIR` (README "When to use the Action, watch
 * or the timer"): writes claudeops.service and claudeops.timer into DIR. Installs nothing.
 */
import { mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { UsageError } from '../config/cli-args.js';
import { parseTimerArgs } from '../config/onboarding-args.js';
import type { Logger } from '../core/ports/index.js';
import { calendarFor, serviceUnit, timerUnit } from './systemd-units.js';

/** Writes the two files and returns 0; throws (src/cli/exit-codes.ts) on a usage error. */
export function runTimerCommand(argv: string[], logger: Logger): number {
  const args = parseTimerArgs(argv.slice(1));
  const calendar = calendarFor(args.everyMs);
  if (!calendar.ok) throw new UsageError(`--every: ${calendar.reason}`);
  const user = args.user ?? userInfo().username;
  if (user === 'root' && args.user === undefined)
    throw new UsageError(
      'timer: the service would run as root: give --user (an account that may read the SSH key; root only as --user root)',
    );
  const spec = {
    everyMs: args.everyMs,
    user,
    node: process.execPath,
    cli: realpathSync(process.argv[1] ?? ''),
    workingDirectory: process.cwd(),
    config: resolve(args.configPath),
    stateRepo: resolve(args.stateRepo),
  };
  const service = serviceUnit(spec);
  const timer = timerUnit(spec, calendar.calendar);
  mkdirSync(args.out, { recursive: true });
  writeFileSync(join(args.out, 'claudeops.service'), service);
  writeFileSync(join(args.out, 'claudeops.timer'), timer);
  logger.info(
    `wrote ${join(args.out, 'claudeops.service')} and claudeops.timer (every ${calendar.calendar}, as ${user})`,
  );
  logger.info(
    `install: sudo cp ${join(args.out, 'claudeops.{service,timer}')} /etc/systemd/system/ && sudo systemctl daemon-reload && sudo systemctl enable --now claudeops.timer`,
  );
  return 0;
}
