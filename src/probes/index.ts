import { checksProbe } from './custom-checks.js';
import { databasesProbe } from './databases.js';
import { diskProbe } from './disk-usage.js';
import { endpointsProbe } from './endpoints.js';
import { heartbeatsProbe } from './heartbeats.js';
import { portsProbe } from './listening-ports.js';
import { loadProbe } from './load-average.js';
import { logsProbe } from './log-scan.js';
import { memoryProbe } from './memory-swap.js';
import { updatesProbe } from './pending-updates.js';
import type { Probe } from './probe.js';
import { processesProbe } from './processes.js';
import { servicesProbe } from './services.js';
import { certificatesProbe } from './tls-certificates.js';
import { uptimeProbe } from './uptime-boot.js';

/**
 * Every probe, in the order the collector runs them: cheap /proc reads first, then the probes
 * that may wait on a network or a slow tool, so a timeout late in the script loses the least.
 */
export const ALL_PROBES: readonly Probe[] = [
  uptimeProbe,
  loadProbe,
  memoryProbe,
  diskProbe,
  portsProbe,
  processesProbe,
  servicesProbe,
  heartbeatsProbe,
  logsProbe,
  databasesProbe,
  endpointsProbe,
  certificatesProbe,
  checksProbe,
  updatesProbe,
] as Probe[];

export function probeById(id: string): Probe | undefined {
  return ALL_PROBES.find((p) => p.id === id);
}
