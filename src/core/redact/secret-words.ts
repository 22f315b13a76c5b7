/**
 * The vocabulary of names that hold secrets, in the forms people write them: any separator or
 * case (DB_PASSWORD, dbPassword, db-pass, db.password), glued (PGPASSWORD, requirepass,
 * masterauth), abbreviated (pw, pwd, pswd, creds) and in other languages (Passwort, contraseña,
 * senha, пароль, 密码 …). A name is judged by its parts, not looked up in a list of names.
 */

/** Words that name a secret on their own: any value under such a name is redacted. */
// biome-ignore format: a vocabulary reads better as running text
const STRONG = new Set([
  'password', 'passwords', 'passwd', 'passphrase', 'passcode', 'passkey', 'pass', 'pwd', 'pw', 'pswd',
  'psw', 'pword', 'secret', 'secrets', 'credential', 'credentials', 'creds', 'cred', 'privkey',
  'privatekey', 'psk', 'requirepass', 'masterauth', 'rootpw', 'bindpw', 'apikey', 'apitoken',
  'accesstoken', 'authtoken', 'refreshtoken', 'secretkey', 'clientsecret', 'dsn', 'rocommunity',
  'rwcommunity', 'rocommunity6', 'rwcommunity6',
  // other languages: de, fr, es, pt, it, nl, pl, cs/sk, hu, fi, sv, no, da, hr/sr, sl, et, lv, lt,
  // tr, ro, ru/uk/bg, el, he, ar, zh, ja, ko, hi, id/ms, vi
  'passwort', 'kennwort', 'geheim', 'motdepasse', 'passe', 'secreto', 'contrasena', 'contraseña',
  'clave', 'senha', 'segredo', 'parola', 'segreto', 'wachtwoord', 'haslo', 'hasło', 'heslo',
  'jelszo', 'jelszó', 'salasana', 'losenord', 'lösenord', 'passord', 'adgangskode', 'lozinka',
  'geslo', 'parool', 'parole', 'slaptazodis', 'slaptažodis', 'sifre', 'şifre', 'parolă',
  'пароль', 'гасло', 'парола', 'секрет', 'κωδικός', 'συνθηματικό', 'סיסמה', 'סיסמא', 'كلمةالمرور',
  'كلمةالسر', '密码', '密碼', '口令', '暗号', 'パスワード', '비밀번호', '암호', 'पासवर्ड',
  'katasandi', 'sandi', 'matkhau', 'mậtkhẩu',
]);

/** Words that name a secret when the value also looks generated (`token: 1234` is a count). */
// biome-ignore format: a vocabulary reads better as running text
const WEAK = new Set([
  'token', 'key', 'auth', 'authorization', 'session', 'sessionid', 'sid', 'cookie', 'sig',
  'signature', 'salt', 'hmac', 'otp', 'jwt', 'bearer', 'webhook', 'hook', 'license', 'pat', 'jeton',
  'chave', 'schlüssel', 'schluessel', 'ключ', 'токен', '令牌',
]);

/** Pairs that make a strong name from weak parts (`private key`, `api key`, `access token`). */
// biome-ignore format: a vocabulary reads better as running text
const STRONG_PAIRS = new Set([
  'private key', 'secret key', 'api key', 'api token', 'access token', 'access key', 'auth token',
  'auth key', 'refresh token', 'client secret', 'account key', 'master key', 'encryption key',
  'enc key', 'signing key', 'app key', 'app secret', 'shared key', 'shared access key',
  'subscription key', 'routing key', 'integration key', 'session token', 'id token', 'bot token',
  'bearer token', 'consumer secret', 'webhook url', 'hook url', 'connection string', 'conn str',
  'database url', 'db url', 'sas token', 'service key', 'deploy key', 'license key', 'secret id',
  'personal access token', 'security token', 'sasl passwd', 'wpa passphrase', 'root password',
  'mot de passe', 'clé secrète', 'clave secreta', 'recovery codes', 'recovery code', 'backup codes',
  'backup code', 'scratch codes', 'emergency codes', 'كلمة المرور', 'كلمة السر', 'snmp community',
]);

/** Parts after the secret word that make the name about the secret, not the secret itself. */
// biome-ignore format: a vocabulary reads better as running text
const META = new Set([
  'authentication', 'policy', 'policies', 'length', 'len', 'min', 'max', 'minlen', 'maxlen', 'expiry',
  'expires', 'expiration', 'expire', 'expired', 'age', 'file', 'files', 'path', 'dir', 'directory',
  'location', 'command', 'cmd', 'prompt', 'reset', 'changed', 'change', 'required', 'enabled', 'enable',
  'disabled', 'strength', 'type', 'mode', 'method', 'count', 'attempts', 'retries', 'retry', 'timeout',
  'ttl', 'lifetime', 'field', 'label', 'hint', 'format', 'algorithm', 'algo', 'rounds', 'iterations',
  'cost', 'manager', 'helper', 'program', 'name', 'names', 'ref', 'arn', 'id', 'ids', 'version',
  'provider', 'source', 'backend', 'kind', 'usage', 'used', 'scope', 'scopes', 'audience', 'issuer',
  'endpoint', 'uri', 'server', 'host', 'port', 'header', 'prefix', 'suffix', 'var', 'variable',
  'store', 'vault', 'mount', 'engine', 'limit', 'limits', 'per', 'stats', 'usage', 'budget', 'index',
  'fingerprint', 'type', 'bits', 'size', 'storage', 'backend', 'exchange', 'queue', 'url', 'urls',
  'login', 'sequence', 'error', 'errors', 'status', 'check', 'checks', 'valid', 'invalid', 'missing',
]);

/** Words before a weak word that make it something other than a secret (`public key`, `sort key`). */
// biome-ignore format: a vocabulary reads better as running text
const NOT_SECRET_BEFORE = new Set([
  'public', 'pub', 'host', 'primary', 'foreign', 'sort', 'partition', 'cache', 'object', 'group',
  'idempotency', 'lookup', 'map', 'dict', 'hash', 'row', 'unique', 'composite', 'search', 'shortcut',
  'hot', 'keyboard', 'gpg', 'pgp', 'ssh', 'max', 'min', 'num', 'total', 'input', 'output', 'prompt',
  'completion', 'next', 'page', 'csrf', 'xsrf', 'cancel', 'cancellation', 'authorized', 'trusted',
  'recv', 'receive', 'fetch',
]);

/** Glued prefixes (`PGPASSWORD`, `DBPASS`): a part ending in a strong word after one of these. */
const GLUED =
  /^(?:[a-z0-9]*?)(password|passwd|passphrase|passwort|secret|apikey|apitoken|accesstoken|authtoken|secretkey|privatekey)$/;
const GLUED_SHORT =
  /^(?:db|my|mysql|pg|sql|root|admin|user|redis|smtp|mail|ftp|ssh|ldap|bind|app|api|web|master|sasl|proxy|http|wifi|wpa|vnc|rdp|vault|amqp|mq|es|elastic|mongo|auth|require|rabbit|keystore|truststore|store|key|svc|srv|service|bot|sa|sys|oracle|ora|mssql|sa)(pass|pwd|pw)$/;

export type SecretName = 'strong' | 'weak' | undefined;

/** The parts of a name: split on separators and case changes, lower-cased. */
export function nameParts(name: string): string[] {
  return name
    .replace(/([\p{Ll}\p{N}])(\p{Lu})/gu, '$1 $2')
    .replace(/(\p{Lu})(\p{Lu}\p{Ll})/gu, '$1 $2')
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean)
    .map((p) => p.toLowerCase());
}

/** Strong words of scripts that write compounds without separators (数据库密码). */
const WIDE_STRONG = [...STRONG].filter(
  (w) => /[^ -\u024f]/.test(w) && !/[\u0400-\u04ff\u0370-\u03ff]/.test(w),
);

function partKind(part: string): SecretName {
  if (STRONG.has(part)) return 'strong';
  if (/[^ -\u024f]/.test(part) && WIDE_STRONG.some((w) => part.includes(w))) return 'strong';
  // session ids under any framework's name: jsessionid, phpsessid, aspsessionid, connect.sid
  if (/(?:sess(?:ion)?_?id|sessid)$/.test(part)) return 'weak';
  if (part.startsWith('no') && (STRONG.has(part.slice(2)) || GLUED.test(part.slice(2)))) return undefined; // NOPASSWD
  if (GLUED.test(part) || GLUED_SHORT.test(part)) return 'strong';
  if (WEAK.has(part)) return 'weak';
  // a numbered form of a word (`wep_key0`, `password2`) or the plural of a weak one (`unseal_keys`)
  const numbered = /^(\p{L}{3,})\d+$/u.exec(part)?.[1];
  if (numbered) return STRONG.has(numbered) ? 'strong' : WEAK.has(numbered) ? 'weak' : undefined;
  if (part.endsWith('s') && WEAK.has(part.slice(0, -1))) return 'weak';
  return undefined;
}

/** How strongly a key name says its value is a secret. */
export function secretName(name: string): SecretName {
  if (name.length > 80) return undefined;
  const parts = nameParts(name);
  if (parts.length === 0 || parts.length > 8) return undefined;
  let best: SecretName;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] ?? '';
    const rest = parts.slice(i + 1);
    const pair = `${part} ${parts[i + 1] ?? ''}`;
    const triple = `${pair} ${parts[i + 2] ?? ''}`;
    if (STRONG_PAIRS.has(triple) || STRONG_PAIRS.has(pair)) {
      const after = parts.slice(i + (STRONG_PAIRS.has(triple) ? 3 : 2));
      if (!after.some((p) => META.has(p)) || pair === 'secret id') best = 'strong';
      continue;
    }
    const kind = partKind(part);
    if (!kind) continue;
    if (rest.some((p) => META.has(p))) continue;
    if (kind === 'weak' && NOT_SECRET_BEFORE.has(parts[i - 1] ?? '')) continue;
    if (kind === 'strong') best = 'strong';
    else best ??= 'weak';
  }
  return best;
}

/**
 * Words that, near a long random token, say the token is a secret (`using api key Zq8v…`). The
 * stems of the vocabulary above, matched anywhere in a word.
 */
export const SECRET_WORD =
  /pass(?:w(?:or)?d|phrase|wort|code)?|pwd|secret|token|api[\s_-]?key|private[\s_-]?key|access[\s_-]?key|credential|creds|auth|bearer|session|cookie|webhook|signature|kennwort|contrase|senha|wachtwoord|hasło|haslo|heslo|jelsz|salasana|lösenord|passord|пароль|密码|密碼|パスワード|비밀번호|şifre|sifre|parola/i;
