/**
 * One incident per root cause, on the remediation side: the planner acts on the root (a stopped
 * postgres), not on the endpoints that fail because of it; once a fix of the root is verified, the
 * dependants are re-checked and what they show is recorded; a dependant still failing with its
 * root fixed is then planned on its own; a root not fixed leaves its dependants waiting.
 */
import { describe, expect, it } from 'vitest';
import { diagnoseAndRemediate } from '../../../src/agent/diagnose-and-remediate.js';
import { groupRunIncidents } from '../../../src/alerting/follow-through.js';
import type { Finding } from '../../../src/core/types.js';
import { config, memory, record, runContext, ScriptedShell, tracked } from '../../support/agent-fixtures.js';

const cfg = config({
  servers: [
    {
      name: 'db1',
      transport: 'local',
      services: [
        { name: 'postgresql', manager: 'systemd' },
        { name: 'app', manager: 'systemd', depends_on: ['postgresql'] },
      ],
      endpoints: [
        { url: 'http://127.0.0.1:8091/', depends_on: ['postgresql'] },
        { url: 'http://127.0.0.1:8092/', depends_on: ['app'] },
      ],
    },
  ],
});
const pg = () => tracked('db1', 'service', 'postgresql', 'critical', 'postgresql is inactive (dead)');
const app = () => tracked('db1', 'service', 'app', 'critical', 'app is failed');
const ep1 = () => tracked('db1', 'endpoint', 'http://127.0.0.1:8091/', 'critical', 'HTTP 503');
const ep2 = () => tracked('db1', 'endpoint', 'http://127.0.0.1:8092/', 'critical', 'HTTP 503');

/** One run of the agent phase; `after` answers every re-check by check id. */
async function act(findings: ReturnType<typeof tracked>[], after: (checks: readonly string[]) => Finding[]) {
  const rec = record(cfg, findings);
  const ctx = runContext(cfg);
  groupRunIncidents(ctx, rec);
  const shell = new ScriptedShell('db1', () => ({ stdout: '' }));
  const rechecks: string[][] = [];
  await diagnoseAndRemediate(ctx, rec, memory(), new Map([['db1', shell]]), {
    settleMs: 0,
    recheck: async (_s, _server, checks) => {
      rechecks.push([...checks]);
      return after(checks);
    },
  });
  return { rec, shell, rechecks };
}

describe('remediation aims at the root first', () => {
  it('restarts postgres only, then re-checks the dependants and records them ok', async () => {
    const { rec, shell, rechecks } = await act([ep1(), ep2(), app(), pg()], (checks) =>
      checks.includes('endpoint')
        ? [ep1(), ep2(), app()]
            .filter((f) => checks.includes(f.check))
            .map((f) => ({ ...f, severity: 'ok' as const, summary: 'ok again' }))
        : [{ ...pg(), severity: 'ok' as const }],
    );
    expect(rec.incidents).toEqual([
      {
        key: 'db1/service/postgresql',
        severity: 'critical',
        dependants: [
          'db1/endpoint/http://127.0.0.1:8091/',
          'db1/endpoint/http://127.0.0.1:8092/',
          'db1/service/app',
        ],
      },
    ]);
    expect(shell.changes).toEqual(["systemctl restart -- 'postgresql'\n"]);
    expect(rec.actions.map((a) => [a.action, a.target, a.outcome])).toEqual([
      ['restart-service', 'postgresql', 'fixed'],
    ]);
    // the verification, then one re-check of the dependants' checks
    expect(rechecks.at(-1)?.sort()).toEqual(['endpoint', 'service']);
    expect(rec.reevaluated?.map((r) => [r.fingerprint, r.severity])).toEqual([
      ['db1/endpoint/http://127.0.0.1:8091/', 'ok'],
      ['db1/endpoint/http://127.0.0.1:8092/', 'ok'],
      ['db1/service/app', 'ok'],
    ]);
  });

  it('a dependant still failing once the root is fixed is planned on its own', async () => {
    const { rec, shell } = await act([app(), pg()], (checks) => [
      { ...pg(), severity: 'ok' as const },
      ...(checks.includes('service') ? [app()] : []),
    ]);
    expect(shell.changes).toEqual(["systemctl restart -- 'postgresql'\n", "systemctl restart -- 'app'\n"]);
    expect(rec.reevaluated).toEqual([
      {
        fingerprint: 'db1/service/app',
        root: 'db1/service/postgresql',
        severity: 'critical',
        summary: 'app is failed',
      },
    ]);
  });

  it('a root not fixed leaves its dependants waiting: nothing is tried on them', async () => {
    const { rec, shell } = await act([ep1(), app(), pg()], () => [pg()]);
    expect(shell.changes).toEqual(["systemctl restart -- 'postgresql'\n"]);
    expect(rec.actions.map((a) => a.outcome)).toEqual(['not-fixed']);
    expect(rec.reevaluated).toBeUndefined();
  });
});
