import { describe, expect, it } from 'vitest';
import { diagnoseAndRemediate } from '../../../src/agent/diagnose-and-remediate.js';
import { recoveryTrigger } from '../../../src/agent/recover.js';
import type { ServerConfig } from '../../../src/config/schema.js';
import { renderBootLog } from '../../../src/core/render/render-action-log.js';
import { renderHealthReport } from '../../../src/core/render/render-health-report.js';
import { renderSummary } from '../../../src/core/render/render-summary.js';
import { finding } from '../../../src/core/types.js';
import { probeRecheck } from '../../../src/remediate/probe-recheck.js';
import { judgeReadiness, READINESS_CHECKS, readinessSlice } from '../../../src/remediate/readiness.js';
import type { Recheck } from '../../../src/remediate/verifier.js';
import {
  config,
  fakeClock,
  memory,
  NOW,
  record,
  runContext,
  ScriptedShell,
  tracked,
} from '../../support/agent-fixtures.js';
import { fixture } from '../probes/helpers.js';

const cfg = config({
  servers: [
    {
      name: 'app1',
      transport: 'local',
      services: [
        { name: 'postgresql', manager: 'systemd', port: 5432 },
        { name: 'api', manager: 'docker' },
        { name: 'web', manager: 'supervisor' },
      ],
      databases: [{ kind: 'postgres' }],
      boot: { order: ['postgresql', 'api', 'ghost', 'web'], ready_timeout: '10s' },
    },
  ],
});

/**
 * A fake re-check that answers as the probes would: readiness slices get the service's state and,
 * for postgresql, whether `select 1` answers (it does two polls after the unit is active); the
 * final check of the whole server gets a healthy disk and whatever services are down.
 */
function fakeServer(up: Set<string>, answersAfter = 2) {
  const polls: Record<string, number> = {};
  const readinessCalls: string[] = [];
  const recheck: Recheck = async (_shell, srv, checks) => {
    if (checks === READINESS_CHECKS) {
      const service = srv.services[0]?.name ?? '';
      readinessCalls.push(service);
      if (service in polls) polls[service] = (polls[service] ?? 0) + 1;
      const running = up.has(service);
      const out = [
        finding(
          'app1',
          'service',
          service,
          running ? 'ok' : 'critical',
          `${service} ${running ? 'active' : 'inactive'}`,
        ),
      ];
      for (const db of srv.databases) {
        const answers = running && (polls[service] ?? answersAfter) >= answersAfter;
        out.push(
          finding(
            'app1',
            'database',
            db.kind,
            answers ? 'ok' : 'critical',
            answers ? 'select 1 ok' : 'refused',
          ),
        );
      }
      return out;
    }
    return [
      finding('app1', 'disk', '/', 'ok', '/ is 40% full'),
      ...srv.services.map((s) =>
        finding(
          'app1',
          'service',
          s.name,
          up.has(s.name) ? 'ok' : 'critical',
          `${s.name} ${up.has(s.name) ? 'active' : 'inactive'}`,
        ),
      ),
    ];
  };
  const shell = new ScriptedShell('app1', (script) => {
    const started = /^(?:systemctl|docker|supervisorctl) start (?:-- )?'(\w+)'/.exec(script);
    if (!started?.[1]) return {};
    const name = started[1];
    if (name === 'api') return { code: 1, stderr: 'Error: No such container: api' };
    polls[name] = 0;
    up.add(name);
    return { code: 0 };
  });
  return { recheck, shell, readinessCalls };
}

async function recoverWith(c: typeof cfg, up: Set<string>, findings: ReturnType<typeof tracked>[] = []) {
  const fake = fakeServer(up);
  const clock = fakeClock();
  const run = record(c, findings, { task: 'recover' });
  await diagnoseAndRemediate(
    runContext(c, { task: 'recover', clock }),
    run,
    memory(),
    new Map([['app1', fake.shell]]),
    {
      pollMs: 1_000,
      recheck: fake.recheck,
    },
  );
  const boot = run.recoveries?.[0];
  if (!boot) throw new Error('no boot recovery');
  return { run, boot, ...fake };
}

describe('boot recovery', () => {
  it('starts services in boot order through the gate, waits for real readiness, blocks dependants of a failure, writes a boot log', async () => {
    const { run, boot, shell } = await recoverWith(cfg, new Set(['web']), [
      tracked('app1', 'service', 'postgresql', 'critical', 'inactive'),
      // the service's configured port, collected as closed before recovery started it
      tracked('app1', 'port', '5432', 'critical', 'nothing listens on TCP 5432 (postgresql)'),
    ]);
    expect(boot.trigger).toBe('task recover');
    expect(boot.steps.map((s) => [s.service, s.state, s.detail])).toEqual([
      ['postgresql', 'started', expect.stringContaining('postgres answers select 1')],
      ['api', 'failed', expect.stringContaining('start exited 1')],
      ['ghost', 'blocked', 'blocked by api (failed)'],
      // web runs already; it is not touched, but recorded as waiting on its failed dependency
      ['web', 'blocked', 'blocked by api (failed)'],
    ]);
    // active at once, but ready only when select 1 answered, on the second poll (a second later)
    expect(boot.steps[0]?.waitedMs).toBe(1_000);
    expect(shell.scripts.filter((x) => / start /.test(x))).toEqual([
      "systemctl start -- 'postgresql'\n",
      "docker start -- 'api'\n",
    ]);
    expect(boot.path).toBe('boot/2026-11-21-080000-app1.md');
    expect(run.actions.map((a) => [a.action, a.params.service, a.requestedBy, a.outcome])).toEqual([
      ['start-service', 'postgresql', 'recover', 'fixed'],
      ['start-service', 'api', 'recover', 'not-fixed'],
    ]);
    expect(boot.finalCheck).toMatchObject({
      checked: 4,
      failing: [{ fingerprint: 'app1/service/api', severity: 'critical', summary: 'api inactive' }],
    });
    const md = renderBootLog(boot, run);
    expect(md).toMatch(/^---\nserver: "app1"\nrun: "run-1"/);
    expect(md).toContain('failed: 3');
    expect(md).toContain('| postgresql | started | 1 s |');
    expect(md).toContain('| ghost | blocked | — | blocked by api (failed) |');
    // the failed start's output is server text: fenced under the table, not inside a cell
    expect(md).toContain('| api | failed | — | start exited 1 (output in the action log) |');
    expect(md).toMatch(/## api: output\n\n```text\nstart exited 1/);
    expect(md).toMatch(
      /## Final check\n\nFinal check \(2026-11-21T08:00:0\d\.000Z\): 1 of 4 checks failing\./,
    );
    expect(md).toContain('| app1/service/api | critical | api inactive |');
    // the health report and the job summary show the recovery; a failed start's output stays in its action log
    const report = renderHealthReport(run);
    expect(report).toContain(
      '## Boot recovery\n\n### app1\n\nTrigger: task recover · log: `boot/2026-11-21-080000-app1.md`',
    );
    expect(report).toContain('| api | failed | — | start exited 1 (output in the action log) |');
    expect(report).toMatch(/recoveries:\n {2}- server: app1\n {4}trigger: task recover\n {4}failed: 3\n/);
    expect(report).toContain('1 of 4 checks failing');
    const summary = renderSummary(run, { stateUrl: 'https://github.example/o/r/blob/claudeops-state/' });
    expect(summary).toContain('### Boot recovery\n\napp1: task recover');
    expect(summary).toContain('| app1 | ghost | ⛔ blocked |');
    expect(summary).not.toContain('No such container');
  });

  it('explicit after: only the named dependencies block; boot.after runs through the gate once all are ready', async () => {
    const c = config({
      remediations: { 'migrate-db': { command: 'echo migrated', risk: 'low' } },
      servers: [
        {
          name: 'app1',
          transport: 'local',
          services: [
            { name: 'postgresql', manager: 'systemd', port: 5432 },
            { name: 'web', manager: 'supervisor' },
          ],
          databases: [{ kind: 'postgres' }],
          boot: {
            order: ['postgresql', { service: 'web', after: [] }],
            after: ['migrate-db', { action: 'restart-service', params: { service: 'web' } }],
          },
        },
      ],
    });
    const { boot, shell, run } = await recoverWith(c, new Set());
    expect(boot.steps.map((s) => [s.service, s.state])).toEqual([
      ['postgresql', 'started'],
      ['web', 'started'],
      ['after: migrate-db', 'started'],
      ['after: restart-service', 'started'],
    ]);
    expect(shell.scripts).toContain('echo migrated\n');
    expect(run.actions.map((a) => [a.action, a.requestedBy, a.decision])).toEqual([
      ['start-service', 'recover', 'execute'],
      ['start-service', 'recover', 'execute'],
      ['migrate-db', 'recover', 'execute'],
      ['restart-service', 'recover', 'execute'],
    ]);
  });

  it('boot.after never runs while a dependency is down', async () => {
    const c = config({
      remediations: { 'migrate-db': { command: 'echo migrated', risk: 'low' } },
      servers: [
        {
          name: 'app1',
          transport: 'local',
          services: [{ name: 'api', manager: 'docker' }],
          boot: { order: ['api'], after: ['migrate-db'] },
        },
      ],
    });
    const { boot, shell } = await recoverWith(c, new Set());
    expect(boot.steps.map((s) => [s.service, s.state, s.detail])).toEqual([
      ['api', 'failed', expect.any(String)],
      ['after: migrate-db', 'blocked', 'blocked by api (failed)'],
    ]);
    expect(shell.scripts).not.toContain('echo migrated\n');
  });

  it('a pm2 app is ready by its own name: a stopped app is not ready while another app is online (real pm2 output)', async () => {
    const pm2 = config({
      servers: [
        {
          name: 'app1',
          transport: 'local',
          services: ['co-api', 'co-paused', 'co-broken', 'co-ghost'].map((name) => ({
            name,
            manager: 'pm2',
          })),
        },
      ],
    });
    const srv = pm2.servers[0] as ServerConfig;
    // the lab's pm2 answers: co-api online, co-broken errored, co-paused stopped (test/fixtures/README.md)
    const shell = new ScriptedShell('app1', (script) => {
      const nonce = /@@claudeops:([A-Za-z0-9_-]+):begin:services@@/.exec(script)?.[1] ?? '';
      const body = fixture('services/pm2-mixed.txt');
      return {
        stdout: `@@claudeops:${nonce}:begin:services@@\n${body}\n@@claudeops:${nonce}:end:services:0@@\n`,
      };
    });
    const recheck = probeRecheck({ thresholds: undefined, now: () => NOW });
    const ready = async (name: string) => {
      const service = srv.services.find((s) => s.name === name);
      if (!service) throw new Error(name);
      const slice = readinessSlice(srv, service);
      return judgeReadiness(slice, await recheck(shell, slice, READINESS_CHECKS));
    };
    expect((await ready('co-api')).ready).toBe(true);
    expect(await ready('co-paused')).toMatchObject({
      ready: false,
      detail: expect.stringContaining('co-paused'),
    });
    expect((await ready('co-broken')).ready).toBe(false);
    expect((await ready('co-ghost')).ready).toBe(false);
  });

  it("readiness is the service's own checks: its database by kind or port, its endpoints by port", () => {
    const c = config({
      servers: [
        {
          name: 'app1',
          transport: 'local',
          services: [
            { name: 'postgresql', manager: 'systemd' },
            { name: 'redis-server', manager: 'systemd' },
            { name: 'api', manager: 'systemd', port: 8080 },
          ],
          databases: [{ kind: 'postgres' }, { kind: 'redis', port: 6380 }],
          endpoints: [
            { url: 'http://127.0.0.1:8080/health' },
            { url: 'https://example.test/' },
            { url: 'http://127.0.0.1:8080/x', from: 'runner' },
          ],
        },
      ],
    });
    const srv = c.servers[0] as ServerConfig;
    const slice = (i: number) => readinessSlice(srv, srv.services[i] as ServerConfig['services'][number]);
    expect(slice(0).databases.map((d) => d.kind)).toEqual(['postgres']);
    expect(slice(0).endpoints).toEqual([]);
    expect(slice(1).databases.map((d) => d.kind)).toEqual(['redis']);
    expect(slice(2).databases).toEqual([]);
    expect(slice(2).endpoints.map((e) => e.url)).toEqual(['http://127.0.0.1:8080/health']);
    expect(judgeReadiness(slice(2), []).ready).toBe(false);
  });

  it('notices a reboot by the boot id', () => {
    const run = record(cfg);
    const obs = run.servers[0]?.observation;
    if (obs) obs.probes.uptime = { uptimeSeconds: 30, bootId: 'bbbbbbbb-0000-0000-0000-000000000000' };
    expect(recoveryTrigger(run, 'aaaaaaaa-0000-0000-0000-000000000000', 'app1')).toBe(
      'rebooted: boot id aaaaaaaa… → bbbbbbbb…',
    );
    expect(recoveryTrigger(run, 'bbbbbbbb-0000-0000-0000-000000000000', 'app1')).toBeUndefined();
    expect(recoveryTrigger(run, undefined, 'app1')).toBeUndefined();
    // task recover names the reboot it sees too
    const task = record(cfg, [], { task: 'recover', servers: run.servers });
    expect(recoveryTrigger(task, 'aaaaaaaa-0000-0000-0000-000000000000', 'app1')).toBe(
      'task recover (rebooted: boot id aaaaaaaa… → bbbbbbbb…)',
    );
    expect(recoveryTrigger(task, 'bbbbbbbb-0000-0000-0000-000000000000', 'app1')).toBe('task recover');
  });
});
