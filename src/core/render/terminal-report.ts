/**
 * The report as a terminal shows it (pure): the job summary's markdown made plain — no HTML
 * entities, no backslash escapes, no Mermaid (the charts are for GitHub; their figures are in the
 * state files), tables as aligned columns that fit the terminal, links as "text (url)" — and, for a
 * person at a terminal, the status words in colour. The text must already be cleaned (redacted,
 * control characters stripped): colour is added here, after that.
 */
import { displayWidth, terminalTable, wrapText } from './terminal-table.js';

export interface TerminalOptions {
  /** columns of the terminal; tables wrap to fit (unset: no limit) */
  width?: number;
  colour?: boolean;
}

const ANSI = {
  bold: '\u001b[1m',
  red: '\u001b[31m',
  yellow: '\u001b[33m',
  green: '\u001b[32m',
  reset: '\u001b[0m',
};

const ENTITIES: Record<string, string> = {
  '&lt;': '<',
  '&gt;': '>',
  '&amp;': '&',
  '&quot;': '"',
  '&#39;': "'",
};

/** Inline markdown to plain text: links, emphasis, code spans, escapes, entities, inline tags. */
export function plainInline(text: string): string {
  return (
    text
      .replace(/&#8203;/g, '')
      .replace(/\u200b/g, '')
      .replace(/<br\s*\/?>/gi, ' ')
      .replace(/<\/?(sub|sup|b|strong|em|i|code|summary|details)>/gi, '')
      .replace(/!?\[([^\]]*)\]\(([^)\s]+)\)/g, (_, label: string, url: string) => `${label} (${url})`)
      // an escaped backtick (mdInline's \`) is text, never a code span's fence
      .replace(/(?<!\\)(`+) ?([^`]*?) ?\1/g, '$2')
      .replace(/\*\*([^*]+)\*\*/g, '$1')
      .replace(/(^|[\s(])_([^_]+)_(?=[\s).,;:]|$)/g, '$1$2')
      .replace(/\\([\\`*_{}[\]()#+\-.!|~$<>=])/g, '$1')
      .replace(/&(lt|gt|amp|quot|#39);/g, (m) => ENTITIES[m] ?? m)
  );
}

/** Table cells of a GFM row: split on pipes that are not escaped. */
function cells(row: string): string[] {
  const inner = row.trim().replace(/^\|/, '').replace(/\|$/, '');
  return inner.split(/(?<!\\)\|/).map((c) => plainInline(c.trim()));
}

const isSeparator = (row: string) => /^\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$/.test(row);

function tint(text: string, colour: boolean): string {
  if (!colour) return text;
  return text
    .replace(/🔴 (critical|error|unreachable)/g, `${ANSI.red}🔴 $1${ANSI.reset}`)
    .replace(/⛔ (error)/g, `${ANSI.red}⛔ $1${ANSI.reset}`)
    .replace(/🟡 (warning)/g, `${ANSI.yellow}🟡 $1${ANSI.reset}`)
    .replace(/🟢 (ok)/g, `${ANSI.green}🟢 $1${ANSI.reset}`);
}

/** A paragraph or list item wrapped at spaces; a list item's next lines hang under its text. */
function wrapLine(line: string, width: number): string[] {
  if (displayWidth(line) <= width) return [line];
  const indent = /^(\s*(?:[-*] )?)/.exec(line)?.[1] ?? '';
  const hang = ' '.repeat(displayWidth(indent));
  const [first = '', ...rest] = wrapText(line.slice(indent.length), Math.max(20, width - hang.length));
  return [`${indent}${first}`, ...rest.map((l) => `${hang}${l}`)];
}

/** A Mermaid xychart as one line: its title, first and last value, the highest. */
function chartLine(body: readonly string[]): string {
  const title = /^\s*title "(.*)"$/m.exec(body.join('\n'))?.[1] ?? 'chart';
  const values = (/^\s*line \[([^\]]*)\]/m.exec(body.join('\n'))?.[1] ?? '')
    .split(',')
    .map(Number)
    .filter(Number.isFinite);
  if (values.length === 0) return `- ${title}`;
  return `- ${title}: ${values[0]} → ${values.at(-1)} (highest ${Math.max(...values)})`;
}

export function terminalReport(markdown: string, options: TerminalOptions = {}): string {
  const colour = options.colour ?? false;
  const width = options.width ?? Number.POSITIVE_INFINITY;
  const lines = markdown.split('\n');
  const out: string[] = [];
  let afterChart = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const fence = /^(`{3,}|~{3,})\s*([\w-]*)/.exec(line);
    if (fence?.[1]) {
      const end = lines.findIndex((l, j) => j > i && l.startsWith(fence[1] ?? '```'));
      const body = lines.slice(i + 1, end < 0 ? undefined : end);
      // a Mermaid chart is for GitHub: the terminal gets its figures in one line instead
      if (fence[2] === 'mermaid') {
        out.push(chartLine(body));
        afterChart = true;
      } else out.push(...body.map((l) => `    ${l}`));
      i = end < 0 ? lines.length : end;
      continue;
    }
    if (afterChart && /^<sub>/.test(line)) continue;
    if (line.trim()) afterChart = false;
    if (line.startsWith('|')) {
      const rows: string[][] = [];
      while (i < lines.length && (lines[i] ?? '').startsWith('|')) {
        const row = lines[i] ?? '';
        if (!isSeparator(row)) rows.push(cells(row));
        i++;
      }
      i--;
      out.push(tint(terminalTable(rows, width), colour));
      continue;
    }
    out.push(...lineText(line, colour, width));
  }
  return out
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** A markdown line outside code blocks and tables, as terminal lines. */
function lineText(line: string, colour: boolean, width: number): string[] {
  if (/^<\/?details>$/.test(line.trim())) return [];
  const summary = /^<details><summary>(.*)<\/summary>$/.exec(line.trim());
  if (summary) return [`${plainInline(summary[1] ?? '')}:`];
  const heading = /^(#{1,6}) (.*)$/.exec(line);
  if (heading) {
    const text = plainInline(heading[2] ?? '');
    return [colour ? `${ANSI.bold}${text}${ANSI.reset}` : heading[1] === '##' ? text.toUpperCase() : text];
  }
  const alert = /^> \[!(\w+)\]$/.exec(line);
  if (alert) return [alert[1] ?? ''];
  return wrapLine(plainInline(line.replace(/^> ?/, '  ')), width).map((l) => tint(l, colour));
}
