import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github.js';
import { type BundleRun, git, makeWorkspace, runBundle, type Workspace } from '../support/runner.js';

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
}

const labs: Lab[] = [];
let runCounter = 5000;

afterEach(async () => {
  for (const lab of labs.splice(0)) await lab.gh.close();
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
    command: "echo ran >> ${join(dir, 'executed')} && echo 0 > ${health}"
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
    thresholds: { disk: { warn: 99, crit: 100 }, inodes: { warn: 99, crit: 100 }, memory: { warn: 99, crit: 100 } }
    checks:
      - { name: app-health, command: "cat ${health}", crit: "> 0" }
github: { close_after_ok_runs: 2 }
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
          ...env,
        },
      ),
  };
  labs.push(lab);
  return lab;
}

async function stateFile(ws: Workspace, path: string): Promise<string> {
  return git(ws.origin, 'show', `${BRANCH}:${path}`);
}

function frontMatter(text: string): Record<string, unknown> {
  return parse(/^---\n([\s\S]*?)\n---/.exec(text)?.[1] ?? '') as Record<string, unknown>;
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

/**
 * The merge button: the fake merges the PR, and the files it brought land on origin's state
 * branch as a real commit (what GitHub's merge commit does to the repository the runner clones).
 */
async function mergeApproval(lab: Lab, pull: number): Promise<string[]> {
  const pr = lab.gh.state.issues.find((i) => i.number === pull)?.pull;
  if (!pr) throw new Error(`#${pull} is not a pull request`);
  const proposed = lab.gh.files(pr.head);
  const before = lab.gh.files(pr.base);
  const added = Object.keys(proposed).filter((p) => proposed[p] !== before[p]);
  lab.gh.mergePull(pull);
  const clone = join(lab.ws.dir, `merge-${pull}`);
  await git(lab.ws.dir, 'clone', '-q', '--branch', BRANCH, lab.ws.origin, clone);
  for (const path of added) {
    mkdirSync(dirname(join(clone, path)), { recursive: true });
    writeFileSync(join(clone, path), proposed[path] ?? '');
  }
  await git(clone, 'add', '--', ...added);
  await git(clone, 'commit', '-qm', `Merge pull request #${pull} from ${OWNER}/${pr.head}`);
  await git(clone, 'push', '-q', 'origin', BRANCH);
  return added;
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
    expect(JSON.parse(r2.outputs.issues ?? '')).toEqual(expect.arrayContaining([]));
    expect(JSON.parse(r2.outputs.issues ?? '').every((n: number) => n === issue.number)).toBe(true);
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
  it('risky fix → approval PR → merged → executed once by execute-approved → not again', async () => {
    const lab = await startLab({ mode: 'safe', remediation: 'high' });
    const { gh, ws } = lab;
    const executed = join(lab.dir, 'executed');
    const pullsOf = () => gh.state.issues.filter((i) => i.pull);

    // a healthy first run creates the state branch (GitHub and origin hold the same one)
    lab.setHealth(0);
    const r0 = await lab.run();
    expect(r0.exitCode, r0.stdout).toBe(0);
    await mirrorStateBranch(lab);

    // the fault: the rules planner picks the repository's playbook; risk high needs a human
    lab.setHealth(1);
    const r1 = await lab.run();
    console.log(r1.outputs, r1.stdout.slice(-2000), r1.summary);
    expect(r1.exitCode, r1.stdout).toBe(0);
    expect(r1.outputs.actions).toBe('0');
    expect(existsSync(executed)).toBe(false);
    expect(pullsOf()).toHaveLength(1);
    const pr = pullsOf()[0];
    if (!pr?.pull) throw new Error('no approval PR');
    expect(pr.pull.base).toBe(BRANCH);
    expect(pr.pull.head).toMatch(/^claudeops\/approve-/);
    expect(pr.title).toContain('restart-app');
    expect(pr.title).toContain('high risk');
    const id = pr.pull.head.replace('claudeops/approve-', '');
    const approvalPath = `approvals/${id}.md`;
    expect(Object.keys(gh.files(pr.pull.head))).toContain(approvalPath);
    expect(frontMatter(gh.files(pr.pull.head)[approvalPath] ?? '')).toMatchObject({
      server: 'runner',
      action: 'restart-app',
      risk: 'high',
      status: 'pending',
    });

    // a human merges it
    expect(await mergeApproval(lab, pr.number)).toEqual([approvalPath]);
    expect(frontMatter(await stateFile(ws, approvalPath))).toMatchObject({ status: 'pending' });

    // execute-approved runs it once, comments on the PR, records the outcome
    const r2 = await lab.run({ task: 'execute-approved' });
    console.log(r2.outputs, r2.stdout.slice(-2000), r2.summary);
    expect(r2.exitCode, r2.stdout).toBe(0);
    expect(r2.outputs.actions).toBe('1');
    expect(readFileSync(executed, 'utf8')).toBe('ran\n');
    const comments = commentsOn(gh, pr.number);
    expect(comments).toHaveLength(1);
    expect(comments[0]).toContain('restart-app');
    expect(comments[0]).toMatch(/executed, fixed/);
    const recorded = await stateFile(ws, approvalPath);
    expect(frontMatter(recorded)).toMatchObject({ status: 'executed', outcome: 'fixed' });

    // a second execute-approved run finds nothing pending
    const r3 = await lab.run({ task: 'execute-approved' });
    expect(r3.exitCode, r3.stdout).toBe(0);
    expect(r3.outputs.actions).toBe('0');
    expect(readFileSync(executed, 'utf8')).toBe('ran\n');
    expect(commentsOn(gh, pr.number)).toHaveLength(1);
    expect(await stateFile(ws, approvalPath)).toBe(recorded);
    expect(pullsOf()).toHaveLength(1);

    expect(gh.violations).toEqual([]);
  });
});
