/**
 * The streamed read of a state-branch file from its tail (`scan(paths, visit, { tailBytes })`), on
 * a real repository through git's own `cat-file --batch`: of a file larger than the tail, exactly
 * the lines that lie whole inside its last `tailBytes` come out — a line cut by the start of the
 * tail is dropped, a line starting right at it is kept — wherever git's pipe happens to split the
 * stream into chunks, and multi-byte characters decode intact. The oracle is computed from the
 * file's bytes here, for tails around the 64 KB pipe chunks and at every kind of cut.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStateReader } from '../../src/adapters/state-reader.js';
import { git } from '../support/runner.js';

const PATH = 'history/web1/2026-12.tsv';

/** Lines of varying length, some with 2- and 3-byte characters, so cuts land everywhere. */
function content(): Buffer {
  const lines: string[] = [];
  for (let i = 0; i < 6_000; i++) {
    const note = i % 7 === 0 ? 'é漢'.repeat(i % 5) : 'x'.repeat(i % 23);
    lines.push(`2026-12-01T00:${String(i).padStart(6, '0')}\tr${i}\tok\t${note}`);
  }
  return Buffer.from(`${lines.join('\n')}\n`, 'utf8');
}

/** What a tail read must give: the lines lying whole in the last `tail` bytes. */
function expected(bytes: Buffer, tail: number): string[] {
  const start = Math.max(0, bytes.length - tail);
  const from = start === 0 || bytes[start - 1] === 10 ? start : bytes.indexOf(10, start) + 1;
  const text = bytes.subarray(from).toString('utf8');
  return text === '' ? [] : text.replace(/\n$/, '').split('\n');
}

describe('reading a state-branch file from its tail', () => {
  const dir = mkdtempSync(join(tmpdir(), 'claudeops-tail-'));
  const bytes = content();
  // line starts (a tail beginning exactly there keeps that line) and points inside lines
  const starts = [...bytes.entries()].filter(([, b]) => b === 10).map(([i]) => i + 1);
  const lineStart = starts[Math.floor(starts.length / 2)] ?? 0;
  const wide = bytes.indexOf(Buffer.from('漢', 'utf8'), 200_000);
  const tails = [
    ...[1, 2, 3].map((k) => bytes.length - k * 65_536),
    ...[-1, 0, 1].map((d) => bytes.length - 65_536 + d),
    bytes.length - lineStart,
    bytes.length - lineStart + 1,
    bytes.length - lineStart - 1,
    bytes.length - wide - 1, // the tail starts inside a 3-byte character
    1,
    40,
    bytes.length - 1,
    bytes.length,
    bytes.length + 10,
  ];

  beforeAll(async () => {
    await git(dir, 'init', '-q', '-b', 'claudeops-state');
    await git(dir, 'config', 'user.name', 'test');
    await git(dir, 'config', 'user.email', 'test@example.test');
    mkdirSync(join(dir, 'history', 'web1'), { recursive: true });
    writeFileSync(join(dir, PATH), bytes);
    writeFileSync(join(dir, 'history', 'web1', 'small.tsv'), 'a\tb\nc\td\n');
    await git(dir, 'add', '-A');
    await git(dir, 'commit', '-q', '-m', 'series');
  }, 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(tails.map((tail) => ({ tail })))(
    'tailBytes $tail: exactly the whole lines of the tail, a warning when cut',
    async ({ tail }) => {
      const warnings: string[] = [];
      const reader = await openStateReader(dir, 'claudeops-state', { warn: (m) => warnings.push(m) });
      const seen: string[] = [];
      const numbers: number[] = [];
      await reader.scan(
        [PATH],
        (_path, line, n) => {
          seen.push(line);
          numbers.push(n);
        },
        { tailBytes: tail },
      );
      expect(seen).toEqual(expected(bytes, tail));
      expect(numbers).toEqual(seen.map((_, i) => i + 1));
      // only the tail reaches this process (and the one byte before it that says where a line starts)
      expect(reader.bytesRead).toBe(Math.min(tail, bytes.length));
      if (tail < bytes.length)
        expect(warnings).toEqual([
          `state branch: ${PATH} is ${bytes.length} bytes, over the ${tail} a read takes: only its last ${tail} bytes read`,
        ]);
      else expect(warnings).toEqual([]);
    },
    60_000,
  );

  it('a file within the tail, and a read without one, give every line', async () => {
    const reader = await openStateReader(dir);
    const lines: string[] = [];
    await reader.scan(
      ['history/web1/small.tsv', PATH],
      (p, line) => {
        if (p.endsWith('small.tsv')) lines.push(line);
      },
      { tailBytes: 1_000 },
    );
    expect(lines).toEqual(['a\tb', 'c\td']);
    let count = 0;
    await reader.scan([PATH], () => {
      count += 1;
    });
    expect(count).toBe(6_000);
  }, 60_000);
});
