/**
 * The product's own path against one lab server, for scenario tests: collect a few probes over
 * SSH (createSshTransport → collectFleet → evaluateServer), and run one remediation through the
 * Remediator (gate, executor, verification by the re-run probes) with those findings as the run's.
 */
import { createSshTransport } from '../../src/adapters/ssh.js';
import { collectFleet } from '../../src/collect.js';
import type { Config, Mode, ServerConfig } from '../../src/config/schema.js';
import { emptyMemory } from '../../src/core/memory/memory.js';
import { systemClock } from '../../src/core/ports/index.js';
import type { ActionRecord } from '../../src/core/run-record.js';
import type { Finding, ServerObservation } from '../../src/core/types.js';
import { evaluateServer } from '../../src/probes/evaluate.js';
import type { Probe } from '../../src/probes/probe.js';
import { probeRecheck } from '../../src/remediate/probe-recheck.js';
import { type RemediationRequest, Remediator } from '../../src/remediate/remediator.js';
import type { Lab } from '../lab/lab.js';
import { record } from './agent-fixtures.js';

export function labTransport(lab: Lab, server: ServerConfig) {
  return createSshTransport({
    privateKey: lab.clientKey,
    knownHosts: lab.knownHosts,
    connectTimeoutMs: 5_000,
    servers: [server],
  });
}

/** One collection of `server` with only `probes`, evaluated; throws when it was not collected. */
export async function labFindings(
  lab: Lab,
  server: ServerConfig,
  probes: readonly Probe[],
  cursors: Record<string, string> = {},
): Promise<{ findings: Finding[]; observation: ServerObservation }> {
  const collection = await collectFleet([server], labTransport(lab, server), {
    commandTimeoutMs: 60_000,
    connectTimeoutMs: 10_000,
    probes,
    runnerChecks: false,
    cursorsFor: () => cursors,
  });
  for (const shell of collection.shells.values()) await shell.close();
  const observation = collection.observations[0];
  if (!observation?.reachable) throw new Error(`${server.name} not collected: ${observation?.error}`);
  if (Object.keys(observation.probeErrors).length > 0)
    throw new Error(`${server.name}: probe errors ${JSON.stringify(observation.probeErrors)}`);
  return { findings: evaluateServer(server, observation, {}, new Date(), probes), observation };
}

export interface LabRemediation {
  /** the config the server belongs to (its remediations join the catalog) */
  config: Config;
  server: ServerConfig;
  /** this run's findings on the server, as lifecycle hands them to remediation */
  findings: readonly Finding[];
  mode: Mode;
  settleMs?: number;
}

/** One remediation request through the Remediator over a real SSH shell. */
export async function remediateOnLab(
  lab: Lab,
  setup: LabRemediation,
  request: Omit<RemediationRequest, 'server' | 'intent'>,
): Promise<ActionRecord> {
  const run = record(
    setup.config,
    setup.findings.map((f) => ({ ...f, lifecycle: 'new', firstSeen: new Date().toISOString(), runs: 1 })),
  );
  const shell = await labTransport(lab, setup.server).connect(setup.server);
  try {
    const remediator = new Remediator({
      config: setup.config,
      mode: setup.mode,
      dryRun: false,
      runId: 'lab-scenario',
      clock: systemClock,
      record: run,
      memory: emptyMemory(),
      shells: new Map([[setup.server.name, shell]]),
      recheck: probeRecheck({ thresholds: setup.config.defaults.thresholds, now: () => new Date() }),
      secrets: [],
      ...(setup.settleMs !== undefined ? { settleMs: setup.settleMs } : {}),
    });
    return await remediator.remediate({ ...request, server: setup.server.name, intent: 'auto' });
  } finally {
    await shell.close();
  }
}
