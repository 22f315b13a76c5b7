/**
 * Our own bounded agent loop over the Messages API (DESIGN §8): plain full-history requests, no
 * server-side threads or betas, so any Messages-API server works. Bounded three ways — turns
 * (`claude.max_turns`), tokens (`claude.max_tokens_per_run`, every billed token counts) and wall
 * clock (`claude.timeout`) — and it never throws: every way it can end is a LoopResult the caller
 * turns into "which planner decided and why".
 */
import type { Usage } from '../core/run-record.js';
import type {
  ContentBlock,
  MessageParam,
  Model,
  ModelResponse,
  ToolResultBlock,
  ToolUseBlock,
} from './model.js';
import { ModelError } from './model.js';
import { handleTool, type ToolContext, toolDefinitions } from './tools.js';

export interface LoopLimits {
  maxTurns: number;
  /** all billed tokens of the run: input, cache writes, cache reads, output */
  maxTokens: number;
  timeoutMs: number;
  /** output tokens per call (lowered when the budget left is smaller) */
  maxOutputTokens?: number;
}

export interface LoopInput {
  model: Model;
  system: string;
  task: string;
  limits: LoopLimits;
  tools: ToolContext;
  usage: Usage;
  /** monotonic milliseconds (tests pass a fake) */
  now?: () => number;
}

export type LoopEnd = 'done' | 'turns' | 'budget' | 'timeout' | 'api-error' | 'refusal';

export interface LoopResult {
  end: LoopEnd;
  /** a sentence for record.planner.reason */
  detail: string;
  turns: number;
  /** the model's last free text, when it wrote any */
  text?: string;
}

const NUDGE_REPORT = 'Finish now: call report_diagnosis once, covering every finding you were asked about.';
const NUDGE_SHORT = 'Your reply hit the output limit and was cut off. Be brief, then call report_diagnosis.';
const MIN_OUTPUT = 512;

/** USD per million tokens (input, output); cache writes cost 1.25× input, cache reads 0.1×. */
const PRICES: [RegExp, number, number][] = [
  [/haiku/, 1, 5],
  [/opus/, 5, 25],
  [/sonnet|.*/, 3, 15],
];

export function addUsage(usage: Usage, model: string, response: ModelResponse): void {
  const u = response.usage;
  const write = u.cache_creation_input_tokens ?? 0;
  const read = u.cache_read_input_tokens ?? 0;
  usage.inputTokens += u.input_tokens;
  usage.outputTokens += u.output_tokens;
  usage.cacheWriteTokens += write;
  usage.cacheReadTokens += read;
  usage.calls += 1;
  const [, input, output] = PRICES.find(([re]) => re.test(model)) ?? [/./, 3, 15];
  const cost =
    (u.input_tokens * input + write * input * 1.25 + read * input * 0.1 + u.output_tokens * output) / 1e6;
  usage.costUsd = Math.round((usage.costUsd + cost) * 1e6) / 1e6;
}

export function tokensUsed(usage: Usage): number {
  return usage.inputTokens + usage.outputTokens + usage.cacheReadTokens + usage.cacheWriteTokens;
}

function toolUses(content: readonly ContentBlock[]): ToolUseBlock[] {
  return content.filter(
    (b): b is ToolUseBlock => b.type === 'tool_use' && typeof (b as ToolUseBlock).id === 'string',
  );
}

function textOf(content: readonly ContentBlock[]): string {
  return content
    .filter((b) => b.type === 'text')
    .map((b) => String((b as { text?: unknown }).text ?? ''))
    .join('\n')
    .trim();
}

/** Answers every tool_use of one assistant turn; a call cut off by max_tokens gets a corrective error. */
async function answerTools(
  response: ModelResponse,
  tools: ToolContext,
): Promise<{ results: ToolResultBlock[]; final: boolean }> {
  const uses = toolUses(response.content);
  const results: ToolResultBlock[] = [];
  let final = false;
  for (const [i, use] of uses.entries()) {
    if (response.stop_reason === 'max_tokens' && i === uses.length - 1) {
      results.push({
        type: 'tool_result',
        tool_use_id: use.id,
        content:
          'This call was cut off by the output limit; its input is incomplete. Call again with shorter input.',
        is_error: true,
      });
      continue;
    }
    const result = await handleTool(use.name, use.input, tools);
    results.push({
      type: 'tool_result',
      tool_use_id: use.id,
      content: result.content,
      ...(result.isError ? { is_error: true } : {}),
    });
    final ||= result.final === true;
  }
  return { results, final };
}

export async function runClaudeLoop(input: LoopInput): Promise<LoopResult> {
  const now = input.now ?? (() => performance.now());
  const started = now();
  const { limits } = input;
  const system = [
    { type: 'text' as const, text: input.system, cache_control: { type: 'ephemeral' as const } },
  ];
  const tools = toolDefinitions();
  const messages: MessageParam[] = [{ role: 'user', content: input.task }];
  let text: string | undefined;
  for (let turn = 1; turn <= limits.maxTurns; turn++) {
    const left = limits.timeoutMs - (now() - started);
    if (left <= 0)
      return {
        end: 'timeout',
        detail: `Claude's time limit (${limits.timeoutMs} ms) ran out after ${turn - 1} turns`,
        turns: turn - 1,
        text,
      };
    const budget = limits.maxTokens - tokensUsed(input.usage);
    if (budget < MIN_OUTPUT) {
      return {
        end: 'budget',
        detail: `the token budget (${limits.maxTokens}) was spent after ${turn - 1} turns`,
        turns: turn - 1,
        text,
      };
    }
    let response: ModelResponse;
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), left);
    try {
      response = await input.model.create(
        {
          model: input.model.name,
          max_tokens: Math.min(limits.maxOutputTokens ?? 4096, budget),
          system,
          tools,
          messages,
        },
        { signal: abort.signal },
      );
    } catch (error) {
      const kind = error instanceof ModelError ? error.kind : 'api';
      const message = error instanceof Error ? error.message : String(error);
      const end: LoopEnd = abort.signal.aborted ? 'timeout' : 'api-error';
      return {
        end,
        detail: `the Claude API failed on turn ${turn} (${kind}): ${message.slice(0, 300)}`,
        turns: turn - 1,
        text,
      };
    } finally {
      clearTimeout(timer);
    }
    addUsage(input.usage, input.model.name, response);
    messages.push({ role: 'assistant', content: response.content });
    text = textOf(response.content) || text;
    if (response.stop_reason === 'refusal')
      return { end: 'refusal', detail: 'Claude declined to answer (stop_reason refusal)', turns: turn, text };
    if (toolUses(response.content).length > 0) {
      const { results, final } = await answerTools(response, input.tools);
      if (final) return { end: 'done', detail: `Claude diagnosed in ${turn} turns`, turns: turn, text };
      messages.push({ role: 'user', content: results });
      continue;
    }
    messages.push({
      role: 'user',
      content: response.stop_reason === 'max_tokens' ? NUDGE_SHORT : NUDGE_REPORT,
    });
  }
  return {
    end: 'turns',
    detail: `Claude used all ${limits.maxTurns} turns without reporting a diagnosis`,
    turns: limits.maxTurns,
    text,
  };
}
