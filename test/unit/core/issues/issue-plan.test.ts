import { describe, expect, it } from 'vitest';
import { keyMarker, keyOf, memoOf } from '../../../../src/core/issues/issue-markers.js';
import { type IssueOp, planIssues } from '../../../../src/core/issues/issue-plan.js';
import { emptyServerState, type ServerState } from '../../../../src/core/memory/memory.js';
import type { IssueSnapshot } from '../../../../src/core/ports/index.js';
import { action, github, type RunSpec, runRecord } from '../../../support/github-records.js';

const T0 = Date.parse('2026-11-21T08:00:00Z');
const at = (hours: number) => new Date(T0 + hours * 3_600_000);
const opts = (now: Date) => ({
  github,
  now,
  stateUrl: 'https://github.test/acme/ops/blob/claudeops-state/',
  issueFile: (fp: string) => `issues/${fp.replaceAll('/', '--')}.md`,
  redact: (t: string) => t.replaceAll('hunter2', '[REDACTED]'),
});

/** Applies a plan to an in-memory issue list, as GitHub would; returns the comments posted. */
function apply(issues: IssueSnapshot[], ops: IssueOp[], now: Date): string[] {
  const comments: string[] = [];
  for (const op of ops) {
    if (op.kind === 'create') {
      issues.push({
        number: issues.length + 1,
        state: 'open',
        title: op.title,
        body: op.body,
        labels: op.labels,
      });
      continue;
    }
    const issue = issues.find((i) => i.number === op.number);
    if (!issue) throw new Error(`no issue #${op.number}`);
    Object.assign(issue, {
      ...(op.update.title ? { title: op.update.title } : {}),
      ...(op.update.body ? { body: op.update.body } : {}),
      ...(op.update.labels ? { labels: op.update.labels } : {}),
    });
    if (op.update.state === 'closed') Object.assign(issue, { state: 'closed', closedAt: now.toISOString() });
    if (op.update.state === 'open') Object.assign(issue, { state: 'open', closedAt: undefined });
    if (op.comment) comments.push(op.comment);
  }
  return comments;
}

const disk = {
  server: 'web1',
  check: 'disk',
  target: '/',
  severity: 'critical' as const,
  evidence: 'Used 93% password=hunter2',
};
const base = (runId: string, hours: number, extra: Partial<RunSpec> = {}): RunSpec => ({
  runId,
  at: at(hours),
  servers: ['web1', 'web2'],
  raised: [],
  ...extra,
});

describe('planIssues: one issue per problem, no storms', () => {
  it('opens a new problem once, with markers, labels, fenced and redacted evidence, links', () => {
    const plan = planIssues(runRecord(base('r1', 0, { raised: [disk] })), [], opts(at(0)));
    expect(plan.ops).toHaveLength(1);
    const op = plan.ops[0];
    if (op?.kind !== 'create') throw new Error('expected create');
    expect(keyOf(op.body)).toBe('web1/disk//');
    expect(op.labels).toEqual(['claudeops', 'severity:critical', 'server:web1']);
    expect(plan.labels).toEqual(['claudeops', 'server:web1', 'severity:critical']);
    expect(op.body).toContain('```text\nUsed 93% password=[REDACTED]\n```');
    expect(op.body).not.toContain('hunter2');
    expect(op.body).toContain('(https://github.test/acme/ops/blob/claudeops-state/health/2026-11-21/r1.md)');
    expect(op.body).toContain('issues/web1--disk----.md');
    expect(op.title).toBe('[critical] web1: disk / is critical');
  });

  it('a still-failing problem makes no duplicate and no comment; a severity change makes exactly one comment', () => {
    const issues: IssueSnapshot[] = [];
    apply(
      issues,
      planIssues(
        runRecord(base('r1', 0, { raised: [{ ...disk, severity: 'warning' }] })),
        issues,
        opts(at(0)),
      ).ops,
      at(0),
    );
    const quiet = planIssues(
      runRecord(base('r2', 1, { raised: [{ ...disk, severity: 'warning' }] })),
      issues,
      opts(at(1)),
    );
    expect(quiet.ops).toEqual([]);
    const worse = planIssues(runRecord(base('r3', 2, { raised: [disk] })), issues, opts(at(2)));
    expect(worse.ops).toHaveLength(1);
    const comments = apply(issues, worse.ops, at(2));
    expect(comments).toHaveLength(1);
    expect(comments[0]).toContain('Severity warning → **critical**');
    expect(issues).toHaveLength(1);
    expect(issues[0]?.labels).toContain('severity:critical');
    expect(issues[0]?.labels).not.toContain('severity:warning');
    expect(issues[0]?.title).toMatch(/^\[critical\]/);
    expect(planIssues(runRecord(base('r4', 3, { raised: [disk] })), issues, opts(at(3))).ops).toEqual([]);
  });

  it('an action and a new diagnosis are told in one comment; the same diagnosis again is not', () => {
    const issues: IssueSnapshot[] = [];
    apply(issues, planIssues(runRecord(base('r1', 0, { raised: [disk] })), issues, opts(at(0))).ops, at(0));
    const diagnoses = [
      {
        fingerprint: 'web1/disk//',
        rootCause: 'app logs grew',
        confidence: 'high' as const,
        evidence: 'du',
        nextStep: 'rotate',
      },
    ];
    const actions = [
      action({
        id: 'a1',
        server: 'web1',
        action: 'rotate-logs',
        fingerprint: 'web1/disk//',
        outcome: 'fixed',
        exitCode: 0,
        path: 'actions/x.md',
      }),
    ];
    const plan = planIssues(
      runRecord(base('r2', 1, { raised: [disk], diagnoses, actions })),
      issues,
      opts(at(1)),
    );
    const comments = apply(issues, plan.ops, at(1));
    expect(comments).toHaveLength(1);
    expect(comments[0]).toContain('New diagnosis');
    expect(comments[0]).toContain('Ran `rotate-logs` on web1: fixed (exit 0)');
    expect(memoOf(issues[0]?.body ?? '')?.diagnosis).toBeTruthy();
    expect(
      planIssues(runRecord(base('r3', 2, { raised: [disk], diagnoses })), issues, opts(at(2))).ops,
    ).toEqual([]);
  });

  it('an event that fires again on its open issue is one comment, even at the same severity', () => {
    const burst = { server: 'web1', check: 'log', target: '/var/log/app.log', severity: 'warning' as const };
    const issues: IssueSnapshot[] = [];
    apply(
      issues,
      planIssues(
        runRecord(base('r1', 0, { raised: [{ ...burst, lifecycle: 'new', event: true }] })),
        issues,
        opts(at(0)),
      ).ops,
      at(0),
    );
    expect(issues).toHaveLength(1);
    // a steady stream (ongoing) says nothing new; a burst after a quiet run does
    const steady = planIssues(
      runRecord(base('r2', 1, { raised: [{ ...burst, event: true }] })),
      issues,
      opts(at(1)),
    );
    expect(steady.ops).toEqual([]);
    const again = planIssues(
      runRecord(base('r3', 3, { raised: [{ ...burst, lifecycle: 'new', event: true }] })),
      issues,
      opts(at(3)),
    );
    expect(again.ops).toHaveLength(1);
    const op = again.ops[0];
    expect(op?.kind === 'update' && op.comment).toContain(
      'New events on web1: log /var/log/app.log is warning',
    );
  });

  it('closes only after close_after_ok_runs ok runs, saying how long it lasted', () => {
    const issues: IssueSnapshot[] = [];
    apply(issues, planIssues(runRecord(base('r1', 0, { raised: [disk] })), issues, opts(at(0))).ops, at(0));
    expect(
      planIssues(runRecord(base('r2', 1, { okStreaks: { 'web1/disk//': 1 } })), issues, opts(at(1))).ops,
    ).toEqual([]);
    const close = planIssues(
      runRecord(base('r3', 3, { okStreaks: { 'web1/disk//': 2 } })),
      issues,
      opts(at(3)),
    );
    const comments = apply(issues, close.ops, at(3));
    expect(issues[0]?.state).toBe('closed');
    expect(comments).toEqual([expect.stringContaining('Resolved after 3h: ok for 2 consecutive runs')]);
  });

  it('does not close what this run could not see: unreachable server, other shard', () => {
    const issues: IssueSnapshot[] = [];
    apply(issues, planIssues(runRecord(base('r1', 0, { raised: [disk] })), issues, opts(at(0))).ops, at(0));
    const unreachable = runRecord(base('r2', 1, { unreachable: ['web1'], okStreaks: { 'web1/disk//': 5 } }));
    expect(planIssues(unreachable, issues, opts(at(1))).ops).toEqual([]);
    const otherShard = runRecord({ ...base('r3', 1), servers: ['web2'] });
    expect(planIssues(otherShard, issues, opts(at(1))).ops).toEqual([]);
  });

  it('reopens on recurrence within reopen_within, opens a new one after it', () => {
    const issues: IssueSnapshot[] = [];
    apply(issues, planIssues(runRecord(base('r1', 0, { raised: [disk] })), issues, opts(at(0))).ops, at(0));
    apply(
      issues,
      planIssues(runRecord(base('r2', 2, { okStreaks: { 'web1/disk//': 2 } })), issues, opts(at(2))).ops,
      at(2),
    );
    const recur = planIssues(runRecord(base('r3', 24, { raised: [disk] })), issues, opts(at(24)));
    expect(recur.ops).toMatchObject([
      { kind: 'update', number: 1, update: { state: 'open', stateReason: 'reopened' } },
    ]);
    const comments = apply(issues, recur.ops, at(24));
    expect(comments[0]).toContain('Recurred');
    apply(
      issues,
      planIssues(runRecord(base('r4', 26, { okStreaks: { 'web1/disk//': 2 } })), issues, opts(at(26))).ops,
      at(26),
    );
    const late = planIssues(
      runRecord(base('r5', 26 + 8 * 24, { raised: [disk] })),
      issues,
      opts(at(26 + 8 * 24)),
    );
    expect(late.ops).toMatchObject([{ kind: 'create' }]);
  });

  it('groups the same check failing on enough servers into one fleet issue, and closes it when all recover', () => {
    const servers = ['web1', 'web2', 'web3', 'web4'];
    const raised = ['web1', 'web2', 'web3'].map((server) => ({ ...disk, server }));
    const issues: IssueSnapshot[] = [];
    const plan = planIssues(runRecord({ runId: 'r1', at: at(0), servers, raised }), issues, opts(at(0)));
    expect(plan.ops).toHaveLength(1);
    expect(plan.ops[0]).toMatchObject({
      kind: 'create',
      key: 'fleet/disk//',
      title: '[critical] disk / failing on 3 servers',
    });
    apply(issues, plan.ops, at(0));
    expect(issues[0]?.labels).toEqual([
      'claudeops',
      'severity:critical',
      'fleet',
      'server:web1',
      'server:web2',
      'server:web3',
    ]);
    // a fourth server joins: one comment, still one issue
    const more = [...raised, { ...disk, server: 'web4' }];
    const joined = apply(
      issues,
      planIssues(runRecord({ runId: 'r2', at: at(1), servers, raised: more }), issues, opts(at(1))).ops,
      at(1),
    );
    expect(joined).toEqual([expect.stringContaining('Now also failing: `web4/disk//`')]);
    // only two still failing: stays in the fleet issue (sticky), no new per-server issue
    const fewer = planIssues(
      runRecord({ runId: 'r3', at: at(2), servers, raised: more.slice(0, 2) }),
      issues,
      opts(at(2)),
    );
    expect(fewer.ops.filter((o) => o.kind === 'create')).toEqual([]);
    const okStreaks = Object.fromEntries(servers.map((s) => [`${s}/disk//`, 2]));
    const done = planIssues(
      runRecord({ runId: 'r4', at: at(4), servers, raised: [], okStreaks }),
      issues,
      opts(at(4)),
    );
    expect(done.ops).toMatchObject([{ kind: 'update', number: 1, update: { state: 'closed' } }]);
  });

  it('debounced (pending) findings open nothing', () => {
    expect(
      planIssues(runRecord(base('r1', 0, { raised: [{ ...disk, lifecycle: 'pending' }] })), [], opts(at(0)))
        .ops,
    ).toEqual([]);
  });

  it('three shards of one fleet-wide fault leave one open issue, closed when the last server recovers', () => {
    // shard i checks server sI; each sees the others' state files (fleetStates) as the branch holds them
    const endpoint = {
      server: '',
      check: 'endpoint',
      target: 'https://api.example/health',
      severity: 'critical' as const,
    };
    const fp = (s: string) => `${s}/endpoint/https://api.example/health`;
    const states: Record<string, ServerState> = {};
    const raisedState = (server: string, hours: number): ServerState => ({
      ...emptyServerState(server),
      recentRuns: ['r1'],
      findings: {
        [fp(server)]: {
          status: 'new',
          severity: 'critical',
          firstSeen: at(hours).toISOString(),
          lastSeen: at(hours).toISOString(),
          streak: 1,
          okStreak: 0,
          history: [],
          summary: 'HTTP 500',
        },
      },
    });
    const issues: IssueSnapshot[] = [];
    for (const [i, server] of ['s1', 's2', 's3'].entries()) {
      const spec = {
        runId: 'r1',
        at: at(0),
        servers: [server],
        raised: [{ ...endpoint, server }],
        shard: `${i + 1}of3`,
      };
      const plan = planIssues(runRecord(spec), issues, { ...opts(at(0)), fleetStates: { ...states } });
      apply(issues, plan.ops, at(0));
      states[server] = raisedState(server, 0);
    }
    // shards 1 and 2 saw fewer than 3 servers: their own issues, folded into the fleet issue by shard 3
    const open = issues.filter((i) => i.state === 'open');
    expect(open.map((i) => keyOf(i.body))).toEqual(['fleet/endpoint/https://api.example/health']);
    expect(open[0]?.title).toMatch(/^\[critical\] endpoint https.*health failing on 3 servers$/);
    expect(issues.filter((i) => i.state === 'closed').map((i) => keyOf(i.body))).toEqual([
      fp('s1'),
      fp('s2'),
    ]);

    // the next workflow run: every shard sees all three failing; still one issue, no new ones
    for (const server of ['s1', 's2', 's3']) {
      const spec = {
        runId: 'r2',
        at: at(1),
        servers: [server],
        raised: [{ ...endpoint, server }],
        shard: 'x',
      };
      const plan = planIssues(runRecord(spec), issues, { ...opts(at(1)), fleetStates: { ...states } });
      expect(plan.ops.filter((o) => o.kind === 'create')).toEqual([]);
      apply(issues, plan.ops, at(1));
    }
    expect(issues.filter((i) => i.state === 'open')).toHaveLength(1);
    // s1 and s2 recovered (their shards recorded ok streaks); s3's shard closes it once s3 has too
    const okState = (server: string, okStreak: number): ServerState => {
      const st = raisedState(server, 1);
      const f = st.findings[fp(server)];
      if (f) Object.assign(f, { status: 'resolved', severity: 'ok', okStreak, streak: 0 });
      return st;
    };
    states.s1 = okState('s1', 2);
    states.s2 = okState('s2', 2);
    const notYet = planIssues(
      runRecord({ runId: 'r3', at: at(2), servers: ['s3'], raised: [], okStreaks: { [fp('s3')]: 1 } }),
      issues,
      { ...opts(at(2)), fleetStates: { ...states } },
    );
    expect(notYet.ops).toEqual([]);
    const done = planIssues(
      runRecord({ runId: 'r4', at: at(3), servers: ['s3'], raised: [], okStreaks: { [fp('s3')]: 2 } }),
      issues,
      { ...opts(at(3)), fleetStates: { ...states } },
    );
    expect(done.ops).toMatchObject([{ kind: 'update', update: { state: 'closed' } }]);
  });

  it('two shards that opened the same issue at once: the younger is closed as a duplicate', () => {
    const body = (n: number) => `${keyMarker('fleet/disk//')}\nshard ${n}`;
    const issues: IssueSnapshot[] = [
      { number: 4, state: 'open', title: 'a', body: body(1), labels: ['claudeops'] },
      { number: 5, state: 'open', title: 'b', body: body(2), labels: ['claudeops'] },
    ];
    const raised = ['a', 'b', 'c'].map((server) => ({ ...disk, server }));
    const plan = planIssues(
      runRecord({ runId: 'r1', at: at(0), servers: ['a', 'b', 'c'], raised }),
      issues,
      opts(at(0)),
    );
    const dup = plan.ops.find((o) => o.kind === 'update' && o.number === 5);
    expect(dup).toMatchObject({
      update: { state: 'closed' },
      comment: 'Duplicate of #4 (opened by a parallel shard at the same time).',
    });
  });

  it('keeps labels people added, and finds issues by marker only', () => {
    const body = `${keyMarker('web1/disk//')}\nhand-edited`;
    const issues: IssueSnapshot[] = [
      { number: 7, state: 'open', title: 'x', body, labels: ['claudeops', 'severity:warning', 'team:infra'] },
      {
        number: 8,
        state: 'open',
        title: 'web1 disk / (no marker)',
        body: 'about web1/disk//',
        labels: ['claudeops'],
      },
    ];
    const plan = planIssues(runRecord(base('r1', 0, { raised: [disk] })), issues, opts(at(0)));
    expect(plan.ops).toHaveLength(1);
    expect(plan.ops[0]).toMatchObject({ kind: 'update', number: 7 });
    const op = plan.ops[0];
    if (op?.kind !== 'update') throw new Error('expected update');
    expect(op.update.labels).toEqual(['team:infra', 'claudeops', 'severity:critical', 'server:web1']);
  });
});
