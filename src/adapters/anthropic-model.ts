/**
 * The real Model: @anthropic-ai/sdk's `messages.create`, non-streaming, with full-history
 * requests. The SDK reads ANTHROPIC_BASE_URL (how tests reach the scripted fake server) and sends
 * the key as `Authorization: Bearer`. Its own retries handle a transient 429/529 (honouring
 * retry-after); what still fails becomes a ModelError and the run falls back to the rules.
 */
import type Anthropic from '@anthropic-ai/sdk';
import {
  type CallOptions,
  type Model,
  ModelError,
  type ModelErrorKind,
  type ModelRequest,
  type ModelResponse,
} from '../core/ports/index.js';
import { errorMessage } from '../core/util/error-message.js';

export interface AnthropicModelOptions {
  apiKey: string;
  model: string;
  /** SDK retries on 408/409/429/5xx/529 (default 2) */
  maxRetries?: number;
  /** per request (default 120 s); the loop's wall-clock limit aborts sooner when it must */
  timeoutMs?: number;
  /** defaults to ANTHROPIC_BASE_URL, else the public API */
  baseURL?: string;
}

function kindOf(status: number | undefined): ModelErrorKind {
  if (status === 429) return 'rate-limit';
  if (status === 529 || status === 503) return 'overloaded';
  if (status === 401 || status === 403) return 'auth';
  if (status === 400 || status === 404 || status === 413 || status === 422) return 'bad-request';
  if (status === 408 || status === 504) return 'timeout';
  return 'api';
}

/** The SDK's client class, with its error classes as static members. */
type Sdk = typeof Anthropic;

/** An SDK error as a ModelError; the message carries the API's own error type and text. */
export function toModelError(error: unknown, sdk: Sdk | undefined): ModelError {
  if (!sdk) return new ModelError(`the Messages API client did not load: ${errorMessage(error)}`, 'api');
  const Anthropic = sdk;
  if (error instanceof Anthropic.APIConnectionTimeoutError)
    return new ModelError('request timed out', 'timeout');
  if (error instanceof Anthropic.APIUserAbortError)
    return new ModelError('request aborted (time limit)', 'timeout');
  if (error instanceof Anthropic.APIConnectionError)
    return new ModelError(`connection failed: ${error.message}`, 'connection');
  if (error instanceof Anthropic.APIError) {
    const body = error.error as { error?: { type?: string; message?: string } } | undefined;
    const detail = body?.error ? `${body.error.type}: ${body.error.message}` : error.message;
    return new ModelError(`HTTP ${error.status ?? '?'} ${detail}`, kindOf(error.status), error.status);
  }
  return new ModelError(errorMessage(error), 'api');
}

/**
 * A 200 answer is still only data: one that is not a Messages-API message (content not an array
 * of typed blocks, usage not numbers) is an API failure like any other, and the rules take over.
 */
export function wellFormed(value: unknown): ModelResponse {
  const bad = (why: string) => new ModelError(`malformed response from the Messages API: ${why}`, 'api');
  if (typeof value !== 'object' || value === null) throw bad('not a JSON object');
  const m = value as Record<string, unknown>;
  if (!Array.isArray(m.content))
    throw bad(`content is ${m.content === null ? 'null' : typeof m.content}, not an array`);
  for (const block of m.content as unknown[]) {
    if (typeof block !== 'object' || block === null || typeof (block as { type?: unknown }).type !== 'string')
      throw bad('a content block without a type');
  }
  if (m.stop_reason !== null && m.stop_reason !== undefined && typeof m.stop_reason !== 'string')
    throw bad('stop_reason is not a string');
  const usage = m.usage as Record<string, unknown> | undefined;
  if (typeof usage !== 'object' || usage === null) throw bad('no usage');
  for (const key of ['input_tokens', 'output_tokens'])
    if (typeof usage[key] !== 'number' || !Number.isFinite(usage[key]))
      throw bad(`usage.${key} is not a number`);
  for (const key of ['cache_read_input_tokens', 'cache_creation_input_tokens'])
    if (usage[key] !== undefined && usage[key] !== null && typeof usage[key] !== 'number')
      throw bad(`usage.${key} is not a number`);
  return value as ModelResponse;
}

export function anthropicModel(options: AnthropicModelOptions): Model {
  // The SDK is a large module: it loads at the first request, so a run that never asks Claude
  // (no findings, or the rules decide) never pays for it.
  let loaded: Promise<{ sdk: Sdk; client: Anthropic }> | undefined;
  let sdk: Sdk | undefined;
  const connect = () =>
    (loaded ??= import('@anthropic-ai/sdk').then(({ default: Client }) => {
      sdk = Client;
      const client = new Client({
        apiKey: options.apiKey,
        maxRetries: options.maxRetries ?? 2,
        timeout: options.timeoutMs ?? 120_000,
        ...(options.baseURL ? { baseURL: options.baseURL } : {}),
      });
      return { sdk: Client, client };
    }));
  return {
    name: options.model,
    async create(request: ModelRequest, call: CallOptions = {}): Promise<ModelResponse> {
      try {
        const { client } = await connect();
        // our request type is a strict subset of the SDK's params; the SDK's union types
        // (MessageParam includes system turns, Tool unions server tools) accept it as is
        const params = request as unknown as Anthropic.MessageCreateParamsNonStreaming;
        const message: unknown = await client.messages.create(params, { signal: call.signal });
        return wellFormed(message);
      } catch (error) {
        throw error instanceof ModelError ? error : toModelError(error, sdk);
      }
    },
  };
}
