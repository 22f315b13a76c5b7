import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MEMORY_MAX_CHARS, memoryDigest, recurrences } from '../../../src/agent/memory-digest.js';
import { packageChangesSince } from '../../../src/agent/prefetch.js';
import { buildTaskPrompt } from '../../../src/agent/task-prompt.js';
import { emptyServerState, type FindingState, type Memory } from '../../../src/core/memory/memory.js';
import { renderIssueFile } from '../../../src/core/state-branch/issue-files.js';
import type { Severity } from '../../../src/core/types.js';
import { config, memory, NOW, tracked } from '../../support/agent-fixtures.js';

const hoursAgo = (h: number) => new Date(NOW.getTime() - h * 3_600_000).toISOString();

function state(history: [string, Severity][]): FindingState {
  return {
    status: 'ongoing',
    severity: 'critical',
    firstSeen: hoursAgo(30),
    lastSeen: hoursAgo(1),
    streak: 2,
    okStreak: 0,
    history,
    summary: 'nginx down',
  };
}

function issue(fingerprint: string, lines: string[]): { path: string; content: string } {
  const [server = 'web1', check = 'service', target = '-'] = fingerprint.split('/');
  return {
    path: `issues/${fingerprint.replaceAll('/', '--')}.md`,
    content: renderIssueFile({
      meta: {
        fingerprint,
        status: 'open',
        severity: 'critical',
        servers: [server],
        check,
        target,
        first_seen: hoursAgo(30),
        last_seen: hoursAgo(1),
        updated: hoursAgo(1),
      },
      summary: 'down',
      history: lines,
    }),
  };
}

describe('memory digest', () => {
  it('counts episodes that started in the window, not runs', () => {
    const h: [string, Severity][] = [
      [hoursAgo(200), 'ok'],
      [hoursAgo(190), 'critical'], // outside 7 days
      [hoursAgo(100), 'ok'],
      [hoursAgo(90), 'critical'],
      [hoursAgo(89), 'critical'],
      [hoursAgo(50), 'ok'],
      [hoursAgo(40), 'warning'],
    ];
    expect(recurrences(state(h), NOW.getTime() - 7 * 86_400_000)).toBe(2);
  });

  it('gives per finding its story: recurrence, flaps, previous diagnosis, past actions, approval', () => {
    const f = tracked('web1', 'service', 'nginx', 'critical', 'down', { lifecycle: 'ongoing' });
    const web1 = emptyServerState('web1');
    web1.lastRun = hoursAgo(1);
    web1.reboots = [hoursAgo(2)];
    web1.findings[f.fingerprint] = state([
      [hoursAgo(5), 'critical'],
      [hoursAgo(4), 'ok'],
      [hoursAgo(3), 'critical'],
    ]);
    const mem: Memory = memory({
      servers: { web1 },
      openIssues: [
        issue(f.fingerprint, [
          `- ${hoursAgo(5)} — opened (critical): down (run 1)`,
          `- ${hoursAgo(5)} — diagnosis (claude, high confidence): worker pool exhausted file descriptors Next: raise LimitNOFILE (run 1)`,
          `- ${hoursAgo(5)} — action restart-service nginx (by claude): not-fixed; verification: re-ran service: still critical (run 1)`,
        ]),
      ],
      approvals: [
        {
          path: 'approvals/p1.md',
          content: `---\nid: p1\nserver: web1\naction: edit-limits\nfingerprint: ${f.fingerprint}\nstatus: declined\ncreated: ${hoursAgo(4)}\n---\n`,
        },
      ],
    });
    const text = memoryDigest({ targets: [f], memory: mem, now: NOW });
    expect(text).toContain('recurred 1× in the last 7 days');
    expect(text).toContain('C.C');
    expect(text).toContain('previous');
    expect(text).toContain('worker pool exhausted file descriptors');
    expect(text).toContain(
      'action restart-service nginx (by claude): not-fixed; verification: re-ran service',
    );
    expect(text).toContain('approval declined: edit-limits (plan p1');
    expect(text).toContain(`rebooted at ${hoursAgo(2)}`);
  });

  it('stays within its budget for a large fleet with long histories, and says where it cut', () => {
    const servers: Memory['servers'] = {};
    const targets = [];
    const issues = [];
    for (let i = 0; i < 40; i++) {
      const f = tracked(`web${i}`, 'service', `svc${i}`, 'critical', 'down', { lifecycle: 'ongoing' });
      targets.push(f);
      const s = emptyServerState(f.server);
      s.findings[f.fingerprint] = state(
        Array.from(
          { length: 30 },
          (_, k) => [hoursAgo(60 - k), k % 2 ? 'ok' : 'critical'] as [string, Severity],
        ),
      );
      servers[f.server] = s;
      issues.push(
        issue(f.fingerprint, [
          `- ${hoursAgo(5)} — diagnosis (claude, high confidence): ${'a very long root cause '.repeat(40)} Next: x (run 1)`,
          ...Array.from(
            { length: 8 },
            (_, k) =>
              `- ${hoursAgo(5 - k / 10)} — action restart-service svc${i} (by rules): not-fixed (run ${k})`,
          ),
        ]),
      );
    }
    const text = memoryDigest({ targets, memory: memory({ servers, openIssues: issues }), now: NOW });
    expect(text.length).toBeLessThanOrEqual(MEMORY_MAX_CHARS);
    expect(text).toMatch(/\[memory cut here to stay within its budget\]$/);
    // one finding's block alone fits in a few hundred tokens
    const one = memoryDigest({
      targets: targets.slice(0, 1),
      memory: memory({ servers, openIssues: issues }),
      now: NOW,
    });
    expect(one.length).toBeLessThan(2_000);
  });
});

describe('package changes since the last run', () => {
  const DPKG = readFileSync(new URL('../../fixtures/package-changes/dpkg-log.txt', import.meta.url), 'utf8');

  it('keeps dpkg lines stamped at or after the last run (captured from a Debian 12 host)', () => {
    const since = Date.parse('2026-11-26T13:18:18Z');
    expect(packageChangesSince(DPKG, since)).toEqual([
      '2026-11-26 13:18:18 upgrade libgdk-pixbuf2.0-bin:amd64 2.42.10+dfsg-1+deb12u2 2.42.10+dfsg-1+deb12u4',
      '2026-11-26 13:18:31 install system-config-printer-udev:amd64 <none> 1.5.18-1',
      '2026-11-26 13:18:31 install upower:amd64 <none> 0.99.20-2',
      '2026-11-26 13:18:32 install x11-xserver-utils:amd64 <none> 7.7+9+b1',
      '2026-11-26 13:18:32 install zutty:amd64 <none> 0.14.0.20230218+dfsg1-1',
    ]);
    expect(packageChangesSince('no package log readable\nNov 26 13:00:01 Updated: x', 0)).toEqual([]);
  });

  it('shows them per server in the digest, or says there were none', () => {
    const f = tracked('web1', 'service', 'nginx', 'critical', 'down');
    const web1 = emptyServerState('web1');
    web1.lastRun = hoursAgo(1);
    const digest = (lines: string[]) =>
      memoryDigest({
        targets: [f],
        memory: memory({ servers: { web1 } }),
        now: NOW,
        packageChanges: new Map([['web1', lines]]),
      });
    expect(digest([])).toContain('no package changes since the last run');
    expect(digest(['2026-11-21 07:30:00 upgrade nginx-common:all 1.22.1-9 1.22.1-9+deb12u1'])).toMatch(
      /package changes since the last run:\n {4}2026-11-21 07:30:00 upgrade nginx-common:all/,
    );
  });
});

describe('the memory section of the task prompt', () => {
  it('stays within the budget as a whole, actions and bookkeeping included', () => {
    const cfg = config();
    const targets = Array.from({ length: 30 }, (_, i) =>
      tracked('web1', 'service', `svc${i}`, 'critical', 'down', { lifecycle: 'ongoing' }),
    );
    const web1 = emptyServerState('web1');
    for (let i = 0; i < 30; i++) {
      web1.findings[`web1/service/svc${i}`] = state(
        Array.from(
          { length: 20 },
          (_, k) => [hoursAgo(40 - k), k % 2 ? 'ok' : 'critical'] as [string, Severity],
        ),
      );
      web1.remediation[`restart-service:svc${i}`] = {
        attempts: [hoursAgo(1)],
        failures: 2,
        breakerOpen: false,
        lastOutcome: 'not-fixed',
      };
    }
    const recentActions = Array.from({ length: 40 }, (_, i) => ({
      path: `actions/a${i}.md`,
      content: `---\nat: ${hoursAgo(2)}\nserver: web1\naction: restart-service\ntarget: svc${i}\ndecision: execute\noutcome: not-fixed\n---\n`,
    }));
    const prompt = buildTaskPrompt({
      runId: 'r',
      task: 'check',
      mode: 'safe',
      dryRun: false,
      now: NOW,
      targets,
      others: [],
      memory: memory({ servers: { web1 }, recentActions }),
      servers: cfg.servers,
      reachable: new Set(['web1']),
      config: cfg,
      secrets: [],
      nonce: 'n0nce',
    });
    const section = /## Memory: earlier runs\n\n([\s\S]*?)\n\n## Servers/.exec(prompt)?.[1] ?? '';
    const inside = section.replace(/^<untrusted[^>]*>\n|\n<\/untrusted[^>]*>$/g, '');
    expect(inside.length).toBeGreaterThan(6_000);
    expect(inside.length).toBeLessThanOrEqual(MEMORY_MAX_CHARS);
    expect(inside).toMatch(/\[memory cut here to stay within its budget\]$/);
  });
});
