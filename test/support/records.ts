import { configSchema, type ServerConfig } from '../../src/config/schema.js';
import type { RunRecord } from '../../src/core/run-record.js';
import { zeroUsage } from '../../src/core/run-record.js';
import { tracked } from './agent-fixtures.js';

export function serverConfig(name: string, extra: Record<string, unknown> = {}): ServerConfig {
  const config = configSchema.parse({ version: 1, servers: [{ name, transport: 'local', ...extra }] });
  const server = config.servers[0];
  if (!server) throw new Error('no server');
  return server;
}

/** A run record with a bit of everything, for renderer tests. */
export function sampleRecord(): RunRecord {
  const web1 = serverConfig('web1');
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
  return {
    runId: '1234567',
    task: 'check',
    mode: 'safe',
    dryRun: false,
    startedAt: '2026-11-21T08:00:00.000Z',
    finishedAt: '2026-11-21T08:00:04.500Z',
    servers: [
      {
        server: web1,
        observation: obs('web1', 1200, true),
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
        reason: 'mode safe allows low risk',
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
  };
}

function obs(server: string, durationMs: number, reachable: boolean) {
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
