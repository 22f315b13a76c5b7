import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  type HistoryPoint,
  parseDayLine,
  parsePointLine,
  type Rejected,
} from '../../../../src/core/memory/history-series.js';
import type { StateReader } from '../../../../src/core/ports/index.js';
import { readHistoryWindow } from '../../../../src/core/state-branch/history-window.js';

interface PointCase {
  name: string;
  line: string;
  point: null | {
    disk?: number;
    memory?: number;
    load?: number;
    latencyMs?: number;
    endpointUp?: boolean;
    endpoints?: number;
  };
  rejected: string[];
}
interface DayCase {
  name: string;
  line: string;
  day: null | { runs?: number; up?: number; maxDisk?: number; endpoints?: number };
  rejected: string[];
}
const corpus = JSON.parse(
  readFileSync(new URL('../../../fixtures/adversarial/history-lines.json', import.meta.url), 'utf8'),
) as { points: PointCase[]; days: DayCase[] };

/** Files held in memory, streamed line by line as the git reader does; warnings collected. */
function memoryReader(
  files: Record<string, string>,
): StateReader & { warnings: string[]; scanned: string[] } {
  const warnings: string[] = [];
  const scanned: string[] = [];
  return {
    warnings,
    scanned,
    bytesRead: 0,
    warn: (m) => void warnings.push(m),
    list: async (prefix) => Object.keys(files).filter((p) => p.startsWith(prefix)),
    read: async (paths) =>
      new Map(paths.flatMap((p) => (files[p] === undefined ? [] : [[p, files[p]] as const]))),
    heads: async () => {},
    scan: async (paths, visit) => {
      for (const p of paths) {
        if (files[p] === undefined) continue;
        scanned.push(p);
        files[p].split('\n').forEach((line, i) => {
          visit(p, line, i + 1);
        });
      }
    },
  };
}

describe('history lines from outside: the hostile corpus', () => {
  it.each(corpus.points)('point: $name', ({ line, point, rejected }) => {
    const why: Rejected[] = [];
    const p = parsePointLine(line, why);
    expect(why.map((r) => r.field)).toEqual(rejected);
    if (point === null) {
      expect(p).toBeUndefined();
      return;
    }
    expect(p).toBeDefined();
    expect(p?.disk).toBe(point.disk);
    expect(p?.memory).toBe(point.memory);
    expect(p?.load).toBe(point.load);
    const endpoints = Object.values(p?.endpoints ?? {});
    if (point.endpoints !== undefined) expect(endpoints).toHaveLength(point.endpoints);
    if (point.endpointUp !== undefined) expect(endpoints[0]?.up).toBe(point.endpointUp);
    expect(endpoints[0]?.latencyMs).toBe(point.latencyMs);
    // nothing that reaches a renderer is outside its range
    for (const v of [p?.disk, p?.memory]) if (v !== undefined) expect(v).toBeGreaterThanOrEqual(0);
  });

  it.each(corpus.days)('day: $name', ({ line, day, rejected }) => {
    const why: Rejected[] = [];
    const d = parseDayLine(line, why);
    expect(why.map((r) => r.field)).toEqual(rejected);
    if (day === null) {
      expect(d).toBeUndefined();
      return;
    }
    expect(d?.runs).toBe(day.runs);
    if (day.up !== undefined) expect(d?.up).toBe(day.up);
    expect(d?.maxDisk).toBe(day.maxDisk);
    if (day.endpoints !== undefined) expect(Object.keys(d?.endpoints ?? {})).toHaveLength(day.endpoints);
  });
});

describe('readHistoryWindow (pure, through the StateReader port)', () => {
  const line = (at: string, run: string, disk = '50') => `${at}\t${run}\tok\t${disk}\t40\t0.1`;

  it('streams only the months the window touches and keeps only lines inside it, in time order', async () => {
    const reader = memoryReader({
      'history/web1/2026-09.tsv': line('2026-09-30T23:00:00.000Z', 'old'),
      'history/web1/2026-10.tsv': [
        line('2026-10-20T00:00:00.000Z', 'before'),
        line('2026-10-31T12:00:00.000Z', 'a'),
      ].join('\n'),
      // out of order, as a hand edit may leave it
      'history/web1/2026-11.tsv': [
        line('2026-11-02T00:00:00.000Z', 'c'),
        line('2026-11-01T00:00:00.000Z', 'b'),
        line('2026-11-30T00:00:00.000Z', 'future'),
      ].join('\n'),
    });
    const w = await readHistoryWindow(
      reader,
      ['web1'],
      new Date('2026-10-31T00:00:00Z'),
      new Date('2026-11-26T00:00:00Z'),
    );
    expect(reader.scanned).toEqual(['history/web1/2026-10.tsv', 'history/web1/2026-11.tsv']);
    expect(w.points.get('web1')?.map((p: HistoryPoint) => p.run)).toEqual(['a', 'b', 'c']);
    expect(reader.warnings).toEqual([]);
  });

  it('keeps the newest lines of a file over the cap, and says how many fell in the window', async () => {
    const lines = Array.from({ length: 25 }, (_, i) =>
      line(`2026-11-01T00:${String(i).padStart(2, '0')}:00.000Z`, `r${i}`),
    );
    const reader = memoryReader({ 'history/web1/2026-11.tsv': lines.join('\n') });
    const w = await readHistoryWindow(
      reader,
      ['web1'],
      new Date('2026-11-01T00:00:00Z'),
      new Date('2026-11-02T00:00:00Z'),
      {
        maxLines: 10,
      },
    );
    expect(w.points.get('web1')?.map((p) => p.run)).toEqual(
      Array.from({ length: 10 }, (_, i) => `r${i + 15}`),
    );
    expect(reader.warnings).toEqual([
      'history/web1/2026-11.tsv: 25 lines fall in the window, over the 10 a read keeps: only the newest 10 used',
    ]);
  });

  it('a file over the cap is read once, keeping its newest lines and only their ignored values', async () => {
    const lines = Array.from({ length: 8 }, (_, i) =>
      line(`2026-11-01T00:0${i}:00.000Z`, `r${i}`, i === 0 ? '-5' : '40'),
    );
    const files = { 'history/web1/2026-11.tsv': lines.join('\n') };
    const window = (maxLines: number, reader = memoryReader(files)) =>
      readHistoryWindow(
        reader,
        ['web1'],
        new Date('2026-11-01T00:00:00Z'),
        new Date('2026-11-02T00:00:00Z'),
        {
          maxLines,
        },
      ).then((w) => ({ runs: w.points.get('web1')?.map((p) => p.run), reader }));
    const two = await window(2);
    expect(two.runs).toEqual(['r6', 'r7']);
    // one pass: the ring keeps the newest as they stream by
    expect(two.reader.scanned).toEqual(['history/web1/2026-11.tsv']);
    // the bad figure is on a line not kept: no warning about it
    expect(two.reader.warnings).toEqual([
      'history/web1/2026-11.tsv: 8 lines fall in the window, over the 2 a read keeps: only the newest 2 used',
    ]);
    // exactly at the cap: every line
    const eight = await window(8);
    expect(eight.runs).toEqual(lines.map((_, i) => `r${i}`));
    expect(eight.reader.warnings).toEqual([
      'history/web1/2026-11.tsv: ignored disk -5 %: out of range or malformed',
    ]);
    const one = await window(50_000);
    expect(one.runs).toEqual(eight.runs);
    expect(one.reader.scanned).toEqual(['history/web1/2026-11.tsv']);
  });

  it('warns once per file about ignored values, naming the first and the count', async () => {
    const reader = memoryReader({
      'history/db1/2026-11.tsv': [
        line('2026-11-01T00:00:00.000Z', 'a', '-50'),
        line('2026-11-01T01:00:00.000Z', 'b', '200'),
      ].join('\n'),
    });
    const w = await readHistoryWindow(
      reader,
      ['db1'],
      new Date('2026-11-01T00:00:00Z'),
      new Date('2026-11-02T00:00:00Z'),
    );
    expect(w.points.get('db1')?.map((p) => p.disk)).toEqual([undefined, undefined]);
    expect(reader.warnings).toEqual([
      'history/db1/2026-11.tsv: ignored disk -50 %: out of range or malformed (2 values in all)',
    ]);
  });

  it('reads rolled-up days of the years the window touches only when asked', async () => {
    const files = {
      'history/web1/2026-daily.tsv': ['2026-08-01\t12\t12\tok\t50', '2026-09-01\t12\t11\twarning\t51'].join(
        '\n',
      ),
      'history/web1/2026-09.tsv': '',
    };
    const since = new Date('2026-08-15T00:00:00Z');
    const until = new Date('2026-09-10T00:00:00Z');
    expect((await readHistoryWindow(memoryReader(files), ['web1'], since, until)).days.get('web1')).toEqual(
      [],
    );
    const w = await readHistoryWindow(memoryReader(files), ['web1'], since, until, { days: true });
    expect(w.days.get('web1')?.map((d) => d.day)).toEqual(['2026-09-01']);
  });
});
