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
    const meta: unknown = parse(match[1] ?? '');
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
  return `---\n${stringify(plainDeep(meta), { lineWidth: 0 }).trimEnd()}\n---`;
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
