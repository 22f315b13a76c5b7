import { parseArgs } from 'node:util';
import { errorMessage } from '../core/error-message.js';
import {
  choiceProblem,
  DEFAULT_MODEL,
  DEFAULT_STATE_BRANCH,
  MODES,
  parseShard,
  type RunInputs,
  TASKS,
} from './run-inputs.js';
import type { Mode } from './schema.js';

export const USAGE = `usage: claudeops check|recover|execute-approved [--config FILE] [--mode report|safe|full]
                 [--dry-run] [--servers S] [--shard i/n] [--state-repo DIR]

  --config FILE      YAML config (default .github/claudeops.yml)
  --mode M           report (observe only) | safe (low-risk fixes) | full (low + medium)
  --dry-run          decide and record everything, execute nothing
  --servers S        comma list of server names and/or tag:NAME
  --shard i/n        take every n-th server starting at the i-th
  --state-repo DIR   local git repository for the state branch (default .claudeops/state)

Environment: ANTHROPIC_API_KEY enables Claude (else the rule-based planner decides);
SSH_PRIVATE_KEY, SSH_PASSPHRASE and KNOWN_HOSTS (text) or SSH_PRIVATE_KEY_FILE / KNOWN_HOSTS_FILE for SSH servers.

Least privilege on servers (docs/least-privilege.md), printed on stdout:
       claudeops sudoers [--config FILE] [--server NAME] [--user USER] [--path PROG=/abs/path]...
       claudeops authorized-keys [--config FILE] --public-key FILE.pub [--server NAME]
                 [--wrapper /abs/path] [--from PATTERNS]
       claudeops forced-command`;

export class UsageError extends Error {}

/** node:util's parseArgs errors (unknown option, missing value) as usage errors with the usage. */
function asUsage<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw new UsageError(`${errorMessage(error)}\n\n${USAGE}`);
  }
}

/** Parses the CLI's argv (DESIGN §4) into the same RunInputs the Action builds from its inputs. */
export function parseCliArgs(
  argv: string[],
  env: NodeJS.ProcessEnv,
  readFile: (path: string) => string,
): RunInputs {
  const { values, positionals } = asUsage(() => parse(argv));
  const task = positionals[0];
  if (!task || !(TASKS as readonly string[]).includes(task) || positionals.length > 1) {
    throw new UsageError(task ? `unknown command "${positionals.join(' ')}"\n\n${USAGE}` : USAGE);
  }
  const modeProblem = values.mode ? choiceProblem('--mode', values.mode, MODES) : undefined;
  if (modeProblem) throw new UsageError(modeProblem);
  const shard = values.shard ? parseShard(values.shard) : undefined;
  if (typeof shard === 'string') throw new UsageError(`--${shard}`);
  const fromFile = (path: string | undefined) => (path ? readFile(path) : undefined);
  return {
    configPath: values.config ?? '.github/claudeops.yml',
    task: task as RunInputs['task'],
    mode: values.mode as Mode | undefined,
    dryRun: values['dry-run'] ?? false,
    servers: values.servers,
    shard,
    sshPrivateKey: env.SSH_PRIVATE_KEY || fromFile(env.SSH_PRIVATE_KEY_FILE),
    sshPassphrase: env.SSH_PASSPHRASE || undefined,
    knownHosts: env.KNOWN_HOSTS || fromFile(env.KNOWN_HOSTS_FILE),
    anthropicApiKey: env.ANTHROPIC_API_KEY || undefined,
    model: env.CLAUDEOPS_MODEL || DEFAULT_MODEL,
    stateBranch: DEFAULT_STATE_BRANCH,
    stateRepo: values['state-repo'] ?? '.claudeops/state',
  };
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      config: { type: 'string' },
      mode: { type: 'string' },
      'dry-run': { type: 'boolean' },
      servers: { type: 'string' },
      shard: { type: 'string' },
      'state-repo': { type: 'string' },
    },
  });
}

/** The server-setup commands (DESIGN §10): they print files to install, and run nothing. */
export const SETUP_COMMANDS = ['sudoers', 'authorized-keys', 'forced-command'] as const;
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

/** Parses `claudeops sudoers|authorized-keys|forced-command …`. */
export function parseSetupArgs(argv: string[]): SetupArgs {
  const { values, positionals } = asUsage(() => parseSetup(argv));
  const command = positionals[0];
  if (!isSetupCommand(command) || positionals.length > 1) {
    throw new UsageError(`unknown command "${positionals.join(' ')}"\n\n${USAGE}`);
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

function parseSetup(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      config: { type: 'string' },
      server: { type: 'string' },
      user: { type: 'string' },
      path: { type: 'string', multiple: true },
      'public-key': { type: 'string' },
      wrapper: { type: 'string' },
      from: { type: 'string' },
    },
  });
}
