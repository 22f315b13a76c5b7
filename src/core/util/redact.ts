/**
 * Redaction of secrets from any text that leaves the run: before the model and before any output
 * (commits, issues, PRs, the job summary, CLI output, notifications, the status page). Server
 * output is attacker-controllable and logs are full of accidents (a DSN in a stack trace, an env
 * dump), so this runs on everything, not only on "known" fields. It errs towards redacting: a
 * lost diagnostic detail is cheap, a leaked key on a public branch is not. Idempotent.
 *
 * This is the one entry point; the detector behind it lives in `src/core/redact/` (structure,
 * vendor formats, entropy in context, key material, encodings). README "Redaction" says what is
 * redacted and how to add a pattern.
 */
import { detect } from '../redact/detect.js';
import { stripInvisible } from '../redact/invisible.js';
import { applySpans, type Span } from '../redact/spans.js';

export { stripInvisible };

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

/** Where each configured secret form occurs (longest first, so a secret holding another is one span). */
function configured(text: string, forms: readonly string[]): Span[] {
  const out: Span[] = [];
  for (const form of forms) {
    for (let at = text.indexOf(form); at !== -1; at = text.indexOf(form, at + form.length))
      out.push({ start: at, end: at + form.length, label: '' });
  }
  return out;
}

/** The text with invisible characters stripped and every secret found replaced by a placeholder. */
export function redact(text: string, secrets: readonly string[] = [], options: RedactOptions = {}): string {
  const clean = stripInvisible(text);
  // configured secrets and the detector's findings are replaced together: replacing a key's BEGIN
  // line first would leave its body without the marker the detector recognises it by
  let out = applySpans(clean, [...configured(clean, secretForms(secrets)), ...detect(clean)]);
  for (const host of options.hosts ?? []) if (host.length >= 3) out = out.split(host).join('[HOST]');
  if (options.ips)
    out = out.replace(/\b(?:25[0-5]|2[0-4]\d|1?\d?\d)(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3}\b/g, '[IP]');
  return out;
}

/**
 * A deep copy of a value (a run record, an action) with every string — object keys too — redacted.
 * Renderers escape text for their target, and escaped text no longer matches the detector
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
