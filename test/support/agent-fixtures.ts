/** Builders for agent and remediation tests: configs through the real schema, records, a fixed clock. */

import { type Config, configSchema, type Mode, type ServerConfig } from '../../src/config/schema.js';
import { emptyMemory, type Memory } from '../../src/core/memory/memory.js';
import type { Clock, ExecOptions, ExecResult, Model, RemoteShell } from '../../src/core/ports/index.js';
import { newRunRecord, type RunRecord, type TrackedFinding } from '../../src/core/run-record.js';
import { finding } from '../../src/core/types.js';
import type { RunContext } from '../../src/run-context.js';

export const NOW = new Date('2026-11-21T08:00:00.000Z');

export function config(input: Record<string, unknown> = {}): Config {
  return configSchema.parse({
    version: 1,
    servers: [
      {
        name: 'web1',
        transport: 'local',
        tags: ['web'],
        services: [
          { name: 'nginx', manager: 'systemd' },
          { name: 'cron', manager: 'sysv' },
          { name: 'worker', manager: 'supervisor' },
          { name: 'api', manager: 'pm2' },
          { name: 'redis', manager: 'docker' },
        ],
        clearable: ['/var/cache/app', '/tmp/uploads'],
      },
    ],
    ...input,
  });
}

export function server(cfg: Config, name = 'web1'): ServerConfig {
  const found = cfg.servers.find((s) => s.name === name);
  if (!found) throw new Error(`no server ${name}`);
  return found;
}

export function tracked(
  srv: string,
  check: string,
  target: string,
  severity: TrackedFinding['severity'],
  summary: string,
  rest: Partial<TrackedFinding> = {},
): TrackedFinding {
  return {
    ...finding(srv, check, target, severity, summary),
    lifecycle: 'new',
    firstSeen: NOW.toISOString(),
    runs: 1,
    ...rest,
  };
}

export function record(
  cfg: Config,
  findings: TrackedFinding[] = [],
  rest: Partial<RunRecord> = {},
): RunRecord {
  return newRunRecord({
    runId: 'run-1',
    task: 'check',
    mode: 'safe',
    dryRun: false,
    startedAt: NOW.toISOString(),
    servers: cfg.servers.map((s) => ({
      server: s,
      observation: {
        server: s.name,
        reachable: true,
        startedAt: NOW.toISOString(),
        durationMs: 1,
        bytes: 0,
        roundTrips: 1,
        probes: {},
        probeErrors: {},
      },
      findings: findings.filter((f) => f.server === s.name),
    })),
    findings,
    planner: { kind: 'none', reason: '' },
    ...rest,
  });
}

export function memory(extra: Partial<Memory> = {}): Memory {
  return { ...emptyMemory(), ...extra };
}

/** A clock whose sleeps advance time instantly. */
export function fakeClock(start = NOW): Clock & { slept: number[] } {
  let t = start.getTime();
  const slept: number[] = [];
  return {
    slept,
    now: () => new Date(t),
    sleep: async (ms) => {
      slept.push(ms);
      t += ms;
    },
  };
}

/** A shell that records scripts and answers from a function; never touches a machine. */
export class ScriptedShell implements RemoteShell {
  readonly scripts: string[] = [];
  closed = false;
  constructor(
    readonly server: string,
    private readonly answer: (script: string) => Partial<ExecResult> = () => ({}),
  ) {}
  /** scripts other than read-only diagnostics (which all run under `timeout … nice`): what changed the server */
  get changes(): string[] {
    return this.scripts.filter((s) => !s.startsWith('timeout -k 5 20 nice -n 10 sh -c '));
  }
  async run(script: string, _options?: ExecOptions): Promise<ExecResult> {
    this.scripts.push(script);
    return { stdout: '', stderr: '', code: 0, durationMs: 1, timedOut: false, ...this.answer(script) };
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

/** A RunContext for the agent phase: only what diagnoseAndRemediate reads is real. */
export function runContext(
  cfg: Config,
  opts: {
    model?: Model;
    mode?: Mode;
    dryRun?: boolean;
    task?: RunContext['inputs']['task'];
    apiKey?: string;
    clock?: Clock;
  } = {},
): RunContext {
  const unused = () => {
    throw new Error('not used by the agent phase');
  };
  return {
    config: cfg,
    inputs: {
      configPath: 'claudeops.yml',
      task: opts.task ?? 'check',
      dryRun: opts.dryRun ?? false,
      model: 'claude-sonnet-4-6',
      stateBranch: 'claudeops-state',
      anthropicApiKey: opts.apiKey,
      sshPrivateKey:
        '-----BEGIN OPENSSH PRIVATE KEY-----\nAAAAtestkeymaterialAAAA\n-----END OPENSSH PRIVATE KEY-----\n',
    },
    mode: opts.mode ?? 'safe',
    runId: 'run-1',
    nonce: 'nonce-0123456789abcdef',
    adapters: {
      transport: { connect: unused },
      state: { load: unused, commit: unused },
      clock: opts.clock ?? fakeClock(),
      sink: { summary: async () => {}, outputs: () => {} },
      ...(opts.model ? { model: opts.model } : {}),
    },
    logger: { info: () => {}, warning: () => {}, error: () => {}, group: (_n, fn) => fn() },
  };
}
