import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parsePointLine, type Rejected } from '../../../../src/core/memory/history-series.js';
import { PointRing } from '../../../../src/core/state-branch/point-ring.js';

const corpus = JSON.parse(
  readFileSync(new URL('../../../fixtures/adversarial/history-lines.json', import.meta.url), 'utf8'),
) as { points: { name: string; line: string }[] };

const ep = (id: string, rest = 'u200:80') => `${id}=${rest}`;
/** Lines the compact form must give back exactly: odd times, long or non-ASCII runs, endpoint orders. */
const crafted = [
  '2026-11-01T00:00:00Z\tr1\tok\t1\t2\t3',
  '2026-11-01T00:00:00.5Z\tr2\twarning\t-\t-\t-',
  '2026-11-01T00:00:00.123456Z\tr3\tdown\t-0\t0\t0',
  `2026-11-01T00:00:01.000Z\t${'x'.repeat(24)}\tok\t-\t-\t-`,
  `2026-11-01T00:00:02.000Z\t${'y'.repeat(25)}\tcritical\t-\t-\t-`,
  '2026-11-01T00:00:03.000Z\trün-é\tok\t-\t-\t-',
  `2026-11-01T00:00:04.000Z\tr\tok\t1\t2\t3\t${ep('aaaaaaaa')}\t${ep('bbbbbbbb', 'd0:-')}`,
  `2026-11-01T00:00:05.000Z\tr\tok\t1\t2\t3\t${ep('bbbbbbbb')}\t${ep('aaaaaaaa')}`,
  `2026-11-01T00:00:06.000Z\tr\tok\t1\t2\t3\t${ep('12345678')}\t${ep('aaaaaaaa')}\t${ep('00000001')}`,
  `2026-11-01T00:00:07.000Z\tr\tok\t1\t2\t3\t${ep('aaaaaaaa')}\t${ep('aaaaaaaa', 'd503:12.5')}`,
  `2026-11-01T00:00:08.000Z\tr\tok\t1\t2\t3\t${Array.from({ length: 12 }, (_, i) => ep(`c${String(i).padStart(7, '0')}`)).join('\t')}`,
  '2026-11-01T00:00:09.000Z\tr\tok\t1\t2\t3',
];

/** What the ring gives back, as text: key order counts (the page lists endpoints in that order). */
const asText = (v: unknown) => JSON.stringify(v);

describe('PointRing: the compact window of one history file', () => {
  it('gives back every parsed line exactly as parsePointLine made it (corpus and crafted lines)', () => {
    const lines = [...corpus.points.map((c) => c.line), ...crafted];
    const ring = new PointRing(lines.length);
    const expected: unknown[] = [];
    const rejectedAll: Rejected[] = [];
    for (const line of lines) {
      const rejected: Rejected[] = [];
      const point = parsePointLine(line, rejected);
      ring.push(point, rejected);
      if (point) expected.push(point);
      rejectedAll.push(...rejected);
    }
    const taken = ring.take();
    expect(taken.points.length).toBe(expected.length);
    taken.points.forEach((p, i) => {
      expect(asText(p)).toBe(asText(expected[i]));
    });
    expect(taken.rejected).toEqual(rejectedAll);
  });

  it('keeps only the newest lines once full, with only their ignored values, growing as lines come', () => {
    const ring = new PointRing(100);
    const line = (i: number, disk: string) =>
      `2026-11-01T00:${String(Math.floor(i / 60)).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}.000Z\tr${i}\tok\t${disk}\t-\t-\t${ep('aaaaaaaa')}`;
    for (let i = 0; i < 250; i++) {
      const rejected: Rejected[] = [];
      // a bad figure on an early line (overwritten) and on a kept one
      ring.push(parsePointLine(line(i, i === 3 || i === 200 ? '-5' : '40'), rejected), rejected);
    }
    expect(ring.seen).toBe(250);
    const { points, rejected } = ring.take();
    expect(points.map((p) => p.run)).toEqual(Array.from({ length: 100 }, (_, i) => `r${i + 150}`));
    expect(points[0]?.endpoints).toEqual({ aaaaaaaa: { up: true, code: 200, latencyMs: 80 } });
    expect(rejected).toEqual([{ field: 'disk', value: '-5 %' }]);
  });

  it('a line that was no point takes its place among the newest but gives no point', () => {
    const ring = new PointRing(2);
    const rejected: Rejected[] = [];
    ring.push(parsePointLine('2026-11-01T00:00:00.000Z\ta\tok\t-\t-\t-'), []);
    ring.push(parsePointLine('2026-11-01T00:00:01.000Z\tb\tbogus', rejected), rejected);
    ring.push(parsePointLine('2026-11-01T00:00:02.000Z\tc\tok\t-\t-\t-'), []);
    const taken = ring.take();
    expect(taken.points.map((p) => p.run)).toEqual(['c']);
    expect(taken.rejected).toEqual([{ field: 'status', value: 'bogus' }]);
  });
});
