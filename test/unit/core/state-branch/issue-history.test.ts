import { describe, expect, it } from 'vitest';
import { emptyMemory, emptyServerState } from '../../../../src/core/memory/memory.js';
import {
  type ActionRecord,
  newRunRecord,
  type RunRecord,
  type TrackedFinding,
} from '../../../../src/core/run-record.js';
import { issueFileChanges, parseIssueFile } from '../../../../src/core/state-branch/issue-files.js';

const disk: TrackedFinding = {
  fingerprint: 'web1/disk//var',
  server: 'web1',
  check: 'disk',
  target: '/var',
  severity: 'critical',
  summary: '/var is 96% full',
  lifecycle: 'new',
  firstSeen: '2026-11-21T08:00:00.000Z',
  runs: 1,
};

const diagnosis = (rootCause: string) => ({
  fingerprint: disk.fingerprint,
  rootCause,
  confidence: 'medium' as const,
  evidence: '',
  nextStep: 'a human should investigate',
  by: 'rules' as const,
});

const proposal = (at: string): ActionRecord => ({
  id: `a-${at}`,
  server: 'web1',
  action: 'clear-directory',
  params: { path: '/var/cache/app' },
  risk: 'medium',
  decision: 'needs-approval',
  reason: 'the cache is the largest directory',
  gateReason: 'risk medium needs approval in mode safe',
  outcome: 'not-run',
  fingerprint: disk.fingerprint,
  requestedBy: 'rules',
  at,
  target: '/var/cache/app',
});

function run(minute: number, rootCause: string, findings: TrackedFinding[] = [disk]): RunRecord {
  const at = new Date(Date.parse('2026-11-21T08:00:00Z') + minute * 25_000).toISOString();
  return newRunRecord({
    runId: String(minute),
    task: 'check',
    mode: 'safe',
    dryRun: false,
    startedAt: at,
    finishedAt: at,
    findings: findings.map((f, i) => (minute === 0 || i > 0 ? f : { ...f, lifecycle: 'ongoing' })),
    diagnoses: [diagnosis(rootCause)],
    actions: [proposal(at)],
  });
}

/** The issue file after these runs, each reading the file the one before wrote. */
function afterRuns(runs: RunRecord[]): string[] {
  let content = '';
  let path = '';
  let writes = 0;
  for (const r of runs) {
    const memory = emptyMemory();
    memory.servers.web1 = emptyServerState('web1');
    if (content) memory.openIssues = [{ path, content }];
    const change = issueFileChanges(r, memory)[0];
    if (change?.content) {
      content = change.content;
      path = change.path;
      writes++;
    }
  }
  expect(writes).toBeGreaterThan(0);
  return parseIssueFile(content)?.history ?? [];
}

describe('issue files say a thing once', () => {
  it('twelve runs in five minutes with the same diagnosis and proposal: each is in the history once', () => {
    const history = afterRuns(Array.from({ length: 12 }, (_, i) => run(i, 'the cache grew')));
    expect(history.filter((l) => l.includes('— diagnosis'))).toHaveLength(1);
    expect(history.filter((l) => l.includes('proposed for approval'))).toHaveLength(1);
    expect(history[0]).toMatch(/— opened \(critical\)/);
  });

  it('a diagnosis that changed is written; going back to an earlier one is written again', () => {
    const history = afterRuns([
      run(0, 'the cache grew'),
      run(1, 'the cache grew'),
      run(2, 'a log exploded'),
      run(3, 'the cache grew'),
    ]);
    const said = history
      .filter((l) => l.includes('— diagnosis'))
      .map((l) => /confidence\): (.*?) Next:/.exec(l)?.[1]);
    expect(said).toEqual(['the cache grew', 'a log exploded', 'the cache grew']);
  });
});
