import { describe, expect, it } from 'vitest';
import type { RunRecord } from '../../../src/core/run-record.js';
import type { FileChange } from '../../../src/core/types.js';
import { Remediator } from '../../../src/remediate/remediator.js';
import { config, fakeClock, memory, record, ScriptedShell, tracked } from '../../support/agent-fixtures.js';

const cfg = config({});
const nginxDown = tracked('web1', 'service', 'nginx', 'critical', 'nginx is inactive');

function setup(
  beforeRun: (pending: RunRecord, extra: FileChange[]) => Promise<void>,
  mode: 'safe' | 'report',
) {
  const run = record(cfg, [nginxDown]);
  const events: string[] = [];
  const shell = new ScriptedShell('web1', (script) => {
    events.push(`ran ${script.trim()}`);
    return { stdout: 'ok\n' };
  });
  const r = new Remediator({
    config: cfg,
    mode,
    dryRun: false,
    runId: 'run-1',
    clock: fakeClock(),
    record: run,
    memory: memory(),
    shells: new Map([['web1', shell]]),
    recheck: async () => [{ ...nginxDown, severity: 'ok', summary: 'nginx is active' }],
    secrets: [],
    settleMs: 0,
    beforeRun,
  });
  return { run, r, events };
}

const request = {
  server: 'web1',
  action: 'restart-service',
  params: { service: 'nginx' },
  fingerprint: 'web1/service/nginx',
  reason: 'down',
  requestedBy: 'rules' as const,
  intent: 'auto' as const,
};

describe('remediator write-ahead', () => {
  it('hands the caller the record with the action and a failed attempt before the command runs', async () => {
    const seen: { pending: RunRecord; extra: FileChange[] }[] = [];
    const { run, r, events } = setup(async (pending, extra) => {
      events.push('journaled');
      seen.push({ pending, extra });
    }, 'safe');
    const extra = [{ path: 'approvals/x.md', content: 'started' }];
    const action = await r.remediate({ ...request, writeAhead: extra });
    expect(events).toEqual(['journaled', "ran systemctl restart -- 'nginx'"]);
    const [first] = seen;
    expect(first?.extra).toEqual(extra);
    const pending = first?.pending.actions.at(-1);
    expect(pending).toMatchObject({ decision: 'execute', path: action.path, outcome: undefined });
    expect(pending?.verification).toMatch(/run ended while the command was running/);
    expect(first?.pending.serverStates.web1?.remediation['restart-service:nginx']).toMatchObject({
      failures: 1,
      lastOutcome: 'not-fixed',
    });
    // the live record is untouched by the write-ahead copy
    expect(action.outcome).toBe('fixed');
    expect(run.serverStates.web1?.remediation['restart-service:nginx']).toMatchObject({
      failures: 0,
      lastOutcome: 'fixed',
    });
  });

  it('is not called when nothing runs, and a failing journal never stops the action', async () => {
    const denied = setup(async () => {
      throw new Error('must not be called');
    }, 'report');
    expect((await denied.r.remediate(request)).decision).toBe('deny');
    expect(denied.run.warnings).toEqual([]);

    const broken = setup(async () => {
      throw new Error('disk full');
    }, 'safe');
    expect((await broken.r.remediate(request)).outcome).toBe('fixed');
    expect(broken.events).toEqual(["ran systemctl restart -- 'nginx'"]);
    expect(broken.run.warnings.join('\n')).toContain('could not be recorded before it ran: disk full');
  });
});
