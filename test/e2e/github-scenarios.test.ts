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
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RunJournal } from '../../src/adapters/journal.js';
import { parseServerState } from '../../src/core/memory/server-state.js';
import {
  BRANCH,
  closeLabs,
  commentsOn,
  FINGERPRINT,
  ISSUE_FILE,
  proposeAndMerge,
  pushToState,
  requireBundle,
  startLab,
  TOKEN,
} from '../support/bundle-scenario.js';
import { frontMatter, git, runBundle, stateFile } from '../support/runner.js';
import { PIPELINE_RUNS_TIMEOUT } from '../support/timeouts.js';

beforeAll(requireBundle);
afterEach(closeLabs);

describe('scenarios with the bundled action and a fake GitHub', { timeout: PIPELINE_RUNS_TIMEOUT }, () => {
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
