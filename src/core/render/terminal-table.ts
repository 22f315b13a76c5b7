/**
 * Columns for a terminal (pure): cells padded by their display width (an emoji takes two columns,
 * a combining mark none), and a table wider than the terminal wraps its widest cells at word
 * boundaries instead of cutting words or running off the edge.
 */

const WIDE =
  /\p{Emoji_Presentation}|[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/u;
// combining marks, zero-width characters and variation selectors take no column
const ZERO = /\p{M}|[\u200b-\u200f\u2060]/u;
const isZero = (ch: string) => ZERO.test(ch) || (ch >= '\ufe00' && ch <= '\ufe0f');

/** Columns a string takes on a terminal. */
export function displayWidth(text: string): number {
  let width = 0;
  const chars = [...text];
  for (const [i, ch] of chars.entries()) {
    if (ch === '\ufe0f') {
      // emoji presentation asked for: the character before it takes two columns
      const before = chars[i - 1];
      if (before && !WIDE.test(before)) width += 1;
      continue;
    }
    width += isZero(ch) ? 0 : WIDE.test(ch) ? 2 : 1;
  }
  return width;
}

const pad = (text: string, width: number) => text + ' '.repeat(Math.max(0, width - displayWidth(text)));

/** Text broken into lines of at most `width` columns, at spaces; a longer word is split. */
export function wrapText(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/ +/)) {
    let rest = word;
    while (displayWidth(rest) > width) {
      if (line) lines.push(line);
      line = '';
      const cut = sliceToWidth(rest, width);
      lines.push(cut);
      rest = rest.slice(cut.length);
    }
    if (!line) line = rest;
    else if (displayWidth(line) + 1 + displayWidth(rest) <= width) line += ` ${rest}`;
    else {
      lines.push(line);
      line = rest;
    }
  }
  if (line || lines.length === 0) lines.push(line);
  return lines;
}

function sliceToWidth(text: string, width: number): string {
  let out = '';
  for (const ch of text) {
    if (displayWidth(out + ch) > width) break;
    out += ch;
  }
  return out || [...text][0] || '';
}

const GAP = 2;

/** Rows by index, built when asked for: a long table is measured, then rendered, a row at a time. */
export interface RowSource {
  count: number;
  row(i: number): readonly string[];
}

/**
 * Left-aligned columns, two spaces apart, trailing spaces trimmed. With `maxWidth`, the widest
 * columns give up space (never below the longest word they hold, or 8 columns) and their cells
 * wrap onto more lines.
 */
export function terminalTable(
  rows: readonly (readonly string[])[],
  maxWidth = Number.POSITIVE_INFINITY,
): string {
  return [...terminalTableParts({ count: rows.length, row: (i) => rows[i] ?? [] }, maxWidth)].join('');
}

/**
 * terminalTable's text in pieces, one a row, that join to it: a table of 50 000 rows is written
 * out as it is rendered, never held as one string or as 50 000 rendered rows.
 */
export function* terminalTableParts(
  source: RowSource,
  maxWidth = Number.POSITIVE_INFINITY,
): Generator<string> {
  const natural: number[] = [];
  for (let r = 0; r < source.count; r++)
    for (const [i, cell] of source.row(r).entries())
      natural[i] = Math.max(natural[i] ?? 0, displayWidth(cell));
  for (let i = 0; i < natural.length; i++) natural[i] ??= 0;
  const widths = fitWidths(natural, source, maxWidth);
  const total = widths.reduce((a, b) => a + b, 0) + GAP * Math.max(0, natural.length - 1);
  if (total > maxWidth && source.count > 1) {
    yield* recordsOf(source, maxWidth);
    return;
  }
  const wrapped = widths.some((w, i) => w < (natural[i] ?? 0));
  let previous = '';
  for (let r = 0; r < source.count; r++) {
    const row = source.row(r);
    const cells = widths.map((w, i) => wrapText(row[i] ?? '', w));
    const height = Math.max(...cells.map((c) => c.length));
    const lines = Array.from({ length: height }, (_, l) =>
      cells
        .map((c, i) => pad(c[l] ?? '', widths[i] ?? 0))
        .join(' '.repeat(GAP))
        .trimEnd(),
    );
    const text = lines.join('\n');
    // a blank line between wrapped rows keeps each row readable as one
    const blank = wrapped && r > 0 && (height > 1 || previous.includes('\n'));
    yield `${r > 0 ? '\n' : ''}${blank ? '\n' : ''}${text}`;
    previous = text;
  }
}

/**
 * Too many columns for the terminal even wrapped: one block per row, a line per column
 * (`  status: 🔴 critical`), the first column as the block's title.
 */
function* recordsOf(source: RowSource, maxWidth: number): Generator<string> {
  const header = source.row(0);
  for (let r = 1; r < source.count; r++) {
    const row = source.row(r);
    const lines = row.slice(1).flatMap((value, i) => {
      if (!value) return [];
      const label = `  ${header[i + 1] ?? ''}: `;
      const indent = ' '.repeat(4);
      const [first = '', ...rest] = wrapText(value, Math.max(16, maxWidth - displayWidth(label)));
      return [`${label}${first}`, ...rest.map((l) => `${indent}${l}`)];
    });
    yield `${r > 1 ? '\n' : ''}${[row[0] ?? '', ...lines].join('\n')}`;
  }
}

function fitWidths(natural: number[], source: RowSource, maxWidth: number): number[] {
  const total = (ws: number[]) => ws.reduce((a, b) => a + b, 0) + GAP * Math.max(0, ws.length - 1);
  if (total(natural) <= maxWidth) return natural;
  const longestWord = natural.map(() => 0);
  for (let r = 0; r < source.count; r++) {
    const row = source.row(r);
    for (let i = 0; i < natural.length; i++)
      for (const word of (row[i] ?? '').split(/ +/))
        longestWord[i] = Math.max(longestWord[i] ?? 0, displayWidth(word));
  }
  const floor = natural.map((n, i) => Math.min(n, Math.max(8, Math.min(longestWord[i] ?? 0, 24))));
  const widths = [...natural];
  // take a column at a time off the widest column that can still give, until it fits
  while (total(widths) > maxWidth) {
    let widest = -1;
    for (const [i, w] of widths.entries())
      if (w > (floor[i] ?? 0) && (widest < 0 || w > (widths[widest] ?? 0))) widest = i;
    if (widest < 0) break;
    widths[widest] = (widths[widest] ?? 0) - 1;
  }
  return widths;
}
