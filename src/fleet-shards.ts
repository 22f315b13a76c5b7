/**
 * Shards of one workflow run, seen through the state branch: which shard's servers recorded the
 * run, and the raised findings of every server that did. Used by each shard's Report phase and by
 * `task: summarize`.
 */
import type { Config } from './config/schema.js';
import type { Memory } from './core/memory/memory.js';
import type { RunRecord } from './core/run-record.js';
import { selectServers } from './core/util/select-servers.js';

export interface ShardStatus {
  index: number;
  label: string;
  servers: string[];
  reported: boolean;
}

export function shardsOf(
  config: Config,
  serversInput: string | undefined,
  count: number,
  states: Memory['servers'],
  ranIn: (runId: string) => boolean,
): ShardStatus[] {
  return Array.from({ length: count }, (_, i) => {
    const servers = selectServers(config, serversInput, { index: i + 1, count }).map((s) => s.name);
    const reported = servers.some((name) => states[name]?.recentRuns.some(ranIn));
    return { index: i + 1, label: `${i + 1}of${count}`, servers, reported };
  });
}

/** Raised findings of every server that recorded a run `ranIn` accepts. */
export function fleetFindings(
  states: Memory['servers'],
  ranIn: (runId: string) => boolean,
): NonNullable<RunRecord['fleetReport']> {
  return Object.entries(states)
    .filter(([, s]) => s.recentRuns.some(ranIn))
    .flatMap(([server, s]) =>
      Object.entries(s.findings)
        .filter(([, f]) => f.severity !== 'ok' && f.status !== 'pending' && f.status !== 'resolved')
        .map(([fingerprint, f]) => ({ server, fingerprint, severity: f.severity, summary: f.summary })),
    )
    .sort((a, b) => a.fingerprint.localeCompare(b.fingerprint));
}
