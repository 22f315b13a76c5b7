/**
 * Scenario tests of the BUNDLED action (dist/index.js, dist/post.js under Node 24, as a runner
 * runs them) against the fake GitHub (every request validated against GitHub's OpenAPI
 * description) and a bare git repository standing in for the repository's git remote. The server
 * is this machine (`transport: local`); its health is a custom check reading a file the test
 * writes. CLAUDEOPS_GITHUB_WAIT_SCALE shrinks Octokit's retry, rate-limit and write-spacing waits
 * (same logic, shorter clock).
 *
 * Issue 6, "Scenario tests with the bundled action": issue lifecycle; approval PR → merge →
 * execute-approved exactly once; GitHub failing mid-run; the post step after a crashed main step.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RunJournal } from '../../src/adapters/journal.js';
import { parseServerState } from '../../src/core/memory/server-state.js';
import { type FakeGitHub, type FakeIssue, startFakeGitHub } from '../support/fake-github.js';
import {
  type BundleRun,
  frontMatter,
  git,
  makeWorkspace,
  ROOT,
  runBundle,
  stateFile,
  type Workspace,
} from '../support/runner.js';

const OWNER = 'acme';
const REPO = 'fleet';
const TOKEN = 'test-token';
const BRANCH = 'claudeops-state';

interface Lab {
  ws: Workspace;
  gh: FakeGitHub;
  /** a directory outside the workspace: the "server's" files */
  dir: string;
  setHealth(value: 0 | 1): void;
  run(inputs?: Record<string, string>, env?: Record<string, string>): Promise<BundleRun>;
}

interface LabOptions {
  mode?: 'report' | 'safe' | 'full';
  /** adds the repository playbook restart-app (verifies the custom check) at this risk */
  remediation?: 'low' | 'medium' | 'high';
  /** what restart-app does after recording that it ran (default: repairs the fault) */
  effect?: string;
  /** github.approval_expiry (default 72h) */
  expiry?: string;
}

const labs: Lab[] = [];
let runCounter = 5000;

beforeAll(() => {
  if (!existsSync(join(ROOT, 'dist/index.js')))
    throw new Error('dist/index.js is missing: run npm run bundle');
});

afterEach(async () => {
  for (const lab of labs.splice(0)) {
    await lab.gh.close();
    rmSync(lab.dir, { recursive: true, force: true });
    rmSync(lab.ws.dir, { recursive: true, force: true });
  }
});

/**
 * One `transport: local` server whose health the test controls: the custom check `app-health`
 * prints the number in <dir>/health (0 ok, 1 critical). The playbook, when configured, records
 * that it ran and repairs the fault.
 */
function config(dir: string, o: LabOptions): string {
  const health = join(dir, 'health');
  const remediation = o.remediation
    ? `remediations:
  restart-app:
    command: "echo ran >> ${join(dir, 'executed')} && ${o.effect ?? `echo 0 > ${health}`}"
    risk: ${o.remediation}
    verify: [check]
    cooldown: 1s
`
    : '';
  return `version: 1
mode: ${o.mode ?? 'report'}
servers:
  - name: runner
    transport: local
    thresholds: { disk: { warn: 99, crit: 100 }, inodes: { warn: 99, crit: 100 }, memory: { warn: 99, crit: 100 }, load: { warn: 1000, crit: 1000 } }
    checks:
      - { name: app-health, command: "cat ${health}", crit: "> 0" }
github: { close_after_ok_runs: 2${o.expiry ? `, approval_expiry: ${o.expiry}` : ''} }
${remediation}`;
}

async function startLab(o: LabOptions = {}): Promise<Lab> {
  const gh = await startFakeGitHub({ owner: OWNER, repo: REPO, token: TOKEN });
  const dir = mkdtempSync(join(tmpdir(), 'claudeops-server-'));
  const ws = await makeWorkspace(config(dir, o));
  const lab: Lab = {
    ws,
    gh,
    dir,
    setHealth: (value) => writeFileSync(join(dir, 'health'), `${value}\n`),
    run: (inputs = {}, env = {}) =>
      runBundle(
        'index.js',
        ws,
        { 'github-token': TOKEN, ...inputs },
        {
          GITHUB_API_URL: gh.url,
          GITHUB_REPOSITORY: `${OWNER}/${REPO}`,
          GITHUB_RUN_ID: String(runCounter++),
          CLAUDEOPS_GITHUB_WAIT_SCALE: '0.01',
          ...env,
        },
      ),
  };
  labs.push(lab);
  return lab;
}

function commentsOn(gh: FakeGitHub, issue: number): string[] {
  return gh.state.comments.filter((c) => c.issueNumber === issue).map((c) => c.body);
}

/** GitHub and origin are one repository: the fake's copy of the state branch follows origin's. */
async function mirrorStateBranch(lab: Lab): Promise<void> {
  const names = (await git(lab.ws.origin, 'ls-tree', '-r', '--name-only', BRANCH))
    .split('\n')
    .filter(Boolean);
  const files: Record<string, string> = {};
  for (const name of names) files[name] = `${await stateFile(lab.ws, name)}\n`;
  lab.gh.seedBranch(BRANCH, files);
}

/** A direct push to origin's state branch (what anything holding `contents: write` can do). */
async function pushToState(lab: Lab, files: Record<string, string>, message: string): Promise<void> {
  const clone = mkdtempSync(join(lab.ws.dir, 'push-'));
  await git(lab.ws.dir, 'clone', '-q', '--branch', BRANCH, lab.ws.origin, clone);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(clone, path)), { recursive: true });
    writeFileSync(join(clone, path), content);
  }
  await git(clone, 'add', '--', ...Object.keys(files));
  await git(clone, 'commit', '-qm', message);
  await git(clone, 'push', '-q', 'origin', BRANCH);
}

/**
 * The merge button: the fake merges the PR (as `by`), and the files it brought land on origin's
 * state branch as a real commit (what GitHub's merge commit does to the repository the runner clones).
 */
async function mergeApproval(lab: Lab, pull: number, by?: string): Promise<string[]> {
  const pr = lab.gh.state.issues.find((i) => i.number === pull)?.pull;
  if (!pr) throw new Error(`#${pull} is not a pull request`);
  const proposed = lab.gh.files(pr.head);
  const before = lab.gh.files(pr.base);
  const added = Object.keys(proposed).filter((p) => proposed[p] !== before[p]);
  lab.gh.mergePull(pull, by);
  await pushToState(
    lab,
    Object.fromEntries(added.map((path) => [path, proposed[path] ?? ''])),
    `Merge pull request #${pull} from ${OWNER}/${pr.head}`,
  );
  return added;
}

/**
 * A healthy run (creating the state branch GitHub and origin share), then the fault: the rules
 * planner picks the repository's high-risk playbook, the gate asks a human, a PR proposes it; a
 * human merges it.
 */
async function proposeAndMerge(
  lab: Lab,
  o: { merge?: false; by?: string } = {},
): Promise<{ pr: FakeIssue; approvalPath: string; proposed: string }> {
  const { gh, ws } = lab;
  lab.setHealth(0);
  const r0 = await lab.run();
  expect(r0.exitCode, r0.stdout).toBe(0);
  await mirrorStateBranch(lab);

  lab.setHealth(1);
  const r1 = await lab.run();
  expect(r1.exitCode, r1.stdout).toBe(0);
  expect(r1.outputs.actions).toBe('0');
  expect(existsSync(join(lab.dir, 'executed'))).toBe(false);
  const pulls = gh.state.issues.filter((i) => i.pull);
  expect(pulls).toHaveLength(1);
  const pr = pulls[0];
  if (!pr?.pull) throw new Error('no approval PR');
  expect(pr.pull.base).toBe(BRANCH);
  expect(pr.pull.head).toMatch(/^claudeops\/approve-/);
  expect(pr.title).toContain('restart-app');
  const approvalPath = `approvals/${pr.pull.head.replace('claudeops/approve-', '')}.md`;
  expect(Object.keys(gh.files(pr.pull.head))).toContain(approvalPath);
  expect(frontMatter(gh.files(pr.pull.head)[approvalPath] ?? '')).toMatchObject({
    server: 'runner',
    action: 'restart-app',
    risk: 'high',
    status: 'pending',
  });

  const proposed = gh.files(pr.pull.head)[approvalPath] ?? '';
  if (o.merge === false) return { pr, approvalPath, proposed };
  expect(await mergeApproval(lab, pr.number, o.by)).toEqual([approvalPath]);
  expect(frontMatter(await stateFile(ws, approvalPath))).toMatchObject({ status: 'pending' });
  return { pr, approvalPath, proposed };
}

const FINGERPRINT = 'runner/check/app-health';
const ISSUE_FILE = 'issues/runner--check--app-health.md';

describe('scenarios with the bundled action and a fake GitHub', () => {
  it('fault → one issue → no duplicate → closed after ok runs → reopened on recurrence', async () => {
    const lab = await startLab();
    const { gh, ws } = lab;
    const managed = () => gh.state.issues.filter((i) => !i.pull && i.labels.includes('claudeops'));

    // 1. the fault appears: one issue, labelled
    lab.setHealth(1);
    const r1 = await lab.run();
    expect(r1.exitCode, r1.stdout).toBe(0);
    expect(r1.outputs.status).toBe('critical');
    expect(managed()).toHaveLength(1);
    const issue = managed()[0];
    if (!issue) throw new Error('no issue');
    expect(JSON.parse(r1.outputs.issues ?? '')).toEqual([issue.number]);
    expect(issue.state).toBe('open');
    expect(issue.labels).toEqual(expect.arrayContaining(['claudeops', 'severity:critical', 'server:runner']));
    expect(issue.body).toContain(`<!-- claudeops:fingerprint=${FINGERPRINT} -->`);
    expect(issue.title).toContain('app-health');
    const opened = await stateFile(ws, ISSUE_FILE);
    expect(frontMatter(opened)).toMatchObject({
      fingerprint: FINGERPRINT,
      status: 'open',
      severity: 'critical',
    });

    // 2. still failing: no second issue, at most one comment
    const r2 = await lab.run();
    expect(r2.exitCode, r2.stdout).toBe(0);
    expect(r2.outputs.status).toBe('critical');
    expect(managed()).toHaveLength(1);
    expect([[], [issue.number]]).toContainEqual(JSON.parse(r2.outputs.issues ?? ''));
    expect(commentsOn(gh, issue.number).length).toBeLessThanOrEqual(1);
    expect(issue.state).toBe('open');

    // 3. fixed: the first ok run does not close it yet (close_after_ok_runs: 2)
    lab.setHealth(0);
    const r3 = await lab.run();
    expect(r3.exitCode, r3.stdout).toBe(0);
    expect(r3.outputs.status).toBe('ok');
    expect(JSON.parse(r3.outputs.issues ?? '')).toEqual([]);
    expect(issue.state).toBe('open');

    // 4. the second ok run closes it, saying how long it lasted
    const commentsBefore = commentsOn(gh, issue.number).length;
    const r4 = await lab.run();
    expect(r4.exitCode, r4.stdout).toBe(0);
    expect(JSON.parse(r4.outputs.issues ?? '')).toEqual([issue.number]);
    expect(issue.state).toBe('closed');
    expect(issue.stateReason).toBe('completed');
    const closing = commentsOn(gh, issue.number).slice(commentsBefore);
    expect(closing).toHaveLength(1);
    expect(closing[0]).toMatch(/resolved after \d+/i);
    expect(closing[0]).toContain('ok for 2 consecutive runs');
    expect(frontMatter(await stateFile(ws, ISSUE_FILE))).toMatchObject({ status: 'resolved' });

    // 5. the fault recurs: the same issue is reopened, no new one
    lab.setHealth(1);
    const r5 = await lab.run();
    expect(r5.exitCode, r5.stdout).toBe(0);
    expect(JSON.parse(r5.outputs.issues ?? '')).toEqual([issue.number]);
    expect(managed()).toHaveLength(1);
    expect(issue.state).toBe('open');
    expect(issue.stateReason).toBe('reopened');
    expect(commentsOn(gh, issue.number).at(-1)).toMatch(/Recurred/);
    const reopened = await stateFile(ws, ISSUE_FILE);
    expect(frontMatter(reopened)).toMatchObject({ status: 'open', severity: 'critical' });

    expect(gh.violations).toEqual([]);
  });

  it('risky fix → approval PR → merged → executed once across three runs; GitHub down or a replayed file runs nothing', async () => {
    const lab = await startLab({ mode: 'safe', remediation: 'high' });
    const { gh, ws } = lab;
    const executed = join(lab.dir, 'executed');
    const pullsOf = () => gh.state.issues.filter((i) => i.pull);
    const { pr, approvalPath, proposed } = await proposeAndMerge(lab);
    expect(pr.title).toContain('high risk');

    // GitHub cannot be asked: nothing runs, the plan stays pending, the summary says why
    const down = await lab.run({ task: 'execute-approved' }, { GITHUB_API_URL: 'http://127.0.0.1:9' });
    expect(existsSync(executed)).toBe(false);
    expect(frontMatter(await stateFile(ws, approvalPath))).toMatchObject({ status: 'pending' });
    expect(down.summary).toMatch(/nothing executed/);

    // execute-approved runs it once, comments on the PR, records the outcome
    const r2 = await lab.run({ task: 'execute-approved' });
    expect(r2.exitCode, r2.stdout).toBe(0);
    expect(r2.outputs.actions).toBe('1');
    expect(readFileSync(executed, 'utf8')).toBe('ran\n');
    const comments = commentsOn(gh, pr.number);
    expect(comments).toHaveLength(2);
    expect(comments[0]).toContain('<!-- claudeops:executing=');
    expect(comments[1]).toContain('restart-app');
    expect(comments[1]).toMatch(/executed, fixed/);
    const recorded = await stateFile(ws, approvalPath);
    expect(frontMatter(recorded)).toMatchObject({ status: 'executed', outcome: 'fixed' });

    // the second and third execute-approved runs find nothing pending
    for (const _ of [1, 2]) {
      const again = await lab.run({ task: 'execute-approved' });
      expect(again.exitCode, again.stdout).toBe(0);
      expect(again.outputs.actions).toBe('0');
    }
    expect(readFileSync(executed, 'utf8')).toBe('ran\n');
    expect(commentsOn(gh, pr.number)).toHaveLength(2);
    expect(await stateFile(ws, approvalPath)).toBe(recorded);
    expect(pullsOf()).toHaveLength(1);

    // someone pushes the merged file back, status pending and same blob: the PR says it ran
    await pushToState(lab, { [approvalPath]: proposed }, 'replay the approval');
    const replay = await lab.run({ task: 'execute-approved' });
    expect(replay.exitCode, replay.stdout).toBe(0);
    expect(readFileSync(executed, 'utf8')).toBe('ran\n');
    expect(frontMatter(await stateFile(ws, approvalPath))).toMatchObject({
      status: 'denied',
      outcome: expect.stringMatching(/already executed it: at most once/),
    });

    expect(gh.violations).toEqual([]);
  });

  for (const [fault, label] of [
    ['502', 'a 502'],
    ['rate-limit', 'a 403 rate limit'],
  ] as const) {
    it(`GitHub answering ${label} mid-run: the record is still pushed, the summary says what failed, exit 0`, async () => {
      const lab = await startLab();
      const { gh, ws } = lab;
      lab.setHealth(1);
      // reading issues works; creating one fails on every attempt (the first and both retries)
      gh.inject(fault, { times: 3, match: /^POST \/repos\/acme\/fleet\/issues$/ });
      const r1 = await lab.run();
      expect(r1.exitCode, r1.stdout).toBe(0);
      expect(r1.outputs.status).toBe('critical');
      expect(r1.outputs.issues).toBe('[]');
      const attempts = gh.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/issues'));
      expect(attempts.map((r) => r.status)).toEqual(fault === '502' ? [502, 502, 502] : [403, 403, 403]);
      expect(gh.state.issues).toEqual([]);

      // the record is on origin's state branch, in this run's commit
      const report = await stateFile(ws, r1.outputs.report ?? '');
      expect(report).toContain('app-health');
      expect(await git(ws.origin, 'log', '-1', '--format=%s', BRANCH)).toContain(
        `claudeops check: ${frontMatter(report).run}`,
      );
      expect(frontMatter(await stateFile(ws, ISSUE_FILE))).toMatchObject({ status: 'open' });

      // the job summary says what failed
      expect(r1.summary).toContain('This run had problems');
      expect(r1.summary).not.toContain(TOKEN);
      expect(r1.summary).toMatch(/GitHub API failed: create issue: (502|403)/);
      if (fault === 'rate-limit') expect(r1.summary).toMatch(/rate limit/i);

      // GitHub is back: the next run opens the issue, once
      const r2 = await lab.run();
      expect(r2.exitCode, r2.stdout).toBe(0);
      expect(gh.state.issues).toHaveLength(1);
      expect(JSON.parse(r2.outputs.issues ?? '')).toEqual([gh.state.issues[0]?.number]);
      expect(r2.summary).not.toContain('This run had problems');

      expect(gh.violations).toEqual([]);
    });
  }

  it('post step: a journal a crashed main step left in RUNNER_TEMP lands on the state branch', async () => {
    const lab = await startLab();
    const { ws } = lab;
    lab.setHealth(0);
    const r0 = await lab.run();
    expect(r0.exitCode, r0.stdout).toBe(0);
    const tipBefore = await git(ws.origin, 'rev-parse', BRANCH);

    // the crashed run: it loaded state/runner.json, then staged its records and died
    const runId = '7001';
    const parsed = parseServerState(await stateFile(ws, 'state/runner.json'), 'runner');
    if (!parsed.ok) throw new Error(parsed.error);
    const base = parsed.state;
    const ours = {
      ...base,
      runs: base.runs + 1,
      recentRuns: [...base.recentRuns, runId],
      lastRun: new Date().toISOString(),
    };
    const journal = RunJournal.open(ws.temp, runId);
    journal.setBase({ 'state/runner.json': base });
    const day = new Date().toISOString().slice(0, 10);
    const reportPath = `health/${day}/235959-${runId}.md`;
    const actionLog = `actions/${day}/235959-runner-restart-app-${runId}.md`;
    await journal.stage(
      [
        { path: reportPath, content: `---\nrun: '${runId}'\nstatus: critical\n---\n# crashed run\n` },
        { path: actionLog, content: '# restart-app on runner\n\nexit code: 0\n' },
        { path: 'state/runner.json', content: `${JSON.stringify(ours, null, 2)}\n` },
      ],
      `claudeops check: ${runId} (1 findings, 1 actions)`,
    );
    expect(existsSync(journal.file)).toBe(true);

    const post = await runBundle('post.js', ws, { 'github-token': TOKEN }, { GITHUB_RUN_ID: runId });
    expect(post.exitCode, post.stdout).toBe(0);
    expect(post.stdout).not.toContain('::warning::');
    expect(await git(ws.origin, 'rev-parse', `${BRANCH}~1`)).toBe(tipBefore);
    expect(await git(ws.origin, 'log', '-1', '--format=%an|%s', BRANCH)).toBe(
      `claudeops[bot]|claudeops check: ${runId} (1 findings, 1 actions) (recovered from the run journal by the post step)`,
    );
    expect(await stateFile(ws, reportPath)).toContain('# crashed run');
    expect(await stateFile(ws, actionLog)).toContain('restart-app');
    const state = JSON.parse(await stateFile(ws, 'state/runner.json')) as {
      runs: number;
      recentRuns: string[];
    };
    expect(state.runs).toBe(base.runs + 1);
    expect(state.recentRuns).toContain(runId);
    expect(existsSync(journal.file)).toBe(false);

    // nothing left: a second post step writes nothing
    const again = await runBundle('post.js', ws, { 'github-token': TOKEN }, { GITHUB_RUN_ID: runId });
    expect(again.exitCode).toBe(0);
    expect(await git(ws.origin, 'rev-list', '--count', BRANCH)).toBe('2');
  });

  it('post step: a main step killed while remediating still leaves its record on the state branch', async () => {
    // the playbook kills the main step's Node process (the shell's parent, started by this test):
    // a runner dying mid-action
    const lab = await startLab({ mode: 'safe', remediation: 'low', effect: 'kill -9 $PPID' });
    const { ws } = lab;
    lab.setHealth(0);
    expect((await lab.run()).exitCode).toBe(0);

    lab.setHealth(1);
    const runId = '7002';
    const crashed = await lab.run({}, { GITHUB_RUN_ID: runId });
    expect(crashed.exitCode).not.toBe(0);
    expect(crashed.outputs.status).toBeUndefined();
    expect(readFileSync(join(lab.dir, 'executed'), 'utf8')).toBe('ran\n');
    const files = () => git(ws.origin, 'ls-tree', '-r', '--name-only', BRANCH);
    expect(await files()).not.toContain(`-${runId}.md`);

    const post = await runBundle('post.js', ws, { 'github-token': TOKEN }, { GITHUB_RUN_ID: runId });
    expect(post.exitCode, post.stdout).toBe(0);
    expect(post.stdout).not.toContain('::warning::');
    const landed = (await files()).split('\n');
    const report = landed.find((f) => f.startsWith('health/') && f.endsWith(`-${runId}.md`));
    expect(report).toBeDefined();
    const text = await stateFile(ws, report ?? '');
    expect(frontMatter(text)).toMatchObject({ run: runId, status: 'critical' });
    expect(text).toContain('app-health');
    // what was started on the server is on record: its action log, and an attempt the cooldown counts
    const actionLog = landed.find(
      (f) => f.startsWith('actions/') && f.endsWith(`-runner-restart-app-${runId}.md`),
    );
    expect(actionLog).toBeDefined();
    const log = await stateFile(ws, actionLog ?? '');
    expect(log).toContain('kill -9 $PPID');
    expect(log).toContain('the run ended while the command was running');
    const state = JSON.parse(await stateFile(ws, 'state/runner.json')) as {
      recentRuns: string[];
      remediation: Record<string, { attempts: string[]; lastOutcome?: string }>;
    };
    expect(state.recentRuns).toContain(runId);
    expect(state.remediation['restart-app:-']?.attempts).toHaveLength(1);
    expect(await git(ws.origin, 'log', '-1', '--format=%s', BRANCH)).toContain(
      'recovered from the run journal',
    );
  });

  it('post step: an approved plan whose run died mid-command is recorded as started, never run twice', async () => {
    const lab = await startLab({ mode: 'safe', remediation: 'high', effect: 'kill -9 $PPID' });
    const { gh, ws } = lab;
    const { pr, approvalPath } = await proposeAndMerge(lab);

    const runId = '7003';
    const crashed = await lab.run({ task: 'execute-approved' }, { GITHUB_RUN_ID: runId });
    expect(crashed.exitCode).not.toBe(0);
    expect(readFileSync(join(lab.dir, 'executed'), 'utf8')).toBe('ran\n');
    const post = await runBundle('post.js', ws, { 'github-token': TOKEN }, { GITHUB_RUN_ID: runId });
    expect(post.exitCode, post.stdout).toBe(0);
    expect(frontMatter(await stateFile(ws, approvalPath))).toMatchObject({
      status: 'executed',
      handled_by_run: runId,
    });

    // the next execute-approved run leaves it alone: it ran once already
    const next = await lab.run({ task: 'execute-approved' });
    expect(next.exitCode, next.stdout).toBe(0);
    expect(next.outputs.actions).toBe('0');
    expect(readFileSync(join(lab.dir, 'executed'), 'utf8')).toBe('ran\n');
    // only the "executing" marker the crashed run left before the command
    expect(commentsOn(gh, pr.number)).toEqual([expect.stringContaining('<!-- claudeops:executing=')]);
    expect(gh.violations).toEqual([]);
  });
});

/** A plan file written by hand, as someone with push access to the state branch could. */
function plantedPlan(id: string): string {
  const now = Date.now();
  return [
    '---',
    `id: ${id}`,
    'server: runner',
    'action: restart-app',
    'params: {}',
    'risk: high',
    `created: ${new Date(now).toISOString()}`,
    `expires: ${new Date(now + 86_400_000).toISOString()}`,
    `plan: runner-restart-app-00000000`,
    "run: '1'",
    '---',
    '# Approve restart-app',
    '',
  ].join('\n');
}

interface RefusalCase {
  name: string;
  options?: LabOptions;
  /** prepares the state branch; returns the approval file that must not run */
  arrange(lab: Lab): Promise<string>;
  status: 'denied' | 'expired';
  reason: RegExp;
}

const REFUSALS: RefusalCase[] = [
  {
    name: 'a plan pushed to the state branch without a pull request (no status line)',
    async arrange(lab) {
      lab.setHealth(0);
      expect((await lab.run()).exitCode).toBe(0);
      await pushToState(lab, { 'approvals/planted-1.md': plantedPlan('planted-1') }, 'plant');
      return 'approvals/planted-1.md';
    },
    status: 'denied',
    reason: /no pull request added approvals\/planted-1\.md/,
  },
  {
    name: 'a pull request closed without merging, its file pushed anyway',
    async arrange(lab) {
      const { pr, approvalPath, proposed } = await proposeAndMerge(lab, { merge: false });
      lab.gh.closePull(pr.number);
      await pushToState(lab, { [approvalPath]: proposed }, 'push the declined plan');
      return approvalPath;
    },
    status: 'denied',
    reason: /closed without merging/,
  },
  {
    name: 'a merged approval edited on the branch afterwards',
    async arrange(lab) {
      const { approvalPath, proposed } = await proposeAndMerge(lab);
      await pushToState(lab, { [approvalPath]: `${proposed}\nalso: tweaked\n` }, 'edit after merge');
      return approvalPath;
    },
    status: 'denied',
    reason: /edited after the merge/,
  },
  {
    name: 'a copy whose front-matter id is not its file name',
    async arrange(lab) {
      const { proposed } = await proposeAndMerge(lab, { merge: false });
      await pushToState(lab, { 'approvals/copy.md': proposed }, 'copy a proposal');
      return 'approvals/copy.md';
    },
    status: 'denied',
    reason: /does not match its file name approvals\/copy\.md/,
  },
  {
    name: 'an approval merged after it expired',
    options: { expiry: '1s' },
    async arrange(lab) {
      const { approvalPath } = await proposeAndMerge(lab);
      return approvalPath;
    },
    status: 'expired',
    reason: /expired/,
  },
  {
    name: 'a pull request merged by an account with read permission only',
    async arrange(lab) {
      lab.gh.state.collaborators.set('reader', 'read');
      const { approvalPath } = await proposeAndMerge(lab, { by: 'reader' });
      return approvalPath;
    },
    status: 'denied',
    reason: /merged by reader, whose permission is read \(write needed\)/,
  },
];

describe('approvals: only a merged pull request by someone with write access runs anything', () => {
  for (const c of REFUSALS) {
    it(`refuses ${c.name}, with the reason recorded, twice over`, async () => {
      const lab = await startLab({ mode: 'safe', remediation: 'high', ...c.options });
      const path = await c.arrange(lab);
      for (const _ of [1, 2]) {
        const r = await lab.run({ task: 'execute-approved' });
        expect(r.exitCode, r.stdout).toBe(0);
        expect(r.outputs.actions).toBe('0');
      }
      expect(existsSync(join(lab.dir, 'executed'))).toBe(false);
      expect(frontMatter(await stateFile(lab.ws, path))).toMatchObject({
        status: c.status,
        outcome: expect.stringMatching(c.reason),
      });
      expect(lab.gh.violations).toEqual([]);
    });
  }
});
