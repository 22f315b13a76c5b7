import { describe, expect, it } from 'vitest';
import { renderSummary } from '../../../../src/core/render/render-summary.js';
import { terminalReport } from '../../../../src/core/render/terminal-report.js';
import { action, runRecord } from '../../../support/github-records.js';

const at = new Date('2026-11-21T08:00:00Z');

function record() {
  const r = runRecord({
    runId: '42',
    at,
    servers: ['web1', 'web2'],
    unreachable: ['web2'],
    raised: [
      { server: 'web1', check: 'disk', target: '/', severity: 'critical' },
      { server: 'web1', check: 'memory', target: '-', severity: 'warning', lifecycle: 'pending' },
    ],
    diagnoses: [
      {
        fingerprint: 'web1/disk//',
        rootCause: 'logs | grew',
        confidence: 'high',
        evidence: '',
        nextStep: 'rotate',
      },
    ],
    actions: [
      action({
        id: 'a1',
        server: 'web1',
        action: 'rotate-logs',
        outcome: 'fixed',
        path: 'actions/2026-11-21/080000-web1-rotate-logs-42.md',
      }),
    ],
  });
  r.status = 'critical';
  r.finishedAt = '2026-11-21T08:01:30Z';
  r.usage = {
    inputTokens: 1200,
    outputTokens: 300,
    cacheReadTokens: 800,
    cacheWriteTokens: 0,
    costUsd: 0.0123,
    calls: 2,
  };
  r.github = {
    issues: [3, 4],
    pulls: [5],
    errors: ['GitHub API failed: create issue: 502 Server Error (issue web1/disk//)'],
  };
  const web1 = r.servers[0];
  if (web1)
    web1.figures = {
      disks: [
        { mount: '/', usedPercent: 93 },
        { mount: '/boot', usedPercent: 40 },
      ],
      inodes: [{ mount: '/', usedPercent: 12 }],
      memoryPercent: 61.5,
      swapPercent: 3,
      loadPerCpu: 0.42,
      cpus: 4,
      uptimeSeconds: 90_061,
      endpoints: [{ url: 'https://web1.test/health', status: 200, latencyMs: 84, up: true }],
      thresholds: {
        disk: { warn: 80, crit: 90 },
        inodes: { warn: 80, crit: 90 },
        memory: { warn: 85, crit: 95 },
        swap: { warn: 50, crit: 80 },
        load: { warn: 2, crit: 4 },
        latency: { warn: 2000, crit: 5000 },
      },
    };
  const state = r.serverStates.web1;
  if (state)
    state.samples['disk:/'] = [
      ['2026-11-21T04:00:00Z', 80],
      ['2026-11-21T04:30:00Z', 85.55],
      ['2026-11-21T05:50:00Z', 90],
      ['2026-11-21T06:10:00Z', 91],
      ['2026-11-21T08:00:00Z', 93],
    ];
  return r;
}

describe('renderSummary', () => {
  const md = renderSummary(record(), {
    stateUrl: 'https://github.test/acme/ops/blob/claudeops-state/',
    repoUrl: 'https://github.test/acme/ops',
    runUrl: 'https://github.test/acme/ops/actions/runs/42',
  });

  it("puts the run's own problems right under the headline, where nobody misses them", () => {
    const lines = md.split('\n');
    expect(lines[2]).toMatch(
      /^\*\*🔴 critical\*\* · 2 servers · 1 finding · 1 action · mode `safe` · took 1m30s · \[run 42\]/,
    );
    expect(md).toContain(
      '> [!CAUTION]\n> **This run had problems:**\n> - GitHub API failed: create issue: 502 Server Error',
    );
    expect(md.indexOf('GitHub API failed')).toBeLessThan(md.indexOf('### Fleet'));
  });

  it('shows the fleet, findings (pending apart), diagnosis, actions with links, issues and PRs', () => {
    expect(md).toContain(
      '| web1 | 🔴 critical | 1 | 93% / (80/90) | 12% / (80/90) | 61.5% (85/95) | 3% (50/80) | 0.42 on 4 CPU (2/4) | 1d1h | 84 ms (2000/5000) | 10ms |',
    );
    expect(md).toContain('| web2 | 🔴 unreachable | 0 | — | — | — | — | — | — | — |');
    // the other mounts are folded away, each with its thresholds
    expect(md).toMatch(
      /<details><summary>Every mount and endpoint<\/summary>[\s\S]*\| web1 \| disk \| \/boot \| 40% \| 80 \| 90 \|/,
    );
    expect(md).toContain(
      '| web1 | endpoint | https&#8203;://web1.test/health | up 200 84 ms | 2000 ms | 5000 ms |',
    );
    expect(md).toContain('Watching (debounced, no issue yet): `web1/memory/-`');
    expect(md).toContain('logs \\| grew');
    expect(md).toContain(
      '[log](https://github.test/acme/ops/blob/claudeops-state/actions/2026-11-21/080000-web1-rotate-logs-42.md)',
    );
    expect(md).toContain(
      '[#3](https://github.test/acme/ops/issues/3), [#4](https://github.test/acme/ops/issues/4)',
    );
    expect(md).toContain('[#5](https://github.test/acme/ops/pull/5)');
  });

  it('charts disk trends as Mermaid xychart-beta: themed, time axis, threshold lines', () => {
    expect(md).toContain(
      [
        '```mermaid',
        '%%{init: {"theme": "base", "themeVariables": {"xyChart": {"plotColorPalette": "#1f6feb, #d29922, #da3633"}}}}%%',
        'xychart-beta',
        '    title "web1 disk / (% used)"',
        '    x-axis "UTC time" ["04:00", "04:30", "05:50", "06:10", "08:00"]',
        '    y-axis "% used" 0 --> 100',
        '    line [80, 85.6, 90, 91, 93]',
        '    line [80, 80, 80, 80, 80]',
        '    line [90, 90, 90, 90, 90]',
        '```',
        '',
        '<sub>blue: measured · amber: warn 80% · red: crit 90%; 5 samples, highest per interval</sub>',
      ].join('\n'),
    );
  });

  it('keeps charts readable: at most 12 unique time labels, runs in one minute apart, no chart under 3 samples', () => {
    const r = record();
    const state = r.serverStates.web1;
    if (!state) throw new Error('fixture');
    const start = Date.parse('2026-11-20T08:00:00Z');
    // 24 runs over two days, two of them in the same minute
    state.samples['disk:/'] = Array.from({ length: 24 }, (_, i): [string, number] => [
      new Date(start + i * 7_200_000 + (i === 5 ? -7_170_000 : 0)).toISOString(),
      50 + i,
    ]);
    state.samples['endpoint:https://web1.test/health'] = [
      ['2026-11-21T06:00:00Z', 80],
      ['2026-11-21T07:00:00Z', 120],
      ['2026-11-21T08:00:00Z', 95],
    ];
    state.samples['disk:/boot'] = [
      ['2026-11-21T07:00:00Z', 10],
      ['2026-11-21T08:00:00Z', 11],
    ];
    const text = renderSummary(r);
    const axes = [...text.matchAll(/x-axis "[^"]+" \[([^\]]*)\]/g)].map((m) => (m[1] ?? '').split(', '));
    expect(axes).toHaveLength(2);
    for (const labels of axes) {
      expect(labels.length).toBeLessThanOrEqual(12);
      expect(new Set(labels).size).toBe(labels.length);
    }
    expect(axes[0]?.[0]).toMatch(/^"11-20"$|^"11-\d\d \d\d:\d\d"$/);
    expect(text).toContain('title "web1 https://web1.test/health (ms)"');
    expect(text).toContain('    line [2000, 2000, 2000]');
    expect(text).not.toContain('title "web1 disk /boot');
  });

  it('reports the cost, and links the records', () => {
    expect(md).toContain('| 2 | 1200 | 300 | 800 | 0 | $0.0123 |');
    expect(md).toContain(
      '- Health report: [health/2026-11-21/42.md](https://github.test/acme/ops/blob/claudeops-state/health/2026-11-21/42.md)',
    );
  });

  it('says so when no model was called, and has no chart without samples', () => {
    const quiet = runRecord({ runId: '1', at, servers: ['web1'], raised: [] });
    const text = renderSummary(quiet);
    expect(text).toContain('None: every check passed.');
    expect(text).toContain('No model calls');
    expect(text).not.toContain('mermaid');
    expect(text).not.toContain('CAUTION');
  });
});

describe('the job summary puts first what a person must act on', () => {
  function busy() {
    const r = runRecord({
      runId: '7',
      at,
      servers: ['web1', 'web2', 'db1'],
      raised: [
        { server: 'web1', check: 'memory', target: '-', severity: 'warning' },
        { server: 'web2', check: 'load', target: '-', severity: 'warning' },
        { server: 'db1', check: 'disk', target: '/var', severity: 'critical' },
        { server: 'web2', check: 'log', target: '/var/log/app.log', severity: 'warning' },
        { server: 'web1', check: 'service', target: 'nginx', severity: 'critical' },
      ],
      diagnoses: ['web1/memory/-', 'web2/load/-', 'web2/log//var/log/app.log'].map((fingerprint) => ({
        fingerprint,
        rootCause: `no playbook for ${fingerprint.split('/')[1]} findings (rule-based planner)`,
        confidence: 'low' as const,
        evidence: '',
        nextStep: 'a human should investigate',
        by: 'rules' as const,
      })),
      actions: [
        action({
          id: 'a1',
          server: 'web1',
          action: 'restart-service',
          params: { service: 'nginx' },
          outcome: 'fixed',
        }),
        action({
          id: 'a2',
          server: 'db1',
          action: 'clear-directory',
          params: { path: '/var/cache/app' },
          risk: 'medium',
          decision: 'needs-approval',
          outcome: 'not-run',
          fingerprint: 'db1/disk//var',
          pull: 12,
        }),
        action({ id: 'a3', server: 'web2', action: 'vacuum-journal', decision: 'deny', outcome: 'not-run' }),
      ],
    });
    r.status = 'critical';
    return r;
  }
  const text = renderSummary(busy(), { repoUrl: 'https://github.test/acme/ops' });

  it('lists criticals before warnings', () => {
    const findings = text.slice(text.indexOf('### Findings'), text.indexOf('### Diagnosis'));
    const severities = [...findings.matchAll(/^\| (🔴 critical|🟡 warning) \|/gm)].map((m) => m[1]);
    expect(severities).toEqual(['🔴 critical', '🔴 critical', '🟡 warning', '🟡 warning', '🟡 warning']);
  });

  it('says what needs approval right under the headline, with the PR that approves it', () => {
    const approvals = text.indexOf('### Needs your approval');
    expect(approvals).toBeGreaterThan(0);
    expect(approvals).toBeLessThan(text.indexOf('### Fleet'));
    expect(text).toContain(
      '- `clear-directory path=/var/cache/app` on db1 (medium risk) for `db1/disk//var`: merge [#12](https://github.test/acme/ops/pull/12) to run it once',
    );
    // one count of actions: the one that ran, not the proposal or the refusal
    expect(text).toMatch(/· 1 action ·/);
  });

  it('on a terminal too: the proposal and its pull request, as plain text', () => {
    const plain = terminalReport(text);
    expect(plain).toMatch(/^Needs your approval$/m);
    expect(plain).toContain(
      'clear-directory path=/var/cache/app on db1 (medium risk) for db1/disk//var: merge #12 (https://github.test/acme/ops/pull/12) to run it once',
    );
  });

  it('says advice shared by every diagnosis once', () => {
    expect(text.match(/a human should investigate/g)).toHaveLength(1);
    expect(text).toContain('Next step, the same for every finding above: a human should investigate');
  });

  it('counts in words that agree with the number: 1 server, 1 finding', () => {
    const one = runRecord({
      runId: '8',
      at,
      servers: ['web1'],
      raised: [{ server: 'web1', check: 'disk', target: '/var', severity: 'critical' }],
    });
    const headline =
      renderSummary(one)
        .split('\n')
        .find((l) => l.includes(' · mode ')) ?? '';
    expect(headline).toContain('· 1 server · 1 finding ·');
    expect(renderSummary(one)).not.toMatch(/\b1 (servers|findings|actions)\b/);
  });

  it('a proposal without GitHub says so instead of linking nothing', () => {
    const r = busy();
    const proposal = r.actions.find((a) => a.decision === 'needs-approval');
    if (proposal) delete proposal.pull;
    expect(renderSummary(r)).toContain('no pull request was opened (approvals need GitHub');
  });
});
