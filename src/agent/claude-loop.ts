/**
 * Our own bounded agent loop over the Messages API (docs/architecture.md#claude): plain full-history requests, no
 * server-side threads or betas, so any Messages-API server works. Bounded three ways — turns
 * (`claude.max_turns`), tokens (`claude.max_tokens_per_run`, every billed token counts) and wall
 * clock (`claude.timeout`) — and it never throws: every way it can end is a LoopResult the caller
 * turns into "which planner decided and why".
 */

import type {
  ContentBlock,
  MessageParam,
  Model,
  ModelResponse,
  TextBlock,
  ToolChoice,
  ToolResultBlock,
  ToolUseBlock,
} from '../core/ports/index.js';
import { ModelError } from '../core/ports/index.js';
import type { Usage } from '../core/run-record.js';
import { errorMessage } from '../core/util/error-message.js';
import { redact } from '../core/util/redact.js';
import { addUsage, tokensUsed } from './pricing.js';
import { handleTool, type ParamNames, type ToolContext, toolDefinitions } from './tools.js';

export { addUsage, tokensUsed };

export interface LoopLimits {
  maxTurns: number;
  /** all billed tokens of the run: input, cache writes, cache reads, output */
  maxTokens: number;
  timeoutMs: number;
  /** output tokens per call (lowered when the budget left is smaller) */
  maxOutputTokens?: number;
  /** tool calls answered per assistant turn (report_diagnosis not counted); default 8 */
  maxToolCallsPerTurn?: number;
  /** tool calls answered per run (report_diagnosis not counted); default 40 */
  maxToolCallsPerRun?: number;
}

export const DEFAULT_TOOL_CALLS_PER_TURN = 8;
export const DEFAULT_TOOL_CALLS_PER_RUN = 40;
/** The model's free text kept for the record when it never reported (a report's summary is bounded the same). */
export const MAX_FREE_TEXT = 4_000;

/**
 * What every tool call passes before it runs: the per-turn and per-run caps and the deadline,
 * checked between calls (a turn of 40 slow diagnostics must not run on past the time limit).
 * report_diagnosis always passes: it is how the loop ends.
 */
interface ToolBounds {
  perTurn: number;
  perRun: number;
  /** calls answered so far this run */
  used: number;
  /** ms left before the loop's deadline */
  left: () => number;
}

function refusal(use: ToolUseBlock, inTurn: number, bounds: ToolBounds): string | undefined {
  if (use.name === 'report_diagnosis') return undefined;
  if (bounds.left() <= 0)
    return 'Not run: the time limit for this run is reached. Call report_diagnosis now with what you know.';
  if (bounds.used >= bounds.perRun)
    return `Not run: this run's limit of ${bounds.perRun} tool calls is reached. Call report_diagnosis now.`;
  if (inTurn >= bounds.perTurn)
    return `Not run: at most ${bounds.perTurn} tool calls are answered per turn. Ask for what matters most next turn.`;
  return undefined;
}

export interface LoopInput {
  model: Model;
  system: string;
  /** matching runbooks: a second system block, inside the cached prefix */
  runbooks?: string;
  /** the run's catalog and diagnostic parameter names: every tool schema sent strict */
  paramNames?: ParamNames;
  task: string;
  limits: LoopLimits;
  tools: ToolContext;
  usage: Usage;
  /** monotonic milliseconds (tests pass a fake) */
  now?: () => number;
  /** recoverable problems the run should report (default: dropped) */
  warn?: (message: string) => void;
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
const NUDGE_EMPTY =
  'Your last reply was empty. Continue: gather evidence, act, or call report_diagnosis covering every finding.';
const NUDGE_LAST =
  'This is your last turn (turns, tokens or time are running out): call report_diagnosis now, covering every finding you were asked about, with what you know.';
const MIN_OUTPUT = 512;
const FORCE_REPORT: ToolChoice = { type: 'tool', name: 'report_diagnosis' };

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

/**
 * Answers every tool_use of one assistant turn; a call cut off by max_tokens gets a corrective
 * error. report_diagnosis is handled after the turn's other calls, so actions it may describe have
 * run (and are recorded) before the loop ends on it; results keep the order of the calls.
 */
async function answerTools(
  response: ModelResponse,
  tools: ToolContext,
  bounds: ToolBounds,
): Promise<{ results: ToolResultBlock[]; final: boolean }> {
  const uses = toolUses(response.content);
  const results: ToolResultBlock[] = [];
  const order = uses.map((use, i) => ({ use, i }));
  order.sort((x, y) => Number(x.use.name === 'report_diagnosis') - Number(y.use.name === 'report_diagnosis'));
  let final = false;
  let inTurn = 0;
  for (const { use, i } of order) {
    const refused = refusal(use, inTurn, bounds);
    if (refused) {
      results[i] = { type: 'tool_result', tool_use_id: use.id, content: refused, is_error: true };
      continue;
    }
    if (use.name !== 'report_diagnosis') {
      inTurn += 1;
      bounds.used += 1;
    }
    if (response.stop_reason === 'max_tokens' && i === uses.length - 1) {
      results[i] = {
        type: 'tool_result',
        tool_use_id: use.id,
        content:
          'This call was cut off by the output limit; its input is incomplete. Call again with shorter input.',
        is_error: true,
      };
      continue;
    }
    const result = await handleTool(use.name, use.input, tools);
    results[i] = {
      type: 'tool_result',
      tool_use_id: use.id,
      // every tool result is redacted, errors too (an exception can quote a DSN or a header)
      content: redact(result.content, tools.secrets),
      ...(result.isError ? { is_error: true } : {}),
    };
    final ||= result.final === true;
  }
  return { results, final };
}

/**
 * The assistant turn as it may be sent back: text blocks without text are dropped (the API
 * rejects them, and an assistant turn with no content at all).
 */
function sendable<T extends ContentBlock>(content: readonly T[]): T[] {
  return content.filter(
    (b) => b.type !== 'text' || String((b as { text?: unknown }).text ?? '').trim() !== '',
  );
}

/** Adds a nudge to the last user turn (after any tool results), or as a user turn of its own. */
function nudge(messages: MessageParam[], text: string): void {
  const last = messages.at(-1);
  if (last?.role !== 'user') {
    messages.push({ role: 'user', content: text });
    return;
  }
  last.content =
    typeof last.content === 'string'
      ? `${last.content}\n\n${text}`
      : [...last.content, { type: 'text', text } as ContentBlock];
}

/** How long a turn took and what it cost, to judge whether another one fits. */
interface TurnCost {
  tokens: number;
  ms: number;
}

/**
 * Whether the coming turn must be the last: the final turn, or the token budget or the time left
 * would not cover one more turn after it (a turn costs at least what the previous one did: the
 * history only grows).
 */
function mustReport(
  turn: number,
  limits: LoopLimits,
  left: number,
  budget: number,
  prev?: TurnCost,
): boolean {
  if (turn >= limits.maxTurns) return true;
  if (!prev) return false;
  return budget < 2 * prev.tokens + MIN_OUTPUT || left < 2 * prev.ms;
}

export async function runClaudeLoop(input: LoopInput): Promise<LoopResult> {
  const now = input.now ?? (() => performance.now());
  const started = now();
  const { limits } = input;
  const conversation: Conversation = {
    system: systemBlocks(input.system, input.runbooks),
    tools: toolDefinitions(input.paramNames),
    messages: [{ role: 'user', content: input.task }],
  };
  let text: string | undefined;
  let prev: TurnCost | undefined;
  const bounds: ToolBounds = {
    perTurn: limits.maxToolCallsPerTurn ?? DEFAULT_TOOL_CALLS_PER_TURN,
    perRun: limits.maxToolCallsPerRun ?? DEFAULT_TOOL_CALLS_PER_RUN,
    used: 0,
    left: () => limits.timeoutMs - (now() - started),
  };
  const tools: ToolContext = { ...input.tools, timeLeftMs: bounds.left };
  for (let turn = 1; turn <= limits.maxTurns; turn++) {
    const turnStart = now();
    const left = limits.timeoutMs - (turnStart - started);
    const spentBefore = tokensUsed(input.usage);
    const budget = limits.maxTokens - spentBefore;
    const spent = outOfLimits(limits, turn - 1, left, budget);
    if (spent) return { ...spent, text };
    const last = mustReport(turn, limits, left, budget, prev);
    if (last && !conversation.tool_choice) {
      conversation.tool_choice = FORCE_REPORT;
      nudge(conversation.messages, NUDGE_LAST);
    }
    const call = await callOrUnstrict(
      input,
      conversation,
      Math.min(limits.maxOutputTokens ?? 4096, budget),
      left,
    );
    if (!call.ok) return { ...apiFailure(call.error, call.aborted, turn), text };
    addUsage(input.usage, input.model.name, call.response);
    text = (textOf(call.response.content) || text)?.slice(0, MAX_FREE_TEXT);
    const ending = await answerTurn(call.response, turn, tools, bounds, conversation.messages);
    if (ending) return { ...ending, text };
    prev = { tokens: tokensUsed(input.usage) - spentBefore, ms: now() - turnStart };
  }
  return {
    end: 'turns',
    detail: `Claude used all ${limits.maxTurns} turns without reporting a diagnosis`,
    turns: limits.maxTurns,
    text,
  };
}

/**
 * One model call; when the API refuses the strict tool schemas, the same call again without them.
 * The API compiles strict schemas into one grammar and may refuse one it finds too large: the same
 * tools without `strict` (inputs are validated in code either way) beat no Claude.
 */
async function callOrUnstrict(input: LoopInput, conversation: Conversation, maxTokens: number, left: number) {
  const call = await callModel(input, conversation, maxTokens, left);
  if (call.ok || !strictRefused(call.error, conversation)) return call;
  input.warn?.(
    `strict tool schemas refused (${errorMessage(call.error).slice(0, 200)}): sent without strict`,
  );
  conversation.tools = conversation.tools.map(({ strict: _strict, ...tool }) => tool);
  return callModel(input, conversation, maxTokens, left);
}

/** What every request of a run repeats: the system prompt (cached), the tools, the history so far. */
interface Conversation {
  system: TextBlock[];
  tools: ReturnType<typeof toolDefinitions>;
  /** set once the loop forces the report; absent means the API default (auto) */
  tool_choice?: ToolChoice;
  messages: MessageParam[];
}

/** The system prompt, then the runbooks; the last block closes the cached prefix. */
function systemBlocks(system: string, runbooks?: string): TextBlock[] {
  const texts = runbooks ? [system, runbooks] : [system];
  return texts.map((text, i) =>
    i === texts.length - 1
      ? { type: 'text', text, cache_control: { type: 'ephemeral' } }
      : { type: 'text', text },
  );
}

/** A 400 on a request whose tools are strict: worth one retry without `strict`. */
function strictRefused(error: unknown, conversation: Conversation): boolean {
  return (
    error instanceof ModelError &&
    error.kind === 'bad-request' &&
    conversation.tools.some((t) => t.strict) &&
    /strict|grammar|schema/i.test(error.message)
  );
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

/** The refusal with what the API says about it (category, explanation), bounded. */
function refusalDetail(response: ModelResponse): string {
  const details = response.stop_details;
  const parts = [
    details?.category ? `category ${String(details.category).slice(0, 64)}` : '',
    details?.explanation ? String(details.explanation).slice(0, 300) : '',
  ].filter(Boolean);
  return `Claude declined to answer (stop_reason refusal${parts.length ? `: ${parts.join('; ')}` : ''})`;
}

/**
 * Acts on the model's turn: the loop's end, or undefined once the next request is queued.
 * An empty turn is never sent back (the API rejects it): it is dropped and the model nudged.
 * pause_turn: the turn so far is sent back as is and the model continues it.
 */
async function answerTurn(
  response: ModelResponse,
  turn: number,
  tools: ToolContext,
  bounds: ToolBounds,
  messages: MessageParam[],
): Promise<Ending | undefined> {
  if (response.stop_reason === 'refusal')
    return { end: 'refusal', detail: refusalDetail(response), turns: turn };
  const content = sendable(response.content);
  if (content.length === 0) {
    nudge(messages, NUDGE_EMPTY);
    return undefined;
  }
  messages.push({ role: 'assistant', content });
  if (toolUses(content).length > 0) {
    const { results, final } = await answerTools({ ...response, content }, tools, bounds);
    if (final) return { end: 'done', detail: `Claude diagnosed in ${turn} turns`, turns: turn };
    messages.push({ role: 'user', content: results });
    return undefined;
  }
  if (response.stop_reason === 'pause_turn') return undefined;
  messages.push({
    role: 'user',
    content: response.stop_reason === 'max_tokens' ? NUDGE_SHORT : NUDGE_REPORT,
  });
  return undefined;
}
