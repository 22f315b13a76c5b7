/**
 * The measured figures of one server in one run (pure): what the fleet tables, the history series
 * and the status page show. Taken from the parsed probe data, with the thresholds that judged them,
 * so a reader sees "93% of /var (80/90)" rather than a bare colour.
 */
import type { ServerConfig, Thresholds } from '../config/schema.js';
import type { EndpointFigure, ServerFigures, ServerObservation } from '../core/types.js';
import type { DiskData } from './disk-usage.js';
import type { EndpointsData } from './endpoints.js';
import type { LoadData } from './load-average.js';
import type { MemoryData } from './memory-swap.js';
import { resolveThresholds } from './thresholds.js';
import type { UptimeData } from './uptime-boot.js';

export function serverFigures(
  server: ServerConfig,
  observation: ServerObservation,
  defaults: Thresholds | undefined,
): ServerFigures {
  const t = resolveThresholds(defaults, server.thresholds);
  const p = observation.probes;
  const disk = p.disk as DiskData | undefined;
  const memory = p.memory as MemoryData | undefined;
  const load = p.load as LoadData | undefined;
  const uptime = p.uptime as UptimeData | undefined;
  const byFullness = (rows: DiskData['space']) =>
    rows
      .map((m) => ({ mount: m.mount, usedPercent: m.usedPercent }))
      .sort((a, b) => b.usedPercent - a.usedPercent);
  const wanted = new Map(server.endpoints.map((e) => [e.url, e]));
  const endpoints = [
    ...((p.endpoints as EndpointsData | undefined)?.endpoints ?? []),
    ...((p['runner-endpoints'] as EndpointsData | undefined)?.endpoints ?? []),
  ].map((e): EndpointFigure => {
    const spec = wanted.get(e.url);
    const up = e.status !== undefined && e.status === (spec?.status ?? 200) && e.contains !== false;
    return {
      url: e.url,
      ...(e.status !== undefined ? { status: e.status } : {}),
      ...(e.latencyMs !== undefined ? { latencyMs: e.latencyMs } : {}),
      up,
    };
  });
  return {
    disks: byFullness(disk?.space ?? []),
    inodes: byFullness(disk?.inodes ?? []),
    ...(memory ? { memoryPercent: memory.usedPercent } : {}),
    ...(memory && memory.swapTotalKb > 0 ? { swapPercent: memory.swapUsedPercent } : {}),
    ...(load ? { loadPerCpu: load.perCpu, cpus: load.cpus } : {}),
    ...(uptime ? { uptimeSeconds: uptime.uptimeSeconds } : {}),
    endpoints,
    thresholds: {
      disk: t.disk,
      inodes: t.inodes,
      memory: t.memory,
      swap: t.swap,
      load: t.load,
      latency: t.latency,
    },
  };
}
