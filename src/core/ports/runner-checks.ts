import type { ServerConfig } from '../../config/schema.js';

/**
 * Checks made from the runner itself (endpoints with `from: runner`, TLS expiry): results keyed by
 * probe id (`runner-endpoints`, `runner-certificates`) in the probes' own data shapes, merged into
 * the server's observation. Implemented by adapters/runner-checks.ts; absent in tests that do not
 * want network I/O.
 */
export interface RunnerCheckResults {
  probes: Record<string, unknown>;
  errors: Record<string, string>;
}

export type RunnerChecks = (server: ServerConfig) => Promise<RunnerCheckResults>;
