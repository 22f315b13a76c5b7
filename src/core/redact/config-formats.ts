/**
 * Secrets whose position, not their name, says what they are: the password field of a `.pgpass`
 * line, SQL's `IDENTIFIED BY '…'` / `PASSWORD '…'`, and the private members of a JSON Web Key.
 */
import { CRYPT_IDS, HASH_WORDS, passwordHashes } from './hashes.js';
import { type Span, span } from './spans.js';

// hostname:port:database:username:password (https://www.postgresql.org/docs/current/libpq-pgpass.html)
const PGPASS = /^([ \t]*[^:\s#]+:(?:\d{1,5}|\*):[^:\s]+:[^:\s]+:)(\S.*?)[ \t]*$/gm;
const MAC = /(?:^|[^0-9A-Fa-f:])(?:[0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}(?![0-9A-Fa-f:])/;
const SQL =
  /\b(?:identified\s+(?:with\s+\w+\s+)?by\s*|password(?:\s*=\s*|\s+))(?:password\s*\(\s*)?(['"])((?:(?!\1)[^\r\n])*)\1/gi;
// JWK private members (RFC 7517/7518): d, p, q, dp, dq, qi, and k of a symmetric key
const JWK_MEMBER = /"(?:d|p|q|dp|dq|qi|k)"\s*:\s*"([A-Za-z0-9_-]{16,})"/g;

/** The lines these formats can be on (detect.ts runs them there only). */
export const CONFIG_WORDS = new RegExp(
  `^[ \\t]*"[^"\\s]+"[ \\t]+"|\\$${CRYPT_IDS}\\$|^[ \\t]*[^:\\s#]+:(?:\\d{1,5}|\\*):[^:\\s]+:[^:\\s]+:|identified|password|"kty"|"(?:d|p|q|dp|dq|qi|k)"\\s*:|:[ \\t]*(?:PSK|EAP|XAUTH|NTLM|P12|RSA|ECDSA|PIN)\\b|${HASH_WORDS.source}`,
  'im',
);

// crypt(3) password hashes (/etc/shadow, htpasswd): crackable, so secret
// https://man7.org/linux/man-pages/man5/crypt.5.html
// user lists of "name" "password" lines (pgbouncer userlist.txt, https://www.pgbouncer.org/config.html#auth_file)
const USERLIST = /^[ \t]*"[^"\s]+"[ \t]+"([^"\n]+)"[ \t]*$/gm;
// …and the first entry of such a list when text was put in front of it on its line (a record's
// `start failed: …`): it is known by the entry on the next line. A lone entry behind other words
// looks like a log's `"-" "Mozilla/5.0 …"`; server text is redacted at intake, with its lines intact
const USERLIST_HEAD = /"[^"\s]+"[ \t]+"([^"\n]+)"[ \t]*(?=\n[ \t]*"[^"\s]+"[ \t]+"[^"\n]+"[ \t]*(?:\n|$))/g;
// and the ids other tools added to its modular format (hashes.ts): Cisco 8/9, passlib, phpass, MySQL
const CRYPT = new RegExp(`\\$${CRYPT_IDS}\\$[^\\s:'"]{8,}`, 'g');

// strongSwan ipsec.secrets(5): `[selectors] : PSK|EAP|NTLM|XAUTH <secret>` and
// `: RSA|ECDSA|P12|PIN … <file or card> "<passphrase>"` (https://docs.strongswan.org/docs/latest/swanctl/ipsecSecrets.html);
// the `:` stands alone (a log's `sshd[1]: RSA key …` is not an entry)
const IPSEC_SECRET = /(?:^|[ \t]):[ \t]+(?:PSK|EAP|XAUTH|NTLM)[ \t]+("[^"\n]*"|'[^'\n]*'|[^\s#]+)/gm;
const IPSEC_PASSPHRASE =
  /(?:^|[ \t]):[ \t]+(?:RSA|ECDSA|BLISS|PKCS8|P12|PIN)[ \t]+\S+[ \t]+("[^"\n]*"|'[^'\n]*'|[^\s#%][^\s#]*)/gm;

export function configFormats(text: string): Span[] {
  const out: Span[] = [];
  if (text.includes(': '))
    for (const pattern of [IPSEC_SECRET, IPSEC_PASSPHRASE])
      for (const m of text.matchAll(pattern)) {
        const value = m[1] ?? '';
        // quotes, and the 0x/0s (hex/base64) prefix of a bare secret, stay
        const quoted = /^["']/.test(value) ? 1 : /^0[xs]./.test(value) ? 2 : 0;
        const at = (m.index ?? 0) + m[0].length - value.length + quoted;
        const s = span(text, at, at + value.length - (quoted === 1 ? 2 : quoted));
        if (s && !text.startsWith('[REDACTED', s.start)) out.push(s);
      }
  out.push(...passwordHashes(text));
  for (const [pattern, label] of [
    [CRYPT, 'PASSWORD HASH'],
    [USERLIST, ''],
  ] as const) {
    for (const m of text.matchAll(pattern)) {
      const value = m[1] ?? m[0];
      // the value's own quotes and trailing blanks are not part of it
      const at = (m.index ?? 0) + (m[1] === undefined ? 0 : m[0].lastIndexOf(`"${value}"`) + 1);
      const s = span(text, at, at + value.length, label);
      if (s) out.push(s);
    }
  }
  for (const m of text.matchAll(PGPASS)) {
    const at = (m.index ?? 0) + (m[1] ?? '').length;
    const s = span(text, at, at + (m[2] ?? '').length);
    // a MAC address (`bssid=3c:37:86:1a:2b:4c`) has the same colons
    // nor a shadow row with a locked password (`root:*:19700:0:99999:7:::`): a .pgpass password
    // escapes its colons, so colon-separated numbers after the user are a shadow row's fields
    const shadow = /^[\d:]*:[\d:]*$/.test(m[2] ?? '');
    if (s && !/^\[REDACTED/.test(m[2] ?? '') && !MAC.test(m[0]) && !shadow) out.push(s);
  }
  for (const m of text.matchAll(SQL)) {
    const value = m[2] ?? '';
    const at = (m.index ?? 0) + m[0].length - 1 - value.length;
    const s = span(text, at, at + value.length);
    if (s && !value.startsWith('[REDACTED')) out.push(s);
  }
  if (text.includes('"kty"')) {
    for (const m of text.matchAll(JWK_MEMBER)) {
      const value = m[1] ?? '';
      const at = (m.index ?? 0) + m[0].length - 1 - value.length;
      const s = span(text, at, at + value.length, 'PRIVATE KEY');
      if (s) out.push(s);
    }
  }
  return out;
}

/** First entries of "name" "password" lists with text in front of them (over the whole text). */
export function userlistHeads(text: string): Span[] {
  const out: Span[] = [];
  if (!text.includes('"\n')) return out;
  for (const m of text.matchAll(USERLIST_HEAD)) {
    const value = m[1] ?? '';
    const at = (m.index ?? 0) + m[0].lastIndexOf(`"${value}"`) + 1;
    const s = span(text, at, at + value.length);
    if (s && !value.startsWith('[REDACTED')) out.push(s);
  }
  return out;
}
