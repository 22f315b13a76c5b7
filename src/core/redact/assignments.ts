/**
 * Structure: a value under a name that says "secret", in whatever syntax carries it — env and
 * shell (`KEY=v`, `export KEY=v`), INI/TOML (`key = v`), YAML (same line, next line, block
 * scalar), JSON, XML elements and attributes, PHP/Python/JS/Go/C# literals (`'key' => 'v'`,
 * `define('KEY', 'v')`, `KEY := "v"`), connection strings (`Password=v;`, ODBC `PWD={v}`),
 * name/value records (`<add key="DbPassword" value="v"/>`, Kubernetes `- name: X` / `value: v`),
 * flags (`--password v`, `-password v`), and space-separated directives (`requirepass v`,
 * `.netrc` `password v`, FTP `PASS v`). The scan starts from the stems of secret words, so text
 * without them costs one regex pass.
 */
import { looksRandom } from './entropy.js';
import { secretName } from './secret-words.js';
import { type Span, span } from './spans.js';
import { indentedBlock } from './tokens.js';

const STEM =
  /pass|pw|psw|secret|token|key|auth|cred|communit|sig|cookie|session|sid|dsn|salt|hmac|otp|jwt|bearer|hook|licen|pat(?![a-z])|psk|kennwort|geheim|mot|contrase|clave|senha|segred|parol|segret|wachtwoord|has[lł]o|heslo|jelsz|salasana|l[oö]senord|passord|adgangskode|lozinka|geslo|parool|slapta|[sş]ifre|sandi|kh[aẩ]u|jeton|chave|schl/gi;
// the same for scripts beyond Latin, run only on text that has such characters
const STEM_WIDE =
  /пароль|гасло|парола|секрет|κωδικ|συνθηματ|סיסמ|كلمة|密[码碼]|口令|暗号|パスワード|비밀번호|암호|पासवर्ड|ключ|токен|令牌/g;

/** A character of a key name: ASCII letters, digits, `_ . -`, or any letter beyond ASCII. */
function isKeyChar(c: string | undefined): boolean {
  if (c === undefined) return false;
  const code = c.charCodeAt(0);
  if (code < 128) return /[A-Za-z0-9_.-]/.test(c);
  return /[\p{L}\p{N}\p{M}]/u.test(c);
}

const names = new Map<string, ReturnType<typeof secretName>>();
/** secretName, remembered: logs repeat the same few names many times. */
function nameKind(name: string): ReturnType<typeof secretName> {
  let kind = names.get(name);
  if (kind === undefined && !names.has(name)) {
    kind = secretName(name);
    if (names.size > 10_000) names.clear();
    names.set(name, kind);
  }
  return kind;
}

/** Values that are not secrets whatever their name: placeholders, booleans, references. */
const PLACEHOLDER =
  /^(?:\*+|x{3,}|\.{3,}|-+|<[^>]*>|\$\{[^}]*\}|\$\([^)]*\)|\$[A-Za-z_][A-Za-z0-9_]*|%[A-Za-z_]+%|\{\{[^}]*\}\}|\[REDACTED[^\]]*\]|null|nil|none|undefined|true|false|yes|no|on|off|\(?hidden\)?|\(?none\)?|redacted|masked|\[hidden\]|\[masked\]|optional|required|env|environment|prompt|ask|stdin|file|string|str|bool|boolean|int|integer|object|secret|password)$/i;

/** Words that follow "password" in prose, not in an assignment (`Password changed for ops`). */
const PROSE = new Set(
  'for of is was are were has have had not to in on at by from with and or the a an this that if be been being will would should could can may must incorrect invalid wrong required missing expired changed updated set unset empty accepted failed failure failures denied ok okay authentication auth check checks reset change policy length too mismatch matches match verification verified expires expiry again prompt please enter mode type field must file file: stored saved written read'.split(
    ' ',
  ),
);

/** Directives whose syntax is `name value` (redis, LDAP, wpa_supplicant, FTP and redis commands). */
const DIRECTIVE =
  /^(?:requirepass|masterauth|rootpw|bindpw|psk|wpa_passphrase|sasl_passwd|rocommunity6?|rwcommunity6?|PASS|AUTH|PASSWORD)$/;
/** Protocol commands whose arguments are all credentials (redis `AUTH user pw`, FTP `PASS pw`). */
const COMMAND = /^(?:PASS|AUTH)$/;

export function assignments(text: string): Span[] {
  const out = scan(text, STEM);
  // one cheap test keeps the wide scan off plain Latin logs
  if (/[^\t-\u024f]/.test(text)) out.push(...scan(text, STEM_WIDE));
  return out;
}

/**
 * The line around a position, remembered: the stems are found in order, so most asks are about the
 * line of the last one, and a line of thousands of keys must not be walked to its ends once per key.
 */
class Lines {
  private from = 0;
  private to = -1;
  constructor(private readonly text: string) {}
  private at(i: number): void {
    if (i >= this.from && i <= this.to) return;
    this.from = this.text.lastIndexOf('\n', i - 1) + 1;
    const eol = this.text.indexOf('\n', i);
    this.to = eol === -1 ? this.text.length : eol;
  }
  start(i: number): number {
    this.at(i);
    return this.from;
  }
  end(i: number): number {
    this.at(i);
    return this.to;
  }
}

/** Where a bare value that starts at `v` ends (its first separator), remembered for the values inside it. */
class Runs {
  private from = -1;
  private to = -1;
  constructor(private readonly text: string) {}
  end(v: number, lineEnd: number): number {
    if (v >= this.from && v <= this.to && this.to <= lineEnd) return this.to;
    let e = v;
    while (e < lineEnd && !BARE_STOP.test(this.text[e] ?? '')) e++;
    this.from = v;
    this.to = e;
    return e;
  }
}
const BARE_STOP = /[\s"'`;<>\\]/;

/** Per text: its lines, its bare runs and the last quote that found no close (each walked once). */
interface Scan {
  lines: Lines;
  runs: Runs;
  open: { quote: string; from: number; to: number };
}

function scan(text: string, stems: RegExp): Span[] {
  const out: Span[] = [];
  const at: Scan = { lines: new Lines(text), runs: new Runs(text), open: { quote: '', from: -1, to: -1 } };
  let resumeAt = 0;
  const STEM = stems;
  STEM.lastIndex = 0;
  for (let m = STEM.exec(text); m; m = STEM.exec(text)) {
    if (m.index < resumeAt) continue;
    let ks = m.index;
    let ke = m.index + m[0].length;
    while (ks > 0 && isKeyChar(text[ks - 1])) ks--;
    while (ke < text.length && isKeyChar(text[ke])) ke++;
    while (ke > ks && /[.-]/.test(text[ke - 1] ?? '')) ke--;
    while (ks < ke && /[.-]/.test(text[ks] ?? '') && text[ks - 1] !== '-') ks++;
    resumeAt = ke;
    STEM.lastIndex = ke;
    // a word of our own placeholder (`[REDACTED PASSWORD HASH]`) names nothing
    if (text[ks - 1] === ' ' && inPlaceholder(text.slice(Math.max(0, ks - 40), ks))) continue;
    const name = text.slice(ks, ke).replace(/^-+/, '');
    const kind = nameKind(name) ?? flagKind(text, ks, name);
    if (!kind || (kind === 'weak' && PUBLIC_BEFORE.test(text.slice(Math.max(0, ks - 12), ks)))) continue;
    const found = valueAfter(text, ks, ke, kind, at);
    if (found) {
      out.push(found);
      resumeAt = found.end;
      STEM.lastIndex = found.end;
    }
  }
  return out;
}

/**
 * A flag whose name ends in a secret word glued to others (`-srcstorepass`, `--sftppass`,
 * `--botkey`): as a flag, the name is enough (`--bypass` and the like are not).
 */
function flagKind(text: string, ks: number, name: string): 'strong' | 'weak' | undefined {
  if (!/(?:^|\s)--?$/.test(text.slice(Math.max(0, ks - 3), ks))) return undefined;
  if (/(?<!by|com|multi|one|two|first|second|sur)(?:pass|passwd|pwd|pw|secret|psk|passphrase)$/i.test(name))
    return 'strong';
  return /(?:token|key|auth)$/i.test(name) ? 'weak' : undefined;
}

/** True when `before` ends inside a placeholder: `[REDACTED` with no `]` after it. */
function inPlaceholder(before: string): boolean {
  const open = before.lastIndexOf('[REDACTED');
  return open !== -1 && !before.includes(']', open);
}

/** A weak name after a word that makes it public, as a separate word (`public key: …` of `wg show`). */
const PUBLIC_BEFORE = /(?:^|[^\w-])(?:public|pub|host)[ \t]+$/i;

/** The opening quote just before `at` (`"`, `'`, a JSON-escaped `\"`), if any. */
function quoteBefore(text: string, at: number): string {
  const c = text[at - 1] ?? '';
  if (!`"'\``.includes(c) || c === '') return '';
  return text[at - 2] === '\\' ? `\\${c}` : c;
}

/** How much of its line before a key the tests of `before` read. */
const BEFORE_KEY = 512;

function valueAfter(
  text: string,
  ks: number,
  ke: number,
  kind: 'strong' | 'weak',
  at: Scan,
): Span | undefined {
  const keyQuote = quoteBefore(text, ks);
  const lineStart = at.lines.start(ks);
  // what precedes the key on its line, at most BEFORE_KEY of it: every test of it looks at its end or
  // at a short line start, and a line of thousands of keys must not cost a whole line per key
  const before = text.slice(Math.max(lineStart, ks - keyQuote.length - BEFORE_KEY), ks - keyQuote.length);
  // a key that is itself the value of a naming field: `name="DB_PASSWORD" value="…"`
  if (keyQuote !== '' || /[:=]$/.test(before.trimEnd())) {
    // an element's `<` may lie further back on its line than `before` reaches (not thousands back)
    const tagOpen = () => text.slice(Math.max(lineStart, ks - TAG_BACK), ks + 1).includes('<');
    const record = namedValue(text, ke, before, keyQuote, tagOpen);
    if (record !== undefined) return record ? checked(text, record, kind) : undefined;
  }
  let p = ke;
  const rawName = text.slice(ks, ke);
  if (keyQuote && text.startsWith(keyQuote, p)) p += keyQuote.length;
  else if (keyQuote && /^[ \t]*(?:=|:(?!\/\/))/.test(text.slice(p, p + 4)) && isPair(text, ks, keyQuote)) {
    // `"KEY=value"`: a pair quoted whole (systemd `Environment="K=V"`, `docker run -e "K=V"`)
    const close = closingQuote(text, p, keyQuote, at);
    const sep = text.slice(p, p + 4).search(/[=:]/) + p + 1;
    if (close !== -1) return checked(text, span(text, sep, close), kind);
  } else if (keyQuote && !DIRECTIVE.test(rawName)) return undefined; // inside a quoted sentence, not a key
  while (text[p] === ']' || text[p] === ')') p++;
  const xmlOpen = before.endsWith('<') || (before.endsWith(':') && /<[\w.-]+:$/.test(before.slice(-128)));
  if (xmlOpen) return xmlElement(text, p, kind);
  const afterKey = p;
  while (text[p] === ' ' || text[p] === '\t') p++;
  const sep = /^(?:=>|:=|==?|:(?!:)|,)/.exec(text.slice(p, p + 2))?.[0];
  if (sep === ',' && !(keyQuote && /\(\s*$/.test(before))) return undefined;
  if (sep === '==') return undefined; // a comparison
  if (sep) {
    const spaced = text[p - 1] === ' ' || text[p + sep.length] === ' ' || text[p + sep.length] === '\t';
    let v = p + sep.length;
    while (text[v] === ' ' || text[v] === '\t') v++;
    const atLineStart = /^\s*(?:-\s+|export\s+|set\s+|declare\s+(?:-\w+\s+)?|ENV\s+|\$)?$/.test(before);
    const lineEnd = at.lines.end(v);
    // nothing after the separator but a block indicator: the value is on the next lines (a long
    // rest of the line is never that, and is not copied to find out)
    const rest = lineEnd - v <= 64 ? text.slice(v, lineEnd) : '-';
    if (/^\s*(?:[|>][-+]?\d*)?\s*$/.test(rest) && (sep === ':' || sep === '=')) {
      return checked(text, nextLines(text, lineStart, lineEnd), kind);
    }
    return checked(text, scalar(text, v, lineEnd, atLineStart && spaced && sep !== ',', at), kind);
  }
  return valueAfterSpace(text, { ks, afterKey, lineStart, before, rawName }, kind, at);
}

/**
 * A value after a space, no separator: `--password value`, `-pw value`, `requirepass value`,
 * `.netrc` `password value`, `PASS value`.
 */
function valueAfterSpace(
  text: string,
  key: { ks: number; afterKey: number; lineStart: number; before: string; rawName: string },
  kind: 'strong' | 'weak',
  at: Scan,
): Span | undefined {
  const { ks, afterKey, lineStart, before, rawName } = key;
  const flag = /(?:^|\s)--?$/.test(text.slice(Math.max(lineStart, ks - 3), ks));
  const netrc = /\b(?:login|user(?:name)?|account|machine)\s+\S+\s+$/.test(before);
  const directive =
    DIRECTIVE.test(rawName) &&
    (ks === lineStart || /["'>]$/.test(text.slice(Math.max(lineStart, ks - BEFORE_KEY), ks).trimEnd()));
  // `password hunter2` (.netrc) — a bare name, not `systemd-ask-password-console.service loaded`
  const lineFirst = /^\s*$/.test(before) && kind === 'strong' && /^[A-Za-z_]{2,32}$/.test(rawName);
  if (!(flag || netrc || directive || lineFirst)) return undefined;
  if (text[afterKey] !== ' ' && text[afterKey] !== '\t') return undefined;
  let v = afterKey;
  while (text[v] === ' ' || text[v] === '\t') v++;
  if (text[v] === '-' && flag) return undefined;
  const lineEnd = at.lines.end(v);
  const value =
    COMMAND.test(rawName) && directive ? commandArgs(text, v, lineEnd) : scalar(text, v, lineEnd, false, at);
  if (!value) return undefined;
  const word = text.slice(value.start, value.end);
  if (PROSE.has(word.toLowerCase().replace(/[:.,]$/, ''))) return undefined;
  return checked(text, value, directive ? 'strong' : kind);
}

/** The arguments of a credential command, to the end of the line or of its quoted string. */
function commandArgs(text: string, v: number, lineEnd: number): Span | undefined {
  const line = text.slice(v, lineEnd);
  const close = line.search(/["'`]/);
  return span(text, v, v + (close === -1 ? line.length : close));
}

/** True when the quote before a key opens a `"KEY=value"` pair (the key starts it, nothing else does). */
function isPair(text: string, ks: number, quote: string): boolean {
  return !/[\p{L}\p{N}_]/u.test(text[ks - quote.length - 1] ?? '');
}

/** A value: quoted (to its closing quote), braced (ODBC `{…}`), or bare up to a separator. */
function scalar(text: string, v: number, lineEnd: number, toLineEnd: boolean, at?: Scan): Span | undefined {
  const q = text[v] === '\\' && `"'`.includes(text[v + 1] ?? '') ? `\\${text[v + 1]}` : text[v];
  const prefixed = /^[@rbuf]["'`]/i.test(text.slice(v, v + 2)) ? 1 : 0;
  const quote = prefixed ? (text[v + 1] ?? '') : (q ?? '');
  if (quote && (quote.startsWith('\\') || `"'\``.includes(quote))) {
    const from = v + prefixed + quote.length;
    const close = closingQuote(text, from, quote, at);
    const end = close === -1 ? Math.min(lineEnd, from + 200) : close;
    return span(text, from, end);
  }
  if (text[v] === '{') {
    const close = text.slice(v, Math.min(lineEnd, v + BRACED)).indexOf('}');
    if (close !== -1) return span(text, v + 1, v + close);
  }
  if (toLineEnd) return span(text, v, lineEnd);
  const e = at ? at.runs.end(v, lineEnd) : bareEnd(text, v, lineEnd);
  // `username=a,password=b,uid=0` and `?token=x&y=1`: the next option ends it (looked for in the
  // value's first part: a run of thousands of `key=` must not be read again for each of them)
  const head = text.slice(v, Math.min(e, v + BARE_HEAD));
  const next = /[,&](?=[\w.-]+=)/.exec(head);
  let end = next ? v + next.index : e;
  while (end > v && /[,.)\]}]/.test(text[end - 1] ?? '')) end--;
  return span(text, v, end);
}

/** How far a braced value (ODBC `{…}`) and a bare value's options are looked for. */
const BRACED = 4_096;
const BARE_HEAD = 1_024;
/** How much of a value says what it is (a placeholder, a URL, a path, random or not). */
const JUDGED = 256;
/** How far back on its line an element's `<` is looked for. */
const TAG_BACK = 4_096;

function bareEnd(text: string, v: number, lineEnd: number): number {
  let e = v;
  while (e < lineEnd && !BARE_STOP.test(text[e] ?? '')) e++;
  return e;
}

/**
 * Where the quote that opens at `from` closes on its line, or -1. A scan that found no close is
 * remembered: a quote opened later on the same line, after that scan's start, finds none either
 * (the scan passed its position stepping as a fresh scan would), so a line of thousands of
 * unclosed quotes is read once.
 */
function closingQuote(text: string, from: number, quote: string, at?: Scan): number {
  const open = at?.open;
  if (open && open.quote === quote && from >= open.from && from <= open.to && text[from - 1] !== '\\')
    return -1;
  const close = closeOf(text, from, quote);
  if (open && close === -1) {
    open.quote = quote;
    open.from = from;
    open.to = at.lines.end(from);
  }
  return close;
}

function closeOf(text: string, from: number, quote: string): number {
  let i = from;
  while (i < text.length) {
    const c = text[i];
    if (c === '\n') return -1;
    if (quote.length === 1 && c === '\\') {
      i += 2;
      continue;
    }
    if (text.startsWith(quote, i)) return i;
    i++;
  }
  return -1;
}

/** YAML: the more-indented lines after `key:` (a next-line scalar or a `|` / `>` block). */
function nextLines(text: string, lineStart: number, lineEnd: number): Span | undefined {
  const indent = /^[ \t-]*/.exec(text.slice(lineStart, lineEnd))?.[0].length ?? 0;
  let end = lineEnd;
  for (const { stop } of indentedBlock(text, lineEnd, indent)) {
    end = stop;
    if (stop + 1 - lineEnd > 20_000) break;
  }
  return end > lineEnd ? span(text, lineEnd + 1, end) : undefined;
}

/** `<password>v</password>`, `<db:password encrypted="false">v</…>`, CDATA included. */
function xmlElement(text: string, p: number, kind: 'strong' | 'weak'): Span | undefined {
  const gt = indexWithin(text, '>', p, 200);
  if (gt === -1 || text[gt - 1] === '/') return undefined;
  const lt = indexWithin(text, '<', gt + 1, 2_000);
  const end = lt === -1 ? Math.min(text.length, gt + 1 + 2_000) : lt;
  if (lt !== -1 && text.startsWith('<![CDATA[', lt)) {
    const close = indexWithin(text, ']]>', lt, 2_000);
    if (close !== -1) return checked(text, span(text, lt + 9, close), kind);
  }
  return checked(text, span(text, gt + 1, end), kind);
}

/**
 * A record that names its secret in one field and holds it in another: `name: DB_PASSWORD` then
 * `value: v` (Kubernetes env), `<add key="DbPassword" value="v"/>`, `<entry key="password">v</entry>`,
 * `{"Name": "DB_PASS", "Value": "v"}`. Undefined: not a naming field; null: one, but no value.
 */
function namedValue(
  text: string,
  ke: number,
  before: string,
  keyQuote: string,
  tagOpen: () => boolean,
): Span | null | undefined {
  if (
    // the naming field ends `before`: its last 96 characters hold it (not all 512, once per key)
    !/\b(?:name|key|id|param(?:eter)?(?:key|name)?|field|variable|var|property|setting|option)\s*["']?\s*[:=]\s*["']?\\?["']?$/i.test(
      before.slice(-96),
    )
  )
    return undefined;
  let p = ke + (text.startsWith(keyQuote, ke) ? keyQuote.length : 0);
  const region = text.slice(p, p + 400);
  const stop = /\b(?:name|key)\s*["']?\s*[:=]/i.exec(region);
  const scope = stop ? region.slice(0, stop.index) : region;
  const field = /\b(?:value|val|secret|data)\b\\?["']?\s*[:=]\s*/i.exec(scope);
  if (field) {
    p += field.index + field[0].length;
    const eol = text.indexOf('\n', p);
    return scalar(text, p, eol === -1 ? text.length : eol, false) ?? null;
  }
  const gt = scope.indexOf('>');
  if (gt !== -1 && scope[gt - 1] !== '/' && tagOpen()) {
    const from = p + gt + 1;
    const lt = indexWithin(text, '<', from, 2_000);
    return span(text, from, lt === -1 ? Math.min(text.length, from + 2_000) : lt) ?? null;
  }
  return null;
}

/** The value span if the value can be a secret under a name of this strength. */
function checked(text: string, value: Span | undefined, kind: 'strong' | 'weak'): Span | undefined {
  if (!value) return undefined;
  // a value is judged by its first part (a placeholder, a URL, a path, random or not): one that runs
  // for a whole long line must not be read whole for each key on that line
  const v = text.slice(value.start, Math.min(value.end, value.start + JUDGED));
  if (v.startsWith('[REDACTED') || PLACEHOLDER.test(v)) return undefined;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(v)) return urlValue(v, value.start, kind, value.end);
  // a path (`PWD=/home/ops`, `password_file: /run/secrets/db`) names where a secret is, not the secret
  if (/^~?\/[\w.@/-]*$/.test(v) && !v.split('/').some((part) => looksRandom(part, 12))) return undefined;
  if (kind === 'weak') {
    const first = v.split('\n')[0]?.trim() ?? '';
    if (!looksRandom(first.replace(/^(?:bearer|basic|token)\s+/i, ''), 12)) return undefined;
  }
  return value;
}

/**
 * A URL under a secret name: a webhook or DSN carries its secret in the user part or the path.
 * A password in the user part is left to the URL detector, which keeps the rest readable.
 */
function urlValue(v: string, at: number, kind: 'strong' | 'weak', end: number): Span | undefined {
  const m = /^[a-z][a-z0-9+.-]*:\/\/(?:([^\s:@/]+)@)?([^\s/?#@]*)([^\s]*)$/i.exec(v);
  if (!m) return undefined;
  const [, user, host = '', path = ''] = m;
  const scheme = v.indexOf('://') + 3;
  if (user?.startsWith('[REDACTED')) return undefined;
  if (user) return { start: at + scheme, end: at + scheme + user.length, label: '' };
  if (!path || path === '/' || path.startsWith('/[REDACTED')) return undefined;
  const random = path.split(/[/?&=#]/).some((part) => looksRandom(part, 12));
  if (kind === 'strong' || random) {
    const from = at + scheme + (user ? user.length + 1 : 0) + host.length;
    return { start: from, end, label: '' };
  }
  return undefined;
}

/** indexOf that looks no further than `limit` characters (a missing needle must not cost the whole text). */
function indexWithin(text: string, needle: string, from: number, limit: number): number {
  const i = text.slice(from, from + limit + needle.length).indexOf(needle);
  return i === -1 ? -1 : from + i;
}
