import { describe, expect, it } from 'vitest';
import { diagnoseAndRemediate } from '../../../src/agent/diagnose-and-remediate.js';
import { recoveryTrigger } from '../../../src/agent/recover.js';
import { renderBootLog } from '../../../src/core/render/render-action-log.js';
import { renderHealthReport } from '../../../src/core/render/render-health-report.js';
import { renderSummary } from '../../../src/core/render/render-summary.js';
import { readinessScript } from '../../../src/remediate/readiness.js';
import {
  config,
  fakeClock,
  memory,
  record,
  runContext,
  ScriptedShell,
  tracked,
} from '../../support/agent-fixtures.js';

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
      boot: { order: ['postgresql', 'api', 'ghost', 'web'], ready_timeout: '10s' },
    },
  ],
});

describe('boot recovery', () => {
  it('starts services in boot order through the gate, waits for each, skips running ones, writes a boot log', async () => {
    const up = new Set<string>(['web']);
    const polls: Record<string, number> = {};
    const shell = new ScriptedShell('app1', (script) => {
      const started = /^(?:systemctl|docker) start '(\w+)'/.exec(script);
      if (started?.[1]) {
        polls[started[1]] = 0;
        return {
          code: started[1] === 'api' ? 1 : 0,
          stderr: started[1] === 'api' ? 'Error: No such container: api' : '',
        };
      }
      const name = ['postgresql', 'api', 'web'].find((n) => script.includes(`'${n}'`)) ?? '';
      if (name in polls) polls[name] = (polls[name] ?? 0) + 1;
      // postgresql comes up on the third readiness poll after its start
      if (name === 'postgresql' && (polls.postgresql ?? 0) >= 3) up.add(name);
      return { code: up.has(name) ? 0 : 3 };
    });
    const clock = fakeClock();
    const run = record(
      cfg,
      [
        tracked('app1', 'service', 'postgresql', 'critical', 'inactive'),
        // the service's configured port, collected as closed before recovery started it
        tracked('app1', 'port', '5432', 'critical', 'nothing listens on TCP 5432 (postgresql)'),
      ],
      { task: 'recover' },
    );
    await diagnoseAndRemediate(
      runContext(cfg, { task: 'recover', clock }),
      run,
      memory(),
      new Map([['app1', shell]]),
      { pollMs: 1_000, recheck: async () => [] },
    );

    const boot = run.recoveries?.[0];
    expect(boot?.trigger).toBe('task recover');
    expect(boot?.steps.map((s) => [s.service, s.state])).toEqual([
      ['postgresql', 'started'],
      ['api', 'failed'],
      ['ghost', 'skipped'],
      ['web', 'already-running'],
    ]);
    expect(boot?.steps[0]?.waitedMs).toBe(2_000);
    expect(boot?.path).toBe('boot/2026-11-21-080000-app1.md');
    expect(run.actions.map((a) => [a.action, a.params.service, a.requestedBy, a.outcome])).toEqual([
      ['start-service', 'postgresql', 'recover', 'fixed'],
      ['start-service', 'api', 'recover', 'not-fixed'],
    ]);
    // the postgresql findings were collected before recovery started it: nothing left to plan
    expect(run.planner.reason).toBe('boot recovery only: no other findings');
    const md = renderBootLog(boot as NonNullable<typeof boot>, run);
    expect(md).toMatch(/^---\nserver: "app1"\nrun: "run-1"/);
    expect(md).toContain('| postgresql | started | 2 s |');
    // the failed start's output is server text: fenced under the table, not inside a cell
    expect(md).toContain('| api | failed | — | start exited 1 (output in the action log) |');
    expect(md).toMatch(/## api: output\n\n```text\nstart exited 1/);
    // the health report and the job summary show the recovery; a failed start's output stays in its action log
    const report = renderHealthReport(run);
    expect(report).toContain(
      '## Boot recovery\n\n### app1\n\nTrigger: task recover · log: `boot/2026-11-21-080000-app1.md`',
    );
    expect(report).toContain('| postgresql | started | 2 s | systemd: started and ready |');
    expect(report).toContain('| api | failed | — | start exited 1 (output in the action log) |');
    expect(report).toMatch(/recoveries:\n {2}- server: app1\n {4}trigger: task recover\n {4}failed: 1\n/);
    const summary = renderSummary(run, { stateUrl: 'https://github.example/o/r/blob/claudeops-state/' });
    expect(summary).toContain('### Boot recovery\n\napp1: task recover');
    expect(summary).toContain(
      '| app1 | api | ❌ failed |  | start exited 1 (output in the action log) | [log](https://github.example/o/r/blob/claudeops-state/boot/2026-11-21-080000-app1.md) |',
    );
    expect(summary).not.toContain('No such container');
  });

  it('notices a reboot by the boot id, and checks readiness with the port', () => {
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
    const pg = cfg.servers[0]?.services[0];
    if (!pg) throw new Error('no service');
    expect(readinessScript(pg)).toBe(
      `systemctl is-active --quiet 'postgresql' && (ss -ltn 2>/dev/null || netstat -ltn 2>/dev/null) | grep -Eq ":"'5432'"[[:space:]]"`,
    );
  });
});
