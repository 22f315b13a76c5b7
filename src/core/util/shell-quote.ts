/**
 * The one way config-derived values enter a shell script: POSIX single quotes. Inside single
 * quotes sh interprets nothing ($, `, \, newlines are literal), so the only character to handle
 * is the single quote itself, which is closed, escaped and reopened: ' → '\''.
 */
export function shellQuote(value: string | number): string {
  const text = String(value);
  // A NUL byte cannot be passed to any program through sh; refusing beats silently truncating.
  if (text.includes('\0')) throw new Error('shellQuote: value contains a NUL byte');
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/** Quotes each value and joins them with spaces, for argument lists. */
export function shellQuoteAll(values: readonly (string | number)[]): string {
  return values.map(shellQuote).join(' ');
}
