import { describe, expect, it } from 'vitest';
import { svgChart } from '../../../../src/core/render/svg-chart.js';
import { timeBuckets, timeTicks } from '../../../../src/core/render/time-axis.js';

const H = 3_600_000;
const T0 = Date.parse('2026-11-01T00:00:00Z');

describe('time axes', () => {
  it.each([
    ['30 minutes', 30 * 60_000],
    ['a day', 24 * H],
    ['three days', 72 * H],
    ['90 days', 90 * 24 * H],
  ])('over %s: at most 12 ticks, round instants, unique labels', (_name, span) => {
    const ticks = timeTicks(T0 + 7 * 60_000, T0 + 7 * 60_000 + span);
    expect(ticks.length).toBeGreaterThanOrEqual(2);
    expect(ticks.length).toBeLessThanOrEqual(12);
    expect(new Set(ticks.map((t) => t.label)).size).toBe(ticks.length);
  });

  it('labels by time of day within a day, by date beyond three days', () => {
    expect(timeTicks(T0, T0 + 12 * H)[1]?.label).toMatch(/^\d\d:\d\d$/);
    expect(timeTicks(T0, T0 + 30 * 24 * H)[1]?.label).toMatch(/^\d\d-\d\d$/);
  });

  it('buckets a series into at most 12 uniquely labelled points, keeping each interval’s highest', () => {
    const points = Array.from({ length: 40 }, (_, i): [number, number] => [T0 + i * H, i === 7 ? 99 : 10]);
    const buckets = timeBuckets(points);
    expect(buckets.length).toBeLessThanOrEqual(12);
    expect(new Set(buckets.map((b) => b.label)).size).toBe(buckets.length);
    expect(Math.max(...buckets.map((b) => b.value))).toBe(99);
    // two runs in the same minute: seconds tell them apart
    const close = timeBuckets([
      [T0, 1],
      [T0 + 20_000, 2],
      [T0 + 40_000, 3],
    ]);
    expect(close.map((b) => b.label)).toEqual(['00:00:00', '00:00:20', '00:00:40']);
  });

  it('draws no SVG chart under three points', () => {
    const series = {
      title: 't',
      unit: '%',
      points: [
        [T0, 1],
        [T0 + H, 2],
      ] as [number, number][],
    };
    expect(svgChart(series)).toBeUndefined();
    expect(svgChart({ ...series, points: [...series.points, [T0 + 2 * H, 3]] })).toMatch(/^<svg /);
  });
});
