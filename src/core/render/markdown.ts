/** Small markdown helpers shared by every renderer. */

/** A table cell: no pipes or newlines can break the table. */
export function cell(text: string | number | undefined): string {
  return String(text ?? '')
    .replaceAll('|', '\\|')
    .replace(/\r?\n/g, ' ');
}

export function table(header: string[], rows: (string | number | undefined)[][]): string {
  const head = `| ${header.join(' | ')} |\n|${header.map(() => '---').join('|')}|`;
  return [head, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)].join('\n');
}

/**
 * Fences untrusted text so it renders as text: the fence is longer than any backtick run inside,
 * so server output cannot close it and inject markdown (or instructions) after it.
 */
export function fence(text: string, info = 'text'): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const ticks = '`'.repeat(longest + 1);
  return `${ticks}${info}\n${text.replace(/\s+$/, '')}\n${ticks}`;
}

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}\n… [${text.length - max} more characters cut]`;
}

export const SEVERITY_ICON: Record<string, string> = { ok: '🟢', warning: '🟡', critical: '🔴', error: '⛔' };
