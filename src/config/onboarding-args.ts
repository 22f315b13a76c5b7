/**
 * Arguments of the commands that set ClaudeOps up and run it without a schedule
 * (docs/architecture.md#interfaces): `init`, `watch`, `timer` (`doctor` is a task).
 */
import { parseArgs } from 'node:util';
import { parseDuration } from '../core/util/duration.js';
import { asUsage, COMMAND_HELP, RUN_ARGS, runInputsFrom, UsageError } from './cli-args.js';
import type { RunInputs } from './run-inputs.js';

export interface InitTarget {
  host: string;
  port: number;
  user: string;
}

export interface InitArgs {
  targets: InitTarget[];
  out: string;
  acceptNew: boolean;
}

const INIT_ARGS = {
  host: { type: 'string', multiple: true },
  user: { type: 'string' },
  port: { type: 'string' },
  out: { type: 'string' },
  'accept-new': { type: 'boolean' },
} as const;

const HOST =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const USER = /^[A-Za-z_][A-Za-z0-9_.-]{0,31}$/;

function port(text: string, what: string): number {
  const n = Number(text);
  if (!/^\d{1,5}$/.test(text) || n < 1 || n > 65535)
    throw new UsageError(`${what}: expected a port from 1 to 65535 (got "${text}")`);
  return n;
}

/** `HOST`, `USER@HOST`, `HOST:PORT`, `USER@[IPv6]:PORT`; --user and --port fill what a spec leaves out. */
export function parseHostSpec(spec: string, defaults: { user: string; port: number }): InitTarget {
  const at = spec.lastIndexOf('@');
  const user = at >= 0 ? spec.slice(0, at) : defaults.user;
  const rest = at >= 0 ? spec.slice(at + 1) : spec;
  const m = /^\[([0-9A-Fa-f:.]+)\](?::(\d+))?$/.exec(rest) ?? /^([^:[\]]+)(?::(\d+))?$/.exec(rest);
  const host = m?.[1] ?? '';
  const isV6 = rest.startsWith('[');
  if (!m || (!isV6 && !HOST.test(host)))
    throw new UsageError(`--host ${spec}: expected HOST, USER@HOST or HOST:PORT`);
  if (!USER.test(user)) throw new UsageError(`--host ${spec}: "${user}" is not a user name`);
  return { host, port: m[2] ? port(m[2], `--host ${spec}`) : defaults.port, user };
}

export function parseInitArgs(argv: string[], env: NodeJS.ProcessEnv): InitArgs {
  const { values, positionals } = asUsage('init', Object.keys(INIT_ARGS), () =>
    parseArgs({ args: argv, allowPositionals: true, strict: true, options: INIT_ARGS }),
  );
  if (positionals.length > 0)
    throw new UsageError(`unexpected argument "${positionals[0]}" (give servers with --host)`);
  const hosts = values.host ?? [];
  if (hosts.length === 0) throw new UsageError(`init: give at least one --host\n\n${COMMAND_HELP.init}`);
  const defaults = {
    user: values.user ?? env.USER ?? env.LOGNAME ?? 'root',
    port: values.port ? port(values.port, '--port') : 22,
  };
  const targets = hosts.map((h) => parseHostSpec(h, defaults));
  const seen = new Set<string>();
  for (const t of targets) {
    const key = `${t.host}:${t.port}`;
    if (seen.has(key)) throw new UsageError(`--host ${t.host}:${t.port} is given twice`);
    seen.add(key);
  }
  return { targets, out: values.out ?? '.github/claudeops.yml', acceptNew: values['accept-new'] ?? false };
}

/** `watch` runs no faster than this: a run takes seconds, and a loop must leave the servers room. */
export const MIN_WATCH_MS = 10_000;

function every(text: string | undefined, command: string): number {
  if (text === undefined)
    throw new UsageError(`${command}: --every DURATION is required\n\n${COMMAND_HELP[command]}`);
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0)
    throw new UsageError(`--every: expected a duration like 1m or 90s (got "${text}")`);
  return ms;
}

export function parseWatchArgs(
  argv: string[],
  env: NodeJS.ProcessEnv,
  readFile: (path: string) => string,
): { inputs: RunInputs; everyMs: number } {
  const options = { ...RUN_ARGS, every: { type: 'string' } } as const;
  const { values, positionals } = asUsage('watch', Object.keys(options), () =>
    parseArgs({ args: argv, allowPositionals: true, strict: true, options }),
  );
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const everyMs = every(values.every, 'watch');
  if (everyMs < MIN_WATCH_MS) throw new UsageError(`--every: at least 10s (got "${values.every}")`);
  return { inputs: runInputsFrom('check', values, env, readFile), everyMs };
}

export interface TimerArgs {
  everyMs: number;
  out: string;
  user: string | undefined;
  configPath: string;
  stateRepo: string;
}

const TIMER_ARGS = {
  every: { type: 'string' },
  out: { type: 'string' },
  user: { type: 'string' },
  config: { type: 'string' },
  'state-repo': { type: 'string' },
} as const;

export function parseTimerArgs(argv: string[]): TimerArgs {
  const { values, positionals } = asUsage('timer', Object.keys(TIMER_ARGS), () =>
    parseArgs({ args: argv, allowPositionals: true, strict: true, options: TIMER_ARGS }),
  );
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const everyMs = every(values.every, 'timer');
  if (!values.out) throw new UsageError(`timer: --out DIR is required\n\n${COMMAND_HELP.timer}`);
  if (values.user !== undefined && !USER.test(values.user))
    throw new UsageError(`--user: "${values.user}" is not a user name`);
  return {
    everyMs,
    out: values.out,
    user: values.user,
    configPath: values.config ?? '.github/claudeops.yml',
    stateRepo: values['state-repo'] ?? '.claudeops/state',
  };
}
