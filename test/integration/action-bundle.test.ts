import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { HttpReceiver } from '../support/http-receiver.js';
import { frontMatter, git, makeWorkspace, ROOT, runBundle } from '../support/runner.js';
import { PIPELINE_RUNS_TIMEOUT } from '../support/timeouts.js';

const HEALTHY = `version: 1
mode: report
servers:
  - name: runner
    transport: local
    # host-wide load is whatever else runs on the test machine: out of reach, like disk and memory
    thresholds: { disk: { warn: 99, crit: 100 }, inodes: { warn: 99, crit: 100 }, memory: { warn: 99, crit: 100 }, load: { warn: 1000, crit: 1000 } }
`;

const BROKEN_ENDPOINT = `version: 1
mode: report
fail-on: critical
servers:
  - name: runner
    transport: local
    thresholds: { disk: { warn: 99, crit: 100 }, inodes: { warn: 99, crit: 100 }, memory: { warn: 99, crit: 100 } }
    endpoints:
      - url: http://127.0.0.1:9/health
        timeout: 2s
`;

describe('the bundled action (dist/index.js) as a runner runs it', { timeout: PIPELINE_RUNS_TIMEOUT }, () => {
  beforeAll(() => {
    if (!existsSync(join(ROOT, 'dist/index.js')))
      throw new Error('dist/index.js is missing: run npm run bundle');
  });

  it('checks a local server and pushes a health report to the state branch of origin', async () => {
    const ws = await makeWorkspace(HEALTHY);
    const run = await runBundle('index.js', ws, {
      config: '.github/claudeops.yml',
      'state-branch': 'claudeops-state',
    });
    expect(run.stderr).toBe('');
    expect(run.exitCode, run.stdout).toBe(0);
    expect(run.outputs.report).toMatch(/^health\/\d{4}-\d{2}-\d{2}\/\d{6}-1001\.md$/);
    expect(['ok', 'warning']).toContain(run.outputs.status);
    expect(run.outputs.issues).toBe('[]');

    const report = await git(ws.origin, 'show', `claudeops-state:${run.outputs.report}`);
    const front = frontMatter(report);
    expect(front.run).toBe('1001');
    expect(front.servers).toBe(1);
    expect(report).toContain('| runner | local | yes |');
    const files = (await git(ws.origin, 'ls-tree', '-r', '--name-only', 'claudeops-state')).split('\n');
    expect(files).toContain('state/runner.json');
    expect(files).toContain('README.md');
    const log = await git(ws.origin, 'log', '--format=%an|%s', 'claudeops-state');
    expect(log.split('\n')[0]).toMatch(/^claudeops\[bot\]\|/);

    expect(run.summary).toContain('## Fleet');
    expect(run.summary).toContain('runner');
    // one progress line per server, inside the Collect group, no colour in a log
    expect(run.stdout).toMatch(
      /::group::Collect\n(?:.*\n)*?[✓!✗] runner (ok|(?:warning|critical): [^\n]*) \d+\.\ds\n(?:.*\n)*?::endgroup::/,
    );
    expect(run.stdout).not.toContain('\u001b[');
    // the status site, built from the pushed branch under RUNNER_TEMP
    expect(run.outputs['status-page']).toMatch(/claudeops-status-page$/);
    expect(readFileSync(join(run.outputs['status-page'] ?? '', 'index.html'), 'utf8')).toContain('runner');
    expect(
      JSON.parse(readFileSync(join(run.outputs['status-page'] ?? '', 'badges', 'runner.json'), 'utf8')),
    ).toMatchObject({ schemaVersion: 1, label: 'runner' });
    expect(files).toContain(`history/runner/${String(front.started).slice(0, 7)}.tsv`);
    // the main branch is untouched: the state branch is an orphan, never merged
    expect(await git(ws.origin, 'rev-list', '--count', 'main')).toBe('1');
  });

  it('a push the remote refuses every time fails the job and says where the record is; the post step lands it', async () => {
    const ws = await makeWorkspace(HEALTHY);
    // a real pre-receive hook on the real bare remote, as branch protection would refuse
    const hook = join(ws.origin, 'hooks', 'pre-receive');
    writeFileSync(hook, '#!/bin/sh\necho "refused: claudeops-state is protected" >&2\nexit 1\n', {
      mode: 0o755,
    });
    const run = await runBundle('index.js', ws, { config: '.github/claudeops.yml' });
    expect(run.exitCode, run.stdout).toBe(1);
    expect(run.outputs.status).toBe('error');
    expect(run.summary).toContain('not on the state branch');
    expect(run.summary).toContain('refused: claudeops-state is protected');
    expect(run.summary).toContain('the post step pushes it once more');
    expect(run.summary).toMatch(/not pushed/);
    await expect(git(ws.origin, 'rev-parse', '--verify', 'claudeops-state')).rejects.toThrow();

    // still refused: the post step warns and never fails the job
    const refused = await runBundle('post.js', ws, {});
    expect(refused.exitCode).toBe(0);
    expect(refused.stdout).toContain('::warning::');
    await expect(git(ws.origin, 'rev-parse', '--verify', 'claudeops-state')).rejects.toThrow();

    // the remote accepts again: the post step lands the record the run could not push
    rmSync(hook);
    const post = await runBundle('post.js', ws, {});
    expect(post.exitCode, post.stdout).toBe(0);
    const report = await git(ws.origin, 'show', `claudeops-state:${run.outputs.report}`);
    expect(frontMatter(report).run).toBe('1001');
  });

  it('a GitHub API that accepts and never answers cannot hold the run past its budget; the record lands', async () => {
    // a real TCP server on loopback that reads every request and never says a word
    const sockets: Socket[] = [];
    const hung = createServer((socket) => {
      sockets.push(socket);
      socket.on('data', () => {});
    });
    await new Promise<void>((resolve) => hung.listen(0, '127.0.0.1', resolve));
    const address = hung.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const budgetSeconds = 4;
    const ws = await makeWorkspace(
      `${HEALTHY}github: { request_timeout: 1s, report_budget: ${budgetSeconds}s }\n`,
    );
    const started = Date.now();
    const run = await runBundle(
      'index.js',
      ws,
      { config: '.github/claudeops.yml', 'github-token': 'ghs_hungtest' },
      { GITHUB_API_URL: `http://127.0.0.1:${port}/api/v3` },
    ).finally(async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => hung.close(() => resolve()));
    });
    const took = (Date.now() - started) / 1000;
    expect(sockets.length).toBeGreaterThanOrEqual(1); // it did reach the hung API
    // bounded by the budget plus the run's own work, nowhere near three 300 s socket waits: the run's
    // own work is ~10 s alone but 60 s at load 40, so the bound keeps a wide margin under 300 s
    expect(took, run.stdout).toBeLessThan(budgetSeconds + 120);
    // the record is on the state branch before any GitHub call of the Report phase
    const report = await git(ws.origin, 'show', `claudeops-state:${run.outputs.report}`);
    expect(frontMatter(report).run).toBe('1001');
    // GitHub failing is reported, never the job's failure: the run itself succeeded
    expect(run.exitCode, run.stdout).toBe(0);
    expect(['ok', 'warning']).toContain(run.outputs.status);
    expect(run.summary).toMatch(/GitHub API failed: [^\n]*(timed? ?out|aborted|budget)/i);
    expect(run.stdout).toMatch(/GitHub API failed/);
  });

  it('reports a dead endpoint as critical and fails the job when the config says fail-on: critical', async () => {
    const ws = await makeWorkspace(BROKEN_ENDPOINT);
    const run = await runBundle('index.js', ws, { config: '.github/claudeops.yml' });
    expect(run.outputs.status).toBe('critical');
    expect(Number(run.outputs.findings)).toBeGreaterThanOrEqual(1);
    expect(run.exitCode).toBe(1);
    // server and config text is escaped in the summary: the URL is shown, not linked
    expect(run.summary).toContain('127.0.0.1:9/health');
    const report = await git(ws.origin, 'show', `claudeops-state:${run.outputs.report}`);
    expect(report).toContain('status: critical');
  });

  it('refuses a bad config before touching anything, naming path and line', async () => {
    const ws = await makeWorkspace(
      'version: 1\nservers:\n  - name: runner\n    transport: local\n    endpoints: [{ url: "http://x", timeout: soon }]\n',
    );
    const receiver = await new HttpReceiver().start();
    const run = await runBundle('index.js', ws, {
      config: '.github/claudeops.yml',
      'heartbeat-url': `${receiver.base}/ping/abc`,
    });
    await receiver.stop();
    expect(run.exitCode).toBe(1);
    expect(run.outputs.status).toBe('error');
    // the dead man's switch hears that this run failed
    expect(receiver.paths()).toEqual(['/ping/abc/fail']);
    expect(run.stdout).toContain('servers[0].endpoints[0].timeout: expected a duration like 5s (line 5)');
    const branches = await git(ws.origin, 'branch', '--list');
    expect(branches).not.toContain('claudeops-state');
  });

  it('a matrix of two shards, then task: summarize writes one fleet report; a missing shard fails it', async () => {
    const two = HEALTHY.replace(
      /servers:\n([\s\S]*)$/,
      (_m, entry: string) => `servers:\n${entry}${entry.replace('name: runner', 'name: runner-2')}`,
    );
    const ws = await makeWorkspace(two);
    const base = { config: '.github/claudeops.yml', 'state-branch': 'claudeops-state' };
    const shard1 = await runBundle('index.js', ws, { ...base, shard: '1/2' });
    expect(shard1.exitCode, shard1.stdout).toBe(0);

    const early = await runBundle('index.js', ws, { ...base, task: 'summarize', shard: '1/2' });
    expect(early.exitCode).toBe(1);
    expect(early.outputs.status).toBe('error');
    expect(early.summary).toContain('1of2: reported · 2of2: missing');
    expect(early.summary).toContain('shard 2of2 did not report in workflow run 1001 (servers: runner-2)');

    const shard2 = await runBundle('index.js', ws, { ...base, shard: '2/2' });
    expect(shard2.exitCode, shard2.stdout).toBe(0);
    const done = await runBundle('index.js', ws, { ...base, task: 'summarize', shard: '1/2' });
    expect(done.exitCode, done.stdout).toBe(0);
    expect(done.stderr).toBe('');
    expect(['ok', 'warning']).toContain(done.outputs.status);
    expect(done.outputs.report).toMatch(/^health\/\d{4}-\d{2}-\d{2}\/\d{6}-1001-fleet\.md$/);
    expect(done.summary).toContain('1of2: reported · 2of2: reported');
    expect(done.summary).toMatch(/\| runner-2 \| 2of2 \|/);
    const report = await git(ws.origin, 'show', `claudeops-state:${done.outputs.report}`);
    expect(frontMatter(report)).toMatchObject({
      run: '1001',
      task: 'summarize',
      status: done.outputs.status,
    });
  });
});
