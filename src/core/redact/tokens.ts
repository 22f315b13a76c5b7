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
 * The text's runs of 16+ non-space characters, less the identifiers no detector that reads tokens
 * wants (each would otherwise go through every vendor format):
 * - only lowercase hex or digits: checksums, git and container ids, counters;
 * - uppercase hex digits in groups joined by `:`, the first of at most 32 digits and the others
 *   of at most 16: the addresses and counters of /proc/net/tcp and tcp6 rows
 *   (`00000000000000000000000000000000:08AE`), MAC and IPv6 addresses, key fingerprints (a
 *   Telegram bot token, `<digits>:AA<32+ characters>`, has a longer group after the colon);
 * - a UUID (8-4-4-4-12 hex digits of one case): boot ids, machine ids, file-system ids;
 * - an ISO 8601 time (`2026-12-07T12:11:42.450Z`): every log line and every sample of a server's
 *   state has one.
 * The token detectors look for formats with letters past F, both cases or a prefix (vendor
 * tokens, base64 bodies, AWS secrets); a hex secret is found by its context (`password=…`,
 * `token …`), which the detectors of the whole text read.
 */
export function longTokens(text: string): TokenText {
  const parts: string[] = [];
  const at: number[] = [];
  const origin: number[] = [];
  let offset = 0;
  let start = -1;
  let hex = true;
  let upper = true;
  for (let i = 0; i <= text.length; i++) {
    const code = i === text.length ? 32 : text.charCodeAt(i);
    if (!(code === 32 || (code >= 9 && code <= 13) || code === 0xa0)) {
      if (start === -1) {
        start = i;
        hex = true;
        upper = true;
      }
      const digit = code >= 48 && code <= 57;
      if (hex && !(digit || (code >= 97 && code <= 102))) hex = false;
      if (upper && !(digit || (code >= 65 && code <= 70) || code === 58)) upper = false;
      continue;
    }
    if (
      start !== -1 &&
      i - start >= 16 &&
      !hex &&
      !(upper && hexGroups(text, start, i)) &&
      !uuid(text, start, i) &&
      !isoTime(text, start, i)
    ) {
      parts.push(text.slice(start, i));
      at.push(offset);
      origin.push(start);
      offset += i - start + 1;
    }
    start = -1;
  }
  return { text: parts.join('\n'), at, origin };
}

/** text[start, end) (uppercase hex and `:` only) as groups of 1–32 digits, then 1–16 digits. */
function hexGroups(text: string, start: number, end: number): boolean {
  let group = 0;
  let most = 32;
  for (let i = start; i < end; i++) {
    if (text.charCodeAt(i) !== 58) group++;
    else if (group === 0) return false;
    else {
      group = 0;
      most = 16;
    }
    if (group > most) return false;
  }
  return group > 0;
}

const UUID =
  /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12})$/;

function uuid(text: string, start: number, end: number): boolean {
  return end - start === 36 && text.charCodeAt(start + 8) === 45 && UUID.test(text.slice(start, end));
}

const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d(?:[.,]\d{1,9})?)?(?:Z|[+-]\d\d(?::?\d\d)?)?$/;

/** text[start, end) is one ISO 8601 time, nothing else. */
export function isoTime(text: string, start = 0, end = text.length): boolean {
  return end - start <= 35 && text.charCodeAt(start + 10) === 84 && ISO_TIME.test(text.slice(start, end));
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
 * tokens, so a detector that needs one of a few words runs only where they are. Most texts of a
 * run have none of the words: `exec` on the one global copy finds that without the iterator and
 * the copy of the pattern that `matchAll` makes per call.
 */
export function linesWith(text: string, pattern: RegExp): TokenText {
  const global = globalOf(pattern);
  global.lastIndex = 0;
  let m = global.exec(text);
  if (!m) return { text: '', at: [], origin: [] };
  const parts: string[] = [];
  const at: number[] = [];
  const origin: number[] = [];
  let offset = 0;
  for (; m; m = global.exec(text)) {
    const i = m.index;
    const start = text.lastIndexOf('\n', i) + 1;
    const eol = text.indexOf('\n', i);
    const end = eol === -1 ? text.length : eol;
    parts.push(text.slice(start, end));
    at.push(offset);
    origin.push(start);
    offset += end - start + 1;
    // the next match is searched from the next line (an empty match must not stay in place)
    global.lastIndex = Math.max(end + 1, global.lastIndex);
  }
  return { text: parts.join('\n'), at, origin };
}

/**
 * The lines after the one ending at `lineEnd` that belong to it in YAML: blank, or indented more
 * than `indent` (a next-line scalar, a `|`/`>` block, a mapping's members), each as its bounds.
 */
export function* indentedBlock(
  text: string,
  lineEnd: number,
  indent: number,
): Generator<{ start: number; stop: number; line: string }> {
  let at = lineEnd + 1;
  while (at < text.length) {
    const eol = text.indexOf('\n', at);
    const stop = eol === -1 ? text.length : eol;
    const line = text.slice(at, stop);
    const lead = /^[ \t]*/.exec(line)?.[0].length ?? 0;
    if (line.trim() !== '' && lead <= indent) return;
    yield { start: at, stop, line };
    at = stop + 1;
  }
}
