/**
 * Credential positions of the web: the password (or a bare token) in a URL's user part, HTTP
 * authorization headers and cookies, and `Bearer …` / `Basic …` wherever they appear.
 */
import { looksRandom } from './entropy.js';
import { type Span, span } from './spans.js';

// scheme://user:password@host — the last `@` before the host ends the password (which may hold
// `/` or `@`); `host:port/path@x` is not a password (it starts with a port number and a slash).
// The password is looked for within 512 characters: unbounded, each `scheme://x:` of a long line
// read the rest of the line back and forth (quadratic)
const USERINFO =
  /\b[a-z][a-z0-9+.-]{0,31}:(?:\\?\/){2}([^\s:/@'"<>\\]*):(?!\d+\/)([^\s'"<>]{1,512})@(?=[^\s@/'"<>]*(?:[/\s'"<>?#]|$))/gi;
// scheme://TOKEN@host — a generated token in the user part (a Sentry DSN key, `https://ghp_…@github.com`)
const USER_TOKEN = /\b[a-z][a-z0-9+.-]{0,31}:\/\/([A-Za-z0-9_.~+%-]{16,})@[^\s@]/gi;
const AUTH_HEADER =
  /\b(?:proxy-)?authorization\b["']?[ \t]*[:=][ \t]*["']?(?:(?:bearer|basic|token|digest|negotiate|ntlm|aws4-hmac-sha256|sso-key|apikey|key)[ \t]+)?([^\r\n"']+)/gi;
const COOKIE = /\b(?:set-)?cookie\b["']?[ \t]*:[ \t]*["']?([^\r\n"']+)/gi;
const SCHEME_TOKEN = /\b(?:bearer|token|basic)[ \t]+([A-Za-z0-9._~+/=-]{8,})/gi;

/** The lines these can be on (detect.ts runs them there only). */
export const URL_WORDS = /:\\?\/\\?\/|authorization|cookie|bearer|token|basic/i;

export function urlsAndHeaders(text: string): Span[] {
  const out: Span[] = [];
  const push = (s: Span | undefined) => {
    if (s && !text.startsWith('[REDACTED', s.start)) out.push(s);
  };
  for (const m of text.matchAll(USERINFO)) {
    const pw = m[2] ?? '';
    const at = (m.index ?? 0) + m[0].length - 1 - pw.length;
    push(span(text, at, at + pw.length));
  }
  for (const m of text.matchAll(USER_TOKEN)) {
    const user = m[1] ?? '';
    if (!looksRandom(decodeSafe(user), 16)) continue;
    const at = (m.index ?? 0) + m[0].indexOf('://') + 3;
    push(span(text, at, at + user.length));
  }
  for (const m of text.matchAll(AUTH_HEADER)) {
    const value = m[1] ?? '';
    if (value.trim().length < 4) continue;
    const at = (m.index ?? 0) + m[0].length - value.length;
    push(span(text, at, at + value.length));
  }
  for (const m of text.matchAll(COOKIE)) {
    const value = m[1] ?? '';
    const at = (m.index ?? 0) + m[0].length - value.length;
    push(span(text, at, at + value.length));
  }
  for (const m of text.matchAll(SCHEME_TOKEN)) {
    const value = (m[1] ?? '').replace(/[.,]+$/, '');
    const basic = /^basic/i.test(m[0]) && /:/.test(decodeBase64(value));
    if (!basic && !looksRandom(value, 16)) continue;
    const at = (m.index ?? 0) + m[0].length - (m[1] ?? '').length;
    push(span(text, at, at + value.length));
  }
  return out;
}

function decodeSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Base64 (standard or URL-safe) as text; empty when it does not decode to mostly printable text. */
export function decodeBase64(run: string): string {
  const clean = run.replace(/-/g, '+').replace(/_/g, '/').replace(/=+$/, '');
  if (clean.length % 4 === 1) return '';
  const decoded = Buffer.from(clean, 'base64').toString('latin1');
  let printable = 0;
  for (let i = 0; i < decoded.length; i++) {
    const c = decoded.charCodeAt(i);
    if ((c >= 32 && c < 127) || c === 9 || c === 10 || c === 13) printable++;
  }
  return decoded.length >= 4 && printable / decoded.length >= 0.95
    ? Buffer.from(decoded, 'latin1').toString('utf8')
    : '';
}
