/**
 * Secrets that services keep in their own syntax, where neither a secret-named key nor a random-
 * looking token gives them away:
 * - JSON Web Keys (RFC 7517/7518/8037): the private members `d`, `p`, `q`, `dp`, `dq`, `qi` and a
 *   symmetric key's `k`, in JSON (plain or escaped inside a string) or YAML, when the text names a
 *   `kty` of RSA, EC, OKP or oct; the public members (`n`, `e`, `x`, `y`, `kid`, `alg`) stay;
 * - gossip and cluster keys: Consul/Nomad `encrypt`, `consul keyring -list` rows, a Serf keyring
 *   file, the key `consul keygen` prints, the Erlang distribution cookie (`.erlang.cookie` read by a
 *   command, `-setcookie`/`--cookie`, `RABBITMQ_ERLANG_COOKIE`);
 * - PHP configuration arrays: `'dbpassword' => '…'`, `'passwordsalt' => '…'`;
 * - Redis ACL rules (`>password`), net-snmp USM passphrases (`createUser u SHA "a" AES "p"`,
 *   `authpass`/`privpass`), cloud-init's `chpasswd` list (`user:password` lines);
 * - one-time-password seeds: a `~/.google_authenticator` file read by a command (the base32 seed,
 *   then the scratch codes), `google-authenticator`'s setup output, `*_TOTP_SEED=`.
 * Each family runs only on a text holding its literal word, and each pattern starts at a literal
 * or a line start, so a long line of one piece costs one pass.
 */
import { secretName } from './secret-words.js';
import { type Span, span } from './spans.js';

const JWK_KTY = /\bkty\\?["']?[ \t]*[:=][ \t]*\\?["']?(?:RSA|EC|OKP|oct)\b/;
// `"d": "…"` in JSON, `\"d\":\"…\"` escaped, `d: …` as a YAML member (its own line)
const JWK_JSON = /\\?"(?:d|p|q|dp|dq|qi|k)\\?"[ \t]*:[ \t]*\\?"([A-Za-z0-9_-]{8,})/g;
const JWK_YAML = /^[ \t]*(?:- )?["']?(?:d|p|q|dp|dq|qi|k)["']?:[ \t]*["']?([A-Za-z0-9_-]{8,})["']?[ \t]*$/gm;

const B64 = '[A-Za-z0-9+/]{16,}={0,2}';
const GOSSIP_ENCRYPT = new RegExp(`\\bencrypt["']?[ \\t]*[:=][ \\t]*["'](${B64})["']`, 'g');
const KEYRING_ROW = new RegExp(`^[ \\t]+(${B64})[ \\t]+\\[\\d+/\\d+\\]`, 'gm');
const KEYRING_FILE = new RegExp(`["'](${B64})["']`, 'g');
/** How far a keyring file's array is read (a keyring holds a few keys). */
const KEYRING_BYTES = 4096;
// what the line after a command that prints a gossip key, or reads a cookie, starts with
const PRINTED_KEY = new RegExp(`(?:\\| )?(${B64})(?=\\s|$)`, 'y');
const PRINTED_COOKIE = /(?:\| )?([A-Za-z0-9_]{6,255})(?=[\s$#]|$)/y;
const KEY_PRINTERS = ['consul keygen', 'nomad keygen', 'operator keygen', 'keyring generate'];
const COOKIE_FLAG = /(?:^|\s)-setcookie[ \t]+["']?([^\s"']+)/g;
// elixir/iex `--cookie X` (curl's --cookie is a cookie jar: only after an Erlang tool on the line)
const ELIXIR_COOKIE = /(?:^|\s)--cookie[ \t=]+["']?([^\s"']+)/g;
const ERLANG_TOOL = /\b(?:iex|elixir|erl|mix|rebar3)\b/;
const COOKIE_VAR = /(?<![./])erlang[_.-]?cookie["']?[ \t]*[:=][ \t]*["']?([^\s"',;]+)/gi;

// `'name' => 'value'` whose name says password, secret, salt, token or private key
const PHP_MEMBER = /["']([\w.-]{1,60})["'][ \t]*=>[ \t]*(["'])([^"'\n]{1,500})\2/g;

// a Redis ACL rule line: `user NAME … >password`, `ACL SETUSER NAME … ">password"`
const REDIS_RULE = /(?<![\w-])(?:user|SETUSER|setuser)[ \t]+[^\s]+[ \t][^\n]*/g;
// what makes a line an ACL rule and not prose about a user: a key, channel or command rule (the
// family's words: a rule that turns the user on, ACL SETUSER, or a +@category; a space before `>`
// is too common a pair to look for in every output)
const REDIS_RULE_WORD =
  /[\s"](?:nopass|resetpass|allkeys|allcommands|allchannels|resetkeys|~\S*|%R?W?~\S*|&\S*|[+-]@\S+)(?=[\s"]|$)/;
const REDIS_PASS = /(?:^|[\s"])[><]([^\s"]+)/g;
const SNMP_USER =
  /\bcreateUser[ \t]+(?:-e[ \t]+\S+[ \t]+)?\S+[ \t]+(?:MD5|SHA[-\d]*)[ \t]+("[^"\n]*"|\S+)(?:[ \t]+(?:DES|AES[-\d]*)[ \t]+("[^"\n]*"|\S+))?/g;
const SNMP_PASS = /(?<![\w-])(?:auth|priv)pass(?:phrase)?\b[ \t]*[=:]?[ \t]*("[^"\n]*"|[^\s"]+)/gm;
// chpasswd `list: |` block (indented `user:password` lines) or `list: "user:pw\nuser:pw"`
const CHPASSWD_BLOCK = /\blist:[ \t]*[|>]-?[ \t]*\n((?:[ \t]+[^\s:]+:[^\n]*(?:\n|$))+)/g;
const CHPASSWD_INLINE = /\blist:[ \t]*["']([^"'\n]+)["']/g;
const CHPASSWD_ITEM = /\blist:[ \t]*\n((?:[ \t]*-[ \t]+[^\s:]+:[^\n]*(?:\n|$))+)/g;
const USER_PASS = /([^\s:"'-][^\s:"']*):([^\s"']+)/g;

// after a command reading it: the base32 seed, the option lines, then the 8-digit scratch codes
const GA_FILE = /(?:\| )?([A-Z2-7]{16,})\n((?:(?:\| )?"[^\n]*\n)*)((?:(?:\| )?\d{8}(?:\n|$))*)/y;
const GA_SETUP = /\bsecret key is:?[ \t]*([A-Z2-7]{16,})/g;
const GA_SCRATCH = /\bscratch codes are:?[ \t]*\n((?:[ \t]*\d{8}[ \t]*(?:\n|$))+)/g;
const DIGITS8 = /\d{8}/g;
const OTP_SEED = /(?:totp|otp|mfa|2fa)[\w.-]{0,30}seed["']?[ \t]*[=:][ \t]*["']?([A-Za-z2-7]{16,}=*)/gi;

/**
 * Each family reads only windows around its words (a JWK's members lie within a few KB of its `kty`,
 * a chpasswd list right after `chpasswd`): a 10 MB output is searched for a word, not by every
 * pattern. `before`/`after` are how far a window reaches; overlapping windows become one.
 */
type Family = { words: string[]; before: number; after: number; run: (text: string, out: Span[]) => void };

const FAMILIES: Family[] = [
  { words: ['kty'], before: 8192, after: 8192, run: jwkMembers },
  { words: ['encrypt'], before: 0, after: 256, run: (t, o) => groups(t, o, GOSSIP_ENCRYPT) },
  { words: ['keyring', 'encrypt'], before: 0, after: 4096, run: (t, o) => groups(t, o, KEYRING_ROW) },
  { words: ['keygen', 'keyring', 'cookie'], before: 256, after: 4096, run: keyPrinters },
  { words: ['.google_authenticator'], before: 256, after: 4096, run: authenticatorFiles },
  { words: ['cookie', 'COOKIE'], before: 600, after: 600, run: cookies },
  { words: ['=>'], before: 70, after: 520, run: phpMembers },
  { words: ['on >', 'on ">', 'SETUSER', 'setuser', '+@'], before: 2048, after: 2048, run: redisRules },
  { words: ['createUser'], before: 0, after: 1024, run: (t, o) => snmp(t, o, SNMP_USER) },
  { words: ['authpass', 'privpass'], before: 1, after: 1024, run: (t, o) => snmp(t, o, SNMP_PASS) },
  { words: ['chpasswd'], before: 0, after: 4096, run: chpasswdLists },
  { words: ['secret key is', 'scratch codes'], before: 0, after: 512, run: authenticatorSetup },
  { words: ['SEED', 'seed'], before: 64, after: 512, run: (t, o) => groups(t, o, OTP_SEED) },
];

// every family's words in one pattern: the text is read once to find where any family may apply
const ANY_WORD = new RegExp(
  [...new Set(FAMILIES.flatMap((f) => f.words))]
    .sort((a, b) => b.length - a.length)
    .map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('|'),
  'g',
);

export function serviceSecrets(text: string): Span[] {
  const hits = new Map<string, number[]>();
  for (const m of text.matchAll(ANY_WORD)) {
    const list = hits.get(m[0]);
    if (list) list.push(m.index ?? 0);
    else hits.set(m[0], [m.index ?? 0]);
  }
  if (hits.size === 0) return [];
  const out: Span[] = [];
  for (const f of FAMILIES) {
    // a longer word found holds a family's shorter one (`encryption keys` holds `encrypt`)
    const at: number[] = [];
    for (const [word, list] of hits) if (f.words.some((w) => word.includes(w))) at.push(...list);
    if (at.length > 0) near(text, f, at, out);
  }
  return out;
}

function near(text: string, family: Family, hits: number[], out: Span[]): void {
  hits.sort((a, b) => a - b);
  let from = -1;
  let to = -1;
  const flush = () => {
    if (from < 0) return;
    // from the start of the line the window begins on (patterns read whole lines)
    const head = text.slice(Math.max(0, from - 256), from);
    const start = from - head.length + head.lastIndexOf('\n') + 1;
    const local: Span[] = [];
    family.run(text.slice(start, to), local);
    for (const s of local) out.push({ ...s, start: s.start + start, end: s.end + start });
  };
  for (const i of hits) {
    const a = Math.max(0, i - family.before);
    const b = Math.min(text.length, i + family.after);
    if (a <= to) to = Math.max(to, b);
    else {
      flush();
      from = a;
      to = b;
    }
  }
  flush();
}

/** Each match's last non-empty group (or every group, for patterns with two values) as a span. */
function groups(text: string, out: Span[], ...patterns: RegExp[]): void {
  for (const pattern of patterns) for (const m of text.matchAll(pattern)) pushGroups(out, text, m);
}

/** Each non-empty group of one match as a span, found in order from the match's start. */
function pushGroups(out: Span[], text: string, m: RegExpMatchArray): void {
  let from = m.index ?? 0;
  for (const value of m.slice(1)) {
    if (!value) continue;
    const at = text.indexOf(value, from);
    from = at + value.length;
    push(out, text, at, value);
  }
}

function push(out: Span[], text: string, at: number, value: string): void {
  const bare = value.replace(/^"|"$/g, '');
  if (!bare || bare.startsWith('[REDACTED')) return;
  const start = at + value.indexOf(bare);
  const s = span(text, start, start + bare.length);
  if (s) out.push(s);
}

function jwkMembers(text: string, out: Span[]): void {
  if (JWK_KTY.test(text)) groups(text, out, JWK_JSON, JWK_YAML);
}

/** Calls `next` with the start of the line after each line holding `word` (once per line). */
function afterLines(text: string, word: string, next: (at: number) => void): void {
  for (let i = text.indexOf(word); i !== -1; ) {
    const nl = text.indexOf('\n', i);
    if (nl === -1) return;
    next(nl + 1);
    i = text.indexOf(word, nl + 1);
  }
}

function sticky(text: string, out: Span[], pattern: RegExp, at: number): void {
  pattern.lastIndex = at;
  const m = pattern.exec(text);
  if (m?.[1]) push(out, text, at + m[0].indexOf(m[1]), m[1]);
}

function keyPrinters(text: string, out: Span[]): void {
  for (const word of KEY_PRINTERS) afterLines(text, word, (at) => sticky(text, out, PRINTED_KEY, at));
  afterLines(text, '.erlang.cookie', (at) => sticky(text, out, PRINTED_COOKIE, at));
  keyringFiles(text, out);
}

/** A keyring file (Serf's local.keyring, Consul's): a JSON array of base64 keys after the command. */
function keyringFiles(text: string, out: Span[]): void {
  for (let i = text.indexOf('keyring'); i !== -1; ) {
    const nl = text.indexOf('\n', i);
    if (nl === -1) return;
    let next = nl + 1;
    if (/^[ \t|]*\[/.test(text.slice(next, next + 8))) {
      const window = text.slice(next, next + KEYRING_BYTES);
      const close = window.indexOf(']');
      const array = close === -1 ? window : window.slice(0, close);
      for (const m of array.matchAll(KEYRING_FILE)) push(out, text, next + (m.index ?? 0) + 1, m[1] ?? '');
      next += array.length; // each character is read once
    }
    i = text.indexOf('keyring', next);
  }
}

function cookies(text: string, out: Span[]): void {
  groups(text, out, COOKIE_FLAG, COOKIE_VAR);
  if (!text.includes('--cookie')) return;
  for (const m of text.matchAll(ELIXIR_COOKIE)) {
    const at = m.index ?? 0;
    // bounded look back: an Erlang tool named on the line within 500 characters before the flag
    const before = text.slice(Math.max(0, at - 500), at);
    if (!ERLANG_TOOL.test(before.slice(before.lastIndexOf('\n') + 1))) continue;
    push(out, text, at + m[0].length - (m[1] ?? '').length, m[1] ?? '');
  }
}

function phpMembers(text: string, out: Span[]): void {
  for (const m of text.matchAll(PHP_MEMBER)) {
    const [whole, name = '', , value = ''] = m;
    const kind = secretName(name);
    // a salt is the hash's secret input (Nextcloud's passwordsalt); a weak name needs a generated value
    const salt = /salt/i.test(name);
    if (!kind && !salt) continue;
    if (kind === 'weak' && !salt && !/^(?=.*\d)(?=.*[A-Za-z]).{8,}$|^[A-Za-z0-9+/=_-]{20,}$/.test(value))
      continue;
    push(out, text, (m.index ?? 0) + whole.length - value.length - 1, value);
  }
}

/** net-snmp refuses a USM passphrase under 8 characters: a shorter word is prose about it. */
function snmp(text: string, out: Span[], pattern: RegExp): void {
  for (const m of text.matchAll(pattern)) {
    // the first passphrase decides: `createUser with SHA and AES passphrases` is a sentence
    if ((m[1] ?? '').replace(/^"|"$/g, '').length < 8) continue;
    pushGroups(out, text, m);
  }
}

function redisRules(text: string, out: Span[]): void {
  for (const rule of text.matchAll(REDIS_RULE)) {
    if (!REDIS_RULE_WORD.test(rule[0])) continue;
    const base = rule.index ?? 0;
    for (const m of rule[0].matchAll(REDIS_PASS)) {
      const value = m[1] ?? '';
      push(out, text, base + (m.index ?? 0) + m[0].length - value.length, value);
    }
  }
}

function chpasswdLists(text: string, out: Span[]): void {
  if (!text.includes('chpasswd')) return;
  for (const pattern of [CHPASSWD_BLOCK, CHPASSWD_INLINE, CHPASSWD_ITEM]) {
    for (const block of text.matchAll(pattern)) {
      const body = block[1] ?? '';
      const base = (block.index ?? 0) + block[0].lastIndexOf(body);
      for (const m of body.replace(/\\n/g, '  ').matchAll(USER_PASS)) {
        const value = m[2] ?? '';
        if (value === 'RANDOM' || value === 'R') continue; // cloud-init generates these
        push(out, text, base + (m.index ?? 0) + m[0].length - value.length, value);
      }
    }
  }
}

function authenticatorFiles(text: string, out: Span[]): void {
  afterLines(text, '.google_authenticator', (at) => authenticatorFile(text, out, at));
}

function authenticatorFile(text: string, out: Span[], at: number): void {
  GA_FILE.lastIndex = at;
  const m = GA_FILE.exec(text);
  if (!m) return;
  push(out, text, at + m[0].indexOf(m[1] ?? ''), m[1] ?? '');
  const codes = m[3] ?? '';
  digits(text, out, at + m[0].length - codes.length, codes);
}

function authenticatorSetup(text: string, out: Span[]): void {
  groups(text, out, GA_SETUP);
  for (const m of text.matchAll(GA_SCRATCH)) {
    const codes = m[1] ?? '';
    digits(text, out, (m.index ?? 0) + m[0].length - codes.length, codes);
  }
}

function digits(text: string, out: Span[], base: number, codes: string): void {
  for (const d of codes.matchAll(DIGITS8)) push(out, text, base + (d.index ?? 0), d[0]);
}
