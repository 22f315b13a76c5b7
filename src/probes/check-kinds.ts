/**
 * The check kinds a finding can carry and the probe that produces each (pure): what a remediation's
 * `verify:` may name. A config remediation fits only the findings whose check it lists
 * (remediate/scope.ts), and verifying re-runs the probes behind the state checks among them; a name
 * outside this list would match nothing.
 */
import { EVENT_CHECKS, GROWTH_CHECKS } from '../core/memory/trends.js';

/** Finding check → the probe that produces it, where the names differ. */
export const PROBE_OF_CHECK: Readonly<Record<string, string>> = {
  service: 'services',
  image: 'services',
  inodes: 'disk',
  swap: 'memory',
  port: 'ports',
  process: 'processes',
  endpoint: 'endpoints',
  database: 'databases',
  log: 'logs',
  heartbeat: 'heartbeats',
  certificate: 'certificates',
  check: 'checks',
};

/** Checks named like their probe. */
const SAME_NAME = ['disk', 'memory', 'load', 'updates'];

/**
 * The names `verify:` accepts: every check a probe produces (re-run to verify), and the trend and
 * event checks of a server (matched for scope; events are never re-checked, see verifier.ts).
 */
export const VERIFIABLE_CHECKS: readonly string[] = [
  ...Object.keys(PROBE_OF_CHECK),
  ...SAME_NAME,
  ...GROWTH_CHECKS,
  // missed-runs is the watcher's, not a server's: no remediation fixes it
  ...[...EVENT_CHECKS].filter((c) => c !== 'missed-runs'),
].sort();

/** The probe id behind a check kind. */
export const probeOfCheck = (check: string): string => PROBE_OF_CHECK[check] ?? check;
