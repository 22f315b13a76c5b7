/**
 * The one bounded body reader of the runner's HTTP checks (`from: runner` fetch, and the GETs made
 * over an SSH channel): a health page fits, a huge or endless body stops at the cap.
 */

/** Reads at most this much of a body: enough for a health page, bounded for a huge one. */
export const BODY_LIMIT = 1 << 20;

/**
 * Collects `body` into `chunks` (the caller's, so what arrived before an error is still there) up
 * to BODY_LIMIT bytes, then stops reading (leaving the loop cancels a web stream or destroys a
 * node one). Returns the bytes read, decoded as UTF-8.
 */
export async function readCapped(
  body: AsyncIterable<Uint8Array>,
  chunks: Uint8Array[] = [],
): Promise<string> {
  let size = 0;
  for await (const chunk of body) {
    chunks.push(chunk);
    size += chunk.byteLength;
    if (size >= BODY_LIMIT) break;
  }
  return decoded(chunks);
}

export const decoded = (chunks: readonly Uint8Array[]): string =>
  Buffer.concat(chunks).subarray(0, BODY_LIMIT).toString('utf8');
