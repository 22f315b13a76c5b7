/**
 * State-branch file names stay within 120 characters (a readable prefix and a hash), whatever a
 * finding's target holds, against a real git remote: a 2 000-character endpoint URL lands, and the
 * next run, which reads that issue back as memory, lands too. Issue files written under the old,
 * unbounded names move to their bounded path, keeping their fingerprint and history.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Memory } from '../../src/core/memory/memory.js';
import { newRunRecord, type RunRecord } from '../../src/core/run-record.js';
import {
  issueFileChanges,
  parseIssueFile,
  renderIssueFile,
} from '../../src/core/state-branch/issue-files.js';
import {
  actionPath,
  bootPath,
  issuePath,
  MAX_FILE_NAME,
  serverStatePath,
} from '../../src/core/state-branch/paths.js';
import { tracked } from '../support/agent-fixtures.js';
import { bumped, type Sandbox, sandbox, stateFile } from './state-support.js';

let box: Sandbox;
beforeEach(async () => {
  box = await sandbox();
});
afterEach(async () => {
  await box.cleanup();
});

const LONG_URL = `https://shop.example.com/api/v2/health?${'x'.repeat(1_960)}`;

function runRecord(runId: string, at: Date, target: string, memory: Memory): RunRecord {
  const prev = memory.servers.web1?.findings[`web1/endpoint/${target}`];
  const f = tracked('web1', 'endpoint', target, 'critical', 'endpoint down: HTTP 503', {
    lifecycle: prev ? 'ongoing' : 'new',
    firstSeen: prev?.firstSeen ?? at.toISOString(),
  });
  return newRunRecord({
    runId,
    task: 'check',
    mode: 'report',
    dryRun: false,
    startedAt: at.toISOString(),
    finishedAt: at.toISOString(),
    findings: [f],
  });
}

async function oneRun(runId: string, at: Date, target: string) {
  const store = box.store();
  const memory = await store.load();
  const record = runRecord(runId, at, target, memory);
  const state = bumped(memory.servers.web1, 'web1', runId, at);
  state.findings[`web1/endpoint/${target}`] = {
    status: 'failing',
    severity: 'critical',
    firstSeen: record.findings[0]?.firstSeen ?? at.toISOString(),
    lastSeen: at.toISOString(),
    runs: 1,
    okStreak: 0,
  } as never;
  const result = await store.commit(
    [...issueFileChanges(record, memory), { path: serverStatePath('web1'), content: stateFile(state) }],
    `claudeops check: ${runId}`,
  );
  await store.dispose();
  return { result, memory };
}

describe('bounded state-branch file names', () => {
  it('keeps every generated name within the limit, short names unchanged', () => {
    const long = 'y'.repeat(2_000);
    const at = new Date('2026-11-21T08:00:00Z');
    for (const path of [
      issuePath(`web1/endpoint/${LONG_URL}`),
      actionPath(at, long, long, long),
      bootPath(at, long),
      serverStatePath(long),
    ]) {
      expect((path.split('/').at(-1) ?? '').length).toBeLessThanOrEqual(MAX_FILE_NAME);
    }
    expect(issuePath('web1/service/nginx')).toBe('issues/web1--service--nginx.md');
    // two long targets that share their first 120 characters still get two files
    expect(issuePath(`web1/endpoint/${LONG_URL}a`)).not.toBe(issuePath(`web1/endpoint/${LONG_URL}b`));
  });

  it('a 2 000-character target lands, and the next run (reading it back) lands too', async () => {
    const first = await oneRun('r1', new Date('2026-11-21T08:00:00Z'), LONG_URL);
    expect(first.result.pushed).toBe(true);
    const issueFiles = (await box.files()).filter((f) => f.startsWith('issues/'));
    expect(issueFiles).toHaveLength(1);
    expect((issueFiles[0] ?? '').length).toBeLessThanOrEqual('issues/'.length + MAX_FILE_NAME);

    const second = await oneRun('r2', new Date('2026-11-21T09:00:00Z'), LONG_URL);
    expect(second.result.pushed).toBe(true);
    // the second run found the first one's issue in memory, by the same fingerprint
    expect(second.memory.openIssues.map((f) => parseIssueFile(f.content)?.meta.fingerprint)).toEqual([
      `web1/endpoint/${LONG_URL}`,
    ]);
    const log = await box.git('log', '--format=%s', 'claudeops-state');
    expect(log).toContain('claudeops check: r1');
    expect(log).toContain('claudeops check: r2');
  });

  it('moves an issue file written under the old unbounded name to its bounded path', async () => {
    const target = `https://shop.example.com/${'z'.repeat(200)}`;
    const fingerprint = `web1/endpoint/${target}`;
    const oldPath = `issues/${fingerprint.replaceAll('/', '--').replace(/[^A-Za-z0-9._-]/g, '-')}.md`;
    expect(oldPath.length).toBeGreaterThan(MAX_FILE_NAME);
    const old = renderIssueFile({
      meta: {
        fingerprint,
        status: 'open',
        severity: 'critical',
        servers: ['web1'],
        check: 'endpoint',
        target,
        first_seen: '2026-11-01T08:00:00.000Z',
        last_seen: '2026-11-20T08:00:00.000Z',
        updated: '2026-11-20T08:00:00.000Z',
      },
      summary: 'endpoint down: HTTP 503',
      history: ['- 2026-11-01T08:00:00.000Z — opened (critical): endpoint down: HTTP 503 (run r0)'],
    });
    const seed = box.store();
    await seed.load();
    expect((await seed.commit([{ path: oldPath, content: old }], 'an issue from before')).pushed).toBe(true);
    await seed.dispose();

    const { result } = await oneRun('r1', new Date('2026-11-21T08:00:00Z'), target);
    expect(result.pushed).toBe(true);
    const files = await box.files();
    expect(files).not.toContain(oldPath);
    const moved = issuePath(fingerprint);
    expect(files).toContain(moved);
    const doc = parseIssueFile(await box.show(moved));
    expect(doc?.meta.first_seen).toBe('2026-11-01T08:00:00.000Z');
    expect(doc?.history[0]).toContain('(run r0)');
  });
});
