import { describe, expect, it } from 'vitest';
import { maintenanceWindows } from '../../../../src/core/issues/maintenance-issues.js';
import type { IssueSnapshot } from '../../../../src/core/ports/index.js';

const at = (hours: number) => new Date(Date.parse('2026-11-21T08:00:00Z') + hours * 3_600_000);

/** The servers under maintenance now, by the windows open issues declare. */
function maintenanceServers(issues: IssueSnapshot[], now: Date): string[] {
  return [...new Set(maintenanceWindows(issues, now).flatMap((w) => w.servers))].sort();
}

describe('maintenance issues', () => {
  const issue = (body: string, labels: string[], state: 'open' | 'closed' = 'open'): IssueSnapshot => ({
    number: 1,
    state,
    title: 'm',
    body,
    labels,
  });
  it('names servers by label and by Upptime-style body lines, within the window', () => {
    const now = at(0);
    expect(
      maintenanceServers(
        [
          issue('planned work', ['maintenance', 'server:db1']),
          issue('expectedDown: web1, web2\nstart: 2026-11-21T07:00:00Z\nend: 2026-11-21T09:00:00Z', [
            'maintenance',
          ]),
          issue('servers: old\nend: 2026-11-20T00:00:00Z', ['maintenance']),
          issue('servers: closed', ['maintenance'], 'closed'),
          issue('servers: unlabelled', ['claudeops']),
          issue('servers: later\nstart: 2026-11-22T00:00:00Z', ['maintenance']),
        ],
        now,
      ),
    ).toEqual(['db1', 'web1', 'web2']);
  });
});

describe('maintenanceWindows', () => {
  it('gives the gate config-shaped windows: open-ended sides bounded, the issue named as reason', () => {
    const now = new Date('2026-11-21T08:00:00Z');
    const issues: IssueSnapshot[] = [
      {
        number: 9,
        state: 'open',
        title: 'm',
        body: 'servers: db1\nend: 2026-11-21T10:00:00Z',
        labels: ['maintenance'],
      },
      { number: 10, state: 'open', title: 'm', body: 'no servers named', labels: ['maintenance'] },
    ];
    expect(maintenanceWindows(issues, now)).toEqual([
      {
        servers: ['db1'],
        from: '2026-11-21T07:59:59.000Z',
        to: '2026-11-21T10:00:00.000Z',
        reason: 'maintenance issue #9',
      },
    ]);
  });
});
