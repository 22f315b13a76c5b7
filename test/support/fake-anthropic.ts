/**
 * A scripted Messages-API server for tests: a real HTTP server on 127.0.0.1 that speaks the wire
 * format of API version 2026-10-21 (what @anthropic-ai/sdk 1.x sends) — message JSON with ids,
 * usage (prompt-cache reads and writes), stop_reason and content blocks; error JSON with
 * `type: error`, the error object and request_id, and a `request-id` header. It checks requests
 * the way the API does where it matters to us (sampling parameters are refused, every tool_use
 * must be answered by a tool_result in the next user turn), answers from a per-scenario script,
 * and records every request so tests can assert what was sent.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  /** the parsed JSON body */
  body: Record<string, unknown>;
  raw: string;
}

export type Block = Record<string, unknown> & { type: string };

export type Scripted =
  | {
      kind: 'message';
      content: Block[];
      stop_reason?: string;
      output_tokens?: number;
      stop_details?: Record<string, unknown>;
    }
  | { kind: 'error'; status: number; type: string; message: string; retryAfterMs?: number }
  | { kind: 'raw'; status: number; body: string; headers?: Record<string, string> };

/** A script step: fixed, or computed from the request it answers (e.g. to echo a tool id). */
export type Step = Scripted | ((request: RecordedRequest) => Scripted);

const id = (prefix: string) => `${prefix}_01${randomBytes(11).toString('base64url').slice(0, 22)}`;

export const text = (t: string): Block => ({ type: 'text', text: t, citations: null });
export const toolUse = (name: string, input: unknown, useId = id('toolu')): Block => ({
  type: 'tool_use',
  id: useId,
  name,
  input,
  caller: { type: 'direct' },
});
export const reply = (content: Block[], stop_reason?: string): Scripted => ({
  kind: 'message',
  content,
  stop_reason: stop_reason ?? (content.some((b) => b.type === 'tool_use') ? 'tool_use' : 'end_turn'),
});
export const overloaded = (): Scripted => ({
  kind: 'error',
  status: 529,
  type: 'overloaded_error',
  message: 'Overloaded',
  retryAfterMs: 5,
});
export const rateLimited = (): Scripted => ({
  kind: 'error',
  status: 429,
  type: 'rate_limit_error',
  message: 'This request would exceed the rate limit for your organization of 50 requests per minute.',
  retryAfterMs: 5,
});

/** Rough token count, as the API would bill it: good enough for budget and cache arithmetic. */
const tokens = (value: unknown) => Math.ceil(JSON.stringify(value ?? '').length / 4);

const ERROR_STATUS: Record<string, number> = { invalid_request_error: 400, authentication_error: 401 };

export class FakeAnthropic {
  readonly requests: RecordedRequest[] = [];
  private script: Step[] = [];
  private server: Server | undefined;
  private lastPrefix: string | undefined;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** Replaces the script: one step per expected request, in order. */
  play(...steps: Step[]): this {
    this.script = [...steps];
    this.requests.length = 0;
    this.lastPrefix = undefined;
    return this;
  }

  get remaining(): number {
    return this.script.length;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    let body: Record<string, unknown> = {};
    try {
      body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
    } catch {
      return this.error(res, 400, 'invalid_request_error', 'request body is not valid JSON');
    }
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
    const request: RecordedRequest = { method: req.method ?? '', path: req.url ?? '', headers, body, raw };
    this.requests.push(request);
    if (request.method !== 'POST' || !request.path.startsWith('/v1/messages')) {
      return this.error(res, 404, 'not_found_error', `no route ${request.method} ${request.path}`);
    }
    const invalid = validate(request);
    if (invalid) return this.error(res, ERROR_STATUS[invalid.type] ?? 400, invalid.type, invalid.message);
    const next = this.script.shift();
    if (!next)
      return this.error(res, 500, 'api_error', 'fake-anthropic: no scripted response left for this request');
    const step = typeof next === 'function' ? next(request) : next;
    if (step.kind === 'error')
      return this.error(res, step.status, step.type, step.message, step.retryAfterMs);
    if (step.kind === 'raw') {
      res.writeHead(step.status, { 'content-type': 'application/json', ...step.headers });
      res.end(step.body);
      return;
    }
    this.message(res, request, step);
  }

  private message(
    res: ServerResponse,
    request: RecordedRequest,
    step: Extract<Scripted, { kind: 'message' }>,
  ): void {
    // the cacheable prefix: tools then system, up to the last cache_control breakpoint
    const prefix = JSON.stringify([request.body.tools, request.body.system]);
    const cached = prefix.includes('"cache_control"');
    const prefixTokens = cached ? tokens(prefix) : 0;
    const hit = cached && this.lastPrefix === prefix;
    if (cached) this.lastPrefix = prefix;
    const body = {
      id: id('msg'),
      type: 'message',
      role: 'assistant',
      model: request.body.model,
      content: step.content,
      stop_reason: step.stop_reason ?? 'end_turn',
      stop_sequence: null,
      stop_details: step.stop_details ?? null,
      container: null,
      diagnostics: null,
      usage: {
        input_tokens: tokens(request.body.messages),
        output_tokens: step.output_tokens ?? tokens(step.content),
        cache_creation_input_tokens: hit ? 0 : prefixTokens,
        cache_read_input_tokens: hit ? prefixTokens : 0,
        cache_creation: { ephemeral_5m_input_tokens: hit ? 0 : prefixTokens, ephemeral_1h_input_tokens: 0 },
        inference_geo: null,
        output_tokens_details: null,
        server_tool_use: null,
        service_tier: 'standard',
        speed: null,
      },
    };
    res.writeHead(200, { 'content-type': 'application/json', 'request-id': id('req') });
    res.end(JSON.stringify(body));
  }

  private error(
    res: ServerResponse,
    status: number,
    type: string,
    message: string,
    retryAfterMs?: number,
  ): void {
    const requestId = id('req');
    const headers: Record<string, string> = { 'content-type': 'application/json', 'request-id': requestId };
    if (retryAfterMs !== undefined) headers['retry-after-ms'] = String(retryAfterMs);
    res.writeHead(status, headers);
    res.end(JSON.stringify({ type: 'error', error: { type, message }, request_id: requestId }));
  }
}

/** The checks the real API makes that our client could get wrong. */
function validate(request: RecordedRequest): { type: string; message: string } | undefined {
  const { headers, body } = request;
  if (!/^Bearer \S+$/.test(headers.authorization ?? '') && !headers['x-api-key']) {
    return { type: 'authentication_error', message: 'invalid x-api-key' };
  }
  if (!headers['anthropic-version'])
    return { type: 'invalid_request_error', message: 'anthropic-version: header is required' };
  for (const key of ['temperature', 'top_p', 'top_k']) {
    if (key in body)
      return { type: 'invalid_request_error', message: `${key}: Extra inputs are not permitted` };
  }
  if (typeof body.model !== 'string' || typeof body.max_tokens !== 'number') {
    return { type: 'invalid_request_error', message: 'model: Field required' };
  }
  return validateTools(body) ?? validateTurns(body.messages);
}

/** Keywords a strict tool's schema may not use (the API compiles strict schemas into a grammar). */
const NOT_STRICT = ['minLength', 'maxLength', 'maxItems', 'minimum', 'maximum', 'multipleOf'];

function strictProblem(schema: unknown, path: string): string | undefined {
  if (typeof schema !== 'object' || schema === null) return undefined;
  const node = schema as Record<string, unknown>;
  if (node.type === 'object' && node.additionalProperties !== false)
    return `${path}: additionalProperties must be false for strict tools`;
  const bad = NOT_STRICT.find((k) => k in node);
  if (bad) return `${path}: '${bad}' is not supported for strict tools`;
  for (const [key, value] of Object.entries(node)) {
    const inner =
      key === 'properties' && typeof value === 'object' && value !== null
        ? Object.entries(value).map(([k, v]) => strictProblem(v, `${path}.properties.${k}`))
        : [strictProblem(value, `${path}.${key}`)];
    const problem = inner.find(Boolean);
    if (problem) return problem;
  }
  return undefined;
}

function validateTools(body: Record<string, unknown>): { type: string; message: string } | undefined {
  const tools = Array.isArray(body.tools) ? (body.tools as Record<string, unknown>[]) : [];
  for (const [i, tool] of tools.entries()) {
    const problem =
      tool.strict === true ? strictProblem(tool.input_schema, `tools.${i}.input_schema`) : undefined;
    if (problem) return { type: 'invalid_request_error', message: problem };
  }
  const choice = body.tool_choice as { type?: string; name?: string } | undefined;
  if (choice?.type === 'tool' && !tools.some((t) => t.name === choice.name))
    return {
      type: 'invalid_request_error',
      message: `tool_choice: tool '${choice.name}' not found in tools`,
    };
  return undefined;
}

function validateTurns(messages: unknown): { type: string; message: string } | undefined {
  if (!Array.isArray(messages) || messages.length === 0)
    return { type: 'invalid_request_error', message: 'messages: at least one message is required' };
  const list = messages as { role: string; content: unknown }[];
  if (list[0]?.role !== 'user')
    return { type: 'invalid_request_error', message: 'messages: first message must use the "user" role' };
  for (const [i, m] of list.entries()) {
    const empty = Array.isArray(m.content) ? m.content.length === 0 : !m.content;
    if (empty && !(i === list.length - 1 && m.role === 'assistant')) {
      return {
        type: 'invalid_request_error',
        message: `messages.${i}: all messages must have non-empty content except for the optional final assistant message`,
      };
    }
    const blank = Array.isArray(m.content)
      ? (m.content as Block[]).some((b) => b.type === 'text' && !String(b.text ?? '').trim())
      : false;
    if (blank)
      return {
        type: 'invalid_request_error',
        message: `messages.${i}: text content blocks must contain non-whitespace text`,
      };
    if (m.role !== 'assistant' || !Array.isArray(m.content)) continue;
    const uses = (m.content as Block[]).filter((b) => b.type === 'tool_use').map((b) => String(b.id));
    if (uses.length === 0) continue;
    const next = list[i + 1];
    const answered = Array.isArray(next?.content)
      ? new Set(
          (next.content as Block[]).filter((b) => b.type === 'tool_result').map((b) => String(b.tool_use_id)),
        )
      : new Set<string>();
    const missing = uses.filter((u) => !answered.has(u));
    if (next && missing.length > 0) {
      return {
        type: 'invalid_request_error',
        message: `messages.${i + 1}: tool_use ids were found without tool_result blocks immediately after: ${missing.join(', ')}`,
      };
    }
  }
  return undefined;
}
