/**
 * The GitHub side over several simulated runs, with the real Octokit adapter against the fake
 * GitHub (every request checked against GitHub's OpenAPI description).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createOctokitGitHub } from '../../../src/adapters/github-octokit.js';
import { LocalShell } from '../../../src/adapters/local-transport.js';
import { emptyMemory, type Memory } from '../../../src/core/memory/memory.js';
import type { GitHubApi } from '../../../src/core/ports/index.js';
import type { RunRecord } from '../../../src/core/run-record.js';
import { parseApprovalFile } from '../../../src/core/state-branch/approval-file.js';
import { executeApproved } from '../../../src/github/execute-approved.js';
import { syncGitHub } from '../../../src/github/sync.js';
import { Remediator } from '../../../src/remediate/remediator.js';
import type { RunContext } from '../../../src/run-context.js';
import { type FakeGitHub, startFakeGitHub } from '../../support/fake-github.js';
import { action, type RunSpec, runRecord, testConfig } from '../../support/github-records.js';
import { fastTuning } from '../../support/github-tuning.js';

const T0 = Date.parse('2026-11-21T08:00:00Z');
const STATE = 'claudeops-state';

let gh: FakeGitHub;
let api: GitHubApi;
let now = new Date(T0);
let marker: string;

function context(
  runId: string,
  extra: Record<string, unknown> = {},
  task: RunContext['inputs']['task'] = 'check',
): RunContext {
  const fail = () => {
    throw new Error('not used in these tests');
  };
  return {
    config: testConfig(['web1', 'web2'], {
      remediations: { 'flush-queue': { command: `echo ran >> ${marker}`, risk: 'high' } },
      ...extra,
    }),
    inputs: {
      configPath: '',
      task,
      dryRun: false,
      model: 'm',
      stateBranch: STATE,
      githubToken: 'test-token',
    },
    mode: 'safe',
    runId,
    nonce: 'n',
    adapters: {
      transport: { connect: fail },
      state: { load: fail, commit: fail },
      github: api,
      clock: { now: () => now, sleep: async () => {} },
      sink: { summary: async () => {}, outputs: () => {} },
    },
    logger: { info: () => {}, warning: () => {}, error: () => {}, group: (_n, fn) => fn() },
    links: { stateUrl: `https://github.test/acme/ops/blob/${STATE}/` },
  };
}

const disk = {
  server: 'web1',
  check: 'disk',
  target: '/',
  severity: 'critical' as const,
  evidence: 'Use% 97',
};
function spec(runId: string, hours: number, extra: Partial<RunSpec> = {}): RunSpec {
  now = new Date(T0 + hours * 3_600_000);
  return { runId, at: now, servers: ['web1', 'web2'], raised: [], ...extra };
}

/** Runs the GitHub phase of one run; returns the record and the write requests it made. */
async function runSync(record: RunRecord, memory: Memory = emptyMemory()) {
  const before = gh.requests.length;
  await syncGitHub(context(record.runId), record, memory);
  const writes = gh.requests.slice(before).filter((r) => r.method !== 'GET');
  return { record, writes };
}

beforeEach(async () => {
  now = new Date(T0);
  marker = join(mkdtempSync(join(tmpdir(), 'claudeops-gh-')), 'ran.log');
  writeFileSync(marker, '');
  gh = await startFakeGitHub({ owner: 'acme', repo: 'ops', now: () => now });
  gh.seedBranch(STATE, { 'README.md': 'state\n' });
  api = createOctokitGitHub({
    token: 'test-token',
    repository: 'acme/ops',
    baseUrl: gh.url,
    tuning: fastTuning(),
  });
});

afterEach(async () => {
  expect(gh.violations).toEqual([]);
  await gh.close();
});

describe('issue lifecycle over runs', () => {
  it('opens once, stays quiet, comments on change, closes after K ok runs, reopens on recurrence', async () => {
    const r1 = await runSync(runRecord(spec('r1', 0, { raised: [disk] })));
    expect(r1.record.github).toEqual({ issues: [1], pulls: [], errors: [] });
    expect(gh.state.issues).toHaveLength(1);
    expect(gh.state.labels.get('severity:critical')?.color).toBe('b60205');
    expect(gh.state.issues[0]?.labels).toEqual(['claudeops', 'severity:critical', 'server:web1']);
    expect(gh.state.issues[0]?.body).toContain('<!-- claudeops:fingerprint=web1/disk// -->');

    const r2 = await runSync(runRecord(spec('r2', 2, { raised: [disk] })));
    expect(r2.writes).toEqual([]);
    expect(r2.record.github.issues).toEqual([]);

    const act = action({
      id: 'a1',
      server: 'web1',
      action: 'rotate-logs',
      fingerprint: 'web1/disk//',
      outcome: 'not-fixed',
      exitCode: 0,
    });
    const r3 = await runSync(runRecord(spec('r3', 4, { raised: [disk], actions: [act] })));
    expect(r3.writes.map((w) => w.operationId)).toEqual(['issues/update', 'issues/create-comment']);
    expect(gh.state.comments.map((c) => c.body)).toEqual([
      expect.stringContaining('Ran `rotate-logs` on web1: not-fixed'),
    ]);

    const r4 = await runSync(runRecord(spec('r4', 6, { okStreaks: { 'web1/disk//': 1 } })));
    expect(r4.writes).toEqual([]);
    await runSync(runRecord(spec('r5', 8, { okStreaks: { 'web1/disk//': 2 } })));
    expect(gh.state.issues[0]?.state).toBe('closed');
    expect(gh.state.comments.at(-1)?.body).toContain('Resolved after 8h');

    await runSync(runRecord(spec('r6', 30, { raised: [disk] })));
    expect(gh.state.issues).toHaveLength(1);
    expect(gh.state.issues[0]?.state).toBe('open');
    expect(gh.state.comments.at(-1)?.body).toContain('Recurred');
    expect(gh.state.comments).toHaveLength(3);
  });

  it('respects github.issues: false', async () => {
    const record = runRecord(spec('r1', 0, { raised: [disk] }));
    await syncGitHub(context('r1', { github: { issues: false } }), record, emptyMemory());
    expect(gh.requests.filter((r) => r.method !== 'GET')).toEqual([]);
  });
});

describe('GitHub failures mid-run', () => {
  it('a 502 that outlasts the retries is recorded, the other issues still sync, nothing throws', async () => {
    const other = { ...disk, server: 'web2' };
    gh.inject('502', { times: 3, match: /^POST \/repos\/acme\/ops\/issues$/ });
    const { record } = await runSync(runRecord(spec('r1', 0, { raised: [disk, other] })));
    expect(record.github.errors).toEqual([
      expect.stringMatching(/^GitHub API failed: create issue: 502 .*\(issue web1\/disk\/\/\)$/),
    ]);
    expect(gh.state.issues.map((i) => i.title)).toEqual(['[critical] web2: disk / is critical']);
    const retried = gh.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/issues'));
    expect(retried.map((r) => r.status)).toEqual([502, 502, 502, 201]);
  });

  it('a rate limit is waited out and retried; one that persists is recorded without a crash', async () => {
    gh.inject('rate-limit', { times: 1, match: /^GET .*\/issues/ });
    const first = await runSync(runRecord(spec('r1', 0, { raised: [disk] })));
    expect(first.record.github.errors).toEqual([]);
    expect(gh.state.issues).toHaveLength(1);
    gh.inject('rate-limit', { times: 10, match: /^GET .*\/issues/ });
    const second = await runSync(runRecord(spec('r2', 1, { raised: [{ ...disk, severity: 'warning' }] })));
    expect(second.record.github.errors).toEqual([
      expect.stringMatching(/^GitHub API failed: list issues: 403 API rate limit exceeded/),
    ]);
    expect(second.writes).toEqual([]);
  });

  it('the token never appears in an error', async () => {
    const leaky = createOctokitGitHub({
      token: 'ghp_secret_token_value_1234',
      repository: 'acme/ops',
      baseUrl: gh.url,
      tuning: fastTuning(),
    });
    const error = await leaky.listLabels().catch((e: unknown) => e);
    expect(String(error)).toMatch(/GitHub API failed: list labels: 401/);
    expect(String(error)).not.toContain('ghp_secret_token_value_1234');
  });
});

describe('approval pull requests and execute-approved', () => {
  const proposal = (id: string) =>
    action({
      id,
      server: 'web1',
      action: 'flush-queue',
      risk: 'high',
      decision: 'needs-approval',
      reason: 'risk high always needs approval',
      fingerprint: 'web1/disk//',
      // what the catalog renders for flush-queue: the file shows it, and only that runs
      command: `echo ran >> ${marker}`,
      evidence: 'queue 5000',
    });

  function memoryFromBranch(): Memory {
    const memory = emptyMemory();
    memory.approvals = Object.entries(gh.files(STATE))
      .filter(([path]) => path.startsWith('approvals/'))
      .map(([path, content]) => ({ path, content }));
    return memory;
  }

  async function runExecuteApproved(runId: string) {
    const ctx = context(runId, {}, 'execute-approved');
    const record = runRecord({ runId, at: now, servers: ['web1', 'web2'], raised: [] });
    record.task = 'execute-approved';
    const memory = memoryFromBranch();
    const remediator = new Remediator({
      config: ctx.config,
      mode: ctx.mode,
      dryRun: false,
      runId,
      clock: ctx.adapters.clock,
      record,
      memory,
      shells: new Map([['web1', new LocalShell('web1', false)]]),
      recheck: async () => [],
      secrets: [],
      settleMs: 0,
    });
    const changes = await executeApproved(ctx, record, memory, (request) => remediator.remediate(request));
    // what the run's state-branch commit would do
    gh.seedBranch(STATE, {
      ...gh.files(STATE),
      ...Object.fromEntries(changes.map((c) => [c.path, c.content ?? ''])),
    });
    return { record, changes };
  }

  it('opens one PR per plan, executes a merged one exactly once, and comments on the PR', async () => {
    const r1 = await runSync(runRecord(spec('r1', 0, { raised: [disk], actions: [proposal('r1-1')] })));
    expect(r1.record.github.errors).toEqual([]);
    expect(r1.record.github.pulls).toHaveLength(1);
    const pr = gh.state.issues.find((i) => i.pull);
    expect(pr?.pull?.head).toBe('claudeops/approve-r1-1');
    expect(pr?.pull?.base).toBe(STATE);
    const file = gh.files('claudeops/approve-r1-1')['approvals/r1-1.md'] ?? '';
    expect(parseApprovalFile(file)).toMatchObject({
      id: 'r1-1',
      server: 'web1',
      action: 'flush-queue',
      risk: 'high',
      status: 'pending',
      expires: '2026-11-24T08:00:00.000Z',
    });
    expect(file).toContain('queue 5000');

    // the same plan proposed by the next run: no second PR while the first is open
    const r2 = await runSync(runRecord(spec('r2', 1, { raised: [disk], actions: [proposal('r2-1')] })));
    expect(r2.record.github.pulls).toEqual([]);
    expect(gh.state.issues.filter((i) => i.pull)).toHaveLength(1);

    gh.mergePull(pr?.number ?? 0);
    expect(gh.files(STATE)['approvals/r1-1.md']).toBe(file);

    const first = await runExecuteApproved('r3');
    expect(first.record.errors).toEqual([]);
    expect(readFileSync(marker, 'utf8')).toBe('ran\n');
    expect(first.changes.map((c) => c.path)).toEqual(['approvals/r1-1.md']);
    expect(parseApprovalFile(first.changes[0]?.content ?? '')).toMatchObject({
      status: 'executed',
      // no check names what it fixes: a clean exit is not a fix anybody saw
      outcome: 'unverified',
      handled_by_run: 'r3',
    });
    expect(first.record.actions).toMatchObject([
      { action: 'flush-queue', decision: 'execute', requestedBy: 'approval', outcome: 'unverified' },
    ]);
    const comments = gh.state.comments.filter((c) => c.issueNumber === pr?.number);
    expect(comments.map((c) => c.body)).toEqual([
      expect.stringContaining('<!-- claudeops:executing=r1-1 -->'),
      expect.stringContaining('executed, unverified'),
    ]);

    const second = await runExecuteApproved('r4');
    expect(second.changes).toEqual([]);
    expect(second.record.actions).toEqual([]);
    expect(readFileSync(marker, 'utf8')).toBe('ran\n');
    expect(gh.state.comments.filter((c) => c.issueNumber === pr?.number)).toHaveLength(2);
  });

  it('records a PR closed without merging as declined, and an expired approval as expired, once each', async () => {
    await runSync(runRecord(spec('r1', 0, { raised: [disk], actions: [proposal('r1-1')] })));
    const declinedPr = gh.state.issues.find((i) => i.pull)?.number ?? 0;
    gh.closePull(declinedPr);
    // declined plans are not proposed again right away
    const again = await runSync(runRecord(spec('r2', 1, { raised: [disk], actions: [proposal('r2-1')] })));
    expect(again.record.github.pulls).toEqual([]);

    const other = action({ ...proposal('r3-1'), params: {}, server: 'web2' });
    await runSync(runRecord(spec('r3', 2, { actions: [other] })));
    const expiringPr = gh.state.issues.filter((i) => i.pull).at(-1)?.number ?? 0;
    gh.mergePull(expiringPr);
    now = new Date(T0 + 100 * 3_600_000);

    const run = await runExecuteApproved('r4');
    const byPath = Object.fromEntries(
      run.changes.map((c) => [c.path, parseApprovalFile(c.content ?? '')?.status]),
    );
    expect(byPath).toEqual({ 'approvals/r3-1.md': 'expired', 'approvals/r1-1.md': 'declined' });
    expect(readFileSync(marker, 'utf8')).toBe('');
    expect(gh.state.comments.filter((c) => c.issueNumber === declinedPr).map((c) => c.body)).toEqual([
      expect.stringContaining('declined'),
    ]);
    expect(gh.state.comments.filter((c) => c.issueNumber === expiringPr).map((c) => c.body)).toEqual([
      expect.stringContaining('expired'),
    ]);

    const rerun = await runExecuteApproved('r5');
    expect(rerun.changes).toEqual([]);
  });
});
