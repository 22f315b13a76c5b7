import { parseArgs } from 'node:util';
import { isTask, type RunOption, TASK_NAMES, TASKS, type Task, taskTraits } from '../core/tasks.js';
import { parseDuration } from '../core/util/duration.js';
import { errorMessage } from '../core/util/error-message.js';
import {
  choiceProblem,
  DEFAULT_MODEL,
  DEFAULT_STATE_BRANCH,
  MODES,
  parseShard,
  type RunInputs,
} from './run-inputs.js';
import type { Mode } from './schema.js';
import { closest } from './schema-keys.js';

const RUN_OPTION_HELP: Record<RunOption, string> = {
  config: '  --config FILE      YAML config (default .github/claudeops.yml)',
  mode: '  --mode M           report (observe only) | safe (low-risk fixes) | full (low + medium)',
  'dry-run': '  --dry-run          decide and record everything, execute nothing',
  servers: '  --servers S        comma list of server names and/or tag:NAME',
  shard: '  --shard i/n        take every n-th server starting at the i-th',
  'state-repo': '  --state-repo DIR   local git repository for the state branch (default .claudeops/state)',
};

const ALL_RUN_OPTIONS = Object.keys(RUN_OPTION_HELP) as RunOption[];

/** The options a task honours (its help lists these; the parser refuses the others). */
const optionsOf = (task: Task): readonly RunOption[] =>
  (TASKS[task] as { options?: readonly RunOption[] }).options ?? ALL_RUN_OPTIONS;

const RUN_ENVIRONMENT = `Environment: ANTHROPIC_API_KEY enables Claude (else the rule-based planner decides);
SSH_PRIVATE_KEY, SSH_PASSPHRASE and KNOWN_HOSTS (text) or SSH_PRIVATE_KEY_FILE / KNOWN_HOSTS_FILE for SSH servers.
CLAUDEOPS_HEARTBEAT_URL pings a dead man's switch (like the heartbeat-url input).
NO_COLOR turns off colour (there is none when the output is not a terminal).`;

const runOptions = (options: readonly RunOption[]) =>
  `${options.map((o) => RUN_OPTION_HELP[o]).join('\n')}\n\n${RUN_ENVIRONMENT}`;
const RUN_OPTIONS = runOptions(ALL_RUN_OPTIONS);

const READ_OPTIONS = `  --state-repo DIR   git repository holding the state branch: the CLI's own (default
                     .claudeops/state) or a clone of your repository with the branch fetched
  --format F         text (default) | json`;

/** Tasks the CLI runs; one whose CLI command is a read command (`digest`) is listed with those. */
const RUN_TASKS = TASK_NAMES.filter((t) => !taskTraits(t).cliReads);

export const USAGE = `usage: claudeops <command> [options]     (claudeops help <command> for its options)

Run a task:
${RUN_TASKS.map((t) => `  ${t.padEnd(36)}${TASKS[t].summary}`).join('\n')}
    each with [--config FILE] [--mode M] [--dry-run] [--servers S] [--shard i/n] [--state-repo DIR]
Set up, and run without a schedule:
  init --host [USER@]HOST[:PORT]... [--user U] [--port P] [--out FILE] [--accept-new]
                                      discover what the servers run; write a commented config
                                      and the workflow (pins the host keys you confirm)
  watch --every DURATION [task options]
                                      check in a foreground loop (self-hosted box or runner)
  timer --every DURATION [--user U] --out DIR [--config FILE] [--state-repo DIR]
                                      write a systemd claudeops.service + claudeops.timer
Read the record (state branch):
  status                              the fleet now: per server status and figures
  history [--server S] [--since 7d]   runs, one line each
  issues                              open problems with age and last action
  show RUN|FINGERPRINT                one run's health report, or one problem's issue file
  status-page --out DIR               build the static status site and badges
  digest [--since 7d]                 ${TASKS.digest.summary}
    each with [--state-repo DIR] [--format text|json]
Least privilege on servers (docs/least-privilege.md), printed on stdout:
  sudoers [--config FILE] [--server NAME] [--user USER] [--path PROG=/abs/path]...
  authorized-keys [--config FILE] --public-key FILE.pub [--server NAME] [--wrapper /abs/path]
                  [--from PATTERNS]
  forced-command
  helper                              the on-server helper for deletes and kills (install as root)

  -h, --help         this help (or: claudeops <command> --help)
  --version          the version of claudeops

${RUN_OPTIONS}`;

/** What `claudeops <command> --help` prints, per command. */
export const COMMAND_HELP: Record<string, string> = {
  ...Object.fromEntries(
    RUN_TASKS.map((t) => [
      t,
      `usage: claudeops ${t} ${optionsOf(t)
        .map((o) => `[${RUN_OPTION_HELP[o].trim().split(/\s{2,}/)[0]}]`)
        .join(' ')}\n\n${TASKS[t].help}\n\n${runOptions(optionsOf(t))}`,
    ]),
  ),
  status: `usage: claudeops status [--state-repo DIR] [--format text|json]\n\nThe fleet as the newest run saw it: status, figures and open problems per server.\n\n${READ_OPTIONS}`,
  history: `usage: claudeops history [--server S] [--since 7d] [--state-repo DIR] [--format text|json]\n\nRuns, newest first, one line each.\n\n  --server S         only runs that checked this server (its status in each)\n  --since D          only runs newer than this (30m, 12h, 7d, 2w; default 7d)\n${READ_OPTIONS}`,
  issues: `usage: claudeops issues [--state-repo DIR] [--format text|json]\n\nOpen problems with their age, last sighting and last action.\n\n${READ_OPTIONS}`,
  show: `usage: claudeops show RUN|FINGERPRINT [--state-repo DIR] [--format text|json]\n\nPrints one run's health report (by run id or report path) or one problem's issue file\n(by fingerprint, e.g. web1/disk//var).\n\n${READ_OPTIONS}`,
  'status-page': `usage: claudeops status-page --out DIR [--config FILE] [--repo-url URL] [--state-repo DIR] [--format text|json]\n\nBuilds a static, self-contained status site (index.html, status.json, badges/<server>.json)\nfrom the state branch: availability over 24 h / 7 d / 30 d / 90 d and 90 daily bars per server\nand endpoint, response times, open and past incidents. Public by default (docs/status-page.md).\n\n  --out DIR          where to write the site (created; existing files there are replaced)\n  --config FILE      schedule (stale banner), maintenance windows, thresholds, status_page.details\n  --repo-url URL     web URL of the repository: with status_page.details, incidents link to their issues\n${READ_OPTIONS}`,
  init: `usage: claudeops init --host [USER@]HOST[:PORT] [--host …] [--user U] [--port P] [--out FILE] [--accept-new]

Connects to each server over SSH, shows its host key fingerprint and trusts it only when you
confirm it (y/N on a terminal) or pass --accept-new; then discovers, reading only, what runs
there: systemd units enabled and running, docker containers and Compose projects, pm2 and
supervisor programs, listening ports and their owners, nginx/Apache sites, postgres, mysql and
redis, large log files, disks. Writes a commented config (host keys pinned), the confirmed
known_hosts lines beside it, and the scheduled workflow. Changes nothing on the servers and
overwrites no file.

  --host H           a server: HOST, USER@HOST, HOST:PORT or [IPv6]:PORT (repeat for each)
  --user U           SSH user for hosts that name none (default: $USER)
  --port P           SSH port for hosts that name none (default 22)
  --out FILE         the config to write (default .github/claudeops.yml); the workflow goes
                     to .github/workflows/claudeops.yml of the same repository
  --accept-new       trust host keys seen for the first time without asking (a key that
                     differs from a known one is still refused)

Environment: SSH_PRIVATE_KEY_FILE (or SSH_PRIVATE_KEY) and SSH_PASSPHRASE: the key to connect
with (the workflow's CLAUDEOPS_SSH_KEY); KNOWN_HOSTS_FILE (or KNOWN_HOSTS, else
~/.ssh/known_hosts): keys you already trust.`,
  watch: `usage: claudeops watch --every DURATION [options]

Runs check in a foreground loop, one run at a time, for a self-hosted box or runner where a
schedule cannot run often enough: each run starts DURATION after the last one started (plus a
random delay of up to a tenth of it), records and pushes as check does. SIGTERM or SIGINT
between runs stops at once; during a run, it stops once that run is recorded (a second signal
stops at once). Stops with exit 1 when 3 runs in a row could not push their record.

  --every DURATION   time between run starts, like 1m, 90s, 5m (at least 10s)
${RUN_OPTIONS}`,
  timer: `usage: claudeops timer --every DURATION --out DIR [--user U] [--config FILE] [--state-repo DIR]

Writes claudeops.service and claudeops.timer into DIR: a systemd timer that runs
\`claudeops check\` from this directory every DURATION (Persistent=true: a run missed while the
machine was off runs at boot; RandomizedDelaySec spreads fleets) as a hardened, unprivileged
service. Installs nothing: copy the files to /etc/systemd/system/, then
\`systemctl enable --now claudeops.timer\`.

  --every DURATION   1m to 24h: minutes dividing an hour (1m, 2m, 5m, 10m, 15m, 20m, 30m) or
                     hours dividing a day (1h, 2h, 3h, 4h, 6h, 8h, 12h, 24h)
  --out DIR          where to write the two files (created)
  --user U           the account the service runs as (default: the current user; root only
                     when asked for)
  --config FILE      YAML config (default .github/claudeops.yml)
  --state-repo DIR   local git repository for the state branch (default .claudeops/state)`,
  digest: `usage: claudeops digest [--since 7d] [--state-repo DIR] [--format text|json]\n\n${TASKS.digest.help}\n\n  --since D          the window, up to now (default 7d)\n${READ_OPTIONS}`,
  sudoers:
    "usage: claudeops sudoers [--config FILE] [--server NAME] [--user USER] [--path PROG=/abs/path]...\n\nPrints a sudoers file allowing only the collector and the catalog's commands (docs/least-privilege.md).",
  'authorized-keys':
    'usage: claudeops authorized-keys [--config FILE] --public-key FILE.pub [--server NAME] [--wrapper /abs/path] [--from PATTERNS]\n\nPrints an authorized_keys line with a forced command (docs/least-privilege.md).',
  'forced-command':
    'usage: claudeops forced-command\n\nPrints the forced-command wrapper script (docs/least-privilege.md).',
  helper:
    'usage: claudeops helper\n\nPrints claudeops-helper, the root side of clear-directory, remove-stale-lock and free-port\n(path checks where the delete happens, the never-kill rules at each signal). With sudo: actions,\ninstall it as root: install -o root -g root -m 0755 claudeops-helper /usr/local/sbin/claudeops-helper\n(docs/least-privilege.md).',
};

export const COMMANDS = Object.keys(COMMAND_HELP);

/**
 * `help`, `--help`/`-h` anywhere before `--`, and `--version`: answered before any parsing, so
 * they work on every command and exit 0. Returns the text to print, or undefined.
 */
export function helpOrVersion(argv: readonly string[], version: string): string | undefined {
  const first = argv[0];
  if (first === '--version' || first === '-V' || first === 'version') return `claudeops ${version}`;
  if (first === 'help') return argv[1] ? (COMMAND_HELP[argv[1]] ?? unknownCommand(argv[1])) : USAGE;
  const end = argv.indexOf('--');
  const before = end < 0 ? argv : argv.slice(0, end);
  if (!before.includes('--help') && !before.includes('-h')) return undefined;
  return first && COMMAND_HELP[first] ? COMMAND_HELP[first] : USAGE;
}

function unknownCommand(word: string): string {
  return `unknown command "${word}"${didYouMean(word, COMMANDS)}\nrun "claudeops --help" for the commands`;
}

/** A usage mistake's answer: the command's usage line and where the rest is, not the whole help. */
function shortUsage(command: string | undefined): string {
  const help = command ? COMMAND_HELP[command] : undefined;
  if (!help || !command) return 'run "claudeops --help" for the commands';
  return `${help.split('\n')[0]}\nrun "claudeops ${command} --help" for its options`;
}

export class UsageError extends Error {}

function didYouMean(word: string, candidates: readonly string[]): string {
  const match = closest(word, candidates);
  return match ? ` (did you mean "${match}"?)` : '';
}

/**
 * node:util's parseArgs errors (unknown option, missing value) as usage errors with the command's
 * usage; an unknown option gets the nearest known one as a suggestion.
 */
export function asUsage<T>(command: string | undefined, known: readonly string[], parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    const unknown = /Unknown option '(-{1,2}[^']+)'/.exec(errorMessage(error))?.[1];
    if (unknown) {
      const hint = didYouMean(
        unknown,
        known.map((k) => `--${k}`),
      );
      throw new UsageError(`unknown option ${unknown}${hint}\n${shortUsage(command)}`);
    }
    throw new UsageError(`${errorMessage(error)}\n${shortUsage(command)}`);
  }
}

/** Parses the CLI's argv (docs/architecture.md#interfaces) into the same RunInputs the Action builds from its inputs. */
export function parseCliArgs(
  argv: string[],
  env: NodeJS.ProcessEnv,
  readFile: (path: string) => string,
): RunInputs {
  const task = argv[0];
  if (!task || !isTask(task)) {
    throw new UsageError(task ? unknownCommand(task) : USAGE);
  }
  const allowed = optionsOf(task);
  // an option of another run command is named as such, not as a typo
  const optionOf = (arg: string) =>
    ALL_RUN_OPTIONS.find((o) => arg === `--${o}` || arg.startsWith(`--${o}=`));
  const refused = argv.map(optionOf).find((o) => o !== undefined && !allowed.includes(o));
  if (refused) throw new UsageError(`${task} takes no --${refused}\n${shortUsage(task)}`);
  const { values, positionals } = asUsage(task, allowed, () => parse(argv));
  if (positionals.length > 1)
    throw new UsageError(`unexpected argument "${positionals[1]}"\n${shortUsage(task)}`);
  return runInputsFrom(task as RunInputs['task'], values, env, readFile);
}

/** The check options (RUN_ARGS) as parsed by node:util, with the environment, as RunInputs. */
export function runInputsFrom(
  task: RunInputs['task'],
  values: RunValues,
  env: NodeJS.ProcessEnv,
  readFile: (path: string) => string,
): RunInputs {
  const modeProblem = values.mode ? choiceProblem('--mode', values.mode, MODES) : undefined;
  if (modeProblem) throw new UsageError(modeProblem);
  const shard = values.shard ? parseShard(values.shard) : undefined;
  if (typeof shard === 'string') throw new UsageError(`--${shard}`);
  const fromFile = (path: string | undefined) => (path ? readFile(path) : undefined);
  return {
    configPath: values.config ?? '.github/claudeops.yml',
    task,
    mode: values.mode as Mode | undefined,
    dryRun: values['dry-run'] ?? false,
    servers: values.servers,
    shard,
    sshPrivateKey: env.SSH_PRIVATE_KEY || fromFile(env.SSH_PRIVATE_KEY_FILE),
    sshPassphrase: env.SSH_PASSPHRASE || undefined,
    knownHosts: env.KNOWN_HOSTS || fromFile(env.KNOWN_HOSTS_FILE),
    anthropicApiKey: env.ANTHROPIC_API_KEY || undefined,
    heartbeatUrl: env.CLAUDEOPS_HEARTBEAT_URL || undefined,
    model: env.CLAUDEOPS_MODEL || DEFAULT_MODEL,
    stateBranch: DEFAULT_STATE_BRANCH,
    stateRepo: values['state-repo'] ?? '.claudeops/state',
  };
}

/** The values of the check options, as node:util's parseArgs gives them. */
export interface RunValues {
  config?: string;
  mode?: string;
  'dry-run'?: boolean;
  servers?: string;
  shard?: string;
  'state-repo'?: string;
}

export const RUN_ARGS = {
  config: { type: 'string' },
  mode: { type: 'string' },
  'dry-run': { type: 'boolean' },
  servers: { type: 'string' },
  shard: { type: 'string' },
  'state-repo': { type: 'string' },
} as const;

function parse(argv: string[]) {
  return parseArgs({ args: argv, allowPositionals: true, strict: true, options: RUN_ARGS });
}

/** The server-setup commands (docs/architecture.md#security): they print files to install, and run nothing. */
export const SETUP_COMMANDS = ['sudoers', 'authorized-keys', 'forced-command', 'helper'] as const;
export type SetupCommand = (typeof SETUP_COMMANDS)[number];

export interface SetupArgs {
  command: SetupCommand;
  configPath: string;
  server: string | undefined;
  user: string | undefined;
  /** program name → absolute path (sudoers) */
  paths: Record<string, string>;
  publicKeyPath: string | undefined;
  wrapperPath: string | undefined;
  from: string | undefined;
}

export function isSetupCommand(word: string | undefined): word is SetupCommand {
  return (SETUP_COMMANDS as readonly string[]).includes(word ?? '');
}

/** Parses `claudeops sudoers|authorized-keys|forced-command|helper …`. */
export function parseSetupArgs(argv: string[]): SetupArgs {
  const { values, positionals } = asUsage(argv[0], Object.keys(SETUP_ARGS), () => parseSetup(argv));
  const command = positionals[0];
  if (!isSetupCommand(command) || positionals.length > 1) {
    throw new UsageError(
      command && !isSetupCommand(command)
        ? unknownCommand(command)
        : `unexpected argument "${positionals[1]}"\n${shortUsage(command)}`,
    );
  }
  const paths: Record<string, string> = {};
  for (const spec of values.path ?? []) {
    const eq = spec.indexOf('=');
    const name = spec.slice(0, eq);
    const path = spec.slice(eq + 1);
    if (eq <= 0 || !/^[A-Za-z0-9_.+/-]+$/.test(name) || !/^\/[A-Za-z0-9_.+/-]+$/.test(path)) {
      throw new UsageError(`--path: expected PROGRAM=/absolute/path (got "${spec}")`);
    }
    paths[name] = path;
  }
  if (command === 'authorized-keys' && !values['public-key']) {
    throw new UsageError('authorized-keys: --public-key FILE.pub is required');
  }
  return {
    command,
    configPath: values.config ?? '.github/claudeops.yml',
    server: values.server,
    user: values.user,
    paths,
    publicKeyPath: values['public-key'],
    wrapperPath: values.wrapper,
    from: values.from,
  };
}

const SETUP_ARGS = {
  config: { type: 'string' },
  server: { type: 'string' },
  user: { type: 'string' },
  path: { type: 'string', multiple: true },
  'public-key': { type: 'string' },
  wrapper: { type: 'string' },
  from: { type: 'string' },
} as const;

function parseSetup(argv: string[]) {
  return parseArgs({ args: argv, allowPositionals: true, strict: true, options: SETUP_ARGS });
}

/** The read commands (docs/architecture.md#interfaces): status, history, issues, show, status-page, digest. */
export const READ_COMMANDS = ['status', 'history', 'issues', 'show', 'status-page', 'digest'] as const;
export type ReadCommand = (typeof READ_COMMANDS)[number];

export function isReadCommand(word: string | undefined): word is ReadCommand {
  return (READ_COMMANDS as readonly string[]).includes(word ?? '');
}

export interface ReadArgs {
  command: ReadCommand;
  stateRepo: string;
  format: 'text' | 'json';
  server?: string;
  /** history: only runs newer than this many milliseconds */
  sinceMs: number;
  /** show: run id, report path or fingerprint */
  target?: string;
  out?: string;
  configPath?: string;
  repoUrl?: string;
}

const READ_ARGS = {
  'state-repo': { type: 'string' },
  format: { type: 'string' },
  server: { type: 'string' },
  since: { type: 'string' },
  out: { type: 'string' },
  config: { type: 'string' },
  'repo-url': { type: 'string' },
} as const;

/** Which options each read command takes: anything else is a usage error with a suggestion. */
const READ_OPTIONS_OF: Record<ReadCommand, (keyof typeof READ_ARGS)[]> = {
  status: ['state-repo', 'format'],
  history: ['state-repo', 'format', 'server', 'since'],
  issues: ['state-repo', 'format'],
  show: ['state-repo', 'format'],
  'status-page': ['state-repo', 'format', 'out', 'config', 'repo-url'],
  digest: ['state-repo', 'format', 'since'],
};

export function parseReadArgs(argv: string[]): ReadArgs {
  const command = argv[0];
  if (!isReadCommand(command)) throw new UsageError(unknownCommand(command ?? ''));
  const allowed = READ_OPTIONS_OF[command];
  const options = Object.fromEntries(allowed.map((k) => [k, READ_ARGS[k]]));
  const { values, positionals } = asUsage(command, allowed, () =>
    parseArgs({ args: argv, allowPositionals: true, strict: true, options }),
  );
  const v = values as Partial<Record<keyof typeof READ_ARGS, string>>;
  const format = v.format ?? 'text';
  if (format !== 'text' && format !== 'json')
    throw new UsageError(`--format: expected text or json (got "${format}")`);
  const wantsTarget = command === 'show';
  if (wantsTarget && positionals.length !== 2)
    throw new UsageError(`show: give one RUN or FINGERPRINT\n${shortUsage(command)}`);
  if (!wantsTarget && positionals.length > 1)
    throw new UsageError(`unexpected argument "${positionals[1]}"\n${shortUsage(command)}`);
  if (command === 'status-page' && !v.out)
    throw new UsageError(`status-page: --out DIR is required\n${shortUsage(command)}`);
  const sinceMs = v.since === undefined ? 7 * 86_400_000 : parseDuration(v.since);
  if (sinceMs === undefined)
    throw new UsageError(`--since: expected a duration like 7d or 12h (got "${v.since}")`);
  return {
    command,
    stateRepo: v['state-repo'] ?? '.claudeops/state',
    format,
    sinceMs,
    ...(v.server ? { server: v.server } : {}),
    ...(wantsTarget && positionals[1] ? { target: positionals[1] } : {}),
    ...(v.out ? { out: v.out } : {}),
    ...(v.config ? { configPath: v.config } : {}),
    ...(v['repo-url'] ? { repoUrl: v['repo-url'] } : {}),
  };
}
