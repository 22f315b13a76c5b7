import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { redact } from '../../../../src/core/util/redact.js';

interface LongLines {
  bytes: number;
  lines: { piece: string; after: string; why: string }[];
}

const corpus = JSON.parse(
  readFileSync(new URL('../../../fixtures/redaction-long-lines/lines.json', import.meta.url), 'utf8'),
) as LongLines;

// Linear work on these lines takes well under a second even on a loaded machine; a pattern that
// backtracks from every start takes minutes at this size, so the margin tells them apart.
const LIMIT_MS = 15_000;

describe('redaction of one very long line a server printed', () => {
  it.each(corpus.lines)('$why ($piece)', ({ piece, after }) => {
    const line = `key material ${piece.repeat(Math.ceil(corpus.bytes / piece.length))}${after}`;
    const started = performance.now();
    const out = redact(line);
    const took = performance.now() - started;
    expect(took, `redact() of ${line.length} characters took ${Math.round(took)} ms`).toBeLessThan(LIMIT_MS);
    expect(out.startsWith('key material')).toBe(true);
  });
});
