/**
 * Where an approval PR comes from and goes to (issue 19): execute-approved with the real Octokit
 * adapter against the fake GitHub (requests and pull-request answers checked against GitHub's
 * OpenAPI description). A real plan file (proposed by the GitHub phase) reaches the state branch
 * through a pull request that is NOT an approval of this repository's state branch; nothing may run:
 *
 *   - merged into `main`, the file then pushed to the state branch, and a pull list that ignores
 *     `?base=` (so the list alone would put the PR among the state branch's);
 *   - merged into the state branch from a fork whose branch is named claudeops/approve-<id>;
 *
 * and, as controls that the checks do not refuse everything: the same fork PR with
 * `github.approvals_from_forks: true`, and the PR the run itself opened.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createOctokitGitHub } from '../../../src/adapters/github-octokit.js';
import { LocalShell } from '../../../src/adapters/local-transport.js';
import { emptyMemory } from '../../../src/core/memory/memory.js';
import type { GitHubApi } from '../../../src/core/ports/index.js';
import { parseApprovalFile } from '../../../src/core/state-branch/approval-file.js';
import { checkApproval } from '../../../src/github/approval-check.js';
import { executeApproved } from '../../../src/github/execute-approved.js';
import { syncGitHub } from '../../../src/github/sync.js';
import { Remediator } from '../../../src/remediate/remediator.js';
import type { RunContext } from '../../../src/run-context.js';
import { type FakeGitHub, startFakeGitHub } from '../../support/fake-github.js';
import { action, runRecord, testConfig } from '../../support/github-records.js';
import { fastTuning } from '../../support/github-tuning.js';

const STATE = 'claudeops-state';
const NOW = new Date('2026-11-21T08:00:00Z');
const ID = 'r1-1';
const BRANCH = `claudeops/approve-${ID}`;
const FILE = `approvals/${ID}.md`;

interface World {
  gh: FakeGitHub;
  api: GitHubApi;
  marker: string;
}
const worlds: World[] = [];

afterEach(async () => {
  for (const w of worlds.splice(0)) {
    expect(w.gh.violations).toEqual([]);
    await w.gh.close();
  }
});

function context(w: World, runId: string, github: Record<string, unknown> = {}): RunContext {
  const fail = () => {
    throw new Error('not used in these tests');
  };
  return {
    config: testConfig(['web1'], {
      remediations: { 'flush-queue': { command: `echo ran >> ${w.marker}`, risk: 'high' } },
      github: { close_after_ok_runs: 2, fleet_issue_min_servers: 3, ...github },
    }),
    inputs: {
      configPath: '',
      task: 'execute-approved',
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
      github: w.api,
      clock: { now: () => NOW, sleep: async () => {} },
      sink: { summary: async () => {}, outputs: () => {} },
    },
    logger: { info: () => {}, warning: () => {}, error: () => {}, group: (_n, fn) => fn() },
    links: { stateUrl: `https://github.test/acme/ops/blob/${STATE}/` },
  };
}

/** A fake GitHub where the run's GitHub phase proposed one high-risk plan (PR from claudeops/approve-r1-1). */
async function proposed(options: { listIgnoresBase?: boolean } = {}): Promise<World & { plan: string }> {
  const gh = await startFakeGitHub({ owner: 'acme', repo: 'ops', now: () => NOW, ...options });
  gh.seedBranch(STATE, { 'README.md': 'state\n' });
  const api = createOctokitGitHub({
    token: 'test-token',
    repository: 'acme/ops',
    baseUrl: gh.url,
    tuning: fastTuning(),
  });
  const marker = join(mkdtempSync(join(tmpdir(), 'claudeops-prov-')), 'ran.log');
  writeFileSync(marker, '');
  const w = { gh, api, marker };
  worlds.push(w);
  const record = runRecord({
    runId: 'r1',
    at: NOW,
    servers: ['web1'],
    raised: [],
    actions: [
      action({
        id: ID,
        server: 'web1',
        action: 'flush-queue',
        risk: 'high',
        decision: 'needs-approval',
        reason: 'risk high always needs approval',
        // what the catalog renders for flush-queue: the file shows it, and only that runs
        command: `echo ran >> ${w.marker}`,
      }),
    ],
  });
  await syncGitHub(
    { ...context(w, 'r1'), inputs: { ...context(w, 'r1').inputs, task: 'check' } },
    record,
    emptyMemory(),
  );
  const plan = gh.files(BRANCH)[FILE];
  if (!plan) throw new Error(`the GitHub phase proposed no ${FILE}`);
  return { ...w, plan };
}

/** Runs execute-approved on what the state branch holds; returns what it made of the plan. */
async function executeOn(w: World, github: Record<string, unknown> = {}) {
  const ctx = context(w, 'r2', github);
  const record = runRecord({ runId: 'r2', at: NOW, servers: ['web1'], raised: [] });
  record.task = 'execute-approved';
  const memory = emptyMemory();
  memory.approvals = Object.entries(w.gh.files(STATE))
    .filter(([path]) => path.startsWith('approvals/'))
    .map(([path, content]) => ({ path, content }));
  const remediator = new Remediator({
    config: ctx.config,
    mode: ctx.mode,
    dryRun: false,
    runId: 'r2',
    clock: ctx.adapters.clock,
    record,
    memory,
    shells: new Map([['web1', new LocalShell('web1', false)]]),
    recheck: async () => [],
    secrets: [],
    settleMs: 0,
  });
  const changes = await executeApproved(ctx, record, memory, (r) => remediator.remediate(r));
  const file = changes.find((c) => c.path === FILE);
  return {
    ran: readFileSync(w.marker, 'utf8') === 'ran\n',
    plan: parseApprovalFile(file?.content ?? ''),
    errors: record.github.errors,
  };
}

describe('an approval counts only from a branch of this repository into the state branch', () => {
  it('refuses a PR merged into main whose file was pushed to the state branch, with a list that ignores ?base=', async () => {
    const w = await proposed({ listIgnoresBase: true });
    const intoMain = w.gh.openPull({ title: 'docs', head: BRANCH, base: 'main', files: { [FILE]: w.plan } });
    w.gh.mergePull(intoMain.number);
    w.gh.seedBranch(STATE, { ...w.gh.files(STATE), [FILE]: w.plan });
    const seen = await w.api.listPulls({ state: 'all', base: STATE });
    expect(seen.map((p) => p.base).sort()).toEqual([STATE, 'main']); // the list really ignored ?base=

    const r = await executeOn(w);
    expect(r.ran).toBe(false);
    expect(r.plan).toMatchObject({ status: 'denied' });
    expect(r.plan?.outcome).toMatch(/pull request #\d+ for approvals\/r1-1\.md is not merged/);
  });

  it('refuses a fork PR named claudeops/approve-<id> merged into the state branch', async () => {
    const w = await proposed();
    const fork = w.gh.openPull({
      title: 'Approve flush-queue',
      head: BRANCH,
      base: STATE,
      files: { [FILE]: w.plan },
      fromRepo: 'mallory/ops',
    });
    w.gh.mergePull(fork.number);
    expect(w.gh.files(STATE)[FILE]).toBe(w.plan);

    const r = await executeOn(w);
    expect(r.ran).toBe(false);
    expect(r.plan).toMatchObject({ status: 'denied' });
    expect(r.plan?.outcome).toBe(
      `not executed: pull request #${fork.number} comes from mallory/ops, not from a branch of acme/ops ` +
        '(github.approvals_from_forks is off)',
    );
  });

  it('runs the same fork PR once github.approvals_from_forks is true', async () => {
    const w = await proposed();
    const fork = w.gh.openPull({
      title: 'Approve flush-queue',
      head: BRANCH,
      base: STATE,
      files: { [FILE]: w.plan },
      fromRepo: 'mallory/ops',
    });
    w.gh.mergePull(fork.number);
    const r = await executeOn(w, { approvals_from_forks: true });
    expect(r.errors).toEqual([]);
    expect(r.plan).toMatchObject({ status: 'executed' });
    expect(r.ran).toBe(true);
  });

  it("runs the run's own PR merged into the state branch (the checks pass a real approval)", async () => {
    const w = await proposed({ listIgnoresBase: true });
    const own = w.gh.state.issues.find((i) => i.pull?.head === BRANCH);
    w.gh.mergePull(own?.number ?? 0);
    const r = await executeOn(w);
    expect(r.errors).toEqual([]);
    expect(r.plan).toMatchObject({ status: 'executed' });
    expect(r.ran).toBe(true);
  });

  it('judges the PR as GitHub describes it when asked, not as the list that found it did', async () => {
    const w = await proposed();
    const own = w.gh.state.issues.find((i) => i.pull?.head === BRANCH);
    if (!own?.pull) throw new Error('no approval PR');
    w.gh.mergePull(own.number);
    const listed = await w.api.listPulls({ state: 'all', base: STATE });
    expect(listed.map((p) => p.base)).toEqual([STATE]);
    // between the list and the check, the PR's base is another branch (an edited base, a stale list)
    own.pull.base = 'main';
    const file = { path: FILE, content: w.gh.files(STATE)[FILE] ?? '' };
    const plan = parseApprovalFile(file.content);
    if (!plan) throw new Error('no plan');
    const verdict = await checkApproval(w.api, file, plan, listed, { stateBranch: STATE, allowForks: false });
    expect(verdict).toMatchObject({
      verdict: 'refused',
      reason: `pull request #${own.number} was merged into main, not into the state branch ${STATE}`,
    });
  });
});
