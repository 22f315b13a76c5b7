/**
 * Secrets inside encodings: base64 runs (a base64-wrapped `.env`, a Kubernetes Secret's data, a
 * `Basic` credential without its header) and percent-encoded runs (a DSN or webhook URL passed as
 * a query parameter) are decoded and scanned with the same detector. A base64 run that holds a
 * secret is redacted whole; a percent-encoded one is shown decoded, with its secret redacted.
 */
import { stripInvisible } from './invisible.js';
import { applySpans, type Span } from './spans.js';
import { decodeBase64 } from './urls-headers.js';

type Detect = (text: string, depth: number) => Span[];

const BASE64_RUN = /(?<![A-Za-z0-9+/_-])[A-Za-z0-9+/_-]{16,}={0,2}(?![A-Za-z0-9+/=_-])/g;
// consecutive lines that are only base64 (`base64 .env` wraps at 76 columns)
const BASE64_BLOCK = /^[ \t]*[A-Za-z0-9+/]{16,}={0,2}[ \t]*(?:\r?\n[ \t]*[A-Za-z0-9+/]{4,}={0,2}[ \t]*)+$/gm;
// the run around an escape: anchored on the `%` so text without escapes costs one scan
const PERCENT_RUN = /(?<![^\s"'<>`])[^\s"'<>`%]*%[0-9A-Fa-f]{2}[^\s"'<>`]*/g;

/** Base64 runs that hold a secret (in a text of long tokens, see tokens.ts). */
export function base64Runs(text: string, depth: number, detect: Detect): Span[] {
  if (depth >= 2) return [];
  const out: Span[] = [];
  for (const m of text.matchAll(BASE64_RUN)) {
    const run = m[0];
    // generated base64 has both cases and digits; words, paths and ids do not
    if (!(/[a-z]/.test(run) && /[A-Z]/.test(run) && /[0-9]/.test(run)) || run.startsWith('REDACTED'))
      continue;
    const decoded = decodeBase64(run);
    if (decoded && detect(decoded, depth + 1).length > 0)
      out.push({ start: m.index ?? 0, end: (m.index ?? 0) + run.length, label: 'ENCODED SECRET' });
  }
  return out;
}

/** Wrapped base64 blocks and percent-encoded runs that hold a secret. */
export function encodedBlocks(text: string, depth: number, detect: Detect): Span[] {
  if (depth >= 2) return [];
  const out: Span[] = [];
  for (const m of text.matchAll(BASE64_BLOCK)) {
    const decoded = decodeBase64(m[0].replace(/\s+/g, ''));
    if (decoded && detect(decoded, depth + 1).length > 0) {
      const lead = m[0].length - m[0].trimStart().length;
      out.push({
        start: (m.index ?? 0) + lead,
        end: (m.index ?? 0) + m[0].trimEnd().length,
        label: 'ENCODED SECRET',
      });
    }
  }
  if (!/%[0-9A-Fa-f]{2}/.test(text)) return out;
  for (const m of text.matchAll(PERCENT_RUN)) {
    const run = m[0];
    if ((run.match(/%[0-9A-Fa-f]{2}/g) ?? []).length < 2) continue;
    const decoded = percentDecode(run);
    const inner = detect(decoded, depth + 1);
    if (inner.length === 0) continue;
    const at = { start: m.index ?? 0, end: (m.index ?? 0) + run.length, label: '' };
    // shown decoded only while that adds no line break, control or invisible character: redacted
    // text keeps the lines it had (a decoded `%0A` would start a line the server never printed)
    const plain = !/\p{Cc}/u.test(decoded) && stripInvisible(decoded) === decoded;
    out.push(plain ? { ...at, replacement: applySpans(decoded, inner) } : at);
  }
  return out;
}

function percentDecode(run: string): string {
  let out = run;
  // twice: a value encoded again inside a query parameter (`%2540`)
  for (let i = 0; i < 2 && /%[0-9A-Fa-f]{2}/.test(out); i++) {
    try {
      out = decodeURIComponent(out.replace(/\+/g, ' '));
    } catch {
      out = out.replace(/%([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(Number.parseInt(h, 16)));
    }
  }
  return out;
}
