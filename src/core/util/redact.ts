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

/**
 * The forms of the secret lists seen lately, by content (callers may add to their arrays): a run
 * redacts thousands of texts with the same few lists, and the forms cost a split, two encodings
 * and a sort each time.
 */
const FORMS = new Map<string, readonly string[]>();
const FORMS_KEPT = 8;

/** The last list asked about, as it was then, and its forms: most calls of a run pass the same list. */
let last: { list: readonly string[]; copy: readonly string[]; forms: readonly string[] } | undefined;

/** Every form a configured secret may appear in: as given, trimmed, URL-encoded, each long line. */
function secretForms(secrets: readonly string[]): readonly string[] {
  if (secrets.length === 0) return secrets;
  if (last?.list === secrets && sameItems(last.copy, secrets)) return last.forms;
  const key = secrets.join('\u0000');
  let forms = FORMS.get(key);
  if (!forms) {
    forms = formsOf(secrets);
    if (FORMS.size >= FORMS_KEPT) FORMS.clear();
    FORMS.set(key, forms);
  }
  last = { list: secrets, copy: [...secrets], forms };
  return forms;
}

function sameItems(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function formsOf(secrets: readonly string[]): string[] {
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

/** Texts remembered with the detector's findings: at most this many characters in all… */
const MEMO_CHARS = 4_000_000;
/** …and none longer than this (a rendered file is redacted once; a record's strings many times). */
const MEMO_TEXT = 16_384;
const memo = new Map<string, readonly Span[]>();
let memoChars = 0;

/**
 * The detector's findings in a text. A run redacts its record's strings more than once (for the
 * state branch, the summary, the notification) and most of them repeat from server to server and
 * run to run; the findings depend on the text alone, so they are remembered, oldest dropped first.
 */
function detected(text: string): readonly Span[] {
  if (text.length > MEMO_TEXT) return detect(text);
  const known = memo.get(text);
  if (known) return known;
  const spans = detect(text);
  memo.set(text, spans);
  memoChars += text.length;
  for (const [oldest] of memo) {
    if (memoChars <= MEMO_CHARS) break;
    memo.delete(oldest);
    memoChars -= oldest.length;
  }
  return spans;
}

/**
 * Where the secrets of a text are (a text `stripInvisible` left as it is): the configured ones and
 * the detector's findings, together, for a caller that must place the placeholders itself.
 */
export function secretSpans(clean: string, secrets: readonly string[] = []): Span[] {
  // configured secrets and the detector's findings are replaced together: replacing a key's BEGIN
  // line first would leave its body without the marker the detector recognises it by
  return [...configured(clean, secretForms(secrets)), ...detected(clean)];
}

/** The text with invisible characters stripped and every secret found replaced by a placeholder. */
export function redact(text: string, secrets: readonly string[] = [], options: RedactOptions = {}): string {
  const clean = stripInvisible(text);
  let out = applySpans(clean, secretSpans(clean, secrets));
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
