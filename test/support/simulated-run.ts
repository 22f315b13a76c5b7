/**
 * What one check writes to the state branch for a fleet, in the product's own shapes, without
 * collecting anything: a health report, every server's state file (one more run counted), one
 * history line per server appended to this month's file, and its endpoint names. For tests and
 * benchmarks of the state branch's cost at a fleet size, where the servers do not matter.
 */
import { endpointId, pointLine } from '../../src/core/memory/history-series.js';
import { emptyServerState, type Memory } from '../../src/core/memory/memory.js';
import { serializeServerState } from '../../src/core/memory/server-state.js';
import {
  healthReportPath,
  historyEndpointsPath,
  historyMonthPath,
  serverStatePath,
} from '../../src/core/state-branch/paths.js';
import type { FileChange } from '../../src/core/types.js';
import { healthReport } from './history-branch.js';

export function fleetRunChanges(
  memory: Memory,
  names: readonly string[],
  at: Date,
  runId: string,
): FileChange[] {
  const iso = at.toISOString();
  const report = healthReport(names, 0, iso, runId);
  const changes: FileChange[] = [{ path: healthReportPath(at, runId), content: report }];
  for (const name of names) {
    const before = memory.servers[name] ?? emptyServerState(name);
    const state = {
      ...before,
      lastRun: iso,
      lastChecked: iso,
      runs: before.runs + 1,
      recentRuns: [...before.recentRuns, runId].slice(-50),
      samples: {
        ...before.samples,
        'disk:/': [...(before.samples['disk:/'] ?? []), [iso, 52] as [string, number]].slice(-48),
      },
    };
    changes.push({ path: serverStatePath(name), content: serializeServerState(state) });
    const url = `https://${name}.example.test/health`;
    const line = pointLine({
      at: iso,
      run: runId,
      status: 'ok',
      disk: 52,
      memory: 41,
      load: 0.12,
      endpoints: { [endpointId(url)]: { up: true, code: 200, latencyMs: 80 } },
    });
    changes.push({ path: historyMonthPath(name, iso.slice(0, 7)), content: `${line}\n`, append: true });
    changes.push({ path: historyEndpointsPath(name), content: `${endpointId(url)}\t${url}\n`, append: true });
  }
  return changes;
}
