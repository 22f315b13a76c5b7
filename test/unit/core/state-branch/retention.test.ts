import { describe, expect, it } from 'vitest';
import { dailyHistoryPath } from '../../../../src/core/state-branch/paths.js';
import {
  expiredDayDirs,
  expiredHistoryFiles,
  rollUpDayChanges,
  rollUpHistoryChanges,
} from '../../../../src/core/state-branch/retention.js';

const NOW = new Date('2026-05-10T00:00:00Z');

describe('retention (pure)', () => {
  it('names the expired day directories of reports and actions, nothing else', () => {
    const top = [
      'health/2026-01-31',
      'health/2026-05-01',
      'health/2026-01',
      'actions/2026-02-01',
      'issues',
    ].map((path) => ({ type: 'tree' as const, oid: path, path }));
    expect(expiredDayDirs(top, NOW, 90)).toEqual([
      { kind: 'health', days: ['2026-01-31'] },
      { kind: 'actions', days: ['2026-02-01'] },
    ]);
  });

  it('rolls a month of reports into its summary and deletes them', () => {
    const files = ['health/2026-01-30/100000-r1.md', 'health/2026-01-31/100000-r2.md'];
    const contents = new Map(files.map((f) => [f, '---\nstatus: ok\n---\n# Health\n']));
    const changes = rollUpDayChanges('health', ['2026-01-30', '2026-01-31'], files, contents);
    expect(changes.map((c) => [c.path, c.content === undefined])).toEqual([
      ['health/2026-01/summary.md', false],
      ['health/2026-01-30/100000-r1.md', true],
      ['health/2026-01-31/100000-r2.md', true],
    ]);
    expect(changes[0]?.content).toContain('`health/2026-01-31/100000-r2.md`');
  });

  it('rolls whole expired history months into the year’s daily file', () => {
    const paths = [
      'history/web1/2026-01.tsv',
      'history/web1/2026-02.tsv',
      'history/web1/2026-03.tsv',
      'history/web1/endpoints.tsv',
    ];
    const expired = expiredHistoryFiles(paths, NOW, 90);
    expect(expired).toEqual(['history/web1/2026-01.tsv']);
    expect(dailyHistoryPath('history/web1/2026-01.tsv')).toBe('history/web1/2026-daily.tsv');
    const changes = rollUpHistoryChanges(expired, new Map([['history/web1/2026-01.tsv', '']]));
    expect(changes.map((c) => c.path)).toEqual(['history/web1/2026-daily.tsv', 'history/web1/2026-01.tsv']);
    expect(changes[1]?.content).toBeUndefined();
  });
});
