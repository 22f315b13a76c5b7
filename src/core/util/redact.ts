/**
 * Redaction of secrets from any text that leaves the run: before the model and before any commit.
 * Server output is attacker-controllable and logs are full of accidents (a DSN in a stack trace,
 * an env dump), so this runs on everything, not only on "known" fields. It errs towards redacting:
 * a lost diagnostic detail is cheap, a leaked key on a public branch is not. Idempotent.
 */
const R = '[REDACTED]';

/**
 * Words that name a secret when followed by `:` or `=`: with separated prefixes and suffixes
 * (DB_PASSWORD, aws_secret_access_key), glued prefixes (PGPASSWORD), and `*_PASS` / `*_PWD`.
 */
const SECRET_NAME =
  '(?:[A-Za-z0-9]+[_.-])*[A-Za-z0-9]*(?:password|passwd|passphrase|secret|token|api[_-]?key|apikey|access[_-]?key|secret[_-]?key|private[_-]?key|account[_-]?key|client[_-]?secret|credentials?|auth[_-]?token)(?:[_-][A-Za-z0-9]+)*|(?:[A-Za-z0-9]+_)+(?:pass|pwd|pw)';

/** A value already replaced (so a second rule does not eat half of "[REDACTED AWS KEY]"). */
const NOT_DONE = '(?!\\[REDACTED)';

/** A PEM/PGP private key: to its END line, or — cut off — to the end of its base64 block only. */
const KEY_TYPE = '((?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?)';
const PEM_WHOLE = new RegExp(`-----BEGIN ${KEY_TYPE}-----[\\s\\S]*?-----END \\1-----`, 'g');
// no END: the rest of the BEGIN line, then following lines that are base64 (16+ chars, or
// padded) or PEM headers; the first other line ends it, so a log line cannot swallow the report
const PEM_CUT = new RegExp(
  `-----BEGIN ${KEY_TYPE}-----[^\\n]*(?:\\n(?:[A-Za-z0-9+/.]{16,}={0,2}|[A-Za-z0-9+/]*={1,2}|[A-Za-z-]+: [^\\n]*)(?=\\n|$))*`,
  'g',
);

/**
 * 40 characters of base64 with upper, lower case and digits: an AWS secret access key. Not a
 * path (one starting with `/`, or with a lowercase word between slashes: /srv/app/Releases…).
 */
function bareAwsSecrets(text: string): string {
  return text.replace(/(?<![A-Za-z0-9/+=.-])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/g, (m) => {
    const random = /[A-Z]/.test(m) && /[a-z]/.test(m) && /[0-9]/.test(m);
    const parts = m.split('/');
    const path = m.startsWith('/') || (parts.length > 1 && parts.some((part) => /^[a-z]{3,}$/.test(part)));
    return random && !path ? '[REDACTED AWS SECRET]' : m;
  });
}

const MYSQL_TOOLS = '(?:mysql|mysqldump|mysqladmin|mysqlimport|mysqlcheck|mysqlshow|mariadb|mariadb-dump)';

const RULES: [RegExp, string][] = [
  [PEM_WHOLE, '[REDACTED PRIVATE KEY]'],
  [PEM_CUT, '[REDACTED PRIVATE KEY]'],
  // HTTP credentials: Authorization / Proxy-Authorization headers, cookies
  [/\b((?:proxy-)?authorization\s*[:=]\s*["']?)(?:bearer|basic|token|digest)?\s*[^\s"',;]+/gi, `$1${R}`],
  [/\b((?:set-)?cookie\s*:\s*)[^\r\n]+/gi, `$1${R}`],
  [/\b(Bearer|token)\s+[A-Za-z0-9._~+/=-]{16,}/gi, `$1 ${R}`],
  // passwords in URLs and DSNs: scheme://user:password@host (user may be empty: redis://:pw@host;
  // the password may hold `/`); the last `@` before the host ends it
  // (not host:port/path@x: a password does not start with a port number and a slash)
  [/\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*):(?!\[REDACTED|\d+\/)[^\s@]+@(?=[^\s@]*(?:\s|$))/gi, `$1:${R}@`],
  [/\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*):(?!\[REDACTED)[^\s@/]+@/gi, `$1:${R}@`],
  // signed URLs and credentials in query strings
  [
    /([?&;](?:X-Amz-Signature|X-Amz-Security-Token|X-Goog-Signature|sig|signature|access_token|refresh_token|api_key|apikey|key|token|password|secret|AccountKey|SharedAccessSignature)=)(?!\[REDACTED)[^&\s"'#;]+/gi,
    `$1${R}`,
  ],
  // docker config.json and similar: "auth": "<base64 user:password>"
  [/("(?:auth|identitytoken|registrytoken)"\s*:\s*")[^"]+/gi, `$1${R}`],
  // well-known token formats
  [/\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA)[A-Z0-9]{16}\b/g, '[REDACTED AWS KEY]'],
  [/\bAIza[0-9A-Za-z_-]{35}\b/g, '[REDACTED GOOGLE KEY]'],
  [/\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})/g, '[REDACTED GITHUB TOKEN]'],
  [/\bglpat-[A-Za-z0-9_-]{20,}/g, '[REDACTED GITLAB TOKEN]'],
  [/\bsk-ant-[A-Za-z0-9_-]{20,}/g, '[REDACTED ANTHROPIC KEY]'],
  [/\bsk-(?:proj-)?[A-Za-z0-9_-]{32,}/g, '[REDACTED API KEY]'],
  [/\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}/g, '[REDACTED STRIPE KEY]'],
  [/\bxox[abposr]-[A-Za-z0-9-]{10,}/g, '[REDACTED SLACK TOKEN]'],
  [/https:\/\/hooks\.slack\.com\/services\/[A-Za-z0-9/_-]+/g, 'https://hooks.slack.com/services/[REDACTED]'],
  [/\bnpm_[A-Za-z0-9]{36}\b/g, '[REDACTED NPM TOKEN]'],
  [/(?<!\d)\d{6,12}:AA[A-Za-z0-9_-]{30,}/g, '[REDACTED TELEGRAM TOKEN]'],
  [/\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, '[REDACTED JWT]'],
  // name = value: quoted values whole (they may hold spaces), bare values up to a separator
  [
    new RegExp(`\\b(${SECRET_NAME})(["']?\\s*[:=]\\s*)(["'])${NOT_DONE}(?:(?!\\3)[^\\r\\n])*\\3`, 'gi'),
    `$1$2$3${R}$3`,
  ],
  [new RegExp(`\\b(${SECRET_NAME})(["']?\\s*[:=]\\s*)(?!["'\\s])${NOT_DONE}[^\\s"',;&]+`, 'gi'), `$1$2${R}`],
  // SQL: ... PASSWORD 'x', IDENTIFIED BY 'x'
  [/\b(password|identified\s+by)(\s+)(["'])(?:(?!\3)[^\r\n])*\3/gi, `$1$2$3${R}$3`],
  // command-line flags: --password=x, --password x, --pass 'a b'
  [
    /(--(?:password|passwd|pass|token|secret|api-key|apikey|auth-token|client-secret|access-key|secret-key)(?:=|\s+))(["'])(?:(?!\2).)*\2/gi,
    `$1$2${R}$2`,
  ],
  [
    /(--(?:password|passwd|pass|token|secret|api-key|apikey|auth-token|client-secret|access-key|secret-key)(?:=|\s+))(?!\[REDACTED)[^\s"']+/gi,
    `$1${R}`,
  ],
  // the MySQL family's -pSECRET (glued; -p alone prompts), quoted or bare
  [new RegExp(`(\\b${MYSQL_TOOLS}\\b[^\\n]*?\\s-p)(["'])(?:(?!\\2).)*\\2`, 'g'), `$1$2${R}$2`],
  [new RegExp(`(\\b${MYSQL_TOOLS}\\b[^\\n]*?\\s-p)(?![\\s"']|\\[REDACTED)[^\\s"']+`, 'g'), `$1${R}`],
];

export interface RedactOptions {
  /** host names to hide (config `redact.hosts` for public repositories) */
  hosts?: readonly string[];
  /** also hide IPv4 addresses */
  ips?: boolean;
}

/** Every form a configured secret may appear in: as given, trimmed, URL-encoded, each long line. */
function secretForms(secrets: readonly string[]): string[] {
  const forms = new Set<string>();
  for (const secret of secrets) {
    for (const form of [
      secret,
      secret.trim(),
      encodeURIComponent(secret.trim()),
      JSON.stringify(secret.trim()).slice(1, -1),
    ]) {
      if (form.length >= 4) forms.add(form);
    }
    for (const line of secret.split(/\r?\n/)) if (line.trim().length >= 16) forms.add(line.trim());
  }
  // longest first, so a secret containing another is replaced whole
  return [...forms].sort((a, b) => b.length - a.length);
}

export function redact(text: string, secrets: readonly string[] = [], options: RedactOptions = {}): string {
  let out = text;
  for (const form of secretForms(secrets)) out = out.split(form).join(R);
  for (const [pattern, replacement] of RULES) out = out.replace(pattern, replacement);
  out = bareAwsSecrets(out);
  for (const host of options.hosts ?? []) if (host.length >= 3) out = out.split(host).join('[HOST]');
  if (options.ips)
    out = out.replace(/\b(?:25[0-5]|2[0-4]\d|1?\d?\d)(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3}\b/g, '[IP]');
  return out;
}

/**
 * A deep copy of a value (a run record, an action) with every string — object keys too — redacted.
 * Renderers escape text for their target, and escaped text no longer matches the patterns above
 * (`DB\_PASSWORD`, a link broken by a zero-width space), so records are redacted *before* rendering.
 */
export function redactDeep<T>(value: T, secrets: readonly string[] = [], options: RedactOptions = {}): T {
  const seen = new Map<string, string>();
  const one = (text: string): string => {
    let out = seen.get(text);
    if (out === undefined) {
      out = redact(text, secrets, options);
      seen.set(text, out);
    }
    return out;
  };
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return one(v);
    if (Array.isArray(v)) return v.map(walk);
    if (v === null || typeof v !== 'object' || v instanceof Date) return v;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[one(k)] = walk(x);
    return out;
  };
  return walk(value) as T;
}
