/**
 * Key material known by what is around it, not by its own shape (hex is also every checksum, id
 * and address, so hex alone is never enough):
 * - an armour of any label that says key or secret (`-----BEGIN OpenVPN Static key V1-----`);
 * - hex on a line with a crypto word: `key`, `psk`, `secret`, `hmac(…)`, `crypt <cipher>` (dm-crypt
 *   tables), `enc`/`aead` (xfrm states), `HEX:` (chrony/NTP keys), `:hex:` (keyctl), `-K`,
 *   `HOTP`/`TOTP` (users.oath), the NSS key log labels, `usmUser` (snmpd);
 * - dumps: colon-hex lines under a private field of `openssl … -text` (`priv:`, `privateExponent:`,
 *   `prime1:` …) and space-hex byte runs after a key word (`MK dump:`, `PMK - hexdump(len=32):`)
 *   with their continuation lines;
 * - files of keys: NTP/chrony key files (`1 SHA1 <key>`), hostapd.wpa_psk (`<MAC> <64 hex>`), and
 *   the lone token a command that reads a key prints (`$ cat tank.key`, `ecryptfs-unwrap-passphrase`);
 * - password hashes: the hex fields of passwd-like rows (smbpasswd/pdbedit LM:NT, htdigest),
 *   PostgreSQL `md5…` and `SCRAM-SHA-256$…`.
 * Identifiers that say they are public stay: fingerprints, key ids, public keys, digests.
 */
import { looksRandom } from './entropy.js';
import { dumpAfter, isDumpLine, kubernetesSecrets, wireguardRows } from './key-dumps.js';
import { secretName } from './secret-words.js';
import { type Span, span } from './spans.js';
import { linesWith } from './tokens.js';

/** The lines these patterns need one of (detect.ts runs the line rules there only). */
export const KEY_CONTEXT_WORDS =
  /(?<![A-Za-z])(?:keys?|psk|secrets?|hmac|crypt|enc|aead|pmk|ptk|gtk|igtk|kck|kek|tk|mk|msk|emsk|hotp|totp|authenticate|usmuser|client_random|rfc4106|rfc4309|rfc4543|(?:tpm2|sealed|wrapped)[-_ ]blob)(?![A-Za-z])|HEX:|:hex:/i;

const HEX_TOKEN =
  /(?<![\w:.$/-])(?:0x|HEX:|:hex:)?\(?(?:0x)?([0-9A-Fa-f]{16,}|(?:[0-9A-Fa-f]{2}:){7,}[0-9A-Fa-f]{2})\)?(?![\w:.$/-])/g;
/** Lines about identifiers that are public, whatever key word they have. */
const PUBLIC_LINE =
  /public[ _-]?key|pubkey|key[ _-]?id\b|keyid|fingerprint|keygrip|identifier|key[ _-]?hash|checksum|digest|serial|keyserver|recv-keys/i;
const DIGEST_BEFORE = /(?:sha(?:1|224|256|384|512)?|md5|blake2[bs]?\d*|crc32|commit|id|uuid)[:=]\s*$/i;

const CONTEXT_G = new RegExp(KEY_CONTEXT_WORDS.source, 'gi');

/** Hex tokens after a crypto word on its line, and byte dumps after a key word. */
export function contextHex(text: string): Span[] {
  const out: Span[] = [];
  let next = 0;
  for (const w of text.matchAll(CONTEXT_G)) {
    const i = w.index ?? 0;
    if (i < next) continue;
    const start = text.lastIndexOf('\n', i) + 1;
    const eol = text.indexOf('\n', i);
    const line = {
      text: text.slice(start, eol === -1 ? text.length : eol),
      start,
      end: eol === -1 ? text.length : eol,
    };
    next = line.end + 1;
    if (!PUBLIC_LINE.test(line.text)) hexAfter(out, text, line, i - start);
  }
  return out;
}

function hexAfter(out: Span[], text: string, line: Line, word: number): void {
  for (const m of line.text.matchAll(HEX_TOKEN)) {
    const value = m[1] ?? '';
    const at = (m.index ?? 0) + m[0].indexOf(value);
    if (at < word || !/[0-9]/.test(value) || !/[A-Fa-f]/.test(value)) continue;
    if (DIGEST_BEFORE.test(line.text.slice(Math.max(0, at - 12), at))) continue;
    push(out, text, line.start + at, line.start + at + value.length);
    // a key that a terminal or a log collector wrapped: it goes on at the start of the next line
    if (/^[ \t]*$/.test(line.text.slice(at + value.length))) wrappedHex(out, text, line.end);
  }
  if (/(?<![A-Za-z])(?:key|psk|pmk|ptk|gtk|mk|secret)s?\b|dump|blob/i.test(line.text))
    spaceHex(out, text, line);
  // a label that names a key with its bytes on the lines below (`MK dump:`, `Volume key:`)
  // or a C array of them (`unsigned char root_key[] = {`, what `xxd -i` prints)
  // (the label ends its line: only the line's end is read, once)
  if (
    /(?:key|psk|pmk|secret|dump|blob)s?(?:[ \t]*:|\w{0,40}\[\w{0,8}\][ \t]*=[ \t]*\{)[ \t]*$/i.test(
      line.text.slice(-96),
    )
  )
    dumpAfter(out, text, line.end, 64);
}

/** The hex run that starts the line after a key that ended its own line (`dmsetup table` wrapped). */
function wrappedHex(out: Span[], text: string, end: number): void {
  const next = /^[0-9A-Fa-f]{16,}(?![\w:.$/-])/.exec(text.slice(end + 1, end + 1 + 1_024));
  if (next && /[0-9]/.test(next[0]) && /[A-Fa-f]/.test(next[0]))
    push(out, text, end + 1, end + 1 + next[0].length);
}

/** A run of 8+ space-separated hex bytes on a key line, and the lines of bytes right after it. */
function spaceHex(out: Span[], text: string, line: Line): void {
  const run = /(?<![\w:])(?:[0-9A-Fa-f]{2}[ \t]+){7,}[0-9A-Fa-f]{2}(?![\w:])/.exec(line.text);
  if (!run) return;
  push(out, text, line.start + run.index, line.start + run.index + run[0].length);
  continuation(out, text, line.end, /^[ \t]*(?:[0-9A-Fa-f]{2}[ \t]+){3,}[0-9A-Fa-f]{2}[ \t]*$/);
}

/** Lines right after `from` that match `shape`, each redacted (at most 64). */
function continuation(out: Span[], text: string, from: number, shape: RegExp): void {
  let at = from + 1;
  for (let n = 0; n < 64 && at < text.length; n++) {
    const eol = text.indexOf('\n', at);
    const stop = eol === -1 ? text.length : eol;
    if (!shape.test(text.slice(at, stop))) return;
    push(out, text, at, stop);
    at = stop + 1;
  }
}

const ARMOUR = /-{5}BEGIN ([^\n]{1,64}?)-{5}/g;
const PRIVATE_FIELD =
  /(?<![\w-])(?:priv|private[-_ ]?key|privateExponent|prime[12]|exponent[12]|coefficient|secret)[ \t]*:[ \t]*$/gim;
const COLON_HEX_LINE = /^[ \t]*(?:[0-9A-Fa-f]{2}:)*[0-9A-Fa-f]{2}:?[ \t]*$/;
const KEY_FILE =
  /(?<!\S)\d{1,5}[ \t]+(?:M|MD5|SHA1?|SHA(?:224|256|384|512)|SHA3-\d+|RMD160|AES(?:128|256)?-?CMAC)[ \t]+(?:HEX:|ASCII:)?(\S{8,})[ \t]*(?:#.*)?$/gm;
const WPA_PSK_FILE =
  /(?<!\S)(?:keyid=\S+[ \t]+)?(?:[0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}[ \t]+([0-9A-Fa-f]{64})[ \t]*$/gm;
const PG_HASH = /\bmd5[0-9a-f]{32}\b|\bSCRAM-SHA-256\$\d+:[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+/g;

/** The rules over the whole text (each behind a cheap test). */
export function keyContext(text: string): Span[] {
  const out: Span[] = [];
  if (text.includes('-----BEGIN ')) armours(out, text);
  if (/:[ \t]*\r?\n[ \t]+[0-9A-Fa-f]{2}:/.test(text))
    for (const m of text.matchAll(PRIVATE_FIELD))
      continuation(out, text, (m.index ?? 0) + m[0].length, COLON_HEX_LINE);
  for (const pattern of /SHA|MD5| M |CMAC|RMD160/.test(text) ? [KEY_FILE, WPA_PSK_FILE] : [WPA_PSK_FILE]) {
    for (const m of text.matchAll(pattern)) {
      const value = m[1] ?? '';
      const at = (m.index ?? 0) + m[0].lastIndexOf(value);
      if (!value.startsWith('[REDACTED')) push(out, text, at, at + value.length);
    }
  }
  if (/md5|SCRAM/.test(text))
    for (const m of text.matchAll(PG_HASH)) push(out, text, m.index ?? 0, (m.index ?? 0) + m[0].length);
  if (/:[0-9A-Fa-f]{32}/.test(text)) passwdRows(out, text);
  if (/[$#][ \t]|sudo[ \t]/.test(text)) keyCommands(out, text);
  secretArrays(out, text);
  if (text.includes('=\t')) wireguardRows(out, text);
  if (text.includes('Secret') && text.includes('kind')) kubernetesSecrets(out, text);
  return out;
}

// `"name": [ "a", "b" ]` (JSON, YAML flow, TOML) and `name:` followed by `- a` lines (YAML block)
const FLOW_NAME = /["']?([\w.-]{2,80})["']?[ \t]*[:=][ \t]*$/;
const BLOCK_ARRAY = /^[ \t]*["']?([\w.-]{2,80})["']?:[ \t]*\r?\n((?:[ \t]*-[ \t]+[^\n]*(?:\n|$)){1,200})/gm;
const ELEMENT = /(?:"([^"\n]+)"|'([^'\n]+)'|(?<=^|[\s,[-])([^\s,"'[\]#-][^\s,"'\]#]*))/g;

/** The elements of an array under a secret-named key (any element under a strong name). */
function secretArrays(out: Span[], text: string): void {
  for (let i = text.indexOf('['); i !== -1; i = text.indexOf('[', i + 1)) {
    let b = i - 1;
    while (text[b] === ' ' || text[b] === '\t') b--;
    if (text[b] !== ':' && text[b] !== '=') continue;
    const name = FLOW_NAME.exec(text.slice(Math.max(0, i - 90), i))?.[1];
    const close = text.indexOf(']', i);
    if (name && close !== -1 && close - i < 20_000)
      elements(out, text, name, i + 1, text.slice(i + 1, close));
  }
  if (text.includes('- '))
    for (const m of text.matchAll(BLOCK_ARRAY))
      elements(out, text, m[1] ?? '', (m.index ?? 0) + m[0].lastIndexOf(m[2] ?? ''), m[2] ?? '');
}

function elements(out: Span[], text: string, name: string, from: number, body: string): void {
  const kind = secretName(name);
  if (!kind || body.startsWith('REDACTED')) return;
  for (const e of body.matchAll(ELEMENT)) {
    const value = e[1] ?? e[2] ?? e[3] ?? '';
    if (kind === 'weak' ? !looksRandom(value, 16) : value.length < 4 || /^\d+$/.test(value)) continue;
    const at = from + (e.index ?? 0) + e[0].indexOf(value);
    push(out, text, at, at + value.length);
  }
}

/** BEGIN/END armours whose label says key or secret and not public. */
function armours(out: Span[], text: string): void {
  for (const m of text.matchAll(ARMOUR)) {
    const label = m[1] ?? '';
    if (!/key|secret|private|static/i.test(label) || /public|certificate/i.test(label)) continue;
    const start = m.index ?? 0;
    const end = text.indexOf(`-----END ${label}-----`, start);
    if (end !== -1 && end - start < 40_000) push(out, text, start, end + label.length + 14, 'PRIVATE KEY');
    else continuation(out, text, start + m[0].length, /^[ \t]*[A-Za-z0-9+/=]{16,}[ \t]*$/);
  }
}

const HASH_FIELD =
  /(?<=:)(?:[0-9A-Fa-f]{128}|[0-9A-Fa-f]{64}|[0-9A-Fa-f]{40}|[0-9A-Fa-f]{32})(?=:|[ \t]*(?:\r?\n|$))/g;

/** Hash fields (32, 40, 64 or 128 hex digits) of `user:…:hash:…` rows (not `sha256:<hex>`). */
function passwdRows(out: Span[], text: string): void {
  for (const m of text.matchAll(HASH_FIELD)) {
    const at = m.index ?? 0;
    if (!/\d/.test(m[0]) || !/[A-Fa-f]/.test(m[0])) continue;
    const fields = text.slice(Math.max(text.lastIndexOf('\n', at) + 1, at - 200), at - 1).split(':');
    const first = /[A-Za-z_][\w.@$-]*$/.test(fields[0] ?? '');
    if (fields.length < 2 || !first || /(?:sha\d*|md5|blake2\w*)$/i.test(fields[fields.length - 1] ?? ''))
      continue;
    push(out, text, at, at + m[0].length, 'PASSWORD HASH');
  }
}

/** The lone tokens a command that reads a key prints on its next lines (prompts skipped). */
function keyCommands(out: Span[], text: string): void {
  for (const commandEnd of commandLineEnds(text)) {
    let at = commandEnd + 1;
    for (let n = 0; n < 16 && at < text.length; n++) {
      const eol = text.indexOf('\n', at);
      const stop = eol === -1 ? text.length : eol;
      const line = text.slice(at, stop);
      if (/^[ \t]*(?::hex:)?[A-Za-z0-9+/=_-]{16,}[ \t]*$/.test(line) && /\d/.test(line))
        push(out, text, at, stop);
      else if (isDumpLine(line)) {
        // a byte dump of the key (xxd, od, hexdump): all of its lines
        dumpAfter(out, text, at - 1);
        break;
      } else if (!/:[ \t]*$/.test(line)) break;
      at = stop + 1;
    }
  }
}

/**
 * Where each line that runs a command reading a key ends: a `$ `, `# ` or `sudo ` with one of the
 * words after it. Only the lines holding a word are read (linesWith), each searched once, not once
 * per prompt character (a line of 50 000 `$ ` cost seconds as one pattern).
 */
function commandLineEnds(text: string): number[] {
  const lines = linesWith(text, COMMAND_WORDS);
  if (lines.origin.length === 0) return [];
  const ends: number[] = [];
  lines.text.split('\n').forEach((line, k) => {
    const prompt = COMMAND_PROMPT.exec(line);
    if (prompt && COMMAND_WORDS.test(line.slice(prompt.index + prompt[0].length)))
      ends.push((lines.origin[k] ?? 0) + line.length);
  });
  return ends;
}

const COMMAND_PROMPT = /(?:[$#]|\bsudo)[ \t]/i;
const COMMAND_WORDS = /key|secret|passphrase|psk|token|passw|cred|unseal/i;

interface Line {
  text: string;
  start: number;
  end: number;
}

function push(out: Span[], text: string, start: number, end: number, label = ''): void {
  const s = span(text, start, end, label);
  if (s && !text.startsWith('[REDACTED', s.start)) out.push(s);
}
