/**
 * `claudeops init` (README "Quick start"): from a list of hosts to a config that loads, the
 * known_hosts lines of the keys the user confirmed, and the workflow to add. Host keys are shown
 * and trusted only when confirmed (y/N on a terminal) or --accept-new; a key that differs from a
 * known one is always refused. Discovery only reads (src/discover/). Writes nothing unless every
 * host was reached, and never overwrites a file.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { createSshTransport } from '../adapters/ssh.js';
import { type ScannedKey, scanHostKey } from '../adapters/ssh-key-scan.js';
import { type InitArgs, type InitTarget, parseInitArgs } from '../config/onboarding-args.js';
import { parseConfig } from '../config/parse-config.js';
import { serverSchema } from '../config/schema.js';
import { type KnownHosts, parseKnownHosts, verifyHostKey } from '../core/least-privilege/known-hosts.js';
import type { Logger } from '../core/ports/index.js';
import { mapLimited } from '../core/util/each-limited.js';
import { errorMessage } from '../core/util/error-message.js';
import { type Discovered, discoverServer } from '../discover/discover-server.js';
import { NAME, planServer, type ServerDraft } from '../discover/plan-server.js';
import { renderConfig } from '../discover/render-config.js';
import { hourlyCron, renderWorkflow } from '../discover/render-workflow.js';
import { CommandFailed } from './exit-codes.js';

export interface InitIo {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  /** prompts and the fingerprints (stderr: stdout stays clean for scripts) */
  prompt: NodeJS.WritableStream;
  now(): Date;
}

const realIo: InitIo = { stdin: process.stdin, prompt: process.stderr, now: () => new Date() };

/** The files init writes, from the --out path. */
export function initPaths(out: string): {
  config: string;
  knownHosts: string;
  workflow: string;
  configInput: string;
} {
  const config = resolve(out);
  // the repository root: the directory holding the nearest .github above the config, else here
  const parts = dirname(config).split(sep);
  const github = parts.lastIndexOf('.github');
  const root = github > 0 ? parts.slice(0, github).join(sep) || sep : process.cwd();
  return {
    config,
    knownHosts: join(dirname(config), `${basename(config).replace(/\.ya?ml$/, '')}.known_hosts`),
    workflow: join(root, '.github', 'workflows', 'claudeops.yml'),
    configInput: relative(root, config).split(sep).join('/'),
  };
}

/**
 * Writes the files and returns 0; throws (src/cli/exit-codes.ts) on a usage error, or with nothing
 * written when a host could not be set up.
 */
export async function runInit(
  argv: string[],
  env: NodeJS.ProcessEnv,
  logger: Logger,
  io: InitIo = realIo,
): Promise<number> {
  const args = parseInitArgs(argv.slice(1), env);
  const paths = initPaths(args.out);
  if (existsSync(paths.config))
    throw new CommandFailed(
      `${args.out} exists: init never overwrites a config (move it away, or give another --out)`,
    );
  const privateKey = env.SSH_PRIVATE_KEY || readIfSet(env.SSH_PRIVATE_KEY_FILE);
  if (!privateKey)
    throw new CommandFailed(
      'init connects with the SSH key the workflow will use: set SSH_PRIVATE_KEY_FILE to its path (or SSH_PRIVATE_KEY to its text)',
    );
  const known = parseKnownHosts(
    env.KNOWN_HOSTS ||
      readIfSet(env.KNOWN_HOSTS_FILE) ||
      readIfSet(join(homedir(), '.ssh', 'known_hosts')) ||
      '',
  );
  const trusted = await trustHostKeys(args, known, logger, io);
  if (trusted.failures.length > 0) return fail(logger, trusted.failures);
  const discovered = await discoverAll(args.targets, trusted.keys, privateKey, env.SSH_PASSPHRASE, logger);
  if (discovered.failures.length > 0) return fail(logger, discovered.failures);
  return writeFiles(args, paths, trusted.keys, discovered.results, env, logger, io.now());
}

function readIfSet(path: string | undefined): string | undefined {
  if (!path) return undefined;
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function fail(logger: Logger, failures: readonly string[]): never {
  for (const f of failures) logger.error(f);
  throw new CommandFailed(
    `nothing written: ${failures.length} host${failures.length === 1 ? '' : 's'} could not be set up (above)`,
  );
}

/**
 * Every host's key, then one decision each, in order: known and matching → trusted; seen for the
 * first time → --accept-new, or asked on a terminal; anything else → refused with the reason.
 */
async function trustHostKeys(
  args: InitArgs,
  known: KnownHosts,
  logger: Logger,
  io: InitIo,
): Promise<{ keys: Map<InitTarget, ScannedKey>; failures: string[] }> {
  const scans = await mapLimited(args.targets, 10, (t) =>
    scanHostKey(t).then(
      (key) => ({ key }),
      (error: unknown) => ({ error: errorMessage(error) }),
    ),
  );
  const keys = new Map<InitTarget, ScannedKey>();
  const failures: string[] = [];
  const ask =
    io.stdin.isTTY && !args.acceptNew ? createInterface({ input: io.stdin, output: io.prompt }) : undefined;
  try {
    for (const [i, target] of args.targets.entries()) {
      const scan = scans[i];
      if (!scan || 'error' in scan) {
        failures.push(scan?.error ?? `${target.host}: no answer`);
        continue;
      }
      const { key } = scan;
      const where = `${target.host}:${target.port}`;
      const verdict = verifyHostKey({
        knownHosts: known,
        host: target.host,
        port: target.port,
        key: key.key,
      });
      if (verdict.ok) {
        logger.info(`${where}: ${key.type} ${key.fingerprint} (already in known_hosts)`);
        keys.set(target, key);
      } else if (verdict.reason !== 'unknown') {
        failures.push(verdict.message);
      } else if (args.acceptNew) {
        logger.info(`${where}: ${key.type} ${key.fingerprint} (new; accepted: --accept-new)`);
        keys.set(target, key);
      } else if (ask) {
        io.prompt.write(`${where} presents host key ${key.type} ${key.fingerprint}\n`);
        const answer = await ask.question('Trust it and connect? [y/N] ').catch(() => '');
        if (/^y(es)?$/i.test(answer.trim())) keys.set(target, key);
        else failures.push(`${where}: host key ${key.fingerprint} not confirmed`);
      } else {
        failures.push(
          `${where}: host key ${key.type} ${key.fingerprint} is new and nobody confirmed it: run init on a terminal to answer y/N, or check the fingerprint out of band (ssh-keygen -lf /etc/ssh/ssh_host_${key.type.replace(/^ssh-|-sha2-nistp\d+$/g, '')}_key.pub on the server) and pass --accept-new`,
        );
      }
    }
  } finally {
    ask?.close();
  }
  return { keys, failures };
}

interface HostResult {
  target: InitTarget;
  key: ScannedKey;
  found: Discovered;
}

async function discoverAll(
  targets: readonly InitTarget[],
  keys: Map<InitTarget, ScannedKey>,
  privateKey: string,
  passphrase: string | undefined,
  logger: Logger,
): Promise<{ results: HostResult[]; failures: string[] }> {
  const knownHosts = [...keys.values()].map((k) => k.knownHostsLine).join('\n');
  const transport = createSshTransport({ privateKey, passphrase, knownHosts, connectTimeoutMs: 15_000 });
  const failures: string[] = [];
  const results = await mapLimited(targets, 10, async (target): Promise<HostResult | undefined> => {
    const key = keys.get(target);
    if (!key) return undefined;
    const server = serverSchema.parse({
      name: 'init',
      host: target.host,
      port: target.port,
      user: target.user,
    });
    try {
      const shell = await transport.connect(server);
      try {
        const found = await discoverServer(shell);
        logger.info(
          `${target.user}@${target.host}:${target.port}: discovered (${found.discovery.host.os ?? 'unknown OS'})`,
        );
        return { target, key, found };
      } finally {
        await shell.close();
      }
    } catch (error) {
      failures.push(errorMessage(error));
      return undefined;
    }
  });
  return { results: results.filter((r): r is HostResult => r !== undefined), failures };
}

/** The server's host name when the config can use it, else the address; unique in the fleet. */
function serverNames(results: readonly HostResult[]): string[] {
  const used = new Set<string>();
  return results.map(({ target, found }) => {
    const hostname = found.discovery.host.hostname?.split('.')[0] ?? '';
    const base = NAME.test(hostname) ? hostname : NAME.test(target.host) ? target.host : 'server';
    let name = base;
    for (let n = 2; used.has(name); n++) name = `${base}-${n}`;
    used.add(name);
    return name;
  });
}

/** The user and port most servers share: written once under `defaults:`. */
function mostCommon<T>(values: readonly T[]): T | undefined {
  const counts = new Map<T, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
}

function writeFiles(
  args: InitArgs,
  paths: ReturnType<typeof initPaths>,
  keys: Map<InitTarget, ScannedKey>,
  results: readonly HostResult[],
  env: NodeJS.ProcessEnv,
  logger: Logger,
  now: Date,
): number {
  const names = serverNames(results);
  const drafts: ServerDraft[] = results.map(({ target, key, found }, i) =>
    planServer({
      name: names[i] ?? target.host,
      host: target.host,
      port: target.port,
      user: target.user,
      hostKey: key.fingerprint,
      discovery: found.discovery,
      trials: found.trials,
    }),
  );
  const schedule = hourlyCron(args.targets.map((t) => `${t.host}:${t.port}`));
  const defaults = {
    user: mostCommon(args.targets.map((t) => t.user)) ?? 'root',
    port: mostCommon(args.targets.map((t) => t.port)) ?? 22,
  };
  const config = renderConfig(drafts, { now, schedule, defaults });
  try {
    parseConfig(config, args.out, env);
  } catch (error) {
    // a bug, not the user's doing: say so rather than write a config that does not load
    throw new CommandFailed(
      `init: the config it made does not load (a bug in init), nothing written: ${errorMessage(error)}`,
    );
  }
  mkdirSync(dirname(paths.config), { recursive: true });
  writeFileSync(paths.config, config, { flag: 'wx' });
  const lines = [...keys.values()].map((k) => k.knownHostsLine);
  writeNew(paths.knownHosts, `${lines.join('\n')}\n`, logger);
  writeNew(paths.workflow, renderWorkflow({ cron: schedule, configPath: paths.configInput }), logger);
  for (const d of drafts) logger.info(summaryLine(d));
  logger.info(`wrote ${paths.config} (${drafts.length} server${drafts.length === 1 ? '' : 's'})`);
  logger.info(`next: claudeops doctor --config ${args.out}`);
  return 0;
}

function writeNew(path: string, text: string, logger: Logger): void {
  if (existsSync(path)) {
    logger.warning(`${path} exists: left as it is, not overwritten`);
    return;
  }
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text, { flag: 'wx' });
  logger.info(`wrote ${path}`);
}

function summaryLine(d: ServerDraft): string {
  const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
  return `${d.name}: ${[
    count(d.services.length, 'service'),
    count(d.endpoints.length, 'endpoint'),
    count(d.databases.length, 'database'),
    count(d.ports.length, 'other port'),
    `sudo: ${d.sudo}`,
  ].join(', ')}${d.comments.length ? ` (${count(d.comments.length, 'note')} in the config)` : ''}`;
}
