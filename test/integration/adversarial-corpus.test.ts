/**
 * The hostile corpus of issue 10 (test/fixtures/adversarial/), pushed through the real code:
 *   gate.json       requests to the remediator (the gate, its scope rules, parameter checks)
 *   approvals.json  approval files on the state branch, with and without pull requests, through
 *                   execute-approved and the real Octokit adapter against the OpenAPI-validated
 *                   fake GitHub
 *   config.json     hostile configuration, through the config parser and the catalog
 * Every case must be refused (or, for config, kept harmless) with its stated reason.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createOctokitGitHub } from '../../src/adapters/github-octokit.js';
import { ConfigError, parseConfig } from '../../src/config/parse-config.js';
import { emptyMemory } from '../../src/core/memory/memory.js';
import type { ActionRecord } from '../../src/core/run-record.js';
import { parseApprovalFile, shownCommandBlock } from '../../src/core/state-branch/approval-file.js';
import { executeApproved } from '../../src/github/execute-approved.js';
import { buildCatalog } from '../../src/remediate/catalog.js';
import type { RemediationRequest } from '../../src/remediate/remediator.js';
import { Remediator } from '../../src/remediate/remediator.js';
import type { RunContext } from '../../src/run-context.js';
import { config, memory, record, ScriptedShell, tracked } from '../support/agent-fixtures.js';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github.js';
import { runRecord, testConfig } from '../support/github-records.js';
import { fastTuning } from '../support/github-tuning.js';
import { ROOT } from '../support/runner.js';

const corpus = <T>(name: string): T[] =>
  (JSON.parse(readFileSync(join(ROOT, 'test/fixtures/adversarial', name), 'utf8')) as { cases: T[] }).cases;

interface GateCase {
  name: string;
  server?: string;
  action: string;
  params?: unknown;
  paramsJson?: string;
  fingerprint?: string | null;
  intent?: 'auto' | 'propose';
  reason: string;
}

interface ApprovalCase {
  name: string;
  path: string;
  content: string;
  state?: string;
  pull?: {
    merge?: string;
    /** GitHub's clock when the merge button is pressed (default: the run's) */
    mergedAt?: string;
    close?: boolean;
    head?: string;
    extra?: Record<string, string>;
    baseHas?: string;
    /** the branch it merges into (default: the state branch) */
    base?: string;
    /** opened from this fork (owner/name) instead of a branch of this repository */
    fromRepo?: string;
    /** GitHub's pull list answers every base, ignoring ?base= */
    listIgnoresBase?: boolean;
  };
  expect: 'executed' | 'refused' | 'expired' | 'skipped' | 'ignored';
  /** refused by the remediator at execution (GitHub confirmed the approval), nothing run */
  atExecution?: boolean;
  reason?: string;
}

interface ConfigCase {
  name: string;
  yaml: string;
  expect: 'error' | 'warning' | 'ok';
  match?: string;
  catalogHas?: string;
}

const GATE = corpus<GateCase>('gate.json');
const APPROVALS = corpus<ApprovalCase>('approvals.json');
const CONFIG = corpus<ConfigCase>('config.json');

describe('adversarial corpus: the gate', () => {
  const cfg = config({
    servers: [
      {
        name: 'web1',
        transport: 'local',
        services: [
          { name: 'nginx', manager: 'systemd', port: 80, depends_on: ['php-fpm'] },
          { name: 'php-fpm', manager: 'systemd' },
          { name: 'redis', manager: 'systemd' },
        ],
        clearable: ['/var/cache/app', '/srv/data/tmp'],
      },
    ],
    remediations: { 'flush-queue': { command: 'touch /tmp/never', risk: 'low', verify: ['check'] } },
  });
  const nginx = tracked('web1', 'service', 'nginx', 'critical', 'nginx is inactive');

  it.each(GATE)('$name', async (c) => {
    const run = record(cfg, [nginx]);
    const shell = new ScriptedShell('web1', () => ({ stdout: '' }));
    const r = new Remediator({
      config: cfg,
      mode: 'full',
      dryRun: false,
      runId: 'r1',
      clock: { now: () => new Date('2026-11-21T08:00:00Z'), sleep: async () => {} },
      record: run,
      memory: memory(),
      shells: new Map([['web1', shell]]),
      recheck: async () => [],
      secrets: [],
    });
    const params = c.paramsJson !== undefined ? JSON.parse(c.paramsJson) : c.params;
    const action = await r.remediate({
      server: c.server ?? 'web1',
      action: c.action,
      params,
      ...(c.fingerprint === null ? {} : { fingerprint: c.fingerprint ?? nginx.fingerprint }),
      reason: 'the log line told me to',
      requestedBy: 'claude',
      intent: c.intent ?? 'auto',
    });
    expect(action.decision).toBe('deny');
    expect(action.outcome).toBe('not-run');
    expect(action.gateReason).toMatch(new RegExp(c.reason));
    // nothing ran: at most the read-only journal size query
    expect(shell.scripts.filter((s) => !s.startsWith('journalctl --disk-usage'))).toEqual([]);
    expect(run.actions.filter((a) => a.decision === 'needs-approval')).toEqual([]);
    // a `__proto__` key in params polluted nothing
    expect(({} as Record<string, unknown>).service).toBeUndefined();
  });
});

/** What the approvals' server has when they execute (a plan's file may show something else). */
const APPROVAL_CONFIG = config({
  servers: ['web1', 'web2'].map((name) => ({
    name,
    transport: 'local',
    services: [
      { name: 'nginx', manager: 'systemd' },
      { name: 'redis', manager: 'systemd' },
    ],
  })),
  remediations: { 'flush-queue': { command: 'touch /tmp/never', risk: 'high', verify: [] } },
});

describe('adversarial corpus: approvals on the state branch', () => {
  const STATE = 'claudeops-state';
  const NOW = new Date('2026-11-21T08:00:00Z');
  // one fake GitHub per case: a closed PR of one case must not be another's declined plan
  let gh: FakeGitHub;
  let githubNow = NOW;
  beforeEach(async () => {
    githubNow = NOW;
    gh = await startFakeGitHub({ owner: 'acme', repo: 'ops', now: () => githubNow });
    gh.state.collaborators.set('reader', 'read');
  });
  afterEach(async () => {
    expect(gh.violations).toEqual([]);
    await gh.close();
  });

  const fill = (text: string) => text.replaceAll('{{FUTURE}}', '2026-11-24T08:00:00.000Z');

  it.each(APPROVALS)('$name', async (c) => {
    const api = createOctokitGitHub({
      token: 'test-token',
      repository: 'acme/ops',
      baseUrl: gh.url,
      tuning: fastTuning(),
    });
    const content = fill(c.content);
    gh.seedBranch(STATE, {
      'README.md': 'state\n',
      ...(c.pull?.baseHas ? { [c.path]: fill(c.pull.baseHas) } : {}),
    });
    if (c.pull?.base || c.pull?.fromRepo) {
      const id = c.path.slice('approvals/'.length, -'.md'.length);
      const pull = gh.openPull({
        title: c.name,
        head: c.pull.head ?? `claudeops/approve-${id}`,
        base: c.pull.base ?? STATE,
        files: { [c.path]: content, ...c.pull.extra },
        ...(c.pull.fromRepo ? { fromRepo: c.pull.fromRepo } : {}),
      });
      gh.behaviour.listIgnoresBase = c.pull.listIgnoresBase ?? false;
      if (c.pull.merge) gh.mergePull(pull.number, c.pull.merge);
    } else if (c.pull) {
      const id = c.path.slice('approvals/'.length, -'.md'.length);
      const head = c.pull.head ?? `claudeops/approve-${id}`;
      const base = gh.state.refs.get(STATE) ?? '';
      await api.createBranch(head, base);
      for (const [path, text] of Object.entries({ [c.path]: content, ...c.pull.extra })) {
        const there = await api.getFile(path, head);
        await api.putFile({
          branch: head,
          path,
          content: text,
          message: 'propose',
          ...(there ? { sha: there.sha } : {}),
        });
      }
      const pull = await api.createPull({ title: c.name, body: 'x', head, base: STATE });
      if (c.pull.mergedAt) githubNow = new Date(c.pull.mergedAt);
      if (c.pull.merge) gh.mergePull(pull.number, c.pull.merge);
      if (c.pull.close) gh.closePull(pull.number);
    }
    const run = runRecord({ runId: 'r9', at: NOW, servers: ['web1'], raised: [] });
    // the real remediator (gate, command check, executor) over a shell that only records
    const shell = new ScriptedShell('web1', () => ({ stdout: '' }));
    const remediator = new Remediator({
      config: APPROVAL_CONFIG,
      mode: 'safe',
      dryRun: false,
      runId: 'r9',
      clock: { now: () => NOW, sleep: async () => {} },
      record: run,
      memory: memory(),
      // one recording shell for both servers: whatever runs anywhere is seen
      shells: new Map([
        ['web1', shell],
        ['web2', shell],
      ]),
      recheck: async () => [],
      secrets: [],
      settleMs: 0,
    });
    const calls: RemediationRequest[] = [];
    const remediate = (request: RemediationRequest): Promise<ActionRecord> => {
      calls.push(request);
      return remediator.remediate(request);
    };
    const mem = emptyMemory();
    mem.approvals = [{ path: c.path, content: c.state !== undefined ? fill(c.state) : content }];
    const ctx = {
      config: testConfig(['web1'], {}),
      inputs: { configPath: '', task: 'execute-approved', dryRun: false, model: 'm', stateBranch: STATE },
      mode: 'safe',
      runId: 'r9',
      nonce: 'n',
      adapters: { github: api, clock: { now: () => NOW, sleep: async () => {} } },
      logger: {
        info: () => {},
        warning: () => {},
        error: () => {},
        group: (_n: string, fn: () => unknown) => fn(),
      },
    } as unknown as RunContext;
    const changes = await executeApproved(ctx, run, mem, remediate);

    if (c.expect === 'executed') {
      expect(calls).toHaveLength(1);
      expect(parseApprovalFile(changes[0]?.content ?? '')?.status).toBe('executed');
      // what ran is what the file shows
      expect(shell.scripts).toEqual([`${shownCommandBlock(content)?.split('\n').slice(1, -1).join('\n')}\n`]);
      return;
    }
    expect(shell.scripts).toEqual([]);
    expect(calls).toHaveLength(c.atExecution ? 1 : 0);
    if (c.expect === 'skipped') {
      expect(changes).toEqual([]);
      expect(run.warnings.join('\n')).toMatch(/not an approval file/);
      return;
    }
    if (c.expect === 'ignored') {
      expect(changes).toEqual([]);
      expect(run.actions).toEqual([]);
      return;
    }
    // refused or expired: recorded in the same file (never another path), and as a denied action
    expect(changes.map((ch) => ch.path)).toEqual([c.path]);
    const plan = parseApprovalFile(changes[0]?.content ?? '');
    expect(plan?.status).toBe(c.expect === 'expired' ? 'expired' : 'denied');
    expect(plan?.outcome).toMatch(new RegExp(c.reason ?? '.'));
    expect(run.actions).toMatchObject([{ decision: 'deny', outcome: 'not-run' }]);
    expect(run.github.errors).toEqual([]);
  });
});

describe('approvals without GitHub (the CLI without a token)', () => {
  it('executes nothing and says why, whatever the branch holds', async () => {
    const NOW = new Date('2026-11-21T08:00:00Z');
    const run = runRecord({ runId: 'r9', at: NOW, servers: ['web1'], raised: [] });
    const mem = emptyMemory();
    const legit = APPROVALS.find((c) => c.expect === 'executed');
    if (!legit) throw new Error('no control case');
    mem.approvals = [
      { path: legit.path, content: legit.content.replaceAll('{{FUTURE}}', '2026-11-24T08:00:00.000Z') },
    ];
    const ctx = {
      config: testConfig(['web1'], {}),
      inputs: {
        configPath: '',
        task: 'execute-approved',
        dryRun: false,
        model: 'm',
        stateBranch: 'claudeops-state',
      },
      runId: 'r9',
      adapters: { clock: { now: () => NOW, sleep: async () => {} } },
    } as unknown as RunContext;
    let called = 0;
    const changes = await executeApproved(ctx, run, mem, async () => {
      called += 1;
      throw new Error('must not run');
    });
    expect(called).toBe(0);
    expect(changes).toEqual([]);
    expect(run.warnings.join('\n')).toMatch(
      /1 pending approval\(s\) not executed: .*without GitHub .* The CLI never executes approvals/,
    );
  });
});

describe('adversarial corpus: configuration', () => {
  it.each(CONFIG)('$name', (c) => {
    let problems: string[] = [];
    let parsed: ReturnType<typeof parseConfig> | undefined;
    try {
      parsed = parseConfig(c.yaml, 'claudeops.yml');
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems = error.problems;
    }
    if (c.expect === 'error') {
      expect(parsed).toBeUndefined();
      expect(problems.join('\n')).toMatch(new RegExp(c.match ?? '.'));
      return;
    }
    expect(problems).toEqual([]);
    const server = parsed?.servers[0];
    if (!parsed || !server) throw new Error('no server');
    const catalog = buildCatalog(server, parsed);
    if (c.expect === 'warning') expect(catalog.warnings.join('\n')).toMatch(new RegExp(c.match ?? '.'));
    else expect(catalog.warnings).toEqual([]);
    if (c.catalogHas) expect(catalog.actions.has(c.catalogHas)).toBe(true);
  });
});
