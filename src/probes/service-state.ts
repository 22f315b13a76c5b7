/** What the services probe says of one service, whichever manager runs it (systemd, docker, …). */
import type { ServiceConfig } from '../config/schema.js';

export type ServiceStatus =
  | 'running'
  | 'starting'
  | 'restarting'
  | 'unhealthy'
  | 'stopped'
  | 'failed'
  | 'not-found'
  /** the manager's tool is absent, or cannot be asked (no daemon, no permission) */
  | 'unknown';

export interface ServiceState {
  name: string;
  manager: ServiceConfig['manager'];
  status: ServiceStatus;
  /** one line a human reads: the manager's own words */
  detail: string;
  /** restarts counted by the manager (systemd NRestarts, pm2 restart_time, docker RestartCount) */
  restarts?: number;
  /** when the current state began, as the manager printed it */
  since?: string;
  /** docker and compose: what the container says beyond its state */
  container?: ContainerFacts;
}

export interface ContainerFacts {
  /** image id (sha256:…) the container runs */
  image: string;
  exitCode: number;
  oomKilled: boolean;
  /** the last health check's output, when the container is unhealthy */
  healthOutput?: string;
  /** the image id the last run saw (from the probe's cursors) */
  previousImage?: string;
}
