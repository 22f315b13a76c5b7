/**
 * A loop that always finishes well, against the scripted Messages-API server: the report is forced
 * before turns or budget end, an empty assistant turn is never sent back, pause_turn is resumed,
 * refusals are recorded with their details, the report is handled after the other calls of its
 * turn, tool schemas are sent strict where they can be, and findings the report leaves out get a
 * rules plan.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { anthropicModel } from '../../../src/adapters/anthropic-model.js';
import { runClaudeLoop } from '../../../src/agent/claude-loop.js';
import { createRemediator, diagnoseAndRemediate } from '../../../src/agent/diagnose-and-remediate.js';
import { addUsage, priceOf, tokensUsed, unknownModelWarning } from '../../../src/agent/pricing.js';
import { strictSchema, toolDefinitions } from '../../../src/agent/tools.js';
import type { Model, ModelResponse } from '../../../src/core/ports/index.js';
import { zeroUsage } from '../../../src/core/run-record.js';
import type { Finding } from '../../../src/core/types.js';
import { config, memory, record, runContext, ScriptedShell, tracked } from '../../support/agent-fixtures.js';
import { FakeAnthropic, reply, type Scripted, text, toolUse } from '../../support/fake-anthropic.js';

const API_KEY = 'sk-ant-api03-test-key-0123456789abcdefghij';
const fake = new FakeAnthropic();
let model: Model;

beforeAll(async () => {
  await fake.start();
  model = anthropicModel({ apiKey: API_KEY, model: 'claude-sonnet-4-6', baseURL: fake.url, maxRetries: 0 });
});
afterAll(() => fake.close());
beforeEach(() => fake.play());

const NGINX = 'web1/service/nginx';
const WORKER = 'web1/service/worker';

const report = (fingerprints: string[] = [NGINX]) =>
  toolUse('report_diagnosis', {
    diagnoses: fingerprints.map((fingerprint) => ({
      fingerprint,
      root_cause: 'a distinctive root cause: the worker pool exhausted file descriptors',
      confidence: 'medium',
      evidence: 'EMFILE in the log',
      next_step: 'raise LimitNOFILE',
    })),
    summary: 'diagnosed',
  });

const restart = (service = 'nginx') =>
  toolUse('remediate', {
    server: 'web1',
    action: 'restart-service',
    params: { service },
    fingerprint: `web1/service/${service}`,
    reason: 'down',
  });

async function run(
  opts: { claude?: Record<string, unknown>; findings?: ReturnType<typeof tracked>[] } = {},
  onScript: (script: string, rec: ReturnType<typeof record>) => void = () => {},
) {
  const cfg = config({ claude: { max_turns: 4, max_tokens_per_run: 60_000, ...opts.claude } });
  const findings = opts.findings ?? [
    tracked('web1', 'service', 'nginx', 'critical', 'nginx is inactive (dead)'),
  ];
  const rec = record(cfg, findings);
  const shell = new ScriptedShell('web1', (script) => {
    onScript(script, rec);
    return { stdout: 'ok\n' };
  });
  const ctx = runContext(cfg, { model, apiKey: API_KEY });
  const healed: Finding[] = findings.map((f) => ({ ...f, severity: 'ok' as const }));
  await diagnoseAndRemediate(ctx, rec, memory(), new Map([['web1', shell]]), {
    recheck: async () => healed,
    settleMs: 0,
  });
  return { rec, shell };
}

type Message = { role: string; content: unknown };
type Schema = { properties?: Record<string, Schema>; additionalProperties?: unknown };
const messages = (i: number) => (fake.requests[i]?.body.messages ?? []) as Message[];
const toolChoice = (i: number) => fake.requests[i]?.body.tool_choice;
const FORCED = { type: 'tool', name: 'report_diagnosis' };

describe('a loop that always finishes well', () => {
  it('forces report_diagnosis on the last turn when the model never reports', async () => {
    fake.play(
      reply([text('thinking')]),
      reply([text('still thinking')]),
      reply([text('more')]),
      reply([report()]),
    );
    const { rec } = await run();
    expect(fake.requests).toHaveLength(4);
    expect([0, 1, 2].map(toolChoice)).toEqual([undefined, undefined, undefined]);
    expect(toolChoice(3)).toEqual(FORCED);
    expect(JSON.stringify(messages(3).at(-1)?.content)).toMatch(/This is your last turn/);
    expect(rec.planner).toEqual({ kind: 'claude', reason: 'Claude diagnosed in 4 turns' });
    expect(rec.diagnoses[0]?.rootCause).toMatch(/distinctive root cause/);
  });

  it('forces the report early when the token budget would not cover another turn', async () => {
    const diagnostic = () =>
      reply([toolUse('run_diagnostic', { server: 'web1', diagnostic: 'journal_errors', args: {} })]);
    // what one turn costs the budget (mostly the cache write of the prompt prefix)
    fake.play(diagnostic());
    const one = tokensUsed((await run({ claude: { max_turns: 1 } })).rec.usage);
    expect(one).toBeGreaterThan(1000);
    // enough for two turns, not three: turn 2 must be the report
    const budget = Math.floor(2.5 * one);
    fake.play(diagnostic(), reply([report()]));
    const { rec } = await run({ claude: { max_turns: 8, max_tokens_per_run: budget } });
    expect(fake.requests).toHaveLength(2);
    expect(toolChoice(0)).toBeUndefined();
    expect(toolChoice(1)).toEqual(FORCED);
    expect(rec.planner).toEqual({ kind: 'claude', reason: 'Claude diagnosed in 2 turns' });
    expect(tokensUsed(rec.usage)).toBeLessThanOrEqual(budget);
  });

  it('forces the report when the time left would not cover another turn', async () => {
    const cfg = config({ claude: { max_turns: 8 } });
    const rec = record(cfg, [tracked('web1', 'service', 'nginx', 'critical', 'down')]);
    const shells = new Map([['web1', new ScriptedShell('web1', () => ({ stdout: 'ok\n' }))]]);
    let t = 0;
    fake.play(
      () => {
        t = 4_000; // the first turn takes 4 s of a 10 s limit: 6 s left does not cover two more
        return reply([toolUse('run_diagnostic', { server: 'web1', diagnostic: 'journal_errors', args: {} })]);
      },
      reply([report()]),
    );
    const remediator = createRemediator(runContext(cfg, { model }), rec, memory(), shells, { settleMs: 0 });
    const result = await runClaudeLoop({
      model,
      system: 'system',
      task: 'task',
      limits: { maxTurns: 8, maxTokens: 60_000, timeoutMs: 10_000 },
      tools: {
        record: rec,
        remediator,
        shells,
        secrets: [],
        nonce: 'n0nce',
        asked: new Set([NGINX]),
        diagnosticTimeoutMs: 1_000,
      },
      usage: zeroUsage(),
      now: () => t,
    });
    expect(result).toMatchObject({ end: 'done', turns: 2 });
    expect(toolChoice(0)).toBeUndefined();
    expect(toolChoice(1)).toEqual(FORCED);
  });

  it('retries once without strict when the API refuses the strict grammar, and says so', async () => {
    fake.play(
      {
        kind: 'error',
        status: 400,
        type: 'invalid_request_error',
        message: 'The compiled grammar is too large',
      },
      reply([report()]),
    );
    const { rec } = await run();
    expect(fake.requests).toHaveLength(2);
    const strictOf = (i: number) =>
      ((fake.requests[i]?.body.tools ?? []) as { strict?: boolean }[]).map((t) => t.strict === true);
    expect(strictOf(0)).toEqual([true, true, true, true]);
    expect(strictOf(1)).toEqual([false, false, false, false]);
    expect(rec.planner.kind).toBe('claude');
    expect(rec.warnings.join('\n')).toMatch(
      /strict tool schemas refused \(.*grammar is too large.*\): sent without strict/,
    );
  });

  it('never sends an empty assistant turn: it is dropped and the model nudged', async () => {
    fake.play(reply([], 'end_turn'), reply([text('  ')], 'end_turn'), reply([report()]));
    const { rec } = await run();
    expect(fake.requests).toHaveLength(3);
    for (const i of [1, 2]) {
      expect(messages(i).filter((m) => m.role === 'assistant')).toEqual([]);
      expect(JSON.stringify(messages(i).at(-1)?.content)).toMatch(/Your last reply was empty/);
    }
    expect(rec.planner.kind).toBe('claude');
    expect(rec.errors).toEqual([]);
  });

  it('resumes a pause_turn by sending the paused turn back as it is', async () => {
    fake.play(reply([text('Half way through the analysis')], 'pause_turn'), reply([report()]));
    const { rec } = await run();
    expect(fake.requests).toHaveLength(2);
    const last = messages(1).at(-1);
    expect(last?.role).toBe('assistant');
    expect(JSON.stringify(last?.content)).toMatch(/Half way through/);
    expect(rec.planner.kind).toBe('claude');
  });

  it('records the refusal category and explanation, and the rules decide', async () => {
    const refusal: Scripted = {
      kind: 'message',
      content: [],
      stop_reason: 'refusal',
      stop_details: {
        type: 'refusal',
        category: 'cyber',
        explanation: 'The request resembles exploit work.',
      },
    };
    fake.play(refusal);
    const { rec } = await run();
    expect(rec.errors.join('\n')).toMatch(/refusal: category cyber; The request resembles exploit work\./);
    expect(rec.planner.kind).toBe('rules');
    expect(rec.actions).toMatchObject([{ action: 'restart-service', requestedBy: 'rules' }]);
  });

  it('handles report_diagnosis after the other calls of its turn', async () => {
    let diagnosedBeforeAction: boolean | undefined;
    fake.play(reply([report(), restart()]));
    const result = await run({}, (script, rec) => {
      if (script.startsWith('systemctl restart')) diagnosedBeforeAction = rec.diagnoses.length > 0;
    });
    expect(result.shell.changes).toEqual(["systemctl restart -- 'nginx'\n"]);
    expect(diagnosedBeforeAction).toBe(false);
    expect(result.rec.actions).toMatchObject([{ requestedBy: 'claude', outcome: 'fixed' }]);
    expect(result.rec.diagnoses).toHaveLength(1);
  });

  it('sends findings the report does not cover to the rules planner, and says so', async () => {
    const findings = [
      tracked('web1', 'service', 'nginx', 'critical', 'nginx is inactive (dead)'),
      tracked('web1', 'service', 'worker', 'critical', 'worker is stopped'),
    ];
    fake.play(reply([report([NGINX])]));
    const { rec } = await run({ findings });
    expect(rec.diagnoses.map((d) => d.fingerprint).sort()).toEqual([NGINX, WORKER]);
    expect(rec.diagnoses.find((d) => d.fingerprint === WORKER)?.rootCause).toMatch(/rule-based/);
    expect(rec.actions).toMatchObject([
      { action: 'restart-service', params: { service: 'worker' }, requestedBy: 'rules' },
    ]);
    expect(rec.planner.kind).toBe('claude');
    expect(rec.planner.reason).toMatch(/rule-based planner decided for web1\/service\/worker/);
    expect(rec.warnings.join('\n')).toMatch(/did not cover web1\/service\/worker/);
  });

  it('sends every tool schema strict in a run; the API accepts them', async () => {
    const tools = toolDefinitions();
    const strict = tools.filter((t) => t.strict).map((t) => t.name);
    expect(strict).toContain('report_diagnosis');
    const schema = JSON.stringify(tools.find((t) => t.name === 'report_diagnosis')?.input_schema);
    expect(schema).not.toMatch(/maxLength|maxItems|minLength/);
    expect(schema).toMatch(/"enum":\["low","medium","high"\]/);
    // an open parameter map has no strict form
    expect(strictSchema({ type: 'object', additionalProperties: { type: 'string' } })).toBeUndefined();
    fake.play(reply([report()]));
    await run();
    expect(fake.requests).toHaveLength(1);
    // in a run, the open parameter maps are closed over the run's parameter names: all four strict
    const sent = fake.requests[0]?.body.tools as { name: string; strict?: boolean; input_schema: Schema }[];
    expect(sent.map((t) => [t.name, t.strict])).toEqual([
      ['run_diagnostic', true],
      ['remediate', true],
      ['request_approval', true],
      ['report_diagnosis', true],
    ]);
    const params = sent[1]?.input_schema.properties?.params;
    expect(params?.additionalProperties).toBe(false);
    expect(Object.keys(params?.properties ?? {})).toContain('service');
    expect(Object.keys(params?.properties ?? {})).toContain('directory');
    expect(Object.keys(sent[0]?.input_schema.properties?.args?.properties ?? {})).toEqual(
      expect.arrayContaining(['service', 'path', 'since', 'priority']),
    );
  });
});

describe('prices and the budget', () => {
  const response = (u: ModelResponse['usage']): ModelResponse => ({
    id: 'm',
    model: 'x',
    content: [],
    stop_reason: 'end_turn',
    usage: u,
  });

  it('counts cache reads at a tenth and writes at 1.25x of an input token, in cost and budget', () => {
    const usage = zeroUsage();
    addUsage(
      usage,
      'claude-sonnet-4-6',
      response({
        input_tokens: 1000,
        output_tokens: 100,
        cache_creation_input_tokens: 2000,
        cache_read_input_tokens: 10_000,
      }),
    );
    // 1000 + 2000*1.25 + 10000*0.1 = 4500 input-priced at $3/M; 100 output at $15/M
    expect(usage.costUsd).toBeCloseTo((4500 * 3 + 100 * 15) / 1e6, 9);
    expect(tokensUsed(usage)).toBe(1000 + 100 + 2500 + 1000);
  });

  it('prices by exact model id and warns on an unknown one', () => {
    expect(priceOf('claude-haiku-4-5')).toEqual({ input: 1, output: 5 });
    expect(priceOf('claude-opus-4-1')).toEqual({ input: 15, output: 75 });
    expect(priceOf('claude-sonnet-4-6-preview')).toBeUndefined();
    expect(unknownModelWarning('claude-sonnet-4-6')).toBeUndefined();
    expect(unknownModelWarning('claude-sonnet-9')).toMatch(/not in the price table.*upper bound/);
  });

  it('records the unknown-model warning in the run', async () => {
    const other = anthropicModel({
      apiKey: API_KEY,
      model: 'claude-sonnet-9',
      baseURL: fake.url,
      maxRetries: 0,
    });
    const cfg = config();
    const rec = record(cfg, [tracked('web1', 'service', 'nginx', 'critical', 'down')]);
    fake.play(reply([report()]));
    await diagnoseAndRemediate(runContext(cfg, { model: other, apiKey: API_KEY }), rec, memory(), new Map(), {
      recheck: async () => [],
      settleMs: 0,
    });
    expect(rec.warnings.join('\n')).toMatch(/claude-sonnet-9.*not in the price table/);
  });
});
