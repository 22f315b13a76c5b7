import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { localTransport } from '../../src/adapters/local-transport.js';
import { parseConfig } from '../../src/config/parse-config.js';
import type { RunInputs } from '../../src/config/run-inputs.js';
import { emptyMemory, emptyServerState, type Memory } from '../../src/core/memory/memory.js';
import type { GitHubApi, Logger, StateStore, Transport } from '../../src/core/ports/index.js';
import type { RunRecord } from '../../src/core/run-record.js';
import type { FileChange } from '../../src/core/types.js';
import { phaseAnnotations } from '../../src/report/write-report.js';
import { exitCodeFor, run } from '../../src/run.js';
import type { RunContext } from '../../src/run-context.js';

const quiet: Logger = { info: () => {}, warning: () => {}, error: () => {}, group: (_n, fn) => fn() };

class MemoryStore implements StateStore {
  commits: { changes: FileChange[]; message: string }[] = [];
  staged: FileChange[][] = [];
  constructor(private readonly failCommit = false) {}
  async load() {
    return emptyMemory();
  }
  async commit(changes: FileChange[], message: string) {
    if (this.failCommit) throw new Error('disk full');
    this.commits.push({ changes, message });
    return { sha: 'abc123', pushed: true, branch: 'claudeops-state', location: 'memory' };
  }
  async stage(changes: FileChange[]) {
    this.staged.push(changes);
  }
}

/** A local server whose only check is a heartbeat file the test makes fresh or stale. */
function context(yamlExtra: string, store: StateStore, inputs: Partial<RunInputs> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'claudeops-run-'));
  const beat = join(dir, 'beat');
  const yaml = `version: 1
mode: report
${yamlExtra}
servers:
  - name: box
    transport: local
    tags: [web]
    thresholds: { disk: { warn: 100, crit: 100 }, inodes: { warn: 100, crit: 100 }, memory: { warn: 100, crit: 100 }, load: { warn: 1000, crit: 1000 } }
    heartbeats: [{ path: ${beat}, max_age: 1h }]
`;
  const summaries: string[] = [];
  const outputs: Record<string, string>[] = [];
  const ctx: RunContext = {
    config: parseConfig(yaml, 'test.yml'),
    inputs: {
      configPath: 'test.yml',
      task: 'check',
      dryRun: false,
      model: 'm',
      stateBranch: 'claudeops-state',
      ...inputs,
    },
    mode: 'report',
    runId: 'r1',
    nonce: 'n0nce-for-this-test-run',
    logger: quiet,
    adapters: {
      transport: localTransport,
      state: store,
      clock: { now: () => new Date(), sleep: async () => {} },
      sink: { summary: async (m) => void summaries.push(m), outputs: (o) => void outputs.push(o) },
    },
  };
  return { ctx, beat, summaries, outputs };
}

describe('run (the pipeline)', () => {
  it('records a healthy run in one commit and sets the outputs once', async () => {
    const store = new MemoryStore();
    const { ctx, beat, outputs, summaries } = context('', store);
    writeFileSync(beat, 'x');
    const { record, exitCode } = await run(ctx);
    expect(exitCode).toBe(0);
    expect(record.status).toBe('ok');
    expect(store.commits).toHaveLength(1);
    const paths = store.commits[0]?.changes.map((c) => c.path) ?? [];
    expect(paths).toContain(record.reportPath);
    expect(paths).toContain('state/box.json');
    expect(store.staged.length).toBeGreaterThanOrEqual(1);
    expect(outputs).toEqual([
      { status: 'ok', findings: '0', actions: '0', issues: '[]', report: record.reportPath },
    ]);
    expect(summaries).toHaveLength(1);
  });

  it('reports a critical finding without failing the job unless fail-on says so', async () => {
    const lenient = context('', new MemoryStore());
    const strict = context('fail-on: critical', new MemoryStore());
    const missing = await run(lenient.ctx);
    expect(missing.record.status).toBe('critical');
    expect(missing.exitCode).toBe(0);
    const failing = await run(strict.ctx);
    expect(failing.exitCode).toBe(1);
  });

  it('fails the run when the record cannot be written anywhere, and says why', async () => {
    const { ctx, beat, outputs } = context('', new MemoryStore(true));
    writeFileSync(beat, 'x');
    const { record, exitCode } = await run(ctx);
    expect(record.status).toBe('error');
    expect(exitCode).toBe(1);
    expect(record.errors).toContain('record: the state branch could not be written: disk full');
    expect(outputs[0]?.status).toBe('error');
  });

  it("the summary's took covers the whole run, recording included", async () => {
    let now = Date.parse('2026-11-21T08:00:00Z');
    const slow: StateStore = {
      load: async () => emptyMemory(),
      commit: async () => {
        now += 90_000; // a slow push: a minute and a half
        return { sha: 'abc', pushed: true, branch: 'claudeops-state', location: 'memory' };
      },
    };
    const { ctx, beat, summaries } = context('', slow);
    writeFileSync(beat, 'x');
    ctx.adapters.clock = { now: () => new Date(now), sleep: async () => {} };
    await run(ctx);
    expect(summaries[0]).toMatch(/ · took 1m30s · /);
  });

  it('annotates each failed phase once, however many calls of it failed', () => {
    expect(
      phaseAnnotations([
        'GitHub API failed: create issue: 502 (issue a)',
        'GitHub API failed: create issue: 502 (issue b)',
        'GitHub API failed: comment on #3: 502',
        'record: committed in /tmp/x but not pushed',
        'notify: slack: HTTP 500',
      ]),
    ).toEqual([
      'GitHub API failed: create issue: 502 (issue a) (and 2 more like it: see the job summary)',
      'record: committed in /tmp/x but not pushed',
      'notify: slack: HTTP 500',
    ]);
  });

  it('refuses a server selection that matches nothing instead of checking zero servers', async () => {
    const store = new MemoryStore();
    const { ctx } = context('', store, { servers: 'bxo' });
    const { record } = await run(ctx);
    expect(record.servers).toHaveLength(0);
    expect(record.errors[0]).toBe('run: servers: "bxo" matches no configured server (configured: box)');
    expect(record.status).toBe('error');
  });

  it('selects by tag and by shard', async () => {
    const { ctx, beat } = context('', new MemoryStore(), {
      servers: 'tag:web',
      shard: { index: 1, count: 1 },
    });
    writeFileSync(beat, 'x');
    const { record } = await run(ctx);
    expect(record.servers.map((s) => s.server.name)).toEqual(['box']);
    expect(record.reportPath).toMatch(/-r1-1of1\.md$/);
  });
});

describe('run: memory loads while the servers connect', () => {
  /** A store whose load() ends only when `until` settles (or after 5 s), with a marker in its memory. */
  class SlowStore extends MemoryStore {
    loaded = false;
    constructor(private readonly until: Promise<unknown>) {
      super();
    }
    override async load(): Promise<Memory> {
      await Promise.race([this.until, new Promise((r) => setTimeout(r, 5_000))]);
      this.loaded = true;
      const memory = emptyMemory();
      memory.servers.box = { ...emptyServerState('box'), cursors: { 'earlier-run': 'line 42' } };
      memory.warnings.push('memory: marker from the slow store');
      return memory;
    }
  }

  it('connects before memory has loaded, and the script still gets the cursors memory holds', async () => {
    let connected!: () => void;
    const connecting = new Promise<void>((r) => {
      connected = r;
    });
    const store = new SlowStore(connecting);
    const { ctx, beat } = context('', store);
    writeFileSync(beat, 'x');
    const events: string[] = [];
    ctx.adapters.transport = {
      async connect(server) {
        events.push(`connect, memory loaded: ${store.loaded}`);
        connected();
        const shell = await localTransport.connect(server);
        const runScript = shell.run.bind(shell);
        shell.run = (script, options) => {
          events.push('script');
          return runScript(script, options);
        };
        return shell;
      },
    } as Transport;
    const { record, exitCode } = await run(ctx);
    expect(events).toEqual(['connect, memory loaded: false', 'script']);
    expect(record.servers[0]?.observation.cursors).toMatchObject({ 'earlier-run': 'line 42' });
    expect(record.warnings).toContain('memory: marker from the slow store');
    expect(exitCode).toBe(0);
  });

  it('a collection that fails before memory has loaded still records, with that memory, and fails the run', async () => {
    let release!: () => void;
    const store = new SlowStore(
      new Promise<void>((r) => {
        release = r;
      }),
    );
    const { ctx } = context('', store);
    ctx.adapters.transport = {
      connect() {
        // thrown at once, not as a rejection: the collection fails while memory is still loading
        setTimeout(release, 50);
        throw new Error('transport exploded');
      },
    } as unknown as Transport;
    const { record, exitCode } = await run(ctx);
    expect(record.aborted).toContain('transport exploded');
    expect(record.warnings).toContain('memory: marker from the slow store');
    expect(store.commits).toHaveLength(1);
    expect(record.status).toBe('error');
    expect(exitCode).toBe(1);
  });
});

it('a pipeline that broke mid-way is an error, never an ok', async () => {
  const { ctx } = context('', new MemoryStore());
  ctx.nonce = 'short';
  const { record, exitCode } = await run(ctx);
  expect(record.aborted).toMatch(/nonce/);
  expect(record.status).toBe('error');
  expect(exitCode).toBe(1);
});

describe('exitCodeFor', () => {
  const withStatus = (status: RunRecord['status']) => ({ status }) as RunRecord;
  it.each([
    ['ok', 'never', 0],
    ['critical', 'never', 0],
    ['error', 'never', 1],
    ['critical', 'critical', 1],
    ['warning', 'critical', 0],
    ['warning', 'warning', 1],
  ] as const)('status %s with fail-on %s → %i', (status, failOn, code) => {
    expect(exitCodeFor(withStatus(status), failOn)).toBe(code);
  });

  it('maintenance windows from issues are a value of the run: the config is never changed', async () => {
    const { ctx, beat } = context('', new MemoryStore());
    writeFileSync(beat, 'x');
    const calls: string[] = [];
    ctx.adapters.github = {
      listIssues: async (query: { labels?: string[] }) => {
        calls.push(`listIssues ${query.labels?.join(',') ?? ''}`);
        throw new Error('API down');
      },
    } as unknown as GitHubApi;
    const before = structuredClone(ctx.config.maintenance);
    const { record } = await run(ctx);
    await run(ctx);
    expect(calls).toContain('listIssues maintenance');
    expect(record.warnings).toContain(
      'maintenance issues could not be read, so no action runs this run: API down',
    );
    expect(ctx.config.maintenance).toEqual(before);
  });
});
