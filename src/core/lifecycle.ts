import type { Config } from '../config/schema.js';
import { emptyServerState, type Memory, type ServerState } from './memory.js';
import type { TrackedFinding } from './run-record.js';
import type { ServerReport } from './types.js';

export interface Tracked {
  findings: TrackedFinding[];
  resolved: TrackedFinding[];
  serverStates: Record<string, ServerState>;
}

/**
 * Relates this run's findings to memory: new / ongoing / resolved, first seen, streaks.
 * (Initial version: the memory issue replaces it with debounce, flap detection and trends.)
 */
export function trackFindings(servers: ServerReport[], memory: Memory, _config: Config, now: Date): Tracked {
  const at = now.toISOString();
  const findings: TrackedFinding[] = [];
  const serverStates: Record<string, ServerState> = {};
  for (const report of servers) {
    const previous = memory.servers[report.server.name] ?? emptyServerState(report.server.name);
    serverStates[report.server.name] = { ...previous, lastRun: at };
    for (const f of report.findings) {
      const before = previous.findings[f.fingerprint];
      const known = before && before.status !== 'resolved';
      findings.push({ ...f, lifecycle: known ? 'ongoing' : 'new', firstSeen: known ? before.firstSeen : at, runs: 1 });
    }
  }
  return { findings, resolved: [], serverStates };
}
