/** Small markdown helpers shared by every renderer. Untrusted text is escaped by untrusted-text.ts. */
import { mdCell, mdFence } from './untrusted-text.js';

/** Markdown the code wrote (a link, an icon and a word): put into a table cell as it is. */
export interface Markdown {
  readonly markdown: string;
}

export function trusted(markdown: string): Markdown {
  return { markdown };
}

export type CellValue = string | number | undefined | Markdown;

/** A table cell: text is escaped (no pipe, newline, link, tag or mention survives), numbers as they are. */
export function cell(text: CellValue): string {
  if (typeof text === 'object') return text.markdown.replaceAll('|', '\\|').replace(/\r?\n/g, ' ');
  if (typeof text === 'number') return String(text);
  return mdCell(text ?? '');
}

export function table(header: string[], rows: CellValue[][]): string {
  const head = `| ${header.join(' | ')} |\n|${header.map(() => '---').join('|')}|`;
  return [head, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)].join('\n');
}

/**
 * Fences untrusted text so it renders as text: the fence is longer than any backtick run inside,
 * so server output cannot close it and inject markdown (or instructions) after it.
 */
export function fence(text: string, info = 'text'): string {
  return mdFence(text, info);
}

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}\n… [${text.length - max} more characters cut]`;
}

export const SEVERITY_ICON: Record<string, string> = { ok: '🟢', warning: '🟡', critical: '🔴', error: '⛔' };
