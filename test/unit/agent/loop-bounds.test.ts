/**
 * Bounds on what the model can make the run do (issue 10): tool calls per turn and per run, the
 * deadline checked between tool calls, each diagnostic's server-side timeout no longer than the
 * time left, one action log per action and target per run, and free text capped before it is
 * recorded. Against the scripted Messages API.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { anthropicModel } from '../../../src/adapters/anthropic-model.js';
import { runClaudeLoop } from '../../../src/agent/claude-loop.js';
import { diagnoseAndRemediate } from '../../../src/agent/diagnose-and-remediate.js';
import type { ExecOptions, Model } from '../../../src/core/ports/index.js';
import { renderActionLog } from '../../../src/core/render/render-action-log.js';
import { zeroUsage } from '../../../src/core/run-record.js';
import { Remediator } from '../../../src/remediate/remediator.js';
import { config, memory, record, runContext, ScriptedShell, tracked } from '../../support/agent-fixtures.js';
import { FakeAnthropic, reply, text, toolUse } from '../../support/fake-anthropic.js';

const fake = new FakeAnthropic();
let model: Model;
beforeAll(async () => {
  await fake.start();
  model = anthropicModel({
    apiKey: 'sk-ant-test',
    model: 'claude-sonnet-4-6',
    baseURL: fake.url,
    maxRetries: 0,
  });
});
afterAll(() => fake.close());
beforeEach(() => fake.play());

const nginx = tracked('web1', 'service', 'nginx', 'critical', 'nginx is inactive');
const report = toolUse('report_diagnosis', {
  diagnoses: [
    { fingerprint: nginx.fingerprint, root_cause: 'x', confidence: 'low', evidence: 'x', next_step: 'x' },
  ],
  summary: 'done',
});
const diag = () => toolUse('run_diagnostic', { server: 'web1', diagnostic: 'journal_errors', args: {} });
const wrong = (n: number) =>
  toolUse('remediate', {
    server: 'web1',
    action: 'clear-directory',
    params: { directory: '/tmp/uploads' },
    fingerprint: nginx.fingerprint,
    reason: `persuaded ${n}`,
  });

function setup(cfgInput: Record<string, unknown> = {}) {
  const cfg = config(cfgInput);
  const run = record(cfg, [nginx]);
  const timeouts: number[] = [];
  const shell = new ScriptedShell('web1', () => ({ stdout: 'log line\n' }));
  const originalRun = shell.run.bind(shell);
  shell.run = (script: string, options?: ExecOptions) => {
    timeouts.push(options?.timeoutMs ?? -1);
    return originalRun(script, options);
  };
  const shells = new Map([['web1', shell]]);
  const remediator = new Remediator({
    config: cfg,
    mode: 'full',
    dryRun: false,
    runId: 'r1',
    clock: { now: () => new Date('2026-11-21T08:00:00Z'), sleep: async () => {} },
    record: run,
    memory: memory(),
    shells,
    recheck: async () => [],
    secrets: [],
  });
  const tools = {
    record: run,
    remediator,
    shells,
    secrets: [],
    nonce: 'n0nce',
    asked: new Set([nginx.fingerprint]),
    diagnosticTimeoutMs: 30_000,
  };
  return { cfg, run, shell, shells, timeouts, remediator, tools };
}

function toolResults(i: number): { content: string; is_error?: boolean }[] {
  const messages = fake.requests[i]?.body.messages as { content: unknown }[];
  const content = (messages.at(-1)?.content ?? []) as { type: string; content: string; is_error?: boolean }[];
  return content.filter((b) => b.type === 'tool_result');
}

describe('tool-call caps', () => {
  it('answers at most 8 calls per turn by default; the rest get a corrective error, not a run', async () => {
    const s = setup();
    fake.play(reply(Array.from({ length: 12 }, diag)), reply([report]));
    const result = await runClaudeLoop({
      model,
      system: 's',
      task: 't',
      tools: s.tools,
      usage: zeroUsage(),
      limits: { maxTurns: 4, maxTokens: 60_000, timeoutMs: 60_000 },
    });
    expect(result.end).toBe('done');
    expect(s.shell.scripts).toHaveLength(8);
    const results = toolResults(1);
    expect(results).toHaveLength(12);
    expect(
      results
        .slice(8)
        .every((r) => r.is_error && /at most 8 tool calls are answered per turn/.test(r.content)),
    ).toBe(true);
  });

  it('caps calls per run (configurable); report_diagnosis always passes', async () => {
    const s = setup();
    fake.play(reply([diag(), diag(), diag()]), reply([diag(), diag(), report]));
    const result = await runClaudeLoop({
      model,
      system: 's',
      task: 't',
      tools: s.tools,
      usage: zeroUsage(),
      limits: { maxTurns: 4, maxTokens: 60_000, timeoutMs: 60_000, maxToolCallsPerRun: 4 },
    });
    expect(result.end).toBe('done');
    expect(s.shell.scripts).toHaveLength(4);
    expect(s.run.diagnoses).toHaveLength(1);
  });

  it('the config sets both caps (defaults 8 and 40)', () => {
    expect(config().claude).toMatchObject({ max_tool_calls_per_turn: 8, max_tool_calls_per_run: 40 });
    expect(
      config({ claude: { max_tool_calls_per_turn: 2, max_tool_calls_per_run: 5 } }).claude,
    ).toMatchObject({
      max_tool_calls_per_turn: 2,
      max_tool_calls_per_run: 5,
    });
  });
});

describe('the deadline between tool calls', () => {
  it('stops running diagnostics once the time is up, and gives each the time left as its timeout', async () => {
    const s = setup();
    let t = 0;
    // every call to the clock advances it 4 s: the limit of 20 s runs out mid-turn
    fake.play(reply(Array.from({ length: 6 }, diag)), reply([report]));
    const result = await runClaudeLoop({
      model,
      system: 's',
      task: 't',
      tools: s.tools,
      usage: zeroUsage(),
      limits: { maxTurns: 3, maxTokens: 60_000, timeoutMs: 20_000 },
      now: () => (t += 4_000),
    });
    expect(s.timeouts.length).toBeGreaterThan(0);
    expect(s.timeouts.length).toBeLessThan(6);
    // never the diagnostic's own 30 s: at most what was left when it started
    for (const ms of s.timeouts) expect(ms).toBeLessThanOrEqual(20_000 - 4_000);
    expect(s.timeouts).toEqual([...s.timeouts].sort((a, b) => b - a));
    expect(['timeout', 'done']).toContain(result.end);
  });
});

describe('one action log per action and target per run', () => {
  it('30 identical denied requests make one record that counts 29 repeats', async () => {
    const s = setup();
    const ctx = runContext(s.cfg, { model, mode: 'full' });
    fake.play(
      ...Array.from({ length: 5 }, (_, turn) =>
        reply(Array.from({ length: 6 }, (_, i) => wrong(turn * 6 + i))),
      ),
      reply([report]),
    );
    await diagnoseAndRemediate(ctx, s.run, memory(), s.shells, { recheck: async () => [], settleMs: 0 });
    expect(s.run.actions).toHaveLength(1);
    expect(s.run.actions[0]).toMatchObject({ action: 'clear-directory', decision: 'deny', repeats: 29 });
    // only read-only evidence was gathered (the prompt's prefetch): nothing was cleared
    expect(s.shell.scripts.some((sc) => sc.includes('find') || sc.includes('-delete'))).toBe(false);
    const log = renderActionLog(s.run.actions[0] as NonNullable<(typeof s.run.actions)[0]>, s.run);
    expect(log).toContain('repeats: 29');
    expect(log).toContain('Asked for again 29 more time(s) in this run');
    // every repeat still got its own corrective answer
    expect(toolResults(2).every((r) => r.is_error && /out of scope/.test(r.content))).toBe(true);
  });
});

describe('free text is capped before it is recorded', () => {
  it('a 3 MB reply without a report becomes at most 4 000 characters of narrative', async () => {
    const s = setup({ claude: { max_turns: 1 } });
    const ctx = runContext(s.cfg, { model, mode: 'full' });
    fake.play(reply([text('A'.repeat(3_000_000))]));
    await diagnoseAndRemediate(ctx, s.run, memory(), s.shells, { recheck: async () => [], settleMs: 0 });
    expect(s.run.narrative?.length ?? 0).toBeGreaterThan(0);
    expect(s.run.narrative?.length ?? 0).toBeLessThanOrEqual(4_000);
  });

  it('a remediation reason is kept to 1 000 characters', async () => {
    const s = setup();
    const action = await s.remediator.remediate({
      server: 'web1',
      action: 'restart-service',
      params: { service: 'nginx' },
      fingerprint: nginx.fingerprint,
      reason: 'R'.repeat(50_000),
      requestedBy: 'rules',
      intent: 'auto',
    });
    // the requester's words, kept apart from the gate's own reason
    expect(action.reason).toHaveLength(1_000);
    expect(action.gateReason).not.toContain('RRR');
  });
});
