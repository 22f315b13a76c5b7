/**
 * Key material in the dumps and tables tools print, known by the shape of the dump and what names
 * it (key-context.ts calls these):
 * - byte dumps in any word width — `xxd` (2-byte groups, `-g 4`, `-p`, `-i`), `od -x`/`-t x1`,
 *   `hexdump`/`hexdump -C`, bare byte lines — on the lines after a line that names a key (a shell
 *   command reading a key file, a `MK dump:`/`Volume key:` label); the offset column stays, the
 *   bytes and the ASCII column (a passphrase file's text) go;
 * - WireGuard's tab-separated rows (`wg show … dump`, `wg show … preshared-keys`): the private key
 *   of an interface row, the preshared key of a peer row (https://man7.org/linux/man-pages/man8/wg.8.html);
 * - the values under `data:`/`stringData:` of a Kubernetes Secret (YAML or JSON): base64 of the
 *   secret itself, whatever the member's name (https://kubernetes.io/docs/concepts/configuration/secret/);
 * - a generated value (base64, base32, alphanumeric) right after a crypto word on its line:
 *   `crypto isakmp key <k> address …`, `authentication-key 7 md5 <k>`, `psk <k>`, `secret '<k>'`.
 */
import { looksRandom } from './entropy.js';
import { type Span, span } from './spans.js';
import { indentedBlock, linesWith } from './tokens.js';

/** A line of a byte dump: an optional offset, groups of 2–8 hex digits, an optional text column. */
const DUMP_LINE =
  /^[ \t]*(?:(?:[0-9A-Fa-f]{4,16}:|[0-9A-Fa-f]{6,16})[ \t]+)?(?:[0-9A-Fa-f]{2,8}[ \t]{1,3}){1,32}[0-9A-Fa-f]{2,8}(?:[ \t]+[|>][^\n]*|[ \t]{2,}[^\n]{1,64})?[ \t]*$|^[ \t]*[0-9A-Fa-f]{16,}[ \t]*$|^[ \t]*(?:0x[0-9A-Fa-f]{2},[ \t]*){3,}(?:0x[0-9A-Fa-f]{2})?[ \t]*$/;
const OFFSET = /^[ \t]*(?:[0-9A-Fa-f]{4,16}:|[0-9A-Fa-f]{6,16}(?=[ \t]+[0-9A-Fa-f]{2,8}[ \t]))[ \t]*/;
/** The line that ends a dump (its last offset, `*` for repeated lines): neither secret nor an end. */
const DUMP_TAIL = /^[ \t]*(?:[0-9A-Fa-f]{6,16}|\*)[ \t]*$/;
/** Dump lines are short: a longer line is not one, and is not read as one. */
const DUMP_WIDTH = 400;

/** True when `line` is a line of a byte dump. */
export function isDumpLine(line: string): boolean {
  return line.length <= DUMP_WIDTH && DUMP_LINE.test(line);
}

/**
 * The dump lines right after `from` (the end of a line that names a key), each redacted but its
 * offset, at most `most` of them; a dump's closing offset line and `*` are passed over.
 */
export function dumpAfter(out: Span[], text: string, from: number, most = 512): number {
  let at = from + 1;
  let n = 0;
  while (n < most && at < text.length) {
    const eol = text.indexOf('\n', at);
    const stop = eol === -1 ? text.length : eol;
    const line = text.slice(at, Math.min(stop, at + DUMP_WIDTH + 1));
    if (isDumpLine(line)) {
      const offset = OFFSET.exec(line)?.[0].length ?? 0;
      push(out, text, at + offset, stop);
    } else if (!(line.length <= 40 && DUMP_TAIL.test(line))) break;
    n++;
    at = stop + 1;
  }
  return n;
}

// a WireGuard key: 32 bytes in base64, 43 characters and `=`, the last one of 16
const WG_KEY = '[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=';
// a row may have text before it where a record quoted it (`web1 …`, `start failed: …`)
const WG_ROW = new RegExp(
  `(?<![A-Za-z0-9+=])(${WG_KEY})\\t(${WG_KEY}|\\(none\\))((?:\\t[^\\t\\n]*)*)$`,
  'gm',
);
const WG_KEY_TAB = new RegExp(`${WG_KEY}\\t`);
const WG_INTERFACE_TAIL = /^\t\d{1,5}\t(?:off|0x[0-9a-f]{1,8}|\d{1,10})\r?$/;

/** WireGuard rows with two keys: an interface's private key, a peer's preshared key. */
export function wireguardRows(out: Span[], text: string): void {
  if (!WG_KEY_TAB.test(text)) return;
  for (const m of text.matchAll(WG_ROW)) {
    const [, first = '', second = '', tail = ''] = m;
    const at = m.index ?? 0;
    if (WG_INTERFACE_TAIL.test(tail)) push(out, text, at, at + first.length, 'PRIVATE KEY');
    else if (second !== '(none)')
      push(out, text, at + first.length + 1, at + first.length + 1 + second.length, 'PRIVATE KEY');
  }
}

const SECRET_KIND = /(?:^|\n)[ \t-]*["']?kind["']?[ \t]*:[ \t]*["']?Secret\b/;
const YAML_DATA = /^([ \t]*)(?:data|stringData):[ \t]*\r?$/gm;
const JSON_DATA = /"(?:data|stringData)"[ \t]*:[ \t]*\{([^{}]{0,200000})\}/g;
const JSON_MEMBER = /"[^"\n]{1,253}"[ \t]*:[ \t]*"([^"\n]+)"/g;

/** The values under `data:`/`stringData:` of a text that holds a Kubernetes Secret. */
export function kubernetesSecrets(out: Span[], text: string): void {
  if (!SECRET_KIND.test(text)) return;
  for (const m of text.matchAll(YAML_DATA))
    yamlData(out, text, (m.index ?? 0) + m[0].length, m[1]?.length ?? 0);
  for (const m of text.matchAll(JSON_DATA)) {
    const body = m[1] ?? '';
    const from = (m.index ?? 0) + m[0].length - 1 - body.length;
    for (const v of body.matchAll(JSON_MEMBER)) {
      const value = v[1] ?? '';
      const at = from + (v.index ?? 0) + v[0].length - 1 - value.length;
      push(out, text, at, at + value.length);
    }
  }
}

/** The more-indented lines after a YAML `data:`: each member's value, or a block scalar's lines. */
function yamlData(out: Span[], text: string, from: number, indent: number): void {
  let n = 0;
  for (const { stop, line } of indentedBlock(text, from, indent)) {
    if (n++ >= 2_000) return;
    const member = /^[ \t]*["']?[^\s"':]{1,253}["']?:[ \t]*/.exec(line);
    const value = member ? line.slice(member[0].length) : line;
    if (!/^[|>][-+]?\d*[ \t]*$/.test(value)) push(out, text, stop - value.length, stop);
  }
}

/** The words a generated value may follow (its name, in prose and configs that print it). */
export const VALUE_WORDS = /(?<![A-Za-z])(?:key-string|keys?|psk|secrets?|passphrase|token)(?![A-Za-z])/gi;
/** Words between the crypto word and its value: a type number, an algorithm, `is`, a second word. */
const QUALIFIER =
  /^(?:\d{1,2}|md5|sha\d*|hmac-[\w-]+|aes\d*|des|3des|ascii|hex|plain|text|cleartext|encrypted|unencrypted|is|was|key|secret|string|value|:|=)$/i;
const PUBLIC =
  /public[ _-]?key|pubkey|key[ _-]?id\b|keyid|fingerprint|keygrip|identifier|key[ _-]?hash|checksum|digest|serial/i;
const NOT_SECRET_BEFORE =
  /(?:public|pub|host|ssh|gpg|pgp|sort|primary|foreign|partition|cache|idempotency)[ _-]?$/i;

/** A generated value right after a crypto word on its line (hex is key-context's: its rules stay). */
export function valuesAfterWords(text: string): Span[] {
  const out: Span[] = [];
  const lines = linesWith(text, VALUE_WORDS);
  if (lines.origin.length === 0) return out;
  lines.text.split('\n').forEach((line, k) => {
    if (PUBLIC.test(line)) return;
    const origin = lines.origin[k] ?? 0;
    for (const w of line.slice(0, 4_096).matchAll(VALUE_WORDS)) {
      const i = w.index ?? 0;
      if (NOT_SECRET_BEFORE.test(line.slice(Math.max(0, i - 12), i)) || inPlaceholder(line, i)) continue;
      const value = valueAt(line, i + w[0].length);
      if (value) push(out, text, origin + value.start, origin + value.end);
    }
  });
  return out;
}

/** True inside one of our placeholders (`[REDACTED PRIVATE KEY]`): its word names nothing after it. */
function inPlaceholder(line: string, at: number): boolean {
  const open = line.lastIndexOf('[REDACTED', at);
  return open !== -1 && at - open < 40 && !line.slice(open, at).includes(']');
}

/** The token in value position after `from`: past separators, quotes and up to three qualifiers. */
function valueAt(line: string, from: number): { start: number; end: number } | undefined {
  const window = line.slice(from, from + 160);
  // the word ends where its value starts: `key_type`, `keyring` are other words
  if (!/^[\s:="'`]/.test(window)) return undefined;
  const tokens = window.matchAll(/["'`]?([^\s"'`;,()[\]{}]+)["'`;,)\]}]*/g);
  let n = 0;
  // a type number before the value (Cisco `key 7 <hex>`, `key 0 <clear text>`, Vault `Unseal Key 1:`)
  // says a value follows, whatever it looks like
  let typed = false;
  for (const t of tokens) {
    const token = t[1] ?? '';
    const word = token.replace(/:$/, '');
    if (QUALIFIER.test(word) || /^[:=]+$/.test(token)) {
      if (++n > 3) return undefined;
      typed ||= /^\d$/.test(word);
      continue;
    }
    const start = from + (t.index ?? 0) + t[0].indexOf(token);
    const bare = token.replace(/^[:=]+/, '');
    const value = { start: start + token.length - bare.length, end: start + token.length };
    return generated(bare) || (typed && typedValue(bare)) ? value : undefined;
  }
  return undefined;
}

/** A value a tool generated: long, random, not hex (key-context's), an id, a path or a public key. */
function generated(token: string): boolean {
  if (token.length < 12 || token.length > 512) return false;
  if (!looksRandom(token, 12) && !randomLetters(token)) return false;
  if (/^(?:0x)?[0-9A-Fa-f]+$/.test(token) || /^[0-9a-f-]{36}$/i.test(token)) return false;
  if (!/^[A-Za-z0-9+/=_.~-]+$/.test(token) || /^AAAA[BCE]/.test(token)) return false;
  // mixed case or base64 punctuation; else base32 (upper and digits) or one long alphanumeric run:
  // lowercase names with dashes and dots are names (`db-creds-8f7d6c9b5`, a host)
  const mixed = /[a-z]/.test(token) && /[A-Z]/.test(token);
  if (mixed || /[+/=]/.test(token)) return true;
  return /^[A-Z2-7]{16,}$/.test(token) || /^[a-z0-9]{20,}$/.test(token);
}

/** A value after a type number: any that is not a plain word or a small number (`1 of 3`, `ENABLED`). */
function typedValue(token: string): boolean {
  return token.length >= 4 && /\d|[a-z][A-Z]|[^A-Za-z0-9]/.test(token) && !/^\d{1,4}$/.test(token);
}

/**
 * Letters only, both cases, but not words: looksRandom takes any run of letters for a word, and a
 * generated key without digits (`oRiqqWuUCRvPbaXMPg`) is not one — no word has five letters of one
 * case in a row nowhere, nor CamelCase.
 */
function randomLetters(token: string): boolean {
  if (token.length < 16 || !/^[A-Za-z]+$/.test(token) || !/[a-z]/.test(token) || !/[A-Z]/.test(token))
    return false;
  return !/[a-z]{5}|[A-Z]{5}/.test(token) && (token.match(/[A-Z]/g) ?? []).length >= token.length / 4;
}

function push(out: Span[], text: string, start: number, end: number, label = ''): void {
  const s = span(text, start, end, label);
  if (s && !text.startsWith('[REDACTED', s.start)) out.push(s);
}
