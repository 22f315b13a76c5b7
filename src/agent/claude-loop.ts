/**
 * Our own bounded agent loop over the Messages API (DESIGN §8): plain full-history requests, no
 * server-side threads or betas, so any Messages-API server works. Bounded three ways — turns
 * (`claude.max_turns`), tokens (`claude.max_tokens_per_run`, every billed token counts) and wall
 * clock (`claude.timeout`) — and it never throws: every way it can end is a LoopResult the caller
 * turns into "which planner decided and why".
 */
import { errorMessage } from '../core/error-message.js';
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
  const conversation: Conversation = {
    system: [{ type: 'text', text: input.system, cache_control: { type: 'ephemeral' } }],
    tools: toolDefinitions(),
    messages: [{ role: 'user', content: input.task }],
  };
  let text: string | undefined;
  for (let turn = 1; turn <= limits.maxTurns; turn++) {
    const left = limits.timeoutMs - (now() - started);
    const budget = limits.maxTokens - tokensUsed(input.usage);
    const spent = outOfLimits(limits, turn - 1, left, budget);
    if (spent) return { ...spent, text };
    const call = await callModel(input, conversation, Math.min(limits.maxOutputTokens ?? 4096, budget), left);
    if (!call.ok) return { ...apiFailure(call.error, call.aborted, turn), text };
    addUsage(input.usage, input.model.name, call.response);
    conversation.messages.push({ role: 'assistant', content: call.response.content });
    text = textOf(call.response.content) || text;
    const ending = await answerTurn(call.response, turn, input.tools, conversation.messages);
    if (ending) return { ...ending, text };
  }
  return {
    end: 'turns',
    detail: `Claude used all ${limits.maxTurns} turns without reporting a diagnosis`,
    turns: limits.maxTurns,
    text,
  };
}

/** What every request of a run repeats: the system prompt (cached), the tools, the history so far. */
interface Conversation {
  system: [{ type: 'text'; text: string; cache_control: { type: 'ephemeral' } }];
  tools: ReturnType<typeof toolDefinitions>;
  messages: MessageParam[];
}

/** How the loop ended, less the model's text (the loop adds what it has). */
type Ending = Omit<LoopResult, 'text'>;

/** Ends the loop before a turn when the clock or the token budget has run out. */
function outOfLimits(limits: LoopLimits, done: number, left: number, budget: number): Ending | undefined {
  if (left <= 0) {
    return {
      end: 'timeout',
      detail: `Claude's time limit (${limits.timeoutMs} ms) ran out after ${done} turns`,
      turns: done,
    };
  }
  if (budget < MIN_OUTPUT) {
    return {
      end: 'budget',
      detail: `the token budget (${limits.maxTokens}) was spent after ${done} turns`,
      turns: done,
    };
  }
  return undefined;
}

/** One request, aborted when the time left runs out. */
async function callModel(
  input: LoopInput,
  conversation: Conversation,
  maxTokens: number,
  left: number,
): Promise<{ ok: true; response: ModelResponse } | { ok: false; error: unknown; aborted: boolean }> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), left);
  try {
    const response = await input.model.create(
      { model: input.model.name, max_tokens: maxTokens, ...conversation },
      { signal: abort.signal },
    );
    return { ok: true, response };
  } catch (error) {
    return { ok: false, error, aborted: abort.signal.aborted };
  } finally {
    clearTimeout(timer);
  }
}

function apiFailure(error: unknown, aborted: boolean, turn: number): Ending {
  const kind = error instanceof ModelError ? error.kind : 'api';
  return {
    end: aborted ? 'timeout' : 'api-error',
    detail: `the Claude API failed on turn ${turn} (${kind}): ${errorMessage(error).slice(0, 300)}`,
    turns: turn - 1,
  };
}

/** Acts on the model's turn: the loop's end, or undefined once the next user message is queued. */
async function answerTurn(
  response: ModelResponse,
  turn: number,
  tools: ToolContext,
  messages: MessageParam[],
): Promise<Ending | undefined> {
  if (response.stop_reason === 'refusal') {
    return { end: 'refusal', detail: 'Claude declined to answer (stop_reason refusal)', turns: turn };
  }
  if (toolUses(response.content).length > 0) {
    const { results, final } = await answerTools(response, tools);
    if (final) return { end: 'done', detail: `Claude diagnosed in ${turn} turns`, turns: turn };
    messages.push({ role: 'user', content: results });
    return undefined;
  }
  messages.push({
    role: 'user',
    content: response.stop_reason === 'max_tokens' ? NUDGE_SHORT : NUDGE_REPORT,
  });
  return undefined;
}
