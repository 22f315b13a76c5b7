/**
 * Incident lifecycles under the DEFAULT configuration (`npm run efficacy` prints the table): the
 * BUNDLED action (dist/index.js under Node 24) over real SSH against the lab (three light servers
 * and the systemd server `sys` with nginx and postgres), with a fake GitHub and a real local HTTP
 * receiver for the webhook notification. No Anthropic key: the rule-based planner decides, as a
 * user without one gets.
 *
 * Faults are injected three at a time on different servers (one fault per server per group, so
 * each finding is attributable), then: two runs during the fault, the fault undone, two runs after.
 * For each fault the suite records the run that detected it and at which severity, the issues and
 * notifications, the remediation and its verification (or the escalation), and whether its issues
 * were closed after `close_after_ok_runs` ok runs; anything raised that the fault does not explain
 * is a false positive.
 *
 * Only host-wide metrics are moved out of reach (load, memory, swap: every lab server reads this
 * VM's /proc, so they measure how busy the test machine is, not the lab); every threshold, the
 * debounce, close_after_ok_runs and the fleet grouping are the product defaults.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FaultKind, type Lab, labSkipReason, startLab } from '../../lab/lab.js';
import { type FakeGitHub, startFakeGitHub } from '../../support/fake-github.js';
import { type LabActionRun, labAction, labServerEntry } from '../../support/lab-setup.js';
import {
  type BundleRun,
  frontMatter,
  makeWorkspace,
  stateFile,
  type Workspace,
} from '../../support/runner.js';
import { PIPELINE_RUNS_TIMEOUT } from '../../support/timeouts.js';

const skip = labSkipReason();
if (skip) console.warn(`efficacy suite skipped: ${skip}`);

const APP = 'http://127.0.0.1:8080/';
const NGINX = 'http://127.0.0.1/';
const HEARTBEAT = '/run/lab/heartbeat';
const ERROR_LOG = '/var/log/app/error.log';
const FLAG = '/srv/data/fault-flag';

interface Fault {
  name: string;
  server: string;
  /** finding checks this fault explains on its server */
  checks: string[];
  /**
   * `true` when an allowlisted action under the default config can end this fault (the product is
   * expected to fix and verify it); otherwise why not — such a fault must be escalated instead.
   */
  fixable: true | string;
  inject: (lab: Lab) => Promise<void>;
  undo: (lab: Lab) => Promise<void>;
}

const labFault = (server: string, kind: FaultKind, arg?: string) => ({
  inject: (lab: Lab) => lab.fault(server, kind, arg),
  undo: (lab: Lab) => lab.undo(server, kind, arg),
});
const append = (server: string, line: string) => ({
  inject: async (lab: Lab) => {
    await lab.exec(server, `printf '%s\\n' '${line}' >> ${ERROR_LOG}`);
  },
  undo: async () => {},
});

/** Four groups: each server carries at most one fault at a time. */
const GROUPS: Fault[][] = [
  [
    {
      name: 'service killed (nginx)',
      server: 'sys',
      checks: ['service', 'port', 'endpoint'],
      fixable: true,
      ...labFault('sys', 'service-kill', 'nginx'),
    },
    {
      name: 'endpoint 500 (fix that does not work)',
      server: 's1',
      checks: ['endpoint'],
      fixable:
        'the app answers 500 by its own setting, which no restart changes; the repo playbook is a no-op',
      ...labFault('s1', 'endpoint-500'),
    },
    {
      name: 'disk filling',
      server: 's2',
      checks: ['disk', 'disk-growth'],
      fixable:
        'the space is taken by a file outside every clearable directory: deleting data is a person’s call',
      ...labFault('s2', 'disk-fill'),
    },
    {
      name: 'stale heartbeat',
      server: 's3',
      checks: ['heartbeat'],
      fixable: 'the writer is a paused job, not a configured service: nothing in the catalog restarts it',
      ...labFault('s3', 'heartbeat-stale'),
    },
  ],
  [
    {
      name: 'postgres stopped',
      server: 'sys',
      checks: ['service', 'port', 'database'],
      fixable: true,
      ...labFault('sys', 'pg-stop'),
    },
    {
      name: 'endpoint hang',
      server: 's1',
      checks: ['endpoint'],
      fixable: 'the app hangs by its own setting, which a restart keeps: escalation is the right answer',
      ...labFault('s1', 'endpoint-hang'),
    },
    {
      name: 'ERROR burst',
      server: 's2',
      checks: ['log'],
      fixable: 'log lines report a cause elsewhere (here: none to act on); the repo playbook is a no-op',
      ...labFault('s2', 'log-errors', '5'),
    },
    {
      name: 'reboot',
      server: 's3',
      checks: ['reboot'],
      fixable: 'an event to report, not a state to repair',
      inject: (lab) => lab.fault('s3', 'boot-id'),
      // restoring the old boot id would be a boot id change too: afterAll does it, after the last run
      undo: async () => {},
    },
  ],
  [
    {
      name: 'postgres saturated',
      server: 'sys',
      checks: ['database'],
      fixable:
        'ending other clients’ sessions is not in the catalog (it would cut live work): a person decides',
      ...labFault('sys', 'pg-saturate'),
    },
    {
      name: 'single FATAL line (no-op fix)',
      server: 's1',
      checks: ['log'],
      fixable: 'a past log line, nothing running to repair; the repo playbook is a no-op',
      ...append('s1', 'FATAL out of memory: cannot allocate'),
    },
    {
      name: 'failing custom check',
      server: 's2',
      checks: ['check'],
      fixable: 'a custom check has no playbook in the default config',
      inject: async (lab) => void (await lab.exec('s2', `echo 1 > ${FLAG}`)),
      undo: async (lab) => void (await lab.exec('s2', `rm -f ${FLAG}`)),
    },
  ],
  [
    // the app where a manager runs it: sys's lab-app under supervisor (a light server's app has none)
    {
      name: 'app process killed (supervisor)',
      server: 'sys',
      checks: ['service', 'port', 'endpoint'],
      fixable: true,
      inject: (lab) => lab.fault('sys', 'service-kill', 'lab-app'),
      // the product may have started it already: start only what is not running
      undo: async (lab) =>
        void (await lab.exec(
          'sys',
          'supervisorctl status lab-app | grep -q RUNNING || supervisorctl start lab-app',
        )),
    },
  ],
];

interface Row {
  fault: string;
  fixable: true | string;
  detected: boolean;
  severity: string;
  runsToDetect?: number;
  falsePositives: string[];
  fixedVerified: boolean;
  noopFixed: boolean;
  escalated: boolean;
  notified: boolean;
  issues: number;
  closed: boolean;
  outcomes: string[];
  dropped: boolean;
}

interface Finding {
  fingerprint: string;
  severity: string;
  lifecycle: string;
}

describe.skipIf(skip !== undefined)('efficacy: incident lifecycles under the default config', () => {
  let lab: Lab;
  let gh: FakeGitHub;
  let ws: Workspace;
  let receiver: Server;
  const received: string[] = [];
  let runAction: LabActionRun;
  const rows: Row[] = [];

  beforeAll(async () => {
    lab = await startLab({ light: 3, nspawn: true });
    runAction = labAction(lab, 9100);
    gh = await startFakeGitHub({ owner: 'acme', repo: 'fleet', token: 'test-token' });
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        received.push(body);
        res.end('ok');
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const port = (receiver.address() as AddressInfo).port;
    ws = await makeWorkspace(config(`http://127.0.0.1:${port}/hook`));
  }, 300_000);

  afterAll(async () => {
    await lab?.undo('s3', 'boot-id').catch(() => undefined);
    await lab?.exec('s2', `rm -f ${FLAG}`).catch(() => undefined);
    await gh?.close();
    receiver?.close();
    if (ws) rmSync(ws.dir, { recursive: true, force: true });
    if (rows.length > 0) {
      const table = renderTable(rows);
      process.stdout.write(`\n${table}\n`);
      if (process.env.EFFICACY_OUT) writeFileSync(process.env.EFFICACY_OUT, `${table}\n`);
    }
  });

  function config(hook: string): string {
    const light = (name: string) =>
      labServerEntry(lab, name, {
        ports: [22, 8080],
        processes: ['app.py 8080'],
        endpoints: [{ url: APP, contains: 'ok', timeout: '2s' }],
        heartbeats: [{ path: HEARTBEAT, max_age: '2m' }],
        logs: [{ path: ERROR_LOG }],
        checks: [{ name: 'fault-flag', command: `cat ${FLAG} 2>/dev/null || echo 0`, crit: '> 0' }],
      });
    const sys = labServerEntry(lab, 'sys', {
      sudo: true,
      services: [
        { name: 'nginx', port: 80 },
        { name: 'postgresql', port: 5432 },
        { name: 'lab-app', manager: 'supervisor', port: 8080 },
      ],
      endpoints: [
        { url: NGINX, contains: 'nginx ok', timeout: '2s' },
        { url: APP, contains: 'ok', timeout: '2s' },
      ],
      databases: [{ kind: 'postgres' }],
    });
    return JSON.stringify({
      version: 1,
      defaults: {
        connect_timeout: '10s',
        // host-wide metrics only, see the header
        thresholds: {
          load: { warn: 50, crit: 100 },
          memory: { warn: 99, crit: 100 },
          swap: { warn: 99, crit: 100 },
        },
      },
      servers: [sys, light('s1'), light('s2'), light('s3')],
      remediations: {
        // the repo's playbook for a failing endpoint: it does not restart anything (a fix that does not work)
        'restart-app': {
          command: 'echo restart requested',
          risk: 'low',
          verify: ['endpoint'],
          cooldown: '1s',
          max_per_day: 50,
        },
        // the repo's playbook for log errors: a no-op
        'flush-log': { command: 'true', risk: 'low', verify: ['log'], cooldown: '1s', max_per_day: 50 },
      },
      notify: { webhook: { url: hook } },
    });
  }

  interface Run {
    result: BundleRun;
    findings: Finding[];
    actions: { action: string; server: string; decision: string; outcome: string }[];
    notifications: string[];
    /** the run's health report, as committed: what a failed assertion shows */
    report: string;
  }

  async function run(): Promise<Run> {
    const before = received.length;
    const result = await runAction(
      ws,
      { 'github-token': 'test-token' },
      { GITHUB_API_URL: gh.url, CLAUDEOPS_GITHUB_WAIT_SCALE: '0.01' },
    );
    expect(result.exitCode, result.stderr + result.stdout).toBe(0);
    const report = await stateFile(ws, result.outputs.report ?? '');
    const meta = frontMatter(report);
    const findings = ((meta.findings ?? []) as Finding[]).filter((f) => f.lifecycle !== 'resolved');
    const actions = ((meta.actions ?? []) as Run['actions']).filter((a) => a.decision === 'execute');
    return { result, findings, actions, notifications: received.slice(before), report };
  }

  const serverOf = (fp: string) => fp.split('/')[0] ?? '';
  const checkOf = (fp: string) => fp.split('/')[1] ?? '';
  const keyOfIssue = (body: string) => /<!-- claudeops:fingerprint=(\S+) -->/.exec(body)?.[1] ?? '';
  /** The issues tracking these fingerprints (its own, or a fleet issue listing it), with their state now. */
  const issuesFor = (fingerprints: ReadonlySet<string>) =>
    gh.state.issues
      .filter((i) => {
        const key = decodeURIComponent(keyOfIssue(i.body));
        return (
          fingerprints.has(key) ||
          (key.startsWith('fleet/') && [...fingerprints].some((fp) => i.body.includes(fp)))
        );
      })
      .map((i) => ({ number: i.number, state: i.state }));

  it('a healthy fleet raises nothing', async () => {
    const baseline = await run();
    expect(baseline.findings, baseline.report).toEqual([]);
    expect(baseline.result.outputs.status).toBe('ok');
  }, 120_000);

  it.each(GROUPS.map((g, i) => [i + 1, g] as const))(
    'group %i: every fault detected in the run that sees it, told once, fixed or escalated, closed after recovery',
    async (_, faults) => {
      for (const f of faults) await f.inject(lab);
      const during = [await run(), await run()];
      // the issues as they stand while the faults last (opened, or reopened for a recurrence)
      const openDuring = faults.map((f) => {
        const fps = new Set(
          during
            .flatMap((r) => r.findings.map((x) => x.fingerprint))
            .filter((fp) => serverOf(fp) === f.server && f.checks.includes(checkOf(fp))),
        );
        return {
          fps,
          open: issuesFor(fps)
            .filter((i) => i.state === 'open')
            .map((i) => i.number),
        };
      });
      for (const f of faults) await f.undo(lab);
      const after = [await run(), await run()];
      for (const [n, f] of faults.entries()) {
        const explained = (fp: string) => serverOf(fp) === f.server && f.checks.includes(checkOf(fp));
        const detectedAt = during.findIndex((r) => r.findings.some((x) => explained(x.fingerprint)));
        const mine = during.flatMap((r) => r.findings).filter((x) => explained(x.fingerprint));
        const actions = [...during, ...after].flatMap((r) => r.actions).filter((a) => a.server === f.server);
        const tracked = openDuring[n] ?? { fps: new Set<string>(), open: [] };
        const issues = issuesFor(tracked.fps).filter((i) => tracked.open.includes(i.number));
        const falsePositives = [...during, ...after]
          .flatMap((r) => r.findings)
          .filter((x) => serverOf(x.fingerprint) === f.server && !explained(x.fingerprint))
          .map((x) => x.fingerprint);
        const detectedRun = during[detectedAt];
        const notified = detectedRun?.notifications.some((n) => n.includes(f.server)) ?? false;
        const fixedVerified = actions.some((a) => a.outcome === 'fixed');
        const noopFixed = actions.some((a) => a.action === 'flush-log' && a.outcome === 'fixed');
        const escalated = !fixedVerified && issues.length > 0;
        const row: Row = {
          fault: f.name,
          fixable: f.fixable,
          detected: detectedAt >= 0,
          severity: mine.some((x) => x.severity === 'critical') ? 'critical' : (mine[0]?.severity ?? '—'),
          ...(detectedAt >= 0 ? { runsToDetect: detectedAt + 1 } : {}),
          falsePositives: [...new Set(falsePositives)],
          fixedVerified,
          noopFixed,
          escalated,
          notified,
          issues: issues.length,
          closed: issues.length > 0 && issues.every((i) => i.state === 'closed'),
          outcomes: actions.map((a) => `${a.action}:${a.outcome}`),
          dropped: detectedAt < 0 || (!fixedVerified && issues.length === 0 && !notified),
        };
        rows.push(row);
      }
      // a finding on a faulted server that its fault does not explain is a false positive
      for (const row of rows.slice(-faults.length)) {
        expect(row.detected, `${row.fault}: detected`).toBe(true);
        expect(row.dropped, `${row.fault}: silently dropped`).toBe(false);
        expect(row.noopFixed, `${row.fault}: a no-op recorded as fixed`).toBe(false);
        expect(row.falsePositives, `${row.fault}: findings it does not explain`).toEqual([]);
        expect(row.notified, `${row.fault}: notified in the run that detected it`).toBe(true);
        expect(row.issues, `${row.fault}: an issue`).toBeGreaterThan(0);
        expect(row.closed, `${row.fault}: its issues closed after close_after_ok_runs ok runs`).toBe(true);
      }
    },
    PIPELINE_RUNS_TIMEOUT,
  );

  it('the repository playbooks were judged truthfully: a no-op is unverified, a fix that does not work is not fixed', () => {
    const outcomes = rows.flatMap((r) => r.outcomes);
    expect(outcomes.filter((o) => o.startsWith('flush-log:'))).not.toContain('flush-log:fixed');
    expect(outcomes).toContain('flush-log:unverified');
    expect(outcomes).toContain('restart-app:not-fixed');
    // the endpoint playbook is never credited with what restart-service nginx fixed a moment before
    expect(outcomes).not.toContain('restart-app:fixed');
    // the catalog's own fixes that do work are verified: nginx and postgres restarted
    expect(rows.filter((r) => r.fixedVerified).map((r) => r.fault)).toEqual(
      expect.arrayContaining(['service killed (nginx)', 'postgres stopped']),
    );
  });

  it('fixes and verifies at least 90 % of the faults an allowlisted action can end (issue 23)', () => {
    const fixable = rows.filter((r) => r.fixable === true);
    expect(fixable.map((r) => r.fault)).toEqual(
      expect.arrayContaining([
        'service killed (nginx)',
        'postgres stopped',
        'app process killed (supervisor)',
      ]),
    );
    const missed = fixable
      .filter((r) => !r.fixedVerified)
      .map((r) => `${r.fault}: ${r.outcomes.join(' ') || 'no action'}`);
    expect(fixable.length - missed.length, missed.join('\n')).toBeGreaterThanOrEqual(0.9 * fixable.length);
  });
});

function renderTable(rows: Row[]): string {
  const head = [
    'fault',
    'fixable',
    'detected',
    'severity',
    'runs to detect',
    'false positives',
    'fixed+verified',
    'escalated',
    'notified',
    'issues closed',
    'silently dropped',
    'actions',
  ];
  const lines = rows.map((r) => [
    r.fault,
    r.fixable === true ? 'yes' : `no: ${r.fixable}`,
    r.detected ? 'yes' : 'NO',
    r.severity,
    r.runsToDetect ?? '—',
    r.falsePositives.length,
    r.fixedVerified ? 'yes' : 'no',
    r.escalated ? 'yes' : 'no',
    r.notified ? 'yes' : 'no',
    r.closed ? 'yes' : 'no',
    r.dropped ? 'YES' : 'no',
    r.outcomes.join(' ') || '—',
  ]);
  const detected = rows.filter((r) => r.detected);
  const fixable = rows.filter((r) => r.fixable === true);
  const fixedOfFixable = fixable.filter((r) => r.fixedVerified).length;
  const mean = detected.reduce((s, r) => s + (r.runsToDetect ?? 0), 0) / Math.max(1, detected.length);
  const totals = [
    `faults: ${rows.length}`,
    `detected: ${detected.length}`,
    `false positives: ${rows.reduce((s, r) => s + r.falsePositives.length, 0)}`,
    `fixed and verified: ${rows.filter((r) => r.fixedVerified).length}`,
    `fixable: ${fixable.length}, fixed and verified: ${fixedOfFixable} (${shareOf(fixedOfFixable, fixable.length)})`,
    `escalated: ${rows.filter((r) => r.escalated).length}`,
    `silently dropped: ${rows.filter((r) => r.dropped).length}`,
    `no-op counted as fixed: ${rows.filter((r) => r.noopFixed).length}`,
    `mean runs to detect: ${mean.toFixed(2)}`,
  ];
  const md = [
    `| ${head.join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
    ...lines.map((l) => `| ${l.join(' | ')} |`),
  ];
  return ['Efficacy (default config, bundled action, lab)', '', ...md, '', totals.join(' · ')].join('\n');
}

const shareOf = (n: number, of: number) => (of === 0 ? '—' : `${Math.round((100 * n) / of)} %`);
