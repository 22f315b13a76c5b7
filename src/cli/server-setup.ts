/**
 * `claudeops sudoers | authorized-keys | forced-command | helper` (docs/architecture.md#security, docs/least-privilege.md):
 * reads the config, prints a file to install on the servers on stdout, and runs nothing.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseSetupArgs, type SetupArgs, UsageError } from '../config/cli-args.js';
import { ConfigError, parseConfig } from '../config/parse-config.js';
import type { Config, ServerConfig } from '../config/schema.js';
import {
  authorizedKeysLine,
  forcedCommandScript,
  isPermitOpenTarget,
  keyNeeds,
  parsePublicKey,
  permitOpenTarget,
} from '../core/least-privilege/authorized-keys.js';
import type { Logger } from '../core/ports/index.js';
import { errorMessage } from '../core/util/error-message.js';
import { forwardTarget, overChannel, serverEndpoints } from '../probes/endpoints.js';
import { helperScript } from '../remediate/server-helper.js';
import { generateSudoers } from '../remediate/sudoers.js';
import { failed } from './exit-codes.js';

export interface SetupIo {
  readFile(path: string): string;
  write(text: string): void;
  now(): Date;
}

const realIo: SetupIo = {
  readFile: (path) => readFileSync(path, 'utf8'),
  write: (text) => {
    process.stdout.write(text);
  },
  now: () => new Date(),
};

/**
 * `host:port` of each `http://` endpoint these servers check from the server, which the runner
 * fetches over a channel the server's sshd connects (endpoint-channels.ts): the key's permitopen
 * targets. One whose host cannot be written into the option is left out: sshd refuses its channel
 * and the collector's curl checks it, as on any server that refuses forwarding.
 */
export function endpointForwardTargets(servers: readonly ServerConfig[]): string[] {
  const targets = servers.flatMap((server) =>
    serverEndpoints(server)
      .filter(overChannel)
      .map((endpoint) => {
        const { host, port } = forwardTarget(endpoint.url);
        return permitOpenTarget(host, port);
      }),
  );
  return [...new Set(targets)].filter(isPermitOpenTarget);
}

function selectServers(config: Config, name: string | undefined): ServerConfig[] {
  if (name === undefined) return config.servers;
  const server = config.servers.find((s) => s.name === name);
  if (!server) {
    throw new UsageError(
      `--server: no server "${name}" in the config (have ${config.servers.map((s) => s.name).join(', ')})`,
    );
  }
  return [server];
}

function sshUser(config: Config, servers: readonly ServerConfig[], given: string | undefined): string {
  if (given) return given;
  const users = [...new Set(servers.map((s) => s.user ?? config.defaults.user))];
  const [user] = users;
  if (users.length === 1 && user) return user;
  if (users.length > 1) {
    throw new UsageError(
      `the servers use different SSH users (${users.join(', ')}): pick one with --server or --user`,
    );
  }
  throw new UsageError('no SSH user in the config (servers[].user or defaults.user): pass --user');
}

/** The output of one setup command (pure apart from reading files through `io`). */
export function setupOutput(args: SetupArgs, env: NodeJS.ProcessEnv, io: SetupIo): string {
  if (args.command === 'forced-command') return forcedCommandScript();
  if (args.command === 'helper') return helperScript();
  let text: string;
  try {
    text = io.readFile(args.configPath);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError(args.configPath, [
      code === 'ENOENT' ? 'no such file (set --config)' : String(error),
    ]);
  }
  const config = parseConfig(text, args.configPath, env);
  const servers = selectServers(config, args.server);
  const sha256 = createHash('sha256').update(text).digest('hex');
  if (args.command === 'sudoers') {
    return generateSudoers({
      config,
      servers,
      user: sshUser(config, servers, args.user),
      source: { path: args.configPath, sha256 },
      now: io.now(),
      paths: args.paths,
    });
  }
  const keyPath = args.publicKeyPath ?? '';
  let keyText: string;
  try {
    keyText = io.readFile(keyPath);
  } catch (error) {
    throw new UsageError(`--public-key ${keyPath}: ${errorMessage(error)}`);
  }
  let publicKey: ReturnType<typeof parsePublicKey>;
  try {
    publicKey = parsePublicKey(keyText);
  } catch (error) {
    throw new UsageError(`--public-key ${keyPath}: ${errorMessage(error)}`);
  }
  const needs = keyNeeds(servers, config.servers, config.defaults.port);
  return authorizedKeysLine({
    publicKey,
    endpointOpen: endpointForwardTargets(servers),
    ...(args.wrapperPath ? { wrapperPath: args.wrapperPath } : {}),
    ...(args.from ? { from: args.from } : {}),
    allowSudoShell: needs.allowSudoShell,
    permitOpen: needs.permitOpen,
    source: { path: args.configPath, servers: servers.map((s) => s.name) },
    now: io.now(),
  });
}

/** Returns the exit code (cli/exit-codes.ts): 0 printed, 1 a config or generation problem, 2 a usage error. */
export function runSetupCommand(
  argv: string[],
  env: NodeJS.ProcessEnv,
  logger: Pick<Logger, 'error'>,
  io: SetupIo = realIo,
): number {
  try {
    io.write(setupOutput(parseSetupArgs(argv), env, io));
    return 0;
  } catch (error) {
    return failed(error, logger);
  }
}
