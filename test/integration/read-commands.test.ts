import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGitStateStore } from '../../src/adapters/git-state-store.js';
import { openStateReader } from '../../src/adapters/state-reader.js';
import { runReadCommand } from '../../src/cli/read-commands.js';
import { runCli } from '../../src/cli-main.js';
import { endpointId, parseHistory } from '../../src/core/memory/history-series.js';
import type { Logger } from '../../src/core/ports/index.js';
import { displayWidth } from '../../src/core/render/terminal-table.js';
import { historyMonthPath } from '../../src/core/state-branch/paths.js';
import { HttpReceiver } from '../support/http-receiver.js';
import { QUIET_HOST_THRESHOLDS } from '../support/quiet-host.js';
import { git } from '../support/runner.js';

const errors: string[] = [];
const logger: Logger = {
  info: () => {},
  warning: () => {},
  error: (m) => void errors.push(m),
  group: (_n, fn) => fn(),
};

async function read(argv: string[], columns?: number): Promise<{ code: number; out: string }> {
  const parts: string[] = [];
  const code = await runReadCommand(argv, logger, {
    write: (t) => void parts.push(t),
    now: () => new Date(),
    columns,
  });
  return { code, out: parts.join('') };
}

describe('history series and the read commands, on a state repository written by real runs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'claudeops-read-'));
  const state = join(dir, 'state');
  const receiver = new HttpReceiver();
  const config = join(dir, 'claudeops.yml');
  const quiet = process.stdout.write.bind(process.stdout);

  beforeAll(async () => {
    await receiver.start();
    receiver.answer('/health', { status: 200 }, { status: 503 }, { status: 200 });
    writeFileSync(
      config,
      `version: 1
mode: report
servers:
  - name: box
    transport: local
    thresholds: ${JSON.stringify(QUIET_HOST_THRESHOLDS)}
    endpoints: [{ url: "${receiver.base}/health", from: runner }]
  - name: gone
    transport: local
    thresholds: ${JSON.stringify(QUIET_HOST_THRESHOLDS)}
    heartbeats: [{ path: ${join(dir, 'never-touched')}, max_age: 1m }]
`,
    );
    // two real checks; their reports go to stdout, which this test does not need
    process.stdout.write = () => true;
    try {
      for (let i = 0; i < 3; i++)
        expect(await runCli(['check', '--config', config, '--state-repo', state])).toBe(0);
    } finally {
      process.stdout.write = quiet;
    }
  }, 120_000);
  afterAll(async () => {
    await receiver.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('appends one line per run and server to the monthly series, endpoints by id', async () => {
    const month = new Date().toISOString().slice(0, 7);
    const text = await git(state, 'show', `claudeops-state:${historyMonthPath('box', month)}`);
    const points = parseHistory(text);
    expect(points).toHaveLength(3);
    const id = endpointId(`${receiver.base}/health`);
    expect(points.map((p) => p.endpoints[id]?.up)).toEqual([true, false, true]);
    expect(points.map((p) => p.endpoints[id]?.code)).toEqual([200, 503, 200]);
    expect(points[0]?.disk).toBeGreaterThan(0);
    expect(points[0]?.status).toBe('ok');
    const names = await git(state, 'show', 'claudeops-state:history/box/endpoints.tsv');
    expect(names.trim()).toBe(`${id}\t${receiver.base}/health`);
  });

  it('status: every server with its figures and uptime, as text and as JSON', async () => {
    const text = await read(['status', '--state-repo', state]);
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/^box\s+(ok|warning|critical)\s+\d+(\.\d+)?%/m);
    expect(text.out).toMatch(/^gone\s+(warning|critical)\s/m);
    const json = await read(['status', '--state-repo', state, '--format', 'json']);
    const fleet = JSON.parse(json.out);
    expect(fleet.servers.map((s: { server: string }) => s.server)).toEqual(['box', 'gone']);
    // the run whose endpoint answered 503 had a critical finding: 2 of 3 runs available
    expect(fleet.servers[0].availability7d).toBe(66.66);
    expect(fleet.servers[1].openIssues).toBeGreaterThanOrEqual(0);
  });

  it("history: one line per run, newest first; --server reads that server's series", async () => {
    const all = JSON.parse((await read(['history', '--state-repo', state, '--format', 'json'])).out);
    expect(all).toHaveLength(3);
    expect(all[0].at > all[1].at).toBe(true);
    expect(all[0].path).toMatch(/^health\/\d{4}-\d{2}-\d{2}\//);
    const box = await read(['history', '--server', 'box', '--state-repo', state]);
    // a table: the header, then one row per run with the server's figures
    const [head, ...rows] = box.out.trim().split('\n');
    expect(head).toMatch(/^time \(UTC\)\s+run\s+status\s+disk\s+memory/);
    expect(rows).toHaveLength(3);
    for (const row of rows) expect(row).toMatch(/\s(ok|warning|critical)\s+\d+(\.\d+)?%/);
    const none = await read(['history', '--since', '1ms', '--state-repo', state]);
    expect(none.out).toContain('No runs in that window.');
  });

  it('on a terminal, status, history and issues wrap their tables to its width', async () => {
    const widest = (text: string) => Math.max(...text.split('\n').map(displayWidth));
    // unfitted, the history table is wider than a narrow terminal (the report path alone is long)
    expect(widest((await read(['history', '--state-repo', state])).out)).toBeGreaterThan(60);
    for (const command of ['status', 'history', 'issues']) {
      const fitted = await read([command, '--state-repo', state], 60);
      expect(fitted.code).toBe(0);
      expect(widest(fitted.out), command).toBeLessThanOrEqual(60);
    }
  });

  it('issues lists open problems with their age; show prints a problem or a run', async () => {
    const issues = JSON.parse((await read(['issues', '--state-repo', state, '--format', 'json'])).out);
    const stale = issues.find((i: { fingerprint: string }) => i.fingerprint.startsWith('gone/heartbeat/'));
    expect(stale).toBeDefined();
    expect(stale.ageMs).toBeGreaterThanOrEqual(0);
    const text = await read(['issues', '--state-repo', state]);
    expect(text.out).toContain(stale.fingerprint);
    const problem = await read(['show', stale.fingerprint, '--state-repo', state]);
    expect(problem.code).toBe(0);
    expect(problem.out).toContain(`fingerprint: ${stale.fingerprint}`);
    expect(problem.out).toMatch(/^## History$/m);
    const runs = JSON.parse((await read(['history', '--state-repo', state, '--format', 'json'])).out);
    const run = await read(['show', runs[0].run, '--state-repo', state, '--format', 'json']);
    expect(JSON.parse(run.out)).toMatchObject({ kind: 'report', meta: { run: runs[0].run } });
    expect((await read(['show', 'nope/x/y', '--state-repo', state])).code).toBe(1);
  });

  it('status-page from these real runs: uptime of the flapping endpoint, a response-time chart', async () => {
    const out = join(dir, 'site');
    const { code } = await read(['status-page', '--state-repo', state, '--out', out]);
    expect(code).toBe(0);
    const html = readFileSync(join(out, 'index.html'), 'utf8');
    expect(html).toContain(`<span class="url">${receiver.base}/health</span>`);
    // 2 of 3 checks answered 200
    expect(html).toContain('available 24h&nbsp;66.66%');
    expect(html).toMatch(
      /<svg class="chart"[^>]*aria-labelledby=[^>]*><title[^>]*>[^<]*response time, ms<\/title>/,
    );
    const status = JSON.parse(readFileSync(join(out, 'status.json'), 'utf8'));
    expect(status.servers.map((s: { name: string }) => s.name)).toEqual(['box', 'gone']);
  });

  it('a directory without a state branch is a clear error, exit 1', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'claudeops-empty-'));
    await git(empty, 'init', '-q');
    errors.length = 0;
    expect((await read(['status', '--state-repo', empty])).code).toBe(1);
    expect(errors[0]).toMatch(/no branch claudeops-state here/);
    rmSync(empty, { recursive: true, force: true });
  });

  it('concurrent runs appending to the same month keep both lines; retention rolls old months into days', async () => {
    const repo = join(dir, 'race');
    const month = '2026-01';
    const path = historyMonthPath('web1', month);
    const line = (t: string, run: string) => `2026-01-${t}T10:00:00.000Z\t${run}\tok\t40\t50\t0.1\t\n`;
    const a = createGitStateStore({ localDir: repo });
    const b = createGitStateStore({ localDir: repo });
    await a.load();
    await b.load();
    await a.commit([{ path, content: line('05', 'ra'), append: true }], 'a');
    // b read the branch before a pushed: its append is re-applied on a's tip
    await b.commit([{ path, content: line('06', 'rb'), append: true }], 'b');
    const text = await git(repo, 'show', `claudeops-state:${path}`);
    expect(parseHistory(text).map((p) => p.run)).toEqual(['ra', 'rb']);
    // ten months later, with 90 days' retention, the month is rolled into one line per day
    const later = createGitStateStore({
      localDir: repo,
      retentionDays: 90,
      clock: { now: () => new Date('2026-11-01T00:00:00Z'), sleep: async () => {} },
    });
    await later.load();
    await later.commit([{ path: 'README.md', content: 'x\n' }], 'retention');
    const files = (await git(repo, 'ls-tree', '-r', '--name-only', 'claudeops-state')).split('\n');
    expect(files).not.toContain(path);
    expect(await git(repo, 'show', 'claudeops-state:history/web1/2026-daily.tsv')).toBe(
      '2026-01-05\t1\t1\tok\t40\tok=1\n2026-01-06\t1\t1\tok\t40\tok=1',
    );
    const reader = await openStateReader(repo);
    expect(reader.bytesRead).toBe(0);
  });
});
