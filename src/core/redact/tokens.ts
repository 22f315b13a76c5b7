/**
 * Most detectors look for one long token (a vendor token, a base64 run, a bare key). Running them
 * over just the long tokens of a text (runs of 16+ non-space characters, one per line) instead of
 * the whole text is what keeps 10 MB of logs under a second; spans found there are mapped back.
 */
import type { Span } from './spans.js';

export interface TokenText {
  /** the long tokens, one per line */
  text: string;
  /** where each token starts in `text`, and in the original */
  at: number[];
  origin: number[];
}

/**
 * The text's runs of 16+ non-space characters, less those that are only lowercase hex or digits
 * (checksums, git and container ids, counters: no detector that reads tokens wants them).
 */
export function longTokens(text: string): TokenText {
  const parts: string[] = [];
  const at: number[] = [];
  const origin: number[] = [];
  let offset = 0;
  let start = -1;
  let hex = true;
  for (let i = 0; i <= text.length; i++) {
    const code = i === text.length ? 32 : text.charCodeAt(i);
    if (!(code === 32 || (code >= 9 && code <= 13) || code === 0xa0)) {
      if (start === -1) {
        start = i;
        hex = true;
      }
      if (hex && !((code >= 48 && code <= 57) || (code >= 97 && code <= 102))) hex = false;
      continue;
    }
    if (start !== -1 && i - start >= 16 && !hex) {
      parts.push(text.slice(start, i));
      at.push(offset);
      origin.push(start);
      offset += i - start + 1;
    }
    start = -1;
  }
  return { text: parts.join('\n'), at, origin };
}

/** Spans found in the token text, as spans of the original text. */
export function mapBack(tokens: TokenText, spans: readonly Span[]): Span[] {
  return spans.map((s) => {
    let lo = 0;
    let hi = tokens.at.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((tokens.at[mid] ?? 0) <= s.start) lo = mid;
      else hi = mid - 1;
    }
    const shift = (tokens.origin[lo] ?? 0) - (tokens.at[lo] ?? 0);
    return { ...s, start: s.start + shift, end: s.end + shift };
  });
}

const globals = new WeakMap<RegExp, RegExp>();

/** The pattern with the `g` flag, made once per pattern (detect runs per string of a record). */
function globalOf(pattern: RegExp): RegExp {
  let global = globals.get(pattern);
  if (!global) {
    global = new RegExp(pattern.source, pattern.flags.includes('g') ? pattern.flags : `${pattern.flags}g`);
    globals.set(pattern, global);
  }
  return global;
}

/**
 * The lines of a text that match a pattern (each once, in order), in the same shape as long
 * tokens, so a detector that needs one of a few words runs only where they are.
 */
export function linesWith(text: string, pattern: RegExp): TokenText {
  const parts: string[] = [];
  const at: number[] = [];
  const origin: number[] = [];
  let offset = 0;
  let next = 0;
  for (const m of text.matchAll(globalOf(pattern))) {
    const i = m.index ?? 0;
    if (i < next) continue;
    const start = text.lastIndexOf('\n', i) + 1;
    const eol = text.indexOf('\n', i);
    const end = eol === -1 ? text.length : eol;
    parts.push(text.slice(start, end));
    at.push(offset);
    origin.push(start);
    offset += end - start + 1;
    next = end + 1;
  }
  return { text: parts.join('\n'), at, origin };
}
