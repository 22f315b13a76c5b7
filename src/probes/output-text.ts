/**
 * Helpers shared by probe parsers. Probe snippets print untrusted server text (log lines,
 * command output, response bodies) only behind a `| ` prefix, so a line without it is always
 * structure the snippet printed itself and cannot be forged by that text.
 */

export const UNTRUSTED_PREFIX = '| ';

/** Lines of a section, without the empty last line a trailing newline leaves. */
export function linesOf(output: string): string[] {
  const lines = output.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

/** The untrusted text lines of a block, prefix removed. */
export function quotedLines(lines: readonly string[]): string[] {
  return lines.filter((l) => l.startsWith(UNTRUSTED_PREFIX)).map((l) => l.slice(UNTRUSTED_PREFIX.length));
}

/** The structural (unprefixed) lines of a block. */
export function structuralLines(lines: readonly string[]): string[] {
  return lines.filter((l) => !l.startsWith(UNTRUSTED_PREFIX));
}

/** A structural block header: `@tag` or `@tag rest`. */
const BLOCK_HEADER = /^@[a-z][a-z0-9-]*(?: |$)/;

/**
 * Splits a section into blocks that each start with a structural line `@<tag> <rest>`. A block
 * ends at the next header of any tag, so blocks of other tags in the same section (the services
 * probe's `@sysv 0`, `@supervisor`, `@pm2`, …) never end up in this tag's last block. Lines
 * before the first header are ignored. Untrusted lines cannot start or end a block.
 */
export function blocksOf(output: string, tag: string): { head: string; lines: string[] }[] {
  const blocks: { head: string; lines: string[] }[] = [];
  const prefix = `@${tag}`;
  let current: { head: string; lines: string[] } | undefined;
  for (const line of linesOf(output)) {
    if (line === prefix || line.startsWith(`${prefix} `)) {
      current = { head: line.slice(prefix.length).trim(), lines: [] };
      blocks.push(current);
    } else if (BLOCK_HEADER.test(line)) {
      current = undefined;
    } else {
      current?.lines.push(line);
    }
  }
  return blocks;
}

/** `key=value` pairs from structural lines (and from space-separated pairs on one line). */
export function keyValues(lines: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of structuralLines(lines)) {
    const match = /^([A-Za-z_][\w.-]*)=(.*)$/.exec(line);
    if (match?.[1] !== undefined) out[match[1]] = match[2] ?? '';
  }
  return out;
}

/** Integer from text, or undefined when it is not one. */
export function int(text: string | undefined): number | undefined {
  if (text === undefined || !/^-?\d+$/.test(text.trim())) return undefined;
  return Number(text.trim());
}

/** Keeps evidence short: at most `max` lines. */
export function excerpt(lines: readonly string[], max = 5): string | undefined {
  const kept = lines.slice(-max);
  return kept.length > 0 ? kept.join('\n') : undefined;
}

/** Thrown by parsers when output does not have the expected shape; becomes a probe-error. */
export class ParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ParseError';
  }
}
