/**
 * Collector output enters the run here, redacted as the server printed it, before any probe
 * parses it. Secrets are often known by their lines (a userlist line that is two quoted strings, a
 * key's BEGIN line and body, a YAML value on the line after its name); once text sits in a record
 * field behind other words (`start failed: …`, a fingerprint, a table cell), that shape is gone,
 * so the redaction of the record before output is a second line of defence, not the first.
 *
 * A snippet prints server text only behind `| ` (output-text.ts): each run of such lines is
 * searched as one text without its prefixes, so its line structure is the server's, and every
 * line keeps its place (a finding over several lines is replaced line by line). A line that is
 * one JSON value (`docker inspect`, `pm2 jlist`, a structured log line) stays JSON for the probe
 * that parses it: findings replace parts of its strings, and each string is searched again as
 * the text it holds (an escaped `\n` is a line break there) and judged with its member's name.
 * A structural line (`key=value`, a row the snippet printed) can carry server text too (a unit's
 * status text, a container name): each is redacted on its own, so no rule joins two of them and a
 * counter, a cursor or an offset is judged as the one line it is.
 */
import { SECRET_WORD, secretName } from '../core/redact/secret-words.js';
import { applySpans, type Span } from '../core/redact/spans.js';
import { redact, secretSpans, stripInvisible } from '../core/util/redact.js';
import { UNTRUSTED_PREFIX } from './output-text.js';

export function redactSection(output: string, secrets: readonly string[] = []): string {
  const lines = output.split('\n');
  const out: string[] = [];
  for (let i = 0; i < lines.length; ) {
    const line = lines[i] ?? '';
    if (!line.startsWith(UNTRUSTED_PREFIX)) {
      out.push(line === '' ? line : redact(line, secrets));
      i++;
      continue;
    }
    let end = i;
    while (lines[end]?.startsWith(UNTRUSTED_PREFIX)) end++;
    const run = lines.slice(i, end).map((l) => l.slice(UNTRUSTED_PREFIX.length));
    for (const shown of redactRun(run, secrets)) out.push(`${UNTRUSTED_PREFIX}${shown}`);
    i = end;
  }
  return out.join('\n');
}

/** The lines of one run of server text, each redacted in its place. */
function redactRun(run: readonly string[], secrets: readonly string[]): string[] {
  const lines = run.map(stripInvisible);
  const spans = secretSpans(lines.join('\n'), secrets);
  let at = 0;
  return lines.map((line) => {
    const from = at;
    at += line.length + 1;
    if (!isJsonLine(line)) return applySpans(line, clipped(spans, from, from + line.length));
    // in a JSON line, the run's findings that go on past it (a key logged one line per entry);
    // one within the line was found in its escaped text, which its strings are searched as again
    const across = spans.filter((s) => s.start < from || s.end > from + line.length);
    // a string with no member name (an array's element, a keyring file's key) has no name to be
    // judged with: a finding the run's text gave it (by the command that printed it) is kept
    const bare = spans.filter((s) => s.start >= from && s.end <= from + line.length);
    return jsonLine(
      line,
      clipped(across, from, from + line.length),
      secrets,
      clipped(bare, from, from + line.length),
    );
  });
}

/** The spans that reach into [from, to), cut to it and counted from `from`. */
function clipped(spans: readonly Span[], from: number, to: number): Span[] {
  const out: Span[] = [];
  for (const s of spans) {
    const start = Math.max(s.start, from);
    const end = Math.min(s.end, to);
    if (end <= start) continue;
    const whole = start === s.start && end === s.end;
    out.push({
      start: start - from,
      end: end - from,
      label: s.label,
      ...(whole && s.replacement !== undefined ? { replacement: s.replacement } : {}),
    });
  }
  return out;
}

function isJsonLine(line: string): boolean {
  const t = line.trim();
  if (!((t.startsWith('{') && t.endsWith('}')) || (t.startsWith('[') && t.endsWith(']')))) return false;
  try {
    JSON.parse(t);
    return true;
  } catch {
    return false;
  }
}

// a JSON string literal: in valid JSON, matched one after the other they are all its strings
const LITERAL = /"(?:[^"\\]|\\.)*"/g;
// name/value records (ECS and Kubernetes env, SSM and CloudFormation parameters, app settings)
const RECORD_NAME = /^(?:name|key|parameter_?(?:name|key))$/i;
const RECORD_VALUE = /^(?:value|parameter_?value)$/i;

/**
 * A JSON line redacted string by string, so it stays JSON: each string is searched as the text it
 * holds (an escaped `\n` is a line break there), the run's findings that reach into it are kept,
 * and a value is judged with its member's name (`"password": "…"`, or the name a name/value
 * record gives it). A finding outside any string (a bare number) is left to the output's pass.
 */
function jsonLine(
  line: string,
  spans: readonly Span[],
  secrets: readonly string[],
  bare: readonly Span[] = [],
): string {
  let name: string | undefined;
  let recordName: string | undefined;
  return line.replace(LITERAL, (literal: string, offset: number) => {
    const { text, at } = decodeLiteral(literal);
    const isName = /^\s*:/.test(line.slice(offset + literal.length));
    // a finding that spills over into a member's name stays with its value: names are the probe's
    const reach = name === undefined ? [...spans, ...bare] : spans;
    const found = isName ? [] : clipped(reach, offset, offset + literal.length).map((s) => inDecoded(s, at));
    let shown = applySpans(text, [...found, ...secretSpans(text, secrets)]);
    if (isName) {
      name = shown;
    } else if (name !== undefined) {
      shown = judgedWithName(name, shown, secrets);
      if (recordName !== undefined && RECORD_VALUE.test(name))
        shown = judgedWithName(recordName, shown, secrets);
      if (RECORD_NAME.test(name)) recordName = shown;
    }
    return shown === text ? literal : JSON.stringify(shown);
  });
}

const ESCAPED: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
const INVISIBLE = /^\p{Default_Ignorable_Code_Point}$/u;

/** A literal's text (invisible characters dropped, as redact does) and where each character was. */
function decodeLiteral(literal: string): { text: string; at: number[] } {
  const units: { unit: string; at: number }[] = [];
  for (let i = 1; i < literal.length - 1; ) {
    const c = literal[i] ?? '';
    if (c !== '\\') {
      units.push({ unit: c, at: i++ });
      continue;
    }
    const e = literal[i + 1] ?? '';
    const unit =
      e === 'u' ? String.fromCharCode(Number.parseInt(literal.slice(i + 2, i + 6), 16)) : (ESCAPED[e] ?? e);
    units.push({ unit, at: i });
    i += e === 'u' ? 6 : 2;
  }
  let text = '';
  const at: number[] = [];
  for (let k = 0; k < units.length; k++) {
    const high = units[k];
    const low = units[k + 1];
    const pair = high && low && /[\ud800-\udbff]/.test(high.unit) && /[\udc00-\udfff]/.test(low.unit);
    const char = pair ? `${high.unit}${low.unit}` : (high?.unit ?? '');
    if (!INVISIBLE.test(char)) {
      text += char;
      at.push(high?.at ?? 0);
      if (pair) at.push(low?.at ?? 0);
    }
    if (pair) k++;
  }
  at.push(literal.length - 1);
  return { text, at };
}

/** A span over the raw literal as a span over its decoded text (a placeholder: nothing decoded). */
function inDecoded(s: Span, at: readonly number[]): Span {
  const index = (raw: number) => {
    const i = at.findIndex((a) => a >= raw);
    return i === -1 ? at.length - 1 : i;
  };
  return { start: index(s.start), end: index(s.end), label: s.label };
}

/** The value as the detector leaves it in `{"name": "value"}`: redacted whole when it cannot tell. */
function judgedWithName(name: string, value: string, secrets: readonly string[]): string {
  // only a name with a secret word in it can make its value a secret
  if (secretName(name) === undefined && !SECRET_WORD.test(name)) return value;
  const member = JSON.stringify({ [name]: value });
  const judged = redact(member, secrets);
  if (judged === member) return value;
  try {
    const kept: unknown = (JSON.parse(judged) as Record<string, unknown>)[name];
    return typeof kept === 'string' ? kept : '[REDACTED]';
  } catch {
    return '[REDACTED]';
  }
}
