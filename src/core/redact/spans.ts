/**
 * The detectors of this folder report spans (where a secret is, and what kind) instead of editing
 * the text, so one detector never breaks the text another one reads, and overlapping findings are
 * replaced once.
 */
export interface Span {
  start: number;
  end: number;
  /** what was there: shown as `[REDACTED <label>]`, or `[REDACTED]` when empty */
  label: string;
  /** shown instead of the placeholder (a percent-encoded run, decoded with its secret redacted) */
  replacement?: string;
}

/** A span of `text` with surrounding whitespace left out; undefined when nothing is left. */
export function span(text: string, start: number, end: number, label = ''): Span | undefined {
  let s = start;
  let e = end;
  while (s < e && /\s/.test(text[s] ?? '')) s++;
  while (e > s && /\s/.test(text[e - 1] ?? '')) e--;
  return e > s ? { start: s, end: e, label } : undefined;
}

/** The text with every span replaced by its placeholder; overlapping spans become one. */
export function applySpans(text: string, spans: readonly Span[]): string {
  if (spans.length === 0) return text;
  const sorted = [...spans].sort((a, b) => a.start - b.start || b.end - a.end);
  let out = '';
  let at = 0;
  let current: Span | undefined;
  const flush = () => {
    if (!current) return;
    out += text.slice(at, current.start) + (current.replacement ?? placeholder(current.label));
    at = current.end;
    current = undefined;
  };
  for (const s of sorted) {
    if (current && s.start < current.end) {
      // the longer finding names the whole; a bare value inside a key keeps the key's label
      if (s.end > current.end || s.start > current.start)
        current = { start: current.start, end: Math.max(current.end, s.end), label: current.label };
      continue;
    }
    flush();
    current = { ...s };
  }
  flush();
  return out + text.slice(at);
}

export function placeholder(label: string): string {
  return label ? `[REDACTED ${label}]` : '[REDACTED]';
}

/** True when the text at `index` is one of our own placeholders (so a second pass leaves it). */
export function isPlaceholderAt(text: string, index: number): boolean {
  return text.startsWith('[REDACTED', index);
}
