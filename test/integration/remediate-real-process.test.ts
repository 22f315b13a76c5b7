/**
 * Executor + verifier against real processes: a real supervisord, real supervisorctl through the
 * catalog's rendered command, verification by the real services probe re-run over the same shell.
 * Written against a Transport, so the lab (real sshd/systemd) can run the same scenario.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyServerState } from '../../src/core/memory/memory.js';
import { systemClock, type Transport } from '../../src/core/ports/index.js';
import { executeCommand } from '../../src/remediate/executor.js';
import { probeRecheck } from '../../src/remediate/probe-recheck.js';
import { Remediator } from '../../src/remediate/remediator.js';
import { config, memory, record, server } from '../support/agent-fixtures.js';
import { shTransport } from '../support/sh-transport.js';

const hasSupervisor =
  spawnSync('sh', ['-c', 'command -v supervisord && command -v supervisorctl']).status === 0;
const dir = mkdtempSync(join(tmpdir(), 'claudeops-sup-'));
const conf = join(dir, 'supervisord.conf');

function supervisorConf(): string {
  return `[unix_http_server]
file=${dir}/supervisor.sock
[supervisord]
logfile=${dir}/supervisord.log
pidfile=${dir}/supervisord.pid
childlogdir=${dir}
[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface
[supervisorctl]
serverurl=unix://${dir}/supervisor.sock
[program:app]
command=sleep 1000
autostart=true
startsecs=1
[program:broken]
command=sh -c 'exit 3'
autostart=false
startsecs=1
startretries=0
autorestart=false
`;
}

const ctl = (...args: string[]) =>
  spawnSync('supervisorctl', ['-c', conf, ...args], { encoding: 'utf8' }).stdout;

async function waitFor(predicate: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 100));
  }
}

const cfg = config({
  servers: [
    {
      name: 'lab',
      transport: 'local',
      services: [
        { name: 'app', manager: 'supervisor' },
        { name: 'broken', manager: 'supervisor' },
      ],
    },
  ],
});
const lab = server(cfg, 'lab');

describe.skipIf(!hasSupervisor)('remediation against a real supervisord', () => {
  let transport: Transport;

  beforeAll(async () => {
    writeFileSync(conf, supervisorConf());
    execFileSync('supervisord', ['-c', conf]);
    await waitFor(() => /app\s+RUNNING/.test(ctl('status', 'app')));
    // supervisorctl without -c finds ./supervisord.conf: the shell's cwd is the lab "server"
    transport = shTransport(dir);
  });

  afterAll(() => {
    if (hasSupervisor) ctl('shutdown');
  });

  function remediator(run = record(cfg)) {
    const recheck = probeRecheck({ thresholds: cfg.defaults.thresholds, now: () => new Date() });
    return {
      run,
      recheck,
      remediator: async () => {
        const shell = await transport.connect(lab);
        const r = new Remediator({
          config: cfg,
          mode: 'safe',
          dryRun: false,
          runId: 'itest',
          clock: systemClock,
          record: run,
          memory: memory(),
          shells: new Map([['lab', shell]]),
          recheck,
          secrets: [],
          settleMs: 1_500,
        });
        return { r, shell };
      },
    };
  }

  it('restarts a stopped program, and the re-run services probe says fixed', async () => {
    ctl('stop', 'app');
    const h = remediator();
    const { r, shell } = await h.remediator();
    const before = await h.recheck(shell, lab, ['service']);
    const down = before.find((f) => f.fingerprint === 'lab/service/app');
    expect(down?.severity).toBe('critical');
    h.run.findings = before.map((f) => ({
      ...f,
      lifecycle: 'new',
      firstSeen: new Date().toISOString(),
      runs: 1,
    }));

    const action = await r.remediate({
      server: 'lab',
      action: 'restart-service',
      params: { service: 'app' },
      fingerprint: 'lab/service/app',
      reason: 'app is stopped',
      requestedBy: 'rules',
      intent: 'auto',
    });
    expect(action).toMatchObject({
      decision: 'execute',
      command: "supervisorctl restart 'app'",
      exitCode: 0,
      outcome: 'fixed',
    });
    expect(action.verification).toMatch(/lab\/service\/app critical → ok/);
    expect(ctl('status', 'app')).toMatch(/RUNNING/);
    expect(h.run.serverStates.lab?.remediation['restart-service:app']).toMatchObject({
      failures: 0,
      lastOutcome: 'fixed',
    });
  });

  it('a program that will not stay up is not-fixed, and the third failure opens the breaker', async () => {
    const run = record(cfg);
    const twoFailures = {
      attempts: ['2026-01-01T00:00:00.000Z'],
      failures: 2,
      breakerOpen: false,
      lastOutcome: 'not-fixed',
    };
    run.serverStates.lab = {
      ...memory().servers.lab,
      ...emptyServerState('lab'),
      remediation: { 'restart-service:broken': twoFailures },
    };
    const h = remediator(run);
    const { r, shell } = await h.remediator();
    run.findings = (await h.recheck(shell, lab, ['service'])).map((f) => ({
      ...f,
      lifecycle: 'new',
      firstSeen: '',
      runs: 1,
    }));
    expect(run.findings.find((f) => f.target === 'broken')?.severity).toBe('critical');

    const action = await r.remediate({
      server: 'lab',
      action: 'restart-service',
      params: { service: 'broken' },
      fingerprint: 'lab/service/broken',
      reason: 'broken is down',
      requestedBy: 'rules',
      intent: 'auto',
    });
    expect(action.decision).toBe('execute');
    expect(action.exitCode).not.toBe(0);
    expect(action.outcome).toBe('not-fixed');
    expect(action.verification).toMatch(/Circuit breaker now OPEN for restart-service:broken/);
    expect(run.serverStates.lab?.remediation['restart-service:broken']).toMatchObject({
      failures: 3,
      breakerOpen: true,
    });
  });

  it('kills a command that outlives its timeout', async () => {
    const shell = await transport.connect(lab);
    const started = Date.now();
    const result = await executeCommand(shell, 'echo begun; sleep 30', 300, []);
    expect(result).toMatchObject({ timedOut: true, exitCode: null });
    expect(result.output).toMatch(/^begun\n\[killed after 300 ms: timeout\]/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
