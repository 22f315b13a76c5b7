import { describe, expect, it } from 'vitest';
import { availabilityOf, dailyBars } from '../../../../src/core/memory/availability.js';
import {
  type HistoryPoint,
  type PointStatus,
  parseDays,
  parseHistory,
  pointLine,
  rollUpDays,
} from '../../../../src/core/memory/history-series.js';

const NOW = new Date('2026-11-26T12:00:00Z');
const EP = '0a1b2c3d';

/** Points as the monthly file holds them (written and read back through the real line format). */
function series(
  rows: [string, PointStatus, { up: boolean; code: number; latencyMs?: number }?][],
): HistoryPoint[] {
  const lines = rows.map(([at, status, e], i) =>
    pointLine({ at, run: String(i), status, endpoints: e ? { [EP]: e } : {} }),
  );
  return parseHistory(lines.join('\n'));
}

describe('availability: reachable and no critical finding', () => {
  const day = series([
    ['2026-11-26T00:00:00Z', 'ok', { up: true, code: 200, latencyMs: 80 }],
    ['2026-11-26T02:00:00Z', 'warning', { up: true, code: 200, latencyMs: 90 }],
    ['2026-11-26T04:00:00Z', 'critical', { up: false, code: 503, latencyMs: 40 }],
    ['2026-11-26T06:00:00Z', 'critical', { up: true, code: 200, latencyMs: 70 }],
    ['2026-11-26T08:00:00Z', 'down'],
  ]);

  it('counts a critical run as unavailable, a warning as available', () => {
    // 5 checks: ok, warning available; two critical and one unreachable not: 2 / 5
    expect(availabilityOf(day, new Date('2026-11-25T12:00:00Z'), NOW)).toEqual({ percent: 40, samples: 5 });
  });

  it('an endpoint counts the checks it was checked in: answered as expected or not', () => {
    // checked 4 times (not while the server was unreachable), failed once
    expect(availabilityOf(day, new Date('2026-11-25T12:00:00Z'), NOW, EP)).toEqual({
      percent: 75,
      samples: 4,
    });
  });

  it('never rounds up to 100 %', () => {
    const many = series(
      Array.from({ length: 10_000 }, (_, i): [string, PointStatus] => [
        new Date(Date.parse('2026-11-20T00:00:00Z') + i * 30_000).toISOString(),
        i === 0 ? 'critical' : 'ok',
      ]),
    );
    expect(availabilityOf(many, new Date('2026-11-19T00:00:00Z'), NOW).percent).toBe(99.99);
  });

  it('reads days rolled up past retention, with and without the count of available runs', () => {
    const raw = series([
      ['2026-08-01T00:00:00Z', 'ok'],
      ['2026-08-01T06:00:00Z', 'critical'],
      ['2026-08-01T12:00:00Z', 'down'],
      ['2026-08-01T18:00:00Z', 'warning'],
    ]);
    const rolled = parseDays(rollUpDays(raw));
    expect(rolled[0]).toMatchObject({ day: '2026-08-01', runs: 4, up: 3, available: 2, worst: 'down' });
    const since = new Date('2026-07-30T00:00:00Z');
    expect(availabilityOf([], since, NOW, undefined, rolled).percent).toBe(50);
    // a line rolled up before `ok=` was written: the runs that reached the server are all there is
    const old = parseDays('2026-08-01\t4\t3\tdown\t-');
    expect(old[0]?.available).toBeUndefined();
    expect(availabilityOf([], since, NOW, undefined, old).percent).toBe(75);
    // a day without a critical run was wholly available
    expect(availabilityOf([], since, NOW, undefined, parseDays('2026-08-01\t4\t4\twarning\t-')).percent).toBe(
      100,
    );
  });
});

describe('daily bars', () => {
  it('90 UTC days ending today, each coloured by its worst state, empty days marked none', () => {
    const points = series([
      ['2026-11-24T10:00:00Z', 'ok', { up: true, code: 200 }],
      ['2026-11-24T12:00:00Z', 'warning', { up: true, code: 200 }],
      ['2026-11-25T10:00:00Z', 'ok', { up: false, code: 0 }],
      ['2026-11-25T12:00:00Z', 'down'],
      ['2026-11-25T14:00:00Z', 'critical', { up: false, code: 500 }],
      ['2026-11-26T10:00:00Z', 'ok', { up: true, code: 200 }],
    ]);
    const bars = dailyBars(points, [], NOW);
    expect(bars).toHaveLength(90);
    expect(bars[0]?.day).toBe('2026-08-29');
    expect(bars.at(-1)?.day).toBe('2026-11-26');
    expect(bars.slice(-3)).toEqual([
      { day: '2026-11-24', checks: 2, available: 2, worst: 'warning' },
      { day: '2026-11-25', checks: 3, available: 1, worst: 'down' },
      { day: '2026-11-26', checks: 1, available: 1, worst: 'ok' },
    ]);
    expect(bars.slice(0, 87).every((b) => b.worst === 'none' && b.checks === 0)).toBe(true);
    // the endpoint: no answer is down, a wrong status critical; not checked while the server was down
    expect(dailyBars(points, [], NOW, 90, EP).slice(-2)).toEqual([
      { day: '2026-11-25', checks: 2, available: 0, worst: 'down' },
      { day: '2026-11-26', checks: 1, available: 1, worst: 'ok' },
    ]);
  });

  it('takes a rolled-up day when its raw points are gone', () => {
    const rolled = parseDays(rollUpDays(series([['2026-09-01T00:00:00Z', 'critical']])));
    const bars = dailyBars([], rolled, NOW);
    expect(bars.find((b) => b.day === '2026-09-01')).toEqual({
      day: '2026-09-01',
      checks: 1,
      available: 0,
      worst: 'critical',
    });
  });
});
