import { describe, expect, it } from 'vitest';
import { emptyServerState } from '../../../../src/core/memory/memory.js';
import { serializeServerState } from '../../../../src/core/memory/server-state.js';
import type { BranchEntry } from '../../../../src/core/state-branch/branch-entry.js';
import { renderIssueFile } from '../../../../src/core/state-branch/issue-files.js';
import {
  appendTargets,
  buildMemory,
  memoryDayDirs,
  selectMemoryFiles,
  splitBySize,
} from '../../../../src/core/state-branch/memory-selection.js';

const tree = (path: string): BranchEntry => ({ type: 'tree', oid: `t-${path}`, path });
const blob = (path: string): BranchEntry => ({ type: 'blob', oid: `b-${path}`, path });
const NOW = new Date('2026-03-10T12:00:00Z');

describe('memory selection (pure)', () => {
  const top = [
    ...['2026-03-01', '2026-03-05', '2026-03-08', '2026-03-09', '2026-03-10', '2026-02'].map((d) =>
      tree(`health/${d}`),
    ),
    ...['2026-03-08', '2026-03-09', '2026-03-10', '2026-03'].map((d) => tree(`actions/${d}`)),
    blob('issues/web1--disk.md'),
    blob('approvals/a1.md'),
    blob('state/web1.json'),
    blob('state/web1.corrupt-2026-03-01T00-00-00-000Z.json'),
    blob('README.md'),
  ];

  it('lists only the newest three report days and the action days of the last 24 h', () => {
    expect(memoryDayDirs(top, NOW)).toEqual([
      'health/2026-03-08/',
      'health/2026-03-09/',
      'health/2026-03-10/',
      'actions/2026-03-09/',
      'actions/2026-03-10/',
    ]);
  });

  it('keeps three reports, actions newer than a day, and no set-aside state file', () => {
    const days = [
      blob('health/2026-03-08/230000-r1.md'),
      blob('health/2026-03-09/100000-r2.md'),
      blob('health/2026-03-10/080000-r3.md'),
      blob('health/2026-03-10/110000-r4.md'),
      blob('actions/2026-03-09/110000-web1-restart-r0.md'),
      blob('actions/2026-03-09/130000-web1-restart-r2.md'),
    ];
    const s = selectMemoryFiles(top, days, NOW);
    expect(s.reports.map((e) => e.path)).toEqual([
      'health/2026-03-09/100000-r2.md',
      'health/2026-03-10/080000-r3.md',
      'health/2026-03-10/110000-r4.md',
    ]);
    expect(s.actions.map((e) => e.path)).toEqual(['actions/2026-03-09/130000-web1-restart-r2.md']);
    expect(s.states.map((e) => e.path)).toEqual(['state/web1.json']);
    expect(s.issues.map((e) => e.path)).toEqual(['issues/web1--disk.md']);
  });

  it('sets aside a state file over the limit under a name that says when, with a warning', () => {
    const states = [blob('state/big.json'), blob('state/small.json')];
    const sizes = new Map([
      ['b-state/big.json', 2_000_000],
      ['b-state/small.json', 10],
    ]);
    const { keep, setAside } = splitBySize(states, sizes, 1_048_576, NOW);
    expect(keep.map((e) => e.path)).toEqual(['state/small.json']);
    expect(setAside).toEqual([
      {
        from: states[0],
        path: 'state/big.corrupt-2026-03-10T12-00-00-000Z.json',
        warning: expect.stringMatching(/state\/big\.json is 2000000 bytes, over the 1048576-byte limit/),
      },
    ]);
  });

  it('sets aside issue and history files too; any other file over the limit is only left unread', () => {
    const files = [
      blob('issues/web1--disk.md'),
      blob('history/web1/2026-03.tsv'),
      blob('health/2026-03-10/110000-r4.md'),
      blob('approvals/a1.md'),
    ];
    const sizes = new Map(files.map((f) => [f.oid, 5_000_000]));
    const { keep, setAside, unread } = splitBySize(files, sizes, 1_048_576, NOW);
    expect(keep).toEqual([]);
    expect(setAside.map((a) => a.path)).toEqual([
      'issues/web1--disk.corrupt-2026-03-10T12-00-00-000Z.md',
      'history/web1/2026-03.corrupt-2026-03-10T12-00-00-000Z.tsv',
    ]);
    expect(setAside.map((a) => a.warning)).toEqual([
      expect.stringMatching(
        /issues\/web1--disk\.md is 5000000 bytes.*\(state\.max_file_size\).*continues in a fresh file/,
      ),
      expect.stringMatching(
        /history\/web1\/2026-03\.tsv is 5000000 bytes, over the 1048576-byte limit: set aside/,
      ),
    ]);
    expect(unread).toEqual([
      'memory: health/2026-03-10/110000-r4.md is 5000000 bytes, over the 1048576-byte limit: not read',
      'memory: approvals/a1.md is 5000000 bytes, over the 1048576-byte limit: not read',
    ]);
  });

  it('names the files the commit appends to: this month of every server with a state file', () => {
    expect(appendTargets([blob('state/web1.json'), blob('state/db 2.json')], NOW)).toEqual([
      'history/web1/2026-03.tsv',
      'history/web1/endpoints.tsv',
      'history/db-2/2026-03.tsv',
      'history/db-2/endpoints.tsv',
    ]);
  });

  it('builds memory: open issues only, approvals with their blob, states parsed or warned about', () => {
    const selection = {
      reports: [blob('health/2026-03-10/110000-r4.md')],
      actions: [],
      issues: [blob('issues/open.md'), blob('issues/closed.md')],
      approvals: [blob('approvals/a1.md')],
      states: [blob('state/web1.json'), blob('state/db1.json')],
    };
    const issue = (status: 'open' | 'resolved') =>
      renderIssueFile({
        meta: {
          fingerprint: `web1/disk/${status}`,
          status,
          severity: 'warning',
          servers: ['web1'],
          check: 'disk',
          target: '/',
          first_seen: '2026-03-01T00:00:00Z',
          last_seen: '2026-03-10T11:00:00Z',
          updated: '2026-03-10T11:00:00Z',
        },
        summary: 'disk 85%',
        history: [],
      });
    const web1 = { ...emptyServerState('web1'), lastRun: '2026-03-10T11:30:00.000Z' };
    const contents = new Map([
      ['health/2026-03-10/110000-r4.md', '---\nstatus: ok\n---\n# Health\n'],
      ['issues/open.md', issue('open')],
      ['issues/closed.md', issue('resolved')],
      ['approvals/a1.md', '---\nid: a1\n---\n# Plan\n'],
      ['state/web1.json', serializeServerState(web1)],
      ['state/db1.json', '{ not json'],
    ]);
    const { memory, states } = buildMemory(selection, contents, ['earlier warning']);
    expect(memory.openIssues.map((f) => f.path)).toEqual(['issues/open.md']);
    expect(memory.reports[0]?.meta).toEqual({ status: 'ok' });
    expect(memory.approvals[0]?.blob).toBe('b-approvals/a1.md');
    expect(Object.keys(memory.servers)).toEqual(['web1']);
    expect(states['state/db1.json']).toBeNull();
    expect(states['state/web1.json']).toEqual(web1);
    expect(memory.warnings[0]).toBe('earlier warning');
    expect(memory.warnings[1]).toMatch(/state\/db1\.json on the state branch is unreadable/);
    // the newer of the report's time and the servers' last runs
    expect(memory.lastRunAt).toBe('2026-03-10T11:30:00.000Z');
  });
});
