/**
 * The one reader and writer of front matter for every state-branch document (health reports, issue files,
 * action and boot logs, approval files): YAML between a leading `---` line and the next `---` line.
 * A real YAML parse, so a JSON-quoted value (`target: "a \"quoted\" path"`) reads back exactly.
 */
import { parse, stringify } from 'yaml';
import type { MemoryFile } from '../memory/memory.js';
import { plainDeep, plainText } from '../render/untrusted-text.js';

export interface StateDocument {
  /** the front matter's fields; empty when the file has none or it is not a YAML mapping */
  meta: Record<string, unknown>;
  /** whether the file had a front matter block that parsed to a mapping */
  valid: boolean;
  /** the text after the front matter */
  body: string;
}

const BLOCK = /^---\r?\n([\s\S]*?)\r?\n---(?:\r?\n|$)/;

export function parseDocument(text: string): StateDocument {
  const match = BLOCK.exec(text);
  if (!match) return { meta: {}, valid: false, body: text };
  const body = text.slice(match[0].length);
  try {
    // no aliases: the writer never makes one, and the library bounds only exponential expansion
    // (a 500 KB anchor aliased 99 times read as 50 MB, and a rewrite wrote all of it to the branch)
    const meta: unknown = parse(match[1] ?? '', { maxAliasCount: 0 });
    if (typeof meta === 'object' && meta !== null && !Array.isArray(meta))
      return { meta: meta as Record<string, unknown>, valid: true, body };
  } catch {
    // a hand-edited file beyond recognition: no fields, never a crash
  }
  return { meta: {}, valid: false, body };
}

/** The front matter's fields (empty when none). */
export function frontMatter(text: string): Record<string, unknown> {
  return parseDocument(text).meta;
}

/** A memory file's fields: parsed once when memory was loaded, else parsed here. */
export function metaOf(file: Pick<MemoryFile, 'content' | 'meta'>): Record<string, unknown> {
  return file.meta ?? frontMatter(file.content);
}

/** A front-matter field as text ('' when absent; numbers and booleans as written). */
export function metaText(meta: Record<string, unknown>, key: string): string {
  const v = meta[key];
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : '';
}

/**
 * The front matter block of a document this run writes: YAML of the fields with every string made
 * plain (no controls, bidi or escapes), one line per value, so no value can break out of the block.
 */
export function renderFrontMatter(meta: object): string {
  const plain = plainDeep(meta);
  return `---\n${(fixedShape(plain) ?? stringify(plain, { lineWidth: 0 })).trimEnd()}\n---`;
}

/** A key written bare: an identifier that reads back as a string. */
const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** One line of printable ASCII that cannot start a document marker or directive. */
const SIMPLE = /^(?!---|\.\.\.)[\x20-\x7e]+$/;
/** Where a plain scalar could not stand: an indicator first, `: ` or ` #` inside, a space or `:` last. */
const NEEDS_QUOTES = /^[ ,[\]{}#&*!|>'"%@`]|^[?-]$|^[?-] |: | #|[ :]$/;
/** Plain text YAML 1.2's core schema would read as null, a boolean or a number. */
const OTHER_TYPE =
  /^(?:~|[Nn]ull|NULL|[Tt]rue|TRUE|[Ff]alse|FALSE|[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN|0o[0-7]+|0x[0-9a-fA-F]+|[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?)$/;

/**
 * The YAML the yaml library writes for `meta` (lineWidth 0), written directly for the shapes the
 * state-branch documents have: a mapping of scalars, lists of scalars, lists of flat mappings and
 * flat mappings, whose strings are one line of printable ASCII (plain, or double-quoted when they
 * hold no `"` or `\`). Undefined for anything else, which the library writes: byte for byte the
 * same text either way (test/unit/core/state-branch/front-matter-writer.test.ts), without the
 * library's document model on the run's critical path.
 */
export function fixedShape(meta: object): string | undefined {
  const lines: string[] = [];
  for (const [key, value] of Object.entries(meta)) {
    if (value === undefined) continue;
    if (!KEY.test(key) || OTHER_TYPE.test(key)) return undefined;
    if (Array.isArray(value)) {
      if (value.length === 0) lines.push(`${key}: []`);
      else if (!list(key, value, lines)) return undefined;
    } else if (isMapping(value)) {
      const fields = flatMapping(value, '  ');
      if (!fields) return undefined;
      lines.push(fields.length ? `${key}:` : `${key}: {}`, ...fields);
    } else {
      const text = scalar(value);
      if (text === undefined) return undefined;
      lines.push(`${key}: ${text}`);
    }
  }
  return lines.length ? `${lines.join('\n')}\n` : '{}\n';
}

function list(key: string, items: readonly unknown[], lines: string[]): boolean {
  lines.push(`${key}:`);
  for (const item of items) {
    if (isMapping(item)) {
      const fields = flatMapping(item, '    ');
      if (!fields) return false;
      lines.push(fields.length ? `  - ${(fields[0] ?? '').trimStart()}` : '  - {}', ...fields.slice(1));
      continue;
    }
    const text = scalar(item);
    if (text === undefined) return false;
    lines.push(`  - ${text}`);
  }
  return true;
}

/** `key: scalar` lines at `indent`; undefined when a key or value is beyond the fixed shapes. */
function flatMapping(value: Record<string, unknown>, indent: string): string[] | undefined {
  const lines: string[] = [];
  for (const [key, v] of Object.entries(value)) {
    if (v === undefined) continue;
    const text = KEY.test(key) && !OTHER_TYPE.test(key) ? scalar(v) : undefined;
    if (text === undefined) return undefined;
    lines.push(`${indent}${key}: ${text}`);
  }
  return lines;
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.getPrototypeOf(value) === Object.prototype
  );
}

function scalar(value: unknown): string | undefined {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'number')
    return Number.isFinite(value) && !Object.is(value, -0) ? JSON.stringify(value) : undefined;
  if (typeof value !== 'string' || !SIMPLE.test(value)) return undefined;
  if (!NEEDS_QUOTES.test(value) && !OTHER_TYPE.test(value)) return value;
  return value.includes('"') || value.includes('\\') ? undefined : `"${value}"`;
}

/**
 * Flat front matter (action and boot logs): one `key: value` line per field, every string
 * JSON-quoted (valid YAML, and no value can break out); undefined fields are left out.
 */
export function renderFlatFrontMatter(
  fields: Record<string, string | number | boolean | null | undefined>,
): string {
  const lines = Object.entries(fields)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}: ${typeof v === 'string' ? JSON.stringify(plainText(v)) : String(v)}`);
  return `---\n${lines.join('\n')}\n---`;
}
