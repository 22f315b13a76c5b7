/**
 * How random a token looks. Secrets are generated: long, several character classes, high Shannon
 * entropy. Words, paths, versions and host names are not. Identifiers operators read (git and
 * container ids, checksums, UUIDs) are random too, so this is only ever asked about a token that
 * something else already put in a credential position.
 */
export function shannon(token: string): number {
  // most tokens are ASCII: counted in an array (a Map per token cost most of a long line's time)
  let ascii = true;
  for (let i = 0; i < token.length && ascii; i++) ascii = token.charCodeAt(i) < 128;
  if (ascii) return asciiShannon(token);
  const counts = new Map<string, number>();
  for (const c of token) counts.set(c, (counts.get(c) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) {
    const p = n / token.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

const ASCII_COUNTS = new Uint32Array(128);

function asciiShannon(token: string): number {
  ASCII_COUNTS.fill(0);
  for (let i = 0; i < token.length; i++) {
    const c = token.charCodeAt(i);
    ASCII_COUNTS[c] = (ASCII_COUNTS[c] ?? 0) + 1;
  }
  let bits = 0;
  for (const n of ASCII_COUNTS) {
    if (n === 0) continue;
    const p = n / token.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

function classes(token: string): number {
  return [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((r) => r.test(token)).length;
}

/** A token that looks generated: long enough, not a word, a path, a number or a version. */
export function looksRandom(token: string, minLength = 16): boolean {
  if (token.length < minLength) return false;
  if (/^[0-9.:_-]+$/.test(token)) return false; // numbers, versions, times
  if (/^(?:\d+:)?\d+(?:\.\d+)+[-+~.:a-z0-9]*$/i.test(token)) return false; // package versions: 1:4.13+dfsg1-1+deb12u1
  if (/^\//.test(token) || /^[a-z]+:\/\//i.test(token)) return false; // paths and URLs
  if (/^[a-z]+(?:[-_.][a-z]+)*$/i.test(token)) return false; // words, slugs, host names
  if (/^[\w.-]+(?:\/[\w.-]*)+$/.test(token) && token.split(/[/.]/).every((p) => /^[a-z-_]*\d{0,4}$/i.test(p)))
    return false; // host/path

  const bits = shannon(token);
  if (/^[0-9a-f-]+$/i.test(token)) return bits >= 3 && /[0-9]/.test(token) && /[a-f]/i.test(token);
  return bits >= 3.3 && classes(token) >= 2;
}

/** Stricter: random-looking without any context (used for long tokens in a credential position). */
export function looksLikeKey(token: string): boolean {
  return looksRandom(token, 20) && !/^[0-9a-f]+$/i.test(token) && classes(token) >= 3;
}
