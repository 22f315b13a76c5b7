/**
 * The bundled action against the fake GitHub and a bare git remote, for the scenario files
 * (test/e2e/github-scenarios.test.ts, test/e2e/approval-refusals.test.ts): one `transport: local`
 * server whose health the test controls, the state branch GitHub and origin share, the merge
 * button. Two files so the slow scenarios run on two workers.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { expect } from 'vitest';
import { type FakeGitHub, type FakeIssue, startFakeGitHub } from './fake-github.js';
import {
  type BundleRun,
  frontMatter,
  git,
  makeWorkspace,
  ROOT,
  runBundle,
  stateFile,
  type Workspace,
} from './runner.js';

export const OWNER = 'acme';
export const REPO = 'fleet';
export const TOKEN = 'test-token';
export const BRANCH = 'claudeops-state';

export interface Lab {
  ws: Workspace;
  gh: FakeGitHub;
  /** a directory outside the workspace: the "server's" files */
  dir: string;
  setHealth(value: 0 | 1): void;
  run(inputs?: Record<string, string>, env?: Record<string, string>): Promise<BundleRun>;
}

export interface LabOptions {
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

/** beforeAll: the scenarios run the bundle, which helpers and CI build but never commit mid-session. */
export function requireBundle(): void {
  if (!existsSync(join(ROOT, 'dist/index.js')))
    throw new Error('dist/index.js is missing: run npm run bundle');
}

/** afterEach: every lab the test started, closed and removed. */
export async function closeLabs(): Promise<void> {
  for (const lab of labs.splice(0)) {
    await lab.gh.close();
    rmSync(lab.dir, { recursive: true, force: true });
    rmSync(lab.ws.dir, { recursive: true, force: true });
  }
}

/**
 * One `transport: local` server whose health the test controls: the custom check `app-health`
 * prints the number in <dir>/health (0 ok, 1 critical). The playbook, when configured, records
 * that it ran and repairs the fault.
 */
export function config(dir: string, o: LabOptions): string {
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

export async function startLab(o: LabOptions = {}): Promise<Lab> {
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

export function commentsOn(gh: FakeGitHub, issue: number): string[] {
  return gh.state.comments.filter((c) => c.issueNumber === issue).map((c) => c.body);
}

/** GitHub and origin are one repository: the fake's copy of the state branch follows origin's. */
export async function mirrorStateBranch(lab: Lab): Promise<void> {
  const names = (await git(lab.ws.origin, 'ls-tree', '-r', '--name-only', BRANCH))
    .split('\n')
    .filter(Boolean);
  const files: Record<string, string> = {};
  for (const name of names) files[name] = `${await stateFile(lab.ws, name)}\n`;
  lab.gh.seedBranch(BRANCH, files);
}

/** A direct push to origin's state branch (what anything holding `contents: write` can do). */
export async function pushToState(lab: Lab, files: Record<string, string>, message: string): Promise<void> {
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
export async function mergeApproval(lab: Lab, pull: number, by?: string): Promise<string[]> {
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
export async function proposeAndMerge(
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

export const FINGERPRINT = 'runner/check/app-health';
export const ISSUE_FILE = 'issues/runner--check--app-health.md';

/** A plan file written by hand, as someone with push access to the state branch could. */
export function plantedPlan(id: string): string {
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
