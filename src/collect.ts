/**
 * Collects a fleet: per server one connection and ONE `shell.run(script)` with every applicable
 * probe, then the output is split and parsed. Servers are visited with bounded parallelism; one
 * server failing (connect error, timeout, dropped session) never stops the others.
 *
 *   collectFleet(servers, transportFor, options) → { observations, shells }
 *
 * transportFor: one Transport for every server, or a function picking one per server (ssh/local).
 *
 * options (all optional):
 *   parallelism        servers collected at once (default DEFAULT_PARALLELISM, 50; the
 *                      pipeline passes config.defaults.parallelism)
 *   nonce              section-marker nonce (default: 24 random hex chars, new per run)
 *   cursorsFor(server) the cursors the previous run saved for this server (log offsets,
 *                      journal cursors); default none (first run). It may answer later (memory
 *                      still loading): the server is connected meanwhile, and only its script waits
 *   commandTimeoutMs   limit for the collector script (default 120 s)
 *   connectTimeoutMs   safety net around transport.connect (default 60 s); the transport's own
 *                      connect timeout should be shorter
 *   probes             probe registry (default ALL_PROBES)
 *   secrets            the run's own secrets; every section is redacted with them and with what
 *                      the detector finds before a probe parses it (server text enters here)
 *   runnerChecks       checks made from the runner itself (the RunnerChecks port), merged into
 *                      the observation's probes (default: none; the pipeline passes its adapter)
 *   channelHttp        the GET for `from: server` http:// endpoints over a channel of the
 *                      server's SSH connection (endpoint-channels.ts); absent: curl on the server
 *   now                clock for startedAt (default new Date())
 *   onServer(obs)      called as each server finishes, in completion order (progress lines)
 *
 * Results: `observations` in the servers' order; `shells` holds the open session of every
 * server whose collection came back (for diagnostics and remediation; the caller closes them).
 * Each observation's `cursors` are the previous ones updated with this run's (unchanged when the
 * server was unreachable, so no log line is skipped): the one place they are computed.
 */
import { randomBytes } from 'node:crypto';
import { DEFAULT_PARALLELISM } from './config/defaults.js';
import type { ServerConfig } from './config/schema.js';
import type { ChannelHttp, RemoteShell, RunnerChecks, Transport } from './core/ports/index.js';
import type { ServerObservation } from './core/types.js';
import { eachLimited } from './core/util/each-limited.js';
import { errorMessage } from './core/util/error-message.js';
import { redact } from './core/util/redact.js';
import { keptChannels, openEndpointChannels, withChannelBlocks } from './endpoint-channels.js';
import { buildCollectorScript, splitSections } from './probes/collector-script.js';
import { ALL_PROBES } from './probes/index.js';
import { parseSections, type SectionWording } from './probes/parse-sections.js';
import type { Probe } from './probes/probe.js';

export interface CollectOptions {
  parallelism?: number;
  nonce?: string;
  cursorsFor?: (server: ServerConfig) => Record<string, string> | Promise<Record<string, string>>;
  commandTimeoutMs?: number;
  connectTimeoutMs?: number;
  probes?: readonly Probe[];
  /** the run's own secrets: server text is redacted with them where it enters (parse-sections.ts) */
  secrets?: readonly string[];
  runnerChecks?: RunnerChecks | false;
  /** the HTTP client for `from: server` http:// endpoints over the SSH connection (absent: curl for all) */
  channelHttp?: ChannelHttp;
  now?: () => Date;
  onServer?: (observation: ServerObservation) => void;
}

export interface FleetCollection {
  observations: ServerObservation[];
  shells: Map<string, RemoteShell>;
}

export const newNonce = (): string => randomBytes(12).toString('hex');

export async function collectFleet(
  servers: readonly ServerConfig[],
  transports: Transport | ((server: ServerConfig) => Transport),
  options: CollectOptions = {},
): Promise<FleetCollection> {
  const nonce = options.nonce ?? newNonce();
  const transportFor = typeof transports === 'function' ? transports : () => transports;
  const collected: ServerCollection[] = new Array(servers.length);
  await eachLimited(servers, options.parallelism ?? DEFAULT_PARALLELISM, async (server, index) => {
    const previous = Promise.resolve(options.cursorsFor?.(server) ?? {});
    // awaited once the server is connected; a rejection meanwhile is not an unhandled one
    previous.catch(() => undefined);
    const done = await collectServer(server, transportFor(server), { ...options, nonce }, previous);
    collected[index] = done;
    options.onServer?.(done.observation);
  });
  // Maps in the servers' order, not completion order, so reports and tests are stable.
  const result: FleetCollection = { observations: [], shells: new Map() };
  for (const c of collected) {
    result.observations.push(c.observation);
    if (c.shell) result.shells.set(c.observation.server, c.shell);
  }
  return result;
}

interface ServerCollection {
  observation: ServerObservation;
  shell?: RemoteShell;
}

async function collectServer(
  server: ServerConfig,
  transport: Transport,
  options: CollectOptions & { nonce: string },
  cursors: Promise<Record<string, string>>,
): Promise<ServerCollection> {
  const started = options.now?.() ?? new Date();
  const t0 = performance.now();
  const runner = options.runnerChecks || undefined;
  // Runner-side checks need no session: they run while the SSH round trip is in flight.
  const runnerPromise = runner ? runner(server).catch(() => undefined) : Promise.resolve(undefined);
  const outcome = await collectOverShell(server, transport, options, cursors);
  const runnerResults = await runnerPromise;
  const previous = await cursors;
  const base = { server: server.name, startedAt: started.toISOString(), durationMs: elapsed(t0) };
  if ('error' in outcome) {
    const observation = { ...base, reachable: false, error: outcome.error, bytes: 0, roundTrips: 0 };
    return { observation: { ...observation, probes: {}, probeErrors: {}, cursors: previous } };
  }
  const { parsed, shell, bytes } = outcome;
  return {
    observation: {
      ...base,
      reachable: true,
      bytes,
      roundTrips: 1,
      probes: { ...parsed.probes, ...(runnerResults?.probes ?? {}) },
      probeErrors: { ...parsed.probeErrors, ...(runnerResults?.errors ?? {}) },
      cursors: { ...previous, ...parsed.cursors },
    },
    shell,
  };
}

type ShellOutcome =
  | { error: string }
  | { shell: RemoteShell; parsed: ReturnType<typeof parseSections>; bytes: number };

/**
 * Connect, then (once the server's cursors are known) run the one collector script, split and
 * parse it; on failure the shell is closed.
 */
async function collectOverShell(
  server: ServerConfig,
  transport: Transport,
  options: CollectOptions & { nonce: string },
  cursors: Promise<Record<string, string>>,
): Promise<ShellOutcome> {
  const connecting = transport.connect(server);
  let shell: RemoteShell;
  try {
    shell = await withTimeout(connecting, options.connectTimeoutMs ?? 60_000, 'connect');
  } catch (error) {
    // A connect that completes after our deadline must not leak its session.
    connecting.then((late) => late.close()).catch(() => undefined);
    return { error: errorMessage(error) };
  }
  // asked for before the script's session, so the server's answer is in by the time it is built
  const channels = openEndpointChannels(server, shell, options.channelHttp);
  const previous = await cursors.catch(async (error: unknown) => {
    await shell.close().catch(() => undefined);
    throw error;
  });
  const probes = (options.probes ?? ALL_PROBES).filter((p) => p.applies(server));
  const timeoutMs = options.commandTimeoutMs ?? 120_000;
  let kept: ReadonlySet<number> = new Set();
  const script = () => {
    kept = keptChannels(channels);
    return buildCollectorScript(server, probes, {
      nonce: options.nonce,
      cursors: previous,
      ...(kept.size > 0 ? { endpointsOverChannel: kept } : {}),
    });
  };
  const result = await shell
    .run(channels.length > 0 ? async () => script() : script(), { timeoutMs })
    .catch((error: unknown) => errorMessage(error));
  const sections = typeof result === 'string' ? new Map() : splitSections(result.stdout, options.nonce);
  await withChannelBlocks(sections, server, channels, kept);
  if (typeof result === 'string' || sections.size === 0) {
    await shell.close().catch(() => undefined);
    return { error: collectorFailure(result, timeoutMs, options.secrets) };
  }
  const parsed = parseSections(server, probes, sections, collectionWording(result.timedOut), options.secrets);
  return { shell, parsed, bytes: Buffer.byteLength(result.stdout) };
}

function collectorFailure(
  result: string | Awaited<ReturnType<RemoteShell['run']>>,
  timeoutMs: number,
  secrets: readonly string[] = [],
): string {
  if (typeof result === 'string') return `collector failed: ${result}`;
  if (result.timedOut) return `collector timed out after ${Math.round(timeoutMs / 1000)} s`;
  // redacted whole, with its lines, before it is cut and put behind words
  return `collector printed no sections (exit ${result.code}): ${redact(result.stderr.trim(), secrets).slice(0, 300)}`;
}

function collectionWording(timedOut: boolean): SectionWording {
  return {
    incomplete: timedOut
      ? 'the collector timed out before this probe finished'
      : 'the collector output ended before this probe finished',
    unparsable: (message) => `could not parse output: ${message}`,
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${Math.round(ms / 1000)} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const elapsed = (t0: number) => Math.round(performance.now() - t0);
