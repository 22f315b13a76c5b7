/**
 * Redaction of secrets from any text that leaves the run: before the model and before any commit.
 * Server output is attacker-controllable and logs are full of accidents (a DSN in a stack trace,
 * an env dump), so this runs on everything, not only on "known" fields. It errs towards redacting:
 * a lost diagnostic detail is cheap, a leaked key on a public branch is not. Idempotent.
 */
const R = '[REDACTED]';

/** Words that name a secret when followed by `:` or `=` (with optional prefixes: DB_PASSWORD, aws_secret_access_key). */
const SECRET_NAME =
  '(?:[A-Za-z0-9]+[_.-])*(?:password|passwd|passphrase|secret|token|api[_-]?key|apikey|access[_-]?key|secret[_-]?key|private[_-]?key|account[_-]?key|client[_-]?secret|credentials?)(?:[_-][A-Za-z0-9]+)*|[A-Za-z0-9]+_pwd';

const RULES: [RegExp, string][] = [
  // PEM and PGP private keys, also JSON-escaped (\n) and cut off before their END line
  [
    /-----BEGIN ((?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?)-----[\s\S]*?(?:-----END \1-----|$)/g,
    '[REDACTED PRIVATE KEY]',
  ],
  // HTTP credentials: Authorization / Proxy-Authorization headers, cookies
  [/\b((?:proxy-)?authorization\s*[:=]\s*["']?)(?:bearer|basic|token|digest)?\s*[^\s"',;]+/gi, `$1${R}`],
  [/\b((?:set-)?cookie\s*:\s*)[^\r\n]+/gi, `$1${R}`],
  [/\b(Bearer|token)\s+[A-Za-z0-9._~+/=-]{16,}/gi, `$1 ${R}`],
  // passwords in URLs and DSNs: scheme://user:password@host (user may be empty: redis://:pw@host)
  [/\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*):[^\s/]+@/gi, `$1:${R}@`],
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
  [/\b\d{8,10}:AA[A-Za-z0-9_-]{33}\b/g, '[REDACTED TELEGRAM TOKEN]'],
  [/\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, '[REDACTED JWT]'],
  // name = value: quoted values whole (they may hold spaces), bare values up to a separator
  [new RegExp(`\\b(${SECRET_NAME})(["']?\\s*[:=]\\s*)(["'])(?:(?!\\3)[^\\r\\n])*\\3`, 'gi'), `$1$2$3${R}$3`],
  [new RegExp(`\\b(${SECRET_NAME})(["']?\\s*[:=]\\s*)(?!["'\\s])[^\\s"',;&]+`, 'gi'), `$1$2${R}`],
  // command-line flags: --password=x, --password x, -p'x' is too ambiguous to touch
  [/(--(?:password|passwd|token|secret|api-key)(?:=|\s+))(?!\[REDACTED)[^\s"']+/gi, `$1${R}`],
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
