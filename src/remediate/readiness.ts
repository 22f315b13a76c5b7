/**
 * "Is this service ready?" for boot recovery: the service's own checks, re-run through the same
 * probes a collection runs (src/probes), never a port that merely listens. A service is ready when
 * its manager reports it running (a pm2 app by its own name), and the configured database it
 * serves answers its real query (postgres and mysql `select 1`, redis `PING`) and the configured
 * endpoints on its port answer as configured.
 */
import type { DatabaseConfig, EndpointConfig, ServerConfig, ServiceConfig } from '../config/schema.js';
import type { Finding } from '../core/types.js';

/** The finding checks readiness re-runs (through `Recheck`). */
export const READINESS_CHECKS: readonly string[] = ['service', 'port', 'database', 'endpoint'];

/** Which configured databases a service serves, by its name when the port does not say. */
const SERVES: Record<DatabaseConfig['kind'], RegExp> = {
  postgres: /postgres/i,
  mysql: /mysql|mariadb/i,
  redis: /redis|valkey|keydb/i,
};

const DEFAULT_DB_PORT: Record<DatabaseConfig['kind'], number> = { postgres: 5432, mysql: 3306, redis: 6379 };

function servesDatabase(service: ServiceConfig, db: DatabaseConfig): boolean {
  const port = db.port ?? DEFAULT_DB_PORT[db.kind];
  if (service.port !== undefined) return port === service.port;
  return SERVES[db.kind].test(service.name);
}

function urlPort(url: string): number | undefined {
  try {
    const u = new URL(url);
    return u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80;
  } catch {
    return undefined;
  }
}

function servesEndpoint(service: ServiceConfig, endpoint: EndpointConfig): boolean {
  return endpoint.from === 'server' && service.port !== undefined && urlPort(endpoint.url) === service.port;
}

/** The server as readiness sees it: only this service, its databases and its endpoints. */
export function readinessSlice(server: ServerConfig, service: ServiceConfig): ServerConfig {
  return {
    ...server,
    services: [service],
    databases: server.databases.filter((db) => servesDatabase(service, db)),
    endpoints: server.endpoints.filter((e) => servesEndpoint(service, e)),
    ports: [],
    processes: [],
    logs: [],
    checks: [],
    heartbeats: [],
    certificates: [],
  };
}

export interface Readiness {
  ready: boolean;
  /** what was checked and what failed, for the boot log */
  detail: string;
}

/** Judges the re-checked findings of a readiness slice: everything ok, and the service was seen. */
export function judgeReadiness(slice: ServerConfig, findings: readonly Finding[]): Readiness {
  const service = slice.services[0];
  const seen = findings.some((f) => f.check === 'service' && f.target === service?.name);
  const failing = findings.filter((f) => f.severity !== 'ok');
  const what = [
    `${service?.manager ?? 'service'} running${service?.port !== undefined ? `, port ${service.port} listening` : ''}`,
    ...slice.databases.map((db) => `${db.kind} answers ${db.kind === 'redis' ? 'PING' : 'select 1'}`),
    ...slice.endpoints.map((e) => `${e.url} answers ${e.status}`),
  ].join(', ');
  if (!seen) return { ready: false, detail: `${what}: the service check did not report` };
  if (failing.length > 0)
    return { ready: false, detail: `${what}: ${failing.map((f) => f.summary).join('; ')}` };
  return { ready: true, detail: what };
}
