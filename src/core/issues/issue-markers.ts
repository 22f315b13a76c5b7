/**
 * The hidden markers in an issue body (docs/architecture.md#github): the key that finds the issue
 * again (`<!-- claudeops:fingerprint=KEY -->`) and what the issue last told people
 * (`<!-- claudeops:state=… -->`). Both survive any key and any edit of the visible text.
 */
import type { Severity } from '../types.js';

/** What an issue remembers in its body about what it last told people. */
export interface IssueMemo {
  severity: Severity;
  /** ISO time the problem started (for "resolved after X") */
  since: string;
  /** hash of the diagnoses last shown */
  diagnosis?: string;
  /** fingerprints tracked (a fleet issue's members) */
  members: string[];
}

const MARKER_UNSAFE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what must be encoded
  /[%<>\s\u0000-\u001f\u007f-\u009f\u00ad\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff]/g;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** With `>` and whitespace escaped a key cannot end the comment early; `%` too, so decoding is exact. */
function encodeMarker(value: string): string {
  return value.replace(LONE_SURROGATE, '\ufffd').replace(MARKER_UNSAFE, (c) => encodeURIComponent(c));
}

export function keyMarker(key: string): string {
  return `<!-- claudeops:fingerprint=${encodeMarker(key)} -->`;
}

export function keyOf(body: string): string | undefined {
  const m = /<!-- claudeops:fingerprint=(\S+) -->/.exec(body);
  if (!m?.[1]) return undefined;
  try {
    return decodeURIComponent(m[1]);
  } catch {
    return undefined;
  }
}

export function memoMarker(memo: IssueMemo): string {
  return `<!-- claudeops:state=${Buffer.from(JSON.stringify(memo)).toString('base64')} -->`;
}

export function memoOf(body: string): IssueMemo | undefined {
  const m = /<!-- claudeops:state=([A-Za-z0-9+/=]+) -->/.exec(body);
  if (!m?.[1]) return undefined;
  try {
    const memo = JSON.parse(Buffer.from(m[1], 'base64').toString('utf8')) as Partial<IssueMemo>;
    if (typeof memo.severity !== 'string' || typeof memo.since !== 'string') return undefined;
    return {
      severity: memo.severity,
      since: memo.since,
      diagnosis: memo.diagnosis,
      members: memo.members ?? [],
    };
  } catch {
    return undefined;
  }
}

/** A key as its marker holds it: well-formed (a lone surrogate cannot be percent-encoded). */
export function markedKey(key: string): string {
  return key.replace(LONE_SURROGATE, '\ufffd');
}
