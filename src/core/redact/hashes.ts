/**
 * Password hashes, known by their own syntax wherever they stand (a shadow row, an LDIF entry, an
 * htpasswd line, a table or JSON dump of an application's users, a log line): a hash is a
 * password's verifier and can be cracked offline, so it is a secret in any context.
 * - crypt(3) and its modular format `$id$…` (config-formats.ts, CRYPT_IDS here);
 * - LDAP and Dovecot schemes: `{SSHA}…`, `{SHA}…`, `{PBKDF2-SHA256}…`, `{SHA512-CRYPT}…`, `{PLAIN}…`
 *   (RFC 2307, https://doc.dovecot.org/main/core/config/auth/schemes.html);
 * - Django (`pbkdf2_sha256$…`, `argon2$argon2id$…`, `bcrypt_sha256$…`,
 *   https://docs.djangoproject.com/en/stable/topics/auth/passwords/) and Werkzeug
 *   (`pbkdf2:sha256:…$salt$hash`, `scrypt:32768:8:1$…`);
 * - MySQL `mysql_native_password` (`*` and 40 hex digits), GRUB `grub.pbkdf2.sha512.N.SALT.HASH`,
 *   Microsoft SQL Server `0x0200…`, Oracle `S:…;T:…`, Redis ACL `#<sha256>`;
 * - LDIF values of a secret-named attribute given as base64 (`userPassword:: …`), with their
 *   folded continuation lines (RFC 2849: a line that starts with one space continues the last).
 * The scheme or algorithm name stays readable; what follows it is redacted.
 */
import { looksRandom } from './entropy.js';
import { secretName } from './secret-words.js';
import { type Span, span } from './spans.js';

/** The ids of the modular crypt format (`$id$`), crypt(3) and the tools that extend it. */
export const CRYPT_IDS =
  '(?:1|2[abxy]?|5|6|7|8|9|apr1|y|gy|sha1|md5|argon2(?:i|d|id)?|pbkdf2(?:-sha(?:1|256|512))?|scrypt|bcrypt(?:-sha256)?|A\\$\\d{3}|[PHS])';

const SCHEME =
  /\{((?:[A-Z0-9]+[-_])*(?:S?SHA\d*|S?MD5|CRYPT|PBKDF2|ARGON2(?:I|D|ID)?|BLF|BCRYPT|SCRYPT|SCRAM|PLAIN|CLEAR|CLEARTEXT|CLEAR-TEXT|NTLM|LANMAN|LANM|NT|LM|RPA|CRAM|DIGEST|PKCS5S2)(?:[-_.][A-Z0-9]+)*)\}([^\s'"<>,;|)]{4,})/gi;
const DJANGO =
  /(?<![\w$])(?:pbkdf2_sha(?:1|256|512)|argon2|bcrypt(?:_sha256)?|scrypt|sha1|md5|unsalted_(?:md5|sha1)|crypt)\$([A-Za-z0-9+/=.$,_-]{8,})/g;
const WERKZEUG = /(?<![\w$])(?:pbkdf2:sha\d+(?::\d+)?|scrypt:\d+:\d+:\d+)\$([A-Za-z0-9+/=.$_-]{8,})/g;
const MYSQL_NATIVE = /(?<![\w*])\*([0-9A-F]{40})(?![0-9A-Za-z])/g;
const GRUB = /\bgrub\.pbkdf2\.sha\d+\.\d+\.([0-9A-Fa-f]+\.[0-9A-Fa-f]+)/g;
const MSSQL = /\b0x0[12]00([0-9A-Fa-f]{80,})\b/g;
const ORACLE = /(?<![\w:])S:([0-9A-F]{60}(?:;[HT]:[0-9A-F]{32,160})*)/g;
// redis ACL LIST / ACL GETUSER: `user NAME on #<sha256 of the password> ~* +@all`
const REDIS_ACL = /(?<=^|["\s])#([0-9a-f]{64})(?=\s|"|$)/gm;

/** The lines these can be on (detect.ts runs them there only). */
export const HASH_WORDS =
  /\}[^\s'"<>,;|)]{4}|\$[A-Za-z0-9+/=.,_-]{8}|\*[0-9A-F]{40}|grub\.pbkdf2|\b0x0[12]00[0-9A-Fa-f]{8}|\bS:[0-9A-F]{60}|#[0-9a-f]{64}/;

export function passwordHashes(text: string): Span[] {
  const out: Span[] = [];
  const patterns: RegExp[] = [];
  if (text.includes('}')) patterns.push(SCHEME);
  if (text.includes('$')) patterns.push(DJANGO, WERKZEUG);
  if (text.includes('*')) patterns.push(MYSQL_NATIVE);
  if (text.includes('grub.')) patterns.push(GRUB);
  if (text.includes('0x0')) patterns.push(MSSQL);
  if (text.includes('S:')) patterns.push(ORACLE);
  if (text.includes('#') && /\buser\b/.test(text)) patterns.push(REDIS_ACL);
  for (const pattern of patterns) {
    for (const m of text.matchAll(pattern)) {
      const value = m[m.length - 1] ?? '';
      if (pattern === SCHEME && !hashLike(m[1] ?? '', value)) continue;
      const at = (m.index ?? 0) + m[0].length - value.length;
      const s = span(text, at, at + value.length, 'PASSWORD HASH');
      if (s && !value.startsWith('[REDACTED')) out.push(s);
    }
  }
  return out;
}

/** A scheme's value: a cleartext scheme holds any password, a hash scheme a generated value. */
function hashLike(scheme: string, value: string): boolean {
  if (/^(?:PLAIN|CLEAR|CLEARTEXT|CLEAR-TEXT)/i.test(scheme)) return true;
  return value.length >= 8 && /\d|[+/=$]/.test(value);
}

// RFC 2849: `name:: base64` (a value that is not plain text) and the lines folded after it
const LDIF_B64 = /([A-Za-z][\w-]*(?:;[\w-]+)*)::[ \t]*([A-Za-z0-9+/=]+)[ \t]*((?:\r?\n [^\n]*)*)/y;
/** How long an attribute's name (and options) may be. */
const LDIF_NAME = 100;

/**
 * LDIF values of secret-named attributes given as base64, with their folded lines. Found from
 * each `:: ` (rare outside LDIF), each tried once at its line's start, not by a pattern tried at
 * every line start of every text.
 */
export function ldifSecrets(text: string): Span[] {
  const out: Span[] = [];
  for (let i = text.indexOf(':: '); i !== -1; i = text.indexOf(':: ', i + 3)) {
    const from = Math.max(0, i - LDIF_NAME);
    const nl = text.slice(from, i).lastIndexOf('\n');
    if (nl === -1 && from > 0) continue; // no line start within reach: not a name
    LDIF_B64.lastIndex = from + nl + 1;
    const m = LDIF_B64.exec(text);
    if (m) ldifValue(out, text, m);
  }
  return out;
}

function ldifValue(out: Span[], text: string, m: RegExpExecArray): void {
  const [whole, name = '', value = ''] = m;
  const kind = secretName(name);
  if (!kind || value.startsWith('REDACTED') || (kind === 'weak' && !looksRandom(value, 12))) return;
  const s = span(text, m.index + whole.indexOf(value, name.length + 2), m.index + whole.length);
  if (s) out.push(s);
}
