/**
 * The real `Recheck`: re-runs only the probes behind the checks an action affects, on that one
 * server, in one round trip over the already-open shell, reusing the collector's script builder,
 * section splitter and the probes' own parse/evaluate (src/probes, src/probes/evaluate.ts).
 */
import { randomBytes } from 'node:crypto';
import type { Config, ServerConfig } from '../config/schema.js';
import type { ExecResult } from '../core/ports/index.js';
import { cleanFinding, type ServerObservation } from '../core/types.js';
import { probeOfCheck } from '../probes/check-kinds.js';
import { buildCollectorScript, splitSections } from '../probes/collector-script.js';
import { evaluateServer } from '../probes/evaluate.js';
import { ALL_PROBES } from '../probes/index.js';
import { parseSections, type SectionWording } from '../probes/parse-sections.js';
import type { Probe } from '../probes/probe.js';
import type { Recheck } from './verifier.js';

export function probesFor(checks: readonly string[], registry: readonly Probe[] = ALL_PROBES): Probe[] {
  const ids = new Set(checks.map(probeOfCheck));
  return registry.filter((p) => ids.has(p.id));
}

export interface ProbeRecheckOptions {
  thresholds: Config['defaults']['thresholds'];
  now: () => Date;
  cursorsFor?: (server: string) => Record<string, string>;
  timeoutMs?: number;
  registry?: readonly Probe[];
  /** the collection's text cleaning (redaction), so fingerprints match the run's findings */
  clean?: (text: string) => string;
  /** the run's own secrets: the re-check's sections are redacted with them, as the collection's are */
  secrets?: readonly string[];
}

export function probeRecheck(options: ProbeRecheckOptions): Recheck {
  return async (shell, server: ServerConfig, checks) => {
    const probes = probesFor(checks, options.registry).filter((p) => p.applies(server));
    if (probes.length === 0) throw new Error(`no probe re-checks ${checks.join(', ')} on ${server.name}`);
    const nonce = randomBytes(12).toString('hex');
    const script = buildCollectorScript(server, probes, {
      nonce,
      cursors: options.cursorsFor?.(server.name) ?? {},
    });
    const started = options.now();
    const run = await shell.run(script, { timeoutMs: options.timeoutMs ?? 60_000 });
    const observation = observe(server, probes, run, nonce, started, options.secrets);
    const errors = Object.entries(observation.probeErrors);
    if (errors.length === probes.length)
      throw new Error(`re-check failed: ${errors.map(([p, e]) => `${p}: ${e}`).join('; ')}`);
    const findings = evaluateServer(server, observation, options.thresholds, options.now(), probes);
    const { clean } = options;
    return clean ? findings.map((f) => cleanFinding(f, clean)) : findings;
  };
}

const RECHECK_WORDING: SectionWording = {
  incomplete: 'no complete output',
  unparsable: (message) => message,
};

/** The observation one collector run makes: each probe's parsed output, or why there is none. */
function observe(
  server: ServerConfig,
  probes: readonly Probe[],
  run: ExecResult,
  nonce: string,
  started: Date,
  secrets: readonly string[] = [],
): ServerObservation {
  // a re-check keeps no cursors: the next collection run moves them on
  const parsed = parseSections(server, probes, splitSections(run.stdout, nonce), RECHECK_WORDING, secrets);
  return {
    server: server.name,
    reachable: true,
    startedAt: started.toISOString(),
    durationMs: run.durationMs,
    bytes: run.stdout.length,
    roundTrips: 1,
    probes: parsed.probes,
    probeErrors: parsed.probeErrors,
  };
}
