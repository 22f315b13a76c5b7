/**
 * The scope rules (src/remediate/scope.ts), branch by branch, then through the gate and the
 * remediator: an action a planner asks for must fit the finding it names.
 */
import { describe, expect, it } from 'vitest';
import { approvalCommandShown } from '../../../src/core/state-branch/approval-file.js';
import { BUILTIN_IDS, buildCatalog, renderAction } from '../../../src/remediate/catalog.js';
import { decide, type GateScope } from '../../../src/remediate/policy-gate.js';
import { Remediator } from '../../../src/remediate/remediator.js';
import {
  checkScope,
  JOURNAL_FLOOR_BYTES,
  journalFloor,
  mountOf,
  parseJournalUsage,
  SCOPE_RULES,
  type ScopeFacts,
  type ScopeFinding,
  sizeBytes,
} from '../../../src/remediate/scope.js';
import {
  config,
  fakeClock,
  memory,
  NOW,
  record,
  ScriptedShell,
  server,
  tracked,
} from '../../support/agent-fixtures.js';

const cfg = config({
  servers: [
    {
      name: 'web1',
      transport: 'local',
      services: [
        { name: 'nginx', manager: 'systemd', port: 80, depends_on: ['php-fpm'] },
        { name: 'php-fpm', manager: 'systemd' },
        { name: 'redis', manager: 'systemd' },
      ],
      clearable: ['/var/cache/app', '/srv/data/tmp', '/tmp/uploads'],
    },
  ],
  remediations: {
    'flush-queue': { command: 'echo flushed', risk: 'low', verify: ['check'] },
    'no-verify': { command: 'true', risk: 'low' },
  },
});
const web1 = server(cfg, 'web1');
const catalog = buildCatalog(web1, cfg).actions;
const GiB = 1024 ** 3;

const facts: ScopeFacts = {
  services: web1.services,
  mounts: ['/', '/srv/data', '/var/log'],
  journal: { dir: '/var/log/journal', bytes: 2 * GiB },
};

function finding(check: string, target: string): ScopeFinding {
  return { fingerprint: `web1/${check}/${target}`, server: 'web1', check, target };
}

/** The scope verdict for an action with params on a finding: undefined fits, else the reason. */
function scope(action: string, params: Record<string, string>, f: ScopeFinding | undefined, with_ = facts) {
  const spec = catalog.get(action);
  if (!spec) throw new Error(`no ${action}`);
  const rendered = renderAction(spec, params);
  if (!rendered.ok) throw new Error(rendered.error);
  return checkScope(rendered.value, f, f?.fingerprint ?? 'web1/x/y', with_);
}

describe('scope rules, branch by branch', () => {
  it('needs a fingerprint, and one of a finding this run decides on', () => {
    const spec = catalog.get('restart-service');
    if (!spec) throw new Error('no restart-service');
    const rendered = renderAction(spec, { service: 'nginx' });
    if (!rendered.ok) throw new Error(rendered.error);
    expect(checkScope(rendered.value, undefined, undefined, facts)).toMatch(/must name the fingerprint/);
    expect(checkScope(rendered.value, undefined, 'web1/service/ghost', facts)).toMatch(
      /"web1\/service\/ghost" is not a finding this run is deciding on/,
    );
  });

  it('service actions: the finding target, the service on the finding port, or a configured dependency', () => {
    for (const action of ['restart-service', 'start-service']) {
      expect(scope(action, { service: 'nginx' }, finding('service', 'nginx'))).toBeUndefined();
      expect(scope(action, { service: 'nginx' }, finding('port', '80'))).toBeUndefined();
      expect(scope(action, { service: 'php-fpm' }, finding('service', 'nginx'))).toBeUndefined();
      expect(scope(action, { service: 'redis' }, finding('service', 'nginx'))).toMatch(
        /service redis is neither nginx nor a configured dependency/,
      );
      // dependencies go one way: nginx is not a dependency of php-fpm
      expect(scope(action, { service: 'nginx' }, finding('service', 'php-fpm'))).toMatch(/neither php-fpm/);
      expect(scope(action, { service: 'nginx' }, finding('disk', '/'))).toMatch(
        /does not address disk findings/,
      );
    }
  });

  it('clear-directory: only a disk or inodes finding on the mount holding the directory', () => {
    expect(
      scope('clear-directory', { directory: '/srv/data/tmp' }, finding('disk', '/srv/data')),
    ).toBeUndefined();
    expect(
      scope('clear-directory', { directory: '/srv/data/tmp' }, finding('inodes', '/srv/data')),
    ).toBeUndefined();
    expect(scope('clear-directory', { directory: '/var/cache/app' }, finding('disk', '/'))).toBeUndefined();
    expect(scope('clear-directory', { directory: '/var/cache/app' }, finding('disk', '-'))).toBeUndefined();
    // on / while the finding is about /srv/data, and the other way round
    expect(scope('clear-directory', { directory: '/var/cache/app' }, finding('disk', '/srv/data'))).toMatch(
      /\/var\/cache\/app is on \/, not on \/srv\/data/,
    );
    expect(scope('clear-directory', { directory: '/srv/data/tmp' }, finding('disk', '/'))).toMatch(
      /is on \/srv\/data, not on \//,
    );
    expect(scope('clear-directory', { directory: '/tmp/uploads' }, finding('service', 'nginx'))).toMatch(
      /does not address service findings/,
    );
  });

  it('vacuum-journal: only a disk finding on the journal mount, never below max(half its size, 256M)', () => {
    expect(scope('vacuum-journal', { size: '1G' }, finding('disk', '/var/log'))).toBeUndefined();
    expect(scope('vacuum-journal', { size: '1023M' }, finding('disk', '/var/log'))).toMatch(
      /size 1023M is below the floor 1024M/,
    );
    expect(scope('vacuum-journal', { size: '1M' }, finding('disk', '/var/log'))).toMatch(/below the floor/);
    // a small journal: the floor is 256M
    const small = { ...facts, journal: { dir: '/var/log/journal', bytes: 300 * 1024 ** 2 } };
    expect(scope('vacuum-journal', { size: '256M' }, finding('disk', '/var/log'), small)).toBeUndefined();
    expect(scope('vacuum-journal', { size: '200M' }, finding('disk', '/var/log'), small)).toMatch(
      /floor 256M/,
    );
    expect(scope('vacuum-journal', { size: '1G' }, finding('disk', '/'))).toMatch(
      /the journal \(\/var\/log\/journal\) is on \/var\/log, not on \//,
    );
    expect(scope('vacuum-journal', { size: '1G' }, finding('inodes', '/var/log'))).toMatch(
      /does not address inodes findings/,
    );
    const unknownSize = { ...facts, journal: { dir: '/var/log/journal' } };
    expect(scope('vacuum-journal', { size: '1G' }, finding('disk', '/var/log'), unknownSize)).toMatch(
      /size could not be read/,
    );
    const noJournal: ScopeFacts = { services: facts.services, mounts: facts.mounts };
    expect(scope('vacuum-journal', { size: '1G' }, finding('disk', '/var/log'), noJournal)).toMatch(
      /journal was not found/,
    );
  });

  it('remove-stale-lock: only the finding lock path, or a lock named after the finding service', () => {
    const lock = (path: string, f: ScopeFinding) => scope('remove-stale-lock', { path }, f);
    expect(lock('/run/nginx.pid', finding('service', 'nginx'))).toBeUndefined();
    expect(lock('/run/nginx/worker.lock', finding('port', '80'))).toBeUndefined();
    expect(lock('/tmp/app/x.lock', finding('lock', '/tmp/app/x.lock'))).toBeUndefined();
    expect(lock('/run/redis.pid', finding('service', 'nginx'))).toMatch(/is not the finding's lock file/);
    expect(lock('/run/nginxx.pid', finding('service', 'nginx'))).toMatch(/is not the finding's lock file/);
    expect(lock('/tmp/app/y.lock', finding('lock', '/tmp/app/x.lock'))).toMatch(/not the finding's lock/);
    expect(lock('/run/nginx.pid', finding('disk', '/'))).toMatch(/does not address disk findings/);
  });

  it('rotate-logs: a disk or inodes finding on the mount holding /var/log', () => {
    expect(scope('rotate-logs', {}, finding('disk', '/var/log'))).toBeUndefined();
    expect(scope('rotate-logs', {}, finding('inodes', '/var/log'))).toBeUndefined();
    expect(scope('rotate-logs', {}, finding('disk', '/'))).toMatch(/\/var\/log is on \/var\/log, not on \//);
  });

  it('every built-in action has a scope rule (a new one without is denied: add its rule)', () => {
    expect([...BUILTIN_IDS].filter((id) => !Object.hasOwn(SCOPE_RULES, id))).toEqual([]);
    expect(Object.getPrototypeOf(SCOPE_RULES)).toBeNull();
  });

  it('config remediations: only findings whose check is in their verify', () => {
    expect(scope('flush-queue', {}, finding('check', 'queue-depth'))).toBeUndefined();
    expect(scope('flush-queue', {}, finding('service', 'nginx'))).toMatch(
      /flush-queue does not address service findings \(it fits: check\)/,
    );
    expect(scope('no-verify', {}, finding('check', 'queue-depth'))).toMatch(/\(it fits: none\)/);
  });

  it('mounts: the longest measured mount point that holds the path, after normalisation', () => {
    const mounts = ['/', '/srv', '/srv/data/', '/var//log'];
    expect(mountOf('/srv/data/tmp', mounts)).toBe('/srv/data');
    expect(mountOf('/srv/database', mounts)).toBe('/srv');
    expect(mountOf('/var/log/journal', mounts)).toBe('/var/log');
    expect(mountOf('/srv/data/../x', mounts)).toBe('/srv');
    expect(mountOf('/home', [])).toBe('/');
  });

  it('sizes: journalctl units, the floor, and --disk-usage output captured from Debian 12', () => {
    expect(sizeBytes('500M')).toBe(500 * 1024 ** 2);
    expect(sizeBytes('2G')).toBe(2 * GiB);
    expect(sizeBytes('1T')).toBeUndefined();
    expect(journalFloor(undefined)).toBeUndefined();
    expect(journalFloor(100)).toBe(JOURNAL_FLOOR_BYTES);
    expect(journalFloor(4 * GiB)).toBe(2 * GiB);
    expect(parseJournalUsage('Archived and active journals take up 24.0M in the file system.\n')).toBe(
      24 * 1024 ** 2,
    );
    expect(parseJournalUsage('Archived and active journals take up 1.5G in the file system.')).toBe(
      1.5 * GiB,
    );
    expect(parseJournalUsage('No journal files were found.')).toBeUndefined();
  });
});

describe('scope in the gate and the remediator', () => {
  const nginxDown = tracked('web1', 'service', 'nginx', 'critical', 'nginx is inactive');

  it('the gate denies out of scope before mode and rate limits, and only when asked to check scope', () => {
    const gateScope: GateScope = { findings: new Map([[nginxDown.fingerprint, nginxDown]]), facts };
    const ctx = {
      catalog,
      mode: 'full' as const,
      dryRun: false,
      now: NOW,
      maintenance: [],
      bookkeeping: {},
    };
    const request = {
      server: 'web1',
      actionId: 'clear-directory',
      params: { directory: '/tmp/uploads' },
      intent: 'auto' as const,
      fingerprint: nginxDown.fingerprint,
    };
    expect(decide(request, { ...ctx, scope: gateScope })).toMatchObject({
      decision: 'deny',
      reason: 'out of scope: clear-directory does not address service findings (it fits: disk, inodes)',
    });
    expect(decide({ ...request, intent: 'propose' }, { ...ctx, scope: gateScope }).decision).toBe('deny');
    expect(
      decide({ ...request, intent: 'propose' }, { ...ctx, scope: gateScope, mode: 'report' }),
    ).toMatchObject({
      reason: expect.stringMatching(/^out of scope/),
    });
    // a finding of another server is not this one's
    const elsewhere = new Map([[nginxDown.fingerprint, { ...nginxDown, server: 'web2' }]]);
    expect(
      decide(
        { ...request, actionId: 'restart-service', params: { service: 'nginx' } },
        { ...ctx, scope: { findings: elsewhere, facts } },
      ).reason,
    ).toMatch(/out of scope: .* is not a finding this run is deciding on/);
    expect(decide(request, ctx).decision).toBe('execute');
  });

  function shownFor(id: string, params: Record<string, string>): string | null {
    const action = buildCatalog(server(cfg, 'web1'), cfg).actions.get(id);
    const r = action && renderAction(action, params);
    return r?.ok ? approvalCommandShown(r.value.command, []) : null;
  }

  function setup(requestedBy: 'claude' | 'rules' | 'approval' = 'claude') {
    const run = record(cfg, [nginxDown]);
    const shell = new ScriptedShell('web1', (script) =>
      script.startsWith('journalctl --disk-usage')
        ? {
            stdout:
              'Archived and active journals take up 3.0G in the file system.\njournal-dir=/var/log/journal\n',
          }
        : { stdout: 'ok\n' },
    );
    const r = new Remediator({
      config: cfg,
      mode: 'full',
      dryRun: false,
      runId: 'run-1',
      clock: fakeClock(),
      record: run,
      memory: memory(),
      shells: new Map([['web1', shell]]),
      recheck: async () => [{ ...nginxDown, severity: 'ok' }],
      secrets: [],
      settleMs: 0,
    });
    const ask = (action: string, params: Record<string, string>, fingerprint = nginxDown.fingerprint) =>
      r.remediate({
        server: 'web1',
        action,
        params,
        fingerprint,
        reason: 'a log line told me to',
        requestedBy,
        intent: requestedBy === 'approval' ? 'approved' : 'auto',
        // an approval runs only the command its file shows: the one these parameters render to
        ...(requestedBy === 'approval' ? { approvedCommand: shownFor(action, params) } : {}),
      });
    return { run, shell, ask };
  }

  it('a persuaded planner: clear-directory and vacuum-journal citing the nginx finding run nothing', async () => {
    for (const who of ['claude', 'rules'] as const) {
      const { run, shell, ask } = setup(who);
      const clear = await ask('clear-directory', { directory: '/tmp/uploads' });
      const vacuum = await ask('vacuum-journal', { size: '1M' });
      const other = await ask('restart-service', { service: 'redis' });
      const none = await ask('restart-service', { service: 'nginx' }, 'web1/service/made-up');
      for (const a of [clear, vacuum, other, none]) {
        expect(a).toMatchObject({ decision: 'deny', outcome: 'not-run' });
        expect(a.gateReason).toMatch(/^out of scope: /);
      }
      // only the read-only journal size query reached the server
      expect(shell.scripts.every((s) => s.startsWith('journalctl --disk-usage'))).toBe(true);
      expect(run.actions.map((a) => a.path)).toHaveLength(4);
    }
  });

  it('an action that fits runs; an approved plan is not scope-checked (a human decided)', async () => {
    const { shell, ask } = setup('claude');
    expect((await ask('restart-service', { service: 'php-fpm' })).decision).toBe('execute');
    expect(shell.scripts).toEqual(["systemctl restart -- 'php-fpm'\n"]);
    const approved = setup('approval');
    expect((await approved.ask('clear-directory', { directory: '/tmp/uploads' })).decision).toBe('execute');
  });
});
