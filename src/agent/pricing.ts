/**
 * What a call costs, by exact model id (USD per million tokens, Anthropic's published list
 * prices). A prefix match would price a future model silently wrong, so an id not in the table
 * is priced at the dearest current tier and the run says so in a warning.
 */

import type { ModelResponse } from '../core/ports/index.js';
import type { Usage } from '../core/run-record.js';

export interface Price {
  input: number;
  output: number;
}

/** Prompt-cache multipliers on the input price: 5-minute writes, reads (hits). */
export const CACHE_WRITE = 1.25;
export const CACHE_READ = 0.1;

const OPUS_4_5: Price = { input: 5, output: 25 };
const OPUS_4: Price = { input: 15, output: 75 };
const SONNET: Price = { input: 3, output: 15 };
const HAIKU_4_5: Price = { input: 1, output: 5 };

/** Aliases and their dated snapshot ids. */
const PRICES: ReadonlyMap<string, Price> = new Map([
  ['claude-opus-4-7', OPUS_4_5],
  ['claude-opus-4-6', OPUS_4_5],
  ['claude-opus-4-5', OPUS_4_5],
  ['claude-opus-4-5-20251101', OPUS_4_5],
  ['claude-opus-4-1', OPUS_4],
  ['claude-opus-4-1-20250805', OPUS_4],
  ['claude-opus-4-0', OPUS_4],
  ['claude-opus-4-20250514', OPUS_4],
  ['claude-sonnet-4-6', SONNET],
  ['claude-sonnet-4-5', SONNET],
  ['claude-sonnet-4-5-20250929', SONNET],
  ['claude-sonnet-4-0', SONNET],
  ['claude-sonnet-4-20250514', SONNET],
  ['claude-3-7-sonnet-20250219', SONNET],
  ['claude-haiku-4-5', HAIKU_4_5],
  ['claude-haiku-4-5-20251001', HAIKU_4_5],
  ['claude-3-5-haiku-20241022', { input: 0.8, output: 4 }],
  ['claude-3-haiku-20240307', { input: 0.25, output: 1.25 }],
]);

/** Used for an id the table does not know: never under-reports what a run may have cost. */
const UNKNOWN: Price = OPUS_4;

export function priceOf(model: string): Price | undefined {
  return PRICES.get(model);
}

/** The warning a run records once when its model id is not in the table; undefined when it is. */
export function unknownModelWarning(model: string): string | undefined {
  if (PRICES.has(model)) return undefined;
  return `model "${model.slice(0, 100)}" is not in the price table: cost is estimated at $${UNKNOWN.input}/$${UNKNOWN.output} per million input/output tokens (an upper bound); known ids: ${[...PRICES.keys()].filter((k) => !/\d{8}$/.test(k)).join(', ')}`;
}

/** Adds one response's usage and cost to the run's totals. */
export function addUsage(usage: Usage, model: string, response: ModelResponse): void {
  const u = response.usage;
  const write = u.cache_creation_input_tokens ?? 0;
  const read = u.cache_read_input_tokens ?? 0;
  usage.inputTokens += u.input_tokens;
  usage.outputTokens += u.output_tokens;
  usage.cacheWriteTokens += write;
  usage.cacheReadTokens += read;
  usage.calls += 1;
  const price = priceOf(model) ?? UNKNOWN;
  const cost =
    (price.input * (u.input_tokens + write * CACHE_WRITE + read * CACHE_READ) +
      price.output * u.output_tokens) /
    1e6;
  usage.costUsd = Math.round((usage.costUsd + cost) * 1e6) / 1e6;
}

/**
 * The run's spend in the unit of `claude.max_tokens_per_run`: input-priced tokens, with cache
 * writes and reads weighed at their real price (1.25× and 0.1× an input token), plus output.
 * A prompt-cache hit therefore costs the budget a tenth of what it would uncached.
 */
export function tokensUsed(usage: Usage): number {
  return Math.ceil(
    usage.inputTokens +
      usage.outputTokens +
      usage.cacheWriteTokens * CACHE_WRITE +
      usage.cacheReadTokens * CACHE_READ,
  );
}
