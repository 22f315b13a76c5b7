import { readFileSync } from 'node:fs';
import { configSchema, type ServerConfig } from '../../src/config/schema.js';
import type { RunRecord } from '../../src/core/run-record.js';
import { zeroUsage } from '../../src/core/run-record.js';
import type { ServerObservation } from '../../src/core/types.js';
import { diskProbe } from '../../src/probes/disk-usage.js';
import { endpointsProbe } from '../../src/probes/endpoints.js';
import { loadProbe } from '../../src/probes/load-average.js';
import { memoryProbe } from '../../src/probes/memory-swap.js';
import { serverFigures } from '../../src/probes/server-figures.js';
import { uptimeProbe } from '../../src/probes/uptime-boot.js';
import { tracked } from './agent-fixtures.js';

const captured = (path: string) => readFileSync(new URL(`../fixtures/${path}`, import.meta.url), 'utf8');

/** web1's probes as parsed from output captured on a real (nspawn) server. */
function capturedProbes(server: ServerConfig): Record<string, unknown> {
  return {
    disk: diskProbe.parse(captured('disk/nspawn-full-mounts.txt'), server),
    memory: memoryProbe.parse(captured('memory/nspawn-meminfo.txt'), server),
    load: loadProbe.parse(captured('load/nspawn.txt'), server),
    uptime: uptimeProbe.parse(captured('uptime/nspawn.txt'), server),
    endpoints: endpointsProbe.parse(captured('endpoints/mixed.txt'), server),
  };
}

export function serverConfig(name: string, extra: Record<string, unknown> = {}): ServerConfig {
  const config = configSchema.parse({ version: 1, servers: [{ name, transport: 'local', ...extra }] });
  const server = config.servers[0];
  if (!server) throw new Error('no server');
  return server;
}

/** A run record with a bit of everything, for renderer tests. */
export function sampleRecord(): RunRecord {
  const web1 = serverConfig('web1', {
    endpoints: [
      { url: 'http://127.0.0.1:18080/health', contains: 'ok' },
      { url: 'http://127.0.0.1:18080/error' },
    ],
  });
  const db1 = serverConfig('db1');
  const disk = tracked('web1', 'disk', '/var', 'critical', '/var is 93% full (crit 90%)', {
    evidence: 'Filesystem 1024-blocks Used Available Capacity Mounted on\n/dev/vdb 1000 930 70 93% /var',
    value: 93,
    trend: 'full in ~9 h',
  });
  const nginx = tracked('web1', 'service', 'nginx', 'critical', 'nginx is inactive (dead)', {
    lifecycle: 'ongoing',
    runs: 3,
    firstSeen: '2026-11-21T04:00:00.000Z',
  });
  const mem = tracked('db1', 'memory', '-', 'warning', 'memory 88% used (warn 85%)', {
    lifecycle: 'pending',
  });
  return withFigures({
    runId: '1234567',
    task: 'check',
    mode: 'safe',
    dryRun: false,
    startedAt: '2026-11-21T08:00:00.000Z',
    finishedAt: '2026-11-21T08:00:04.500Z',
    servers: [
      {
        server: web1,
        observation: { ...obs('web1', 1200, true), probes: capturedProbes(web1) },
        findings: [disk, nginx],
      },
      { server: db1, observation: obs('db1', 800, true), findings: [mem] },
    ],
    findings: [disk, nginx, mem],
    resolved: [
      tracked('db1', 'endpoint', 'http://db1/health', 'ok', 'endpoint ok', { lifecycle: 'resolved' }),
    ],
    serverStates: {},
    planner: { kind: 'rules', reason: 'no anthropic-api-key: the rule-based planner decided' },
    diagnoses: [
      {
        fingerprint: 'web1/service/nginx',
        rootCause: 'nginx exited after a config reload | see log',
        confidence: 'medium',
        evidence: 'journal',
        nextStep: 'restart nginx',
      },
    ],
    actions: [
      {
        id: 'a1',
        server: 'web1',
        action: 'restart-service',
        params: { service: 'nginx' },
        risk: 'low',
        decision: 'execute',
        reason: 'nginx is not running: restart it and verify',
        gateReason: 'mode safe allows low risk',
        outcome: 'fixed',
        requestedBy: 'rules',
        at: '2026-11-21T08:00:03.000Z',
      },
    ],
    usage: zeroUsage(),
    github: { issues: [], pulls: [], errors: [] },
    errors: [],
    warnings: ['web1: host key checking is disabled by insecure_ignore_host_key'],
    reportPath: 'health/2026-11-21/080000-1234567.md',
    status: 'critical',
  });
}

/** Sets every reachable server's figures the way the evaluate phase does. */
function withFigures(record: RunRecord): RunRecord {
  for (const report of record.servers)
    if (report.observation.reachable)
      report.figures = serverFigures(report.server, report.observation, undefined);
  return record;
}

function obs(server: string, durationMs: number, reachable: boolean): ServerObservation {
  return {
    server,
    reachable,
    startedAt: '2026-11-21T08:00:00.000Z',
    durationMs,
    bytes: 4096,
    roundTrips: 1,
    probes: {},
    probeErrors: {},
  };
}
