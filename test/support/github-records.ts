/**
 * Builders of run records for the GitHub tests: a fleet, its findings this run, and the per-server
 * state lifecycle would have kept (okStreak), without running collection.
 */
import { configSchema, githubSchema } from '../../src/config/schema.js';
import { emptyServerState, type FindingState } from '../../src/core/memory/memory.js';
import {
  type ActionRecord,
  type Diagnosis,
  type RunRecord,
  type TrackedFinding,
  zeroUsage,
} from '../../src/core/run-record.js';
import { fingerprintOf, type Severity } from '../../src/core/types.js';

export const github = githubSchema.parse({ close_after_ok_runs: 2, fleet_issue_min_servers: 3 });

export function testConfig(servers: string[], extra: Record<string, unknown> = {}) {
  return configSchema.parse({
    version: 1,
    servers: servers.map((name) => ({ name, transport: 'local' })),
    github: { close_after_ok_runs: 2, fleet_issue_min_servers: 3 },
    ...extra,
  });
}

export interface Raised {
  server: string;
  check: string;
  target: string;
  severity: Severity;
  lifecycle?: TrackedFinding['lifecycle'];
  evidence?: string;
  firstSeen?: string;
  event?: boolean;
}

export interface RunSpec {
  runId: string;
  at: Date;
  servers: string[];
  unreachable?: string[];
  raised: Raised[];
  /** fingerprint → consecutive ok runs (what lifecycle keeps in state/<server>.json) */
  okStreaks?: Record<string, number>;
  diagnoses?: Diagnosis[];
  actions?: ActionRecord[];
  shard?: string;
}

export function finding(r: Raised, at: Date): TrackedFinding {
  return {
    fingerprint: fingerprintOf(r.server, r.check, r.target),
    server: r.server,
    check: r.check,
    target: r.target,
    severity: r.severity,
    summary: `${r.check} ${r.target} is ${r.severity}`,
    ...(r.evidence ? { evidence: r.evidence } : {}),
    ...(r.event ? { event: true } : {}),
    lifecycle: r.lifecycle ?? 'ongoing',
    firstSeen: r.firstSeen ?? at.toISOString(),
    runs: 1,
  };
}

export function runRecord(spec: RunSpec): RunRecord {
  const config = testConfig(spec.servers);
  const serverStates: RunRecord['serverStates'] = {};
  for (const name of spec.servers) {
    const findings: Record<string, FindingState> = {};
    for (const [fp, okStreak] of Object.entries(spec.okStreaks ?? {})) {
      if (!fp.startsWith(`${name}/`)) continue;
      findings[fp] = {
        status: okStreak > 0 ? 'resolved' : 'ongoing',
        severity: okStreak > 0 ? 'ok' : 'critical',
        firstSeen: spec.at.toISOString(),
        lastSeen: spec.at.toISOString(),
        streak: okStreak > 0 ? 0 : 1,
        okStreak,
        history: [],
        summary: '',
      };
    }
    serverStates[name] = { ...emptyServerState(name), findings };
  }
  return {
    runId: spec.runId,
    task: 'check',
    mode: 'safe',
    dryRun: false,
    ...(spec.shard ? { shard: spec.shard } : {}),
    startedAt: spec.at.toISOString(),
    servers: config.servers.map((server) => ({
      server,
      observation: {
        server: server.name,
        reachable: !(spec.unreachable ?? []).includes(server.name),
        startedAt: spec.at.toISOString(),
        durationMs: 10,
        bytes: 100,
        roundTrips: 1,
        probes: {},
        probeErrors: {},
      },
      findings: [],
    })),
    findings: spec.raised.map((r) => finding(r, spec.at)),
    resolved: [],
    serverStates,
    planner: { kind: 'rules', reason: 'test' },
    diagnoses: spec.diagnoses ?? [],
    actions: spec.actions ?? [],
    usage: zeroUsage(),
    github: { issues: [], pulls: [], errors: [] },
    errors: [],
    warnings: [],
    reportPath: `health/${spec.at.toISOString().slice(0, 10)}/${spec.runId}.md`,
    status: 'ok',
  };
}

export function action(
  partial: Partial<ActionRecord> & Pick<ActionRecord, 'id' | 'server' | 'action'>,
): ActionRecord {
  return {
    params: {},
    risk: 'low',
    decision: 'execute',
    reason: 'test',
    requestedBy: 'rules',
    at: new Date(0).toISOString(),
    ...partial,
  };
}
