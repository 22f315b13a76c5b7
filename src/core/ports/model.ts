/**
 * The Messages API as the agent loop needs it: a deliberately small, SDK-independent slice of the
 * wire format. The real adapter (src/adapters/anthropic-model.ts) wraps @anthropic-ai/sdk; tests
 * point that same adapter at a scripted Messages-API server through ANTHROPIC_BASE_URL.
 *
 * No sampling parameters: API version 2026-10-21 (sent by SDK 1.x) rejects `temperature`, `top_p`
 * and `top_k` with a 400 even at their defaults, so determinism comes from the prompt, the tool
 * schemas and the code-side gate, not from a temperature of 0.
 */

export interface CacheControl {
  type: 'ephemeral';
}

export interface TextBlock {
  type: 'text';
  text: string;
  cache_control?: CacheControl;
}

export interface ToolUseBlock {
  type: 'tool_use';
  id: string;
  name: string;
  input: unknown;
}

export interface ToolResultBlock {
  type: 'tool_result';
  tool_use_id: string;
  content: string;
  is_error?: boolean;
}

/** Blocks the model may answer with; other kinds (thinking, server tools) are kept but ignored. */
export type ResponseBlock = TextBlock | ToolUseBlock | { type: string; [key: string]: unknown };

export type ContentBlock =
  | TextBlock
  | ToolUseBlock
  | ToolResultBlock
  | { type: string; [key: string]: unknown };

export interface MessageParam {
  role: 'user' | 'assistant';
  content: string | ContentBlock[];
}

export interface ToolDefinition {
  name: string;
  description: string;
  input_schema: Record<string, unknown>;
  /** grammar-constrained input: the model cannot emit input outside the schema */
  strict?: boolean;
  cache_control?: CacheControl;
}

/** `auto` is the API default; `tool` forces one named tool (the loop forces report_diagnosis). */
export type ToolChoice = { type: 'auto' } | { type: 'tool'; name: string };

export interface ModelRequest {
  model: string;
  max_tokens: number;
  system: TextBlock[];
  tools: ToolDefinition[];
  tool_choice?: ToolChoice;
  messages: MessageParam[];
}

export interface ModelUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
}

export type StopReason =
  | 'end_turn'
  | 'max_tokens'
  | 'stop_sequence'
  | 'tool_use'
  | 'pause_turn'
  | 'refusal'
  | 'model_context_window_exceeded';

export interface ModelResponse {
  id: string;
  model: string;
  content: ResponseBlock[];
  stop_reason: StopReason | null;
  /** set with stop_reason `refusal`: the policy category and an explanation, either may be null */
  stop_details?: { type?: string; category?: string | null; explanation?: string | null } | null;
  usage: ModelUsage;
}

export interface CallOptions {
  /** aborts the request when the run's wall-clock budget for Claude is spent */
  signal?: AbortSignal;
}

/**
 * Why a call failed, in the terms the loop decides on: every kind falls back to the rule-based
 * planner; the kind only makes the report precise.
 */
export type ModelErrorKind =
  | 'rate-limit'
  | 'overloaded'
  | 'auth'
  | 'bad-request'
  | 'timeout'
  | 'connection'
  | 'api';

export class ModelError extends Error {
  constructor(
    message: string,
    readonly kind: ModelErrorKind,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'ModelError';
  }
}

export interface Model {
  /** the model id requests are sent with */
  readonly name: string;
  /** one Messages-API call; throws ModelError */
  create(request: ModelRequest, options?: CallOptions): Promise<ModelResponse>;
}
