/**
 * One HTTP delivery with bounded retries, shared by every outgoing channel (chat, heartbeat):
 * 429 and 5xx answers and network errors are retried, honouring `Retry-After` (seconds or an
 * HTTP date) but never waiting longer than `maxWaitMs` at once nor trying more than `attempts`
 * times. Anything else (a 4xx) is final: asking again would not help.
 */
export interface RetryPolicy {
  attempts?: number;
  /** longest single wait, whatever Retry-After asks */
  maxWaitMs?: number;
  /** per request */
  timeoutMs?: number;
  /** first wait without Retry-After; doubles per attempt */
  baseDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

export type Delivery = { ok: true; attempts: number } | { ok: false; attempts: number; error: string };

import type { UrlPing } from '../core/ports/index.js';

const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function sendWithRetry(
  request: (signal: AbortSignal) => Promise<Response>,
  policy: RetryPolicy = {},
): Promise<Delivery> {
  const attempts = Math.max(1, policy.attempts ?? 3);
  const maxWait = policy.maxWaitMs ?? 10_000;
  const sleep = policy.sleep ?? wait;
  let error = 'not sent';
  for (let attempt = 1; attempt <= attempts; attempt++) {
    let retryAfter: number | undefined;
    try {
      const response = await request(AbortSignal.timeout(policy.timeoutMs ?? 10_000));
      // the status is the answer: the body is cancelled unread (which frees the connection), so a
      // receiver that streams forever, drips, or lies about its length neither holds the delivery
      // to its timeout nor fills the runner's memory with what it sends
      await response.body?.cancel().catch(() => undefined);
      if (response.ok) return { ok: true, attempts: attempt };
      error = `HTTP ${response.status}`;
      if (response.status !== 429 && response.status < 500) return { ok: false, attempts: attempt, error };
      retryAfter = retryAfterMs(response.headers.get('retry-after'));
    } catch (e) {
      error = networkError(e);
    }
    if (attempt < attempts) {
      const backoff = (policy.baseDelayMs ?? 1000) * 2 ** (attempt - 1);
      await sleep(Math.min(maxWait, retryAfter ?? backoff));
    }
  }
  return { ok: false, attempts, error: `${error} after ${attempts} attempt${attempts === 1 ? '' : 's'}` };
}

/** `Retry-After: 7` or `Retry-After: Wed, 21 Oct 2026 07:28:00 GMT`, in milliseconds from now. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const trimmed = header.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * What went wrong, without the URL: webhook and ping URLs carry their secret in the path, and
 * this text ends up in warnings and job summaries.
 */
function networkError(e: unknown): string {
  if (e instanceof Error && e.name === 'TimeoutError') return 'timed out';
  const cause = e instanceof Error && e.cause instanceof Error ? e.cause : undefined;
  const code = (cause as { code?: string } | undefined)?.code;
  return code ? `network error ${code}` : 'network error';
}

/** The UrlPing port: a GET, three attempts, waits of at most 5 s. */
export const httpPing: UrlPing = (url, timeoutMs) =>
  sendWithRetry((signal) => fetch(url, { method: 'GET', signal }), {
    timeoutMs,
    attempts: 3,
    maxWaitMs: 5_000,
  });
