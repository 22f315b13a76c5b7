/**
 * Key material, recognised line by line so that any line prefix (syslog timestamps and host
 * names, indentation, `> ` quotes, JSON log framing) leaves it recognisable, and so that a key
 * without its BEGIN line (a tail) or without its END line (cut off) is still a key:
 * PEM (PKCS#1, PKCS#8, SEC1, encrypted), OpenSSH, SSH2 (RFC 4716), PGP, PuTTY, age, minisign and
 * signify, and bare
 * base64 bodies (three or more lines of long base64 in a row, or one that starts like a key).
 */
import { type Span, span } from './spans.js';
import { mapBack, type TokenText } from './tokens.js';

const LABEL = 'PRIVATE KEY';
const BEGIN = /-{3,5} ?BEGIN ([A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?) ?-{3,5}/g;
const END = /-{3,5} ?END ([A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?) ?-{3,5}/g;
// a base64 body line: a long base64 run as the last thing on its line, whatever came before it
// starts only where a run starts: tried from inside a run too, a long run that is not at the end of
// its line (one character after it) cost quadratic time, seconds for 20 KB
const BODY_LINE = /(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{40,}={0,2}(?=["',}\]\\]*[ \t]*\r?$)/gm;
// DER of a private key, base64: PKCS#1 RSA (version 0), PKCS#8, SEC1 EC, OpenSSH, ssh.com
const KEY_START =
  /(?:MII[A-Za-z0-9+/]{1,3}(?:AgEA|IBAD)|MHcCAQEE|MC4CAQAw|b3BlbnNzaC1rZXktdjE|P2\/56w)[A-Za-z0-9+/]{20,}={0,2}/g;
const AGE = /AGE-SECRET-KEY-1[0-9A-Z]{50,}/g;
const PUTTY_PRIVATE = /Private-Lines: *(\d+)[ \t]*\r?\n/g;
const PUTTY_MAC = /Private-MAC: *([0-9a-f]{20,})/g;
// minisign and signify secret keys: the line after their "untrusted comment: … secret key"
// https://jedisct1.github.io/minisign/, https://man.openbsd.org/signify
const SIGN_KEY = /untrusted comment: [^\n]*secret key[^\n]*\r?\n([^\n]+)/g;
const HEADER = /^(?:Proc-Type|DEK-Info|Comment|Version|Hash|Charset|Subject|x-[\w-]+): /i;

export function keyMaterial(text: string, tokens: TokenText): Span[] {
  const out: Span[] = [];
  if (text.includes('PRIVATE KEY')) out.push(...armoured(text));
  if (text.includes('Private-Lines:')) out.push(...putty(text));
  if (text.includes('untrusted comment:'))
    for (const m of text.matchAll(SIGN_KEY)) {
      const key = m[1] ?? '';
      pushSpan(out, text, (m.index ?? 0) + m[0].length - key.length, (m.index ?? 0) + m[0].length);
    }
  if (/(?:recovery|backup|scratch|emergency) codes?/i.test(text)) out.push(...codeLists(text));
  out.push(...bodyRuns(text, tokens));
  return out;
}

/** Keys that are one token: a body that starts like a key, an age identity (in long tokens). */
export function keyTokens(text: string): Span[] {
  const out: Span[] = [];
  for (const m of text.matchAll(KEY_START)) pushSpan(out, text, m.index ?? 0, (m.index ?? 0) + m[0].length);
  if (text.includes('AGE-SECRET-KEY-'))
    for (const m of text.matchAll(AGE)) pushSpan(out, text, m.index ?? 0, (m.index ?? 0) + m[0].length);
  return out;
}

function pushSpan(out: Span[], text: string, start: number, end: number): void {
  const s = span(text, start, end, LABEL);
  if (s) out.push(s);
}

/** BEGIN … END, BEGIN to the end of its body (cut off), or a body tail up to its END. */
function armoured(text: string): Span[] {
  const out: Span[] = [];
  const ends = [...text.matchAll(END)].map((m) => ({
    start: m.index ?? 0,
    end: (m.index ?? 0) + m[0].length,
  }));
  let covered = 0;
  for (const m of text.matchAll(BEGIN)) {
    const start = m.index ?? 0;
    if (start < covered) continue;
    const end = ends.find((e) => e.start > start && e.start - start < 40_000);
    const stop = end ? end.end : bodyEnd(text, start);
    pushSpan(out, text, start, stop);
    covered = stop;
  }
  for (const e of ends) {
    if (e.start < covered) continue;
    pushSpan(out, text, bodyStart(text, e.start), e.end);
  }
  return out;
}

/** One line's payload: what follows its prefix (the last field), without JSON or quote framing. */
function payload(line: string): string {
  const last =
    line
      .trim()
      .split(/[\s:|>]+/)
      .pop() ?? '';
  return last.replace(/^["'[{(]+|["',}\])\\]+$/g, '');
}

function isBody(line: string): boolean {
  const p = payload(line);
  return (
    /^[A-Za-z0-9+/.]{16,}={0,2}$/.test(p) || /^[A-Za-z0-9+/]*={1,2}$/.test(p) || /^=[A-Za-z0-9+/]{4}$/.test(p)
  );
}

/** Where the body that a BEGIN line opens ends: the first line that is neither base64 nor a header. */
function bodyEnd(text: string, begin: number): number {
  const lines = linesAfter(text, begin);
  const first = lines[0];
  if (!first) return text.length;
  // a JSON-escaped key on one line: to the end of its escaped base64 lines
  const escaped = /^-{3,5} ?BEGIN[^\\]*?-{3,5}((?:\\[nr]|[A-Za-z0-9+/=:\- ])*)/.exec(first.text);
  if (escaped && (escaped[1] ?? '').includes('\\n')) return begin + escaped[0].length;
  let end = first.end;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]?.text ?? '';
    const blankBeforeBody = line.trim() === '' && isBody(lines[i + 1]?.text ?? '');
    if (!(isBody(line) || HEADER.test(payloadLine(line)) || blankBeforeBody)) break;
    end = lines[i]?.end ?? end;
  }
  return end;
}

/** The lines from `at` on (at most 400: a key is shorter), each with where it ends. */
function linesAfter(text: string, at: number): { text: string; end: number }[] {
  const out: { text: string; end: number }[] = [];
  let from = at;
  while (from < text.length && out.length < 400) {
    const eol = text.indexOf('\n', from);
    const stop = eol === -1 ? text.length : eol;
    out.push({ text: text.slice(from, stop), end: stop });
    from = stop + 1;
  }
  return out;
}

function payloadLine(line: string): string {
  return line.replace(/^.*?(?=(?:Proc-Type|DEK-Info|Comment|Version|Hash|Charset|Subject): )/i, '');
}

/** Where a body tail that ends in an END line starts: walking back over base64 lines. */
function bodyStart(text: string, end: number): number {
  let start = text.lastIndexOf('\n', end - 1) + 1;
  // the END line's own prefix stays; its previous lines are the body
  let at = start - 1;
  while (at > 0) {
    const prev = text.lastIndexOf('\n', at - 1) + 1;
    const line = text.slice(prev, at);
    if (!(isBody(line) || HEADER.test(payloadLine(line)))) break;
    start = prev + line.length - payload(line).length - (line.length - line.trimEnd().length);
    at = prev - 1;
  }
  return Math.min(start, end);
}

/**
 * One-time recovery codes (GitHub, Google, GitLab, Authy …): the lines of codes after a label
 * that names them. A code line holds only code-shaped words (`a1b2c-d3e4f`, `1234 5678`).
 */
function codeLists(text: string): Span[] {
  const out: Span[] = [];
  for (const m of text.matchAll(/(?:recovery|backup|scratch|emergency) codes?\b[^\n]*\n/gi)) {
    for (const line of linesAfter(text, (m.index ?? 0) + m[0].length).slice(0, 40)) {
      if (!/^[ \t-]*[A-Za-z0-9]{3,}(?:[- ][A-Za-z0-9]{3,})*[ \t]*$/.test(line.text) || !/\d/.test(line.text))
        break;
      pushSpan(out, text, line.end - line.text.length, line.end);
    }
  }
  return out;
}

/** PuTTY .ppk: the private lines and the MAC. */
function putty(text: string): Span[] {
  const out: Span[] = [];
  for (const m of text.matchAll(PUTTY_PRIVATE)) {
    let at = (m.index ?? 0) + m[0].length;
    for (let i = 0; i < Number(m[1]) && at < text.length; i++) {
      const eol = text.indexOf('\n', at);
      const stop = eol === -1 ? text.length : eol;
      pushSpan(out, text, at, stop);
      at = stop + 1;
    }
  }
  for (const m of text.matchAll(PUTTY_MAC))
    pushSpan(out, text, (m.index ?? 0) + m[0].length - (m[1] ?? '').length, (m.index ?? 0) + m[0].length);
  return out;
}

/**
 * Base64 bodies without any marker: three or more lines in a row whose last field is a long,
 * mixed-case base64 run (hex-only runs are checksums and container ids), plus the short last line.
 */
function bodyRuns(text: string, tokens: TokenText): Span[] {
  const found = [...tokens.text.matchAll(BODY_LINE)]
    .filter((m) => /[a-z]/.test(m[0]) && /[A-Z]/.test(m[0]) && /[0-9]/.test(m[0]))
    .map((m) => ({ start: m.index ?? 0, end: (m.index ?? 0) + m[0].length, label: '' }));
  // a token that ends its line in the text (only framing and spaces after it)
  const hits = mapBack(tokens, found)
    .filter((h) => /^["',}\]\\]*[ \t]*\r?(?:\n|$)/.test(text.slice(h.end, h.end + 16)))
    .map((h) => ({ ...h, run: text.slice(h.start, h.end) }));
  const out: Span[] = [];
  let group: typeof hits = [];
  const close = () => {
    if (group.length >= 3) {
      for (const h of group) pushSpan(out, text, h.start, h.end);
      const last = group[group.length - 1];
      if (last) {
        const eol = text.indexOf('\n', last.end);
        const next =
          eol === -1
            ? ''
            : text.slice(
                eol + 1,
                text.indexOf('\n', eol + 1) === -1 ? text.length : text.indexOf('\n', eol + 1),
              );
        const tail = payload(next);
        if (/^[A-Za-z0-9+/]{2,}={0,2}$/.test(tail) && tail.length < 80) {
          const at = eol + 1 + next.lastIndexOf(tail);
          pushSpan(out, text, at, at + tail.length);
        }
      }
    }
    group = [];
  };
  for (const h of hits) {
    const prev = group[group.length - 1];
    if (prev && !adjacent(text, prev.end, h.start)) close();
    group.push(h);
  }
  close();
  return out;
}

/** True when `to` is on the line right after the one that ends at `from`. */
function adjacent(text: string, from: number, to: number): boolean {
  const between = text.slice(from, to);
  return between.length < 400 && between.split('\n').length === 2;
}
