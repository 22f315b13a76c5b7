/**
 * Command lines the Linux audit log records argument by argument: an `EXECVE` record holds argv as
 * `a0="sshpass" a1="-p" a2="hunter2"` (an argument with a space or a quote as hex, `a2=6869…`), a
 * `PROCTITLE` record the whole argv as hex with NULs between the arguments
 * (https://github.com/linux-audit/audit-documentation/wiki/SPEC-Audit-Event-Enrichment). Neither
 * reads as a command line, so the command-line and flag detectors would miss `-p hunter2`: the
 * arguments are joined into the line that ran, searched as one, and each argument a secret falls
 * in is redacted in the record (a hex argument, or a proctitle, whole).
 */
import { assignments } from './assignments.js';
import { commandLines } from './command-lines.js';
import { type Span, span } from './spans.js';

/** The lines these are on (detect.ts runs them there only). */
export const AUDIT_WORDS = /type=(?:EXECVE|PROCTITLE)\b/;

const ARG = /\ba(\d{1,4})=(?:"([^"\n]*)"|([0-9A-Fa-f]{2,}))(?![^\s])/g;
const PROCTITLE = /\bproctitle=([0-9A-Fa-f]{4,})(?![^\s])/g;

interface Arg {
  /** where its value is in the record (inside the quotes, or the hex) */
  start: number;
  end: number;
  /** where it is in the joined command line */
  from: number;
  to: number;
}

export function auditRecords(text: string): Span[] {
  const out: Span[] = [];
  for (const line of recordLines(text)) {
    if (line.text.includes('type=EXECVE')) execve(out, text, line);
    else if (line.text.includes('proctitle=')) proctitle(out, text, line);
  }
  return out;
}

function recordLines(text: string): { text: string; start: number }[] {
  const lines: { text: string; start: number }[] = [];
  let at = 0;
  while (at <= text.length) {
    const eol = text.indexOf('\n', at);
    const stop = eol === -1 ? text.length : eol;
    if (AUDIT_WORDS.test(text.slice(at, Math.min(stop, at + 200))))
      lines.push({ text: text.slice(at, stop), start: at });
    if (eol === -1) break;
    at = stop + 1;
  }
  return lines;
}

/** An EXECVE record's arguments joined; each argument a secret falls in is redacted. */
function execve(out: Span[], text: string, line: { text: string; start: number }): void {
  const args: Arg[] = [];
  let command = '';
  for (const m of line.text.matchAll(ARG)) {
    const value = m[2] ?? m[3] ?? '';
    const arg = m[2] !== undefined ? value : hexText(value);
    const start = line.start + (m.index ?? 0) + m[0].length - value.length - (m[2] !== undefined ? 1 : 0);
    if (command) command += ' ';
    args.push({ start, end: start + value.length, from: command.length, to: command.length + arg.length });
    command += arg;
  }
  if (args.length < 2) return;
  for (const found of secretsIn(command))
    for (const a of args)
      if (a.from < found.end && found.start < a.to) {
        const s = span(text, a.start, a.end);
        if (s && !text.startsWith('[REDACTED', s.start)) out.push(s);
      }
}

/** A PROCTITLE record whose argv holds a secret: the hex goes whole. */
function proctitle(out: Span[], text: string, line: { text: string; start: number }): void {
  for (const m of line.text.matchAll(PROCTITLE)) {
    const hex = m[1] ?? '';
    if (secretsIn(hexText(hex).replaceAll('\0', ' ')).length === 0) continue;
    const start = line.start + (m.index ?? 0) + m[0].length - hex.length;
    const s = span(text, start, start + hex.length);
    if (s) out.push(s);
  }
}

function secretsIn(command: string): Span[] {
  return [...commandLines(command), ...assignments(command)];
}

function hexText(hex: string): string {
  if (hex.length % 2 !== 0) return hex;
  return Buffer.from(hex, 'hex').toString('utf8');
}
