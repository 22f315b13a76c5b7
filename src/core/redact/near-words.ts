/**
 * Entropy in context: a long generated-looking token shortly after a word that says "secret"
 * (`using api key Zq8v…`, `token is 9f2c…`, `Ocp-Apim-Subscription-Key: 3f0a…`), and the one bare
 * form common enough to catch without context: a 40-character AWS secret access key.
 */
import { looksRandom } from './entropy.js';
import { SECRET_WORD } from './secret-words.js';
import { type Span, span } from './spans.js';

const WORD = new RegExp(SECRET_WORD.source, 'gi');
const TOKEN = /[A-Za-z0-9_+/=.~-]{16,}/g;
const DIGEST_LABEL = /\b(?:sha(?:1|224|256|384|512)|md5|blake2[bs]?(?:-?\d+)?)[:=]$/i;
const AWS_SECRET = /(?<![A-Za-z0-9/+=.-])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/g;

export function nearSecretWords(text: string): Span[] {
  const out: Span[] = [];
  let after = 0;
  for (const m of text.matchAll(WORD)) {
    const from = (m.index ?? 0) + m[0].length;
    if (from < after || insidePlaceholder(text, m.index ?? 0)) continue;
    // the word must end where a label ends: `api key 9f2c…`, `token: …`, not `run-credentials-systemd`
    // (or a short name ending in a separator: `private_key_id": "…"`)
    const rest = text.slice(from, from + 16);
    if (/^s?[-_.\\/]?[\p{L}\p{N}]/u.test(rest) && !/^[\w.-]{0,12}["']?[ \t]*[:=]/.test(rest)) continue;
    // the rest of the line, at most 64 characters (not searched for its end: a long line of words
    // would be read to its end once per word)
    const ahead = text.slice(from, from + 64);
    const nl = ahead.indexOf('\n');
    const window = nl === -1 ? ahead : ahead.slice(0, nl);
    TOKEN.lastIndex = 0;
    for (let t = TOKEN.exec(window); t; t = TOKEN.exec(window)) {
      const lead = /^[=:.~+/-]*/.exec(t[0])?.[0].length ?? 0;
      const token = t[0].slice(lead).replace(/[.=-]+$/, '');
      const at = t.index + lead;
      // a word glued to the secret word (`tokenizer`), a redaction, a URL or a path is not the value
      if (at === 0 && /^[\p{L}]/u.test(token)) continue;
      if (window[at - 1] === '[' || /:\/\//.test(window.slice(Math.max(0, at - 3), at + 3))) continue;
      // a digest says what it is (`sha256:9f2c…`, an image or a package checksum): not a secret
      if (DIGEST_LABEL.test(window.slice(0, at))) continue;
      if (!looksRandom(token, 16)) continue;
      const s = span(text, from + at, from + at + token.length);
      if (s) out.push(s);
      after = from + at + token.length;
      break;
    }
  }
  return out;
}

/** A bare 40-character AWS secret access key (in a text of long tokens, see tokens.ts). */
export function bareAwsSecrets(text: string): Span[] {
  const out: Span[] = [];
  for (const m of text.matchAll(AWS_SECRET)) {
    const v = m[0];
    const random = /[A-Z]/.test(v) && /[a-z]/.test(v) && /[0-9]/.test(v);
    const parts = v.split('/');
    const path = v.startsWith('/') || (parts.length > 1 && parts.some((part) => /^[a-z]{3,}$/.test(part)));
    if (random && !path)
      out.push({ start: m.index ?? 0, end: (m.index ?? 0) + v.length, label: 'AWS SECRET' });
  }
  return out;
}

/** True inside one of our own placeholders (`[REDACTED GITHUB TOKEN]`). */
function insidePlaceholder(text: string, at: number): boolean {
  const before = text.slice(Math.max(0, at - 40), at);
  const open = before.lastIndexOf('[REDACTED');
  return open !== -1 && !before.slice(open).includes(']');
}
