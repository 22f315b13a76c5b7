/**
 * A repository remediation that did not fix a finding (bookkept as `id:-`: it has no target
 * parameter) must still bring Claude back next run, and the run whose failure opens the circuit
 * breaker says so in the finding's issue file and its GitHub issue (docs/architecture.md#remediation), where an action
 * that did not run is never reported as run. Found by the lab remediation scenarios.
 */
import { describe, expect, it } from 'vitest';
import { needsClaude } from '../../../src/agent/diagnose-and-remediate.js';
import { configSchema } from '../../../src/config/schema.js';
import { planIssues } from '../../../src/core/issues/issue-plan.js';
import { emptyMemory, emptyServerState, type Memory } from '../../../src/core/memory/memory.js';
import { renderActionLog } from '../../../src/core/render/render-action-log.js';
import { type ActionRecord, newRunRecord, type TrackedFinding } from '../../../src/core/run-record.js';
import { issueFileChanges, parseIssueFile } from '../../../src/core/state-branch/issue-files.js';
import { buildCatalog } from '../../../src/remediate/catalog.js';
import { action as ghAction, github, runRecord } from '../../support/github-records.js';

const LAST_RUN = '2026-03-02T10:00:00.000Z';

const nginx: TrackedFinding = {
  fingerprint: 'web1/service/nginx',
  server: 'web1',
  check: 'service',
  target: 'nginx',
  severity: 'critical',
  summary: 'nginx is failed',
  lifecycle: 'ongoing',
  firstSeen: '2026-03-02T09:00:00.000Z',
  runs: 2,
};

const action = (over: Partial<ActionRecord>): ActionRecord => ({
  id: 'r1-1',
  server: 'web1',
  action: 'restart-nginx-hard',
  params: {},
  risk: 'low',
  decision: 'execute',
  reason: 'try it',
  outcome: 'not-fixed',
  fingerprint: nginx.fingerprint,
  requestedBy: 'claude',
  at: '2026-03-02T10:00:30.000Z',
  target: '-',
  ...over,
});

function memoryWith(actions: ActionRecord[], breakerOpen = false): Memory {
  const memory = emptyMemory();
  memory.servers.web1 = {
    ...emptyServerState('web1'),
    lastRun: LAST_RUN,
    findings: {
      [nginx.fingerprint]: {
        status: 'ongoing',
        severity: 'critical',
        firstSeen: nginx.firstSeen,
        lastSeen: LAST_RUN,
        streak: 2,
        okStreak: 0,
        history: [],
        summary: nginx.summary,
      },
    },
    remediation: {
      'restart-nginx-hard:-': {
        attempts: [actions[0]?.at ?? LAST_RUN],
        failures: 1,
        breakerOpen,
        lastOutcome: 'not-fixed',
      },
    },
  };
  memory.recentActions = actions.map((a, i) => ({
    path: `actions/2026-03-02/100030-web1-${a.action}-r${i}.md`,
    content: renderActionLog(a, { runId: 'r1', mode: 'safe', dryRun: false }),
  }));
  return memory;
}

describe('needsClaude after a repository remediation', () => {
  it('asks again when the last run executed one on this finding and it did not fix it', () => {
    expect(needsClaude(nginx, memoryWith([action({})]))).toBe(true);
    expect(needsClaude(nginx, memoryWith([action({ outcome: 'worse' })]))).toBe(true);
  });

  it('does not when it fixed, was not executed, is older than the last run, or was for another finding', () => {
    expect(needsClaude(nginx, memoryWith([action({ outcome: 'fixed' })]))).toBe(false);
    expect(needsClaude(nginx, memoryWith([action({ decision: 'deny', outcome: 'not-run' })]))).toBe(false);
    expect(needsClaude(nginx, memoryWith([action({ at: '2026-03-02T09:59:00.000Z' })]))).toBe(false);
    expect(needsClaude(nginx, memoryWith([action({ fingerprint: 'web1/service/redis' })]))).toBe(false);
  });
});

describe('issue file when the breaker opens', () => {
  const opened = (memory: Memory) => {
    const run = newRunRecord({
      runId: 'r2',
      task: 'check',
      mode: 'safe',
      dryRun: false,
      startedAt: '2026-03-02T10:10:00.000Z',
      finishedAt: '2026-03-02T10:11:00.000Z',
      findings: [nginx],
      actions: [action({ id: 'r2-1', at: '2026-03-02T10:10:30.000Z' })],
    });
    run.serverStates.web1 = {
      ...emptyServerState('web1'),
      remediation: {
        'restart-nginx-hard:-': { attempts: [], failures: 3, breakerOpen: true, lastOutcome: 'not-fixed' },
      },
    };
    return issueFileChanges(run, memory);
  };

  it('adds a history line the run the breaker opens', () => {
    const [change, ...rest] = opened(memoryWith([action({})]));
    expect(rest).toEqual([]);
    expect(change?.path).toBe('issues/web1--service--nginx.md');
    expect(parseIssueFile(change?.content ?? '')?.history).toEqual([
      '- 2026-03-02T10:10:30.000Z — action restart-nginx-hard (by claude): not-fixed (run r2)',
      '- 2026-03-02T10:10:30.000Z — circuit breaker open: restart-nginx-hard failed to fix this 3 times in a row; no more automatic tries, a human must look (run r2)',
    ]);
  });

  it('records only the attempt when the breaker was open already', () => {
    const [change] = opened(memoryWith([action({})], true));
    expect(parseIssueFile(change?.content ?? '')?.history).toEqual([
      '- 2026-03-02T10:10:30.000Z — action restart-nginx-hard (by claude): not-fixed (run r2)',
    ]);
  });
});

describe('settle: per repository remediation', () => {
  it('reaches the catalog entry as settleMs; unset leaves the run default', () => {
    const config = configSchema.parse({
      version: 1,
      servers: [{ name: 'web1', host: 'h' }],
      remediations: {
        quick: { command: 'true', settle: '1s' },
        plain: { command: 'true' },
      },
    });
    const { actions } = buildCatalog(config.servers[0] as (typeof config.servers)[number], config);
    expect(actions.get('quick')?.settleMs).toBe(1000);
    expect(actions.get('plain')?.settleMs).toBeUndefined();
  });
});

describe('GitHub issue when the breaker opens', () => {
  const T = new Date('2026-11-21T08:00:00Z');
  const disk = { server: 'web1', check: 'disk', target: '/', severity: 'critical' as const };
  const bodyWith = (a: ActionRecord): string => {
    const spec = { runId: 'r1', at: T, servers: ['web1'], raised: [disk], actions: [a] };
    const op = planIssues(runRecord(spec), [], { github, now: T, redact: (t: string) => t }).ops[0];
    return op?.kind === 'create' ? op.body : '';
  };
  const ran = { id: 'a1', server: 'web1', action: 'rotate-logs', fingerprint: 'web1/disk//', exitCode: 0 };

  it('says so on the line of the failed attempt that opened it', () => {
    const opened = bodyWith(
      ghAction({
        ...ran,
        outcome: 'not-fixed',
        verification:
          're-ran disk: unchanged\n\nCircuit breaker now OPEN for rotate-logs:-: no more automatic tries; a human must look.',
      }),
    );
    expect(opened).toContain(
      'Ran `rotate-logs` on web1: not-fixed (exit 0). Circuit breaker now open: no more automatic tries; a human must look.',
    );
    const plain = bodyWith(
      ghAction({ ...ran, outcome: 'not-fixed', verification: 're-ran disk: unchanged' }),
    );
    expect(plain).toContain('Ran `rotate-logs` on web1: not-fixed (exit 0).');
    expect(plain).not.toContain('Circuit breaker');
  });
});
