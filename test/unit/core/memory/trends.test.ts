import { describe, expect, it } from 'vitest';
import { emptyServerState } from '../../../../src/core/memory/memory.js';
import {
  didReboot,
  estimateGrowth,
  formatEta,
  growthFindings,
  missedRunsFinding,
  restartFindings,
} from '../../../../src/core/memory/trends.js';
import { maxCronInterval, parseCron } from '../../../../src/core/util/cron.js';

const H = 3_600_000;
const now = new Date('2026-03-01T12:00:00Z');
const at = (hoursAgo: number) => new Date(now.getTime() - hoursAgo * H).toISOString();

describe('cron interval estimator', () => {
  it.each([
    ['*/5 * * * *', 5 * 60_000],
    ['0 */2 * * *', 2 * H],
    ['15 3 * * *', 24 * H],
    ['0 9 * * 1-5', 72 * H],
    ['0 0 * * sun', 7 * 24 * H],
    ['30 6,18 * * *', 12 * H],
    ['0 0 1 * *', 31 * 24 * H],
    ['0 12 1 jan *', 366 * 24 * H],
  ])('%s → longest gap %d ms', (expr, expected) => {
    expect(maxCronInterval(expr)).toBe(expected);
  });

  it('refuses malformed expressions', () => {
    for (const bad of ['', '* * * *', '61 * * * *', '*/0 * * * *', '5-1 * * * *', 'a b c d e']) {
      expect(parseCron(bad), bad).toBeUndefined();
      expect(maxCronInterval(bad), bad).toBeUndefined();
    }
  });

  it('ORs day-of-month and day-of-week when both are restricted, as cron does', () => {
    const s = parseCron('0 0 1 * 1');
    expect(s?.domRestricted && s.dowRestricted).toBe(true);
    expect(maxCronInterval('0 0 1 * 1')).toBeLessThanOrEqual(7 * 24 * H);
  });
});

describe('growth', () => {
  it('fits a steady rise and predicts time to full', () => {
    const g = estimateGrowth(
      [
        [at(4), 60],
        [at(3), 62],
        [at(2), 64],
        [at(1), 66],
        [at(0), 68],
      ],
      now,
    );
    expect(g?.ratePerHour).toBeCloseTo(2, 5);
    expect(g?.hoursToFull).toBeCloseTo(16, 5);
  });

  it('sees no trend in noise, a fall, too few or too close samples, or samples older than a day', () => {
    const noisy: [string, number][] = [
      [at(4), 60],
      [at(3), 70],
      [at(2), 58],
      [at(1), 71],
      [at(0), 59],
    ];
    expect(estimateGrowth(noisy, now)).toBeUndefined();
    expect(
      estimateGrowth(
        [
          [at(3), 70],
          [at(2), 60],
          [at(1), 50],
        ],
        now,
      ),
    ).toBeUndefined();
    expect(
      estimateGrowth(
        [
          [at(1), 60],
          [at(0), 70],
        ],
        now,
      ),
    ).toBeUndefined();
    expect(
      estimateGrowth(
        [
          [at(0.2), 60],
          [at(0.1), 65],
          [at(0), 70],
        ],
        now,
      ),
    ).toBeUndefined();
    expect(
      estimateGrowth(
        [
          [at(30), 60],
          [at(28), 65],
          [at(26), 70],
        ],
        now,
      ),
    ).toBeUndefined();
  });

  it('warns for disk, inodes and memory heading for full within a day, ok otherwise', () => {
    const rising = (from: number, step: number): [string, number][] =>
      [4, 3, 2, 1, 0].map((h, i) => [at(h), from + i * step]);
    const { findings, notes } = growthFindings(
      'web1',
      { 'disk:/var': rising(70, 4), 'inodes:/': rising(40, 1), 'memory:-': rising(60, 5) },
      { 'disk:/var': 86, 'inodes:/': 44, 'memory:-': 80 },
      now,
    );
    expect(findings.map((f) => [f.fingerprint, f.severity, f.summary])).toEqual([
      ['web1/disk-growth//var', 'warning', '/var is 86% used and growing 4.0%/h: full in ~4 h'],
      ['web1/inode-growth//', 'ok', '/ inodes is not heading for out of inodes within 24 h'],
      ['web1/memory-growth/-', 'warning', 'memory is 80% used and growing 5.0%/h: exhausted in ~4 h'],
    ]);
    expect(notes['inodes:/']).toBe('out of inodes in ~2 d (+1.0%/h)');
  });

  it('formats ETAs for humans', () => {
    expect(formatEta(0.25)).toBe('~15 min');
    expect(formatEta(9.4)).toBe('~9 h');
    expect(formatEta(80)).toBe('~3 d');
  });
});

describe('restarts, reboots, missed runs', () => {
  it('flags restart counters that rose, not ones that reset or first appear', () => {
    const out = restartFindings(
      'web1',
      { 'restarts:api': 3, 'restarts:worker': 9 },
      { 'restarts:api': 5, 'restarts:worker': 0, 'restarts:new': 4 },
    );
    expect(out.map((f) => [f.target, f.severity])).toEqual([
      ['api', 'warning'],
      ['worker', 'ok'],
      ['new', 'ok'],
    ]);
    expect(out[0]?.summary).toBe('api restarted 2 times since the last run (restart counter 5)');
  });

  it('detects a reboot by boot id, else by an uptime shorter than the time since the last check', () => {
    const prev = { ...emptyServerState('web1'), bootId: 'a', lastChecked: at(2) };
    expect(didReboot(prev, { bootId: 'b' }, now)).toBe(true);
    expect(didReboot(prev, { bootId: 'a', uptimeSeconds: 5 }, now)).toBe(false);
    const noIds = { ...emptyServerState('web1'), lastChecked: at(2) };
    expect(didReboot(noIds, { uptimeSeconds: 600 }, now)).toBe(true);
    expect(didReboot(noIds, { uptimeSeconds: 86_400 }, now)).toBe(false);
    expect(didReboot(emptyServerState('web1'), { bootId: 'x' }, now)).toBe(false);
  });

  it('reports missed runs only past twice the schedule and at least 30 min late', () => {
    expect(missedRunsFinding(at(3), '0 * * * *', now)?.severity).toBe('warning');
    expect(missedRunsFinding(at(1.9), '0 * * * *', now)?.severity).toBe('ok');
    // */5: twice is 10 min, but GitHub delays scheduled runs: 35 min is the floor
    expect(missedRunsFinding(at(0.5), '*/5 * * * *', now)?.severity).toBe('ok');
    expect(missedRunsFinding(at(1), '*/5 * * * *', now)?.severity).toBe('warning');
    expect(missedRunsFinding(undefined, '0 * * * *', now)).toBeUndefined();
    expect(missedRunsFinding(at(9), undefined, now)).toBeUndefined();
    expect(missedRunsFinding(at(9), 'not cron', now)).toBeUndefined();
  });
});
