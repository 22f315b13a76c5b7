/**
 * Boot recovery (docs/architecture.md#pipeline `recover`, #state-branch `boot/` logs and reboot detection) end to end: the
 * BUNDLED action (dist/index.js under Node 24, as a runner runs it) over real SSH against the
 * lab's systemd server `sys` (real systemd, postgresql, redis-server, nginx), a real reboot of it,
 * and a bare git repository for the remote that holds the state branch.
 *
 * After the reboot, the services in `boot.order` do not come up by themselves: they are not
 * enabled (the operator's classic "forgot to enable it" — on an nspawn reboot the changed unit
 * links persist, like on disk). Scenarios:
 *   1. task recover after a reboot: started in boot order, each waited for until ready; boot log;
 *      the report notes the reboot;
 *   2. the scheduled check right after a reboot notices it (boot id changed) and recovers; the
 *      next check does not recover again;
 *   3. mode report and dry run: recorded, nothing started;
 *   4. a service that cannot become ready (broken config: start fails; wrong listen port: ready
 *      timeout): recorded as failed / not ready; what comes after it in boot.order depends on it
 *      and is blocked, never started; status critical.
 *
 * Every test leaves sys as it found it (afterEach: units enabled again, configs restored, every
 * service active and listening).
 */
import { rmSync } from 'node:fs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Lab, labSkipReason, startLab } from '../../lab/lab.js';
import {
  expectStatus,
  type LabActionRun,
  labAction,
  labOutput,
  labServerEntry,
  labUnitState,
  runDocuments,
  runReport,
  type StateDocument,
  succeeded,
  waitUntil,
} from '../../support/lab-setup.js';
import { QUIET_HOST_THRESHOLDS } from '../../support/quiet-host.js';
import { type BundleRun, makeWorkspace, stateFile, type Workspace } from '../../support/runner.js';

const skip = labSkipReason();
if (skip) console.warn(`recover scenarios skipped: ${skip}`);

/** The services of the scenarios, with the port each listens on when it is ready. */
const PORTS = { postgresql: 5432, 'redis-server': 6379, nginx: 80 } as const;
type Service = keyof typeof PORTS;
const ORDER: Service[] = ['postgresql', 'redis-server', 'nginx'];
/** A broken nginx config: `nginx -t` (ExecStartPre) fails, so nginx cannot start. */
const BROKEN_CONF = '/etc/nginx/conf.d/zz-claudeops-recover-broken.conf';
/** Where scenario 4b keeps the lab's nginx site while nginx listens on the wrong port. */
const SITE = '/etc/nginx/sites-enabled/default';
const SITE_SAVED = '/var/tmp/claudeops-recover-site-default';
const WRONG_PORT_CONF = '/etc/nginx/conf.d/zz-claudeops-recover-port.conf';

interface UnitTimes {
  /** monotonic µs: when the start began (left inactive) and when it became active (ready) */
  startedAt: number;
  activeAt: number;
}

describe.skipIf(skip !== undefined)(
  'boot recovery: bundled action against the lab after a real reboot',
  () => {
    let lab: Lab;
    let runAction: LabActionRun;
    const workspaces: Workspace[] = [];

    beforeAll(async () => {
      lab = await startLab({ light: 3, nspawn: true });
      runAction = labAction(lab, 8100);
    }, 300_000);

    afterEach(async () => {
      // configs first: a broken nginx config would keep nginx from starting again
      await sh(
        `rm -f ${BROKEN_CONF} ${WRONG_PORT_CONF}; if [ -e ${SITE_SAVED} ]; then mv -f ${SITE_SAVED} ${SITE}; fi`,
      );
      await sh(
        `systemctl enable --quiet ${ORDER.join(' ')} 2>&1; systemctl reset-failed 2>/dev/null; systemctl start ${ORDER.join(' ')}
       ss -Hltn 'sport = :80' | grep -q . || systemctl restart nginx`,
      );
      await waitFor(async () => {
        for (const s of ORDER) if (!(await ready(s))) return false;
        return true;
      }, 'postgresql, redis-server and nginx enabled, active and listening again');
      for (const s of ORDER) expect(await sh(`systemctl is-enabled ${s}`)).toBe('enabled');
      for (const ws of workspaces.splice(0)) rmSync(ws.dir, { recursive: true, force: true });
    }, 120_000);

    // ---------------------------------------------------------------- helpers

    const sh = (command: string) => labOutput(lab, 'sys', command);
    const unitState = (unit: string) => labUnitState(lab, 'sys', unit);

    async function listening(port: number): Promise<boolean> {
      return (await sh(`ss -Hltn 'sport = :${port}' | grep -c . || true`)) !== '0';
    }

    async function ready(service: Service): Promise<boolean> {
      return (await unitState(service)) === 'active' && (await listening(PORTS[service]));
    }

    async function down(service: Service): Promise<boolean> {
      return (await unitState(service)) !== 'active' && !(await listening(PORTS[service]));
    }

    const waitFor = (check: () => Promise<boolean>, what: string, timeoutMs = 60_000) =>
      waitUntil(what, check, timeoutMs);

    async function bootId(): Promise<string> {
      return sh('cat /proc/sys/kernel/random/boot_id');
    }

    /** The real thing on a server: the services are not enabled, so a reboot leaves them down. */
    async function rebootWithServicesDisabled(): Promise<{ before: string; after: string }> {
      await sh(`systemctl disable --quiet ${ORDER.join(' ')} 2>&1`);
      const before = await bootId();
      await lab.reboot('sys');
      const after = await bootId();
      expect(after).toMatch(/^[0-9a-f-]{36}$/);
      expect(after).not.toBe(before);
      // systemd finished booting (lab.reboot waits for it) and none of the three came up
      for (const s of ORDER) expect(await down(s), `${s} down after the reboot`).toBe(true);
      return { before, after };
    }

    /** Services down without a reboot (scenarios 3 and 4: task recover starts whatever is down). */
    async function stopAll(): Promise<void> {
      await sh(`systemctl stop ${ORDER.join(' ')} 'postgresql@*'`);
      await waitFor(async () => {
        for (const s of ORDER) if (!(await down(s))) return false;
        return true;
      }, 'postgresql, redis-server and nginx stopped');
    }

    /** start → active times of a unit on sys (systemd's monotonic clock, µs). */
    async function unitTimes(unit: string): Promise<UnitTimes> {
      const out = await sh(
        `systemctl show -p InactiveExitTimestampMonotonic -p ActiveEnterTimestampMonotonic ${unit}`,
      );
      const value = (key: string): number => Number(new RegExp(`^${key}=(\\d+)$`, 'm').exec(out)?.[1] ?? 0);
      return {
        startedAt: value('InactiveExitTimestampMonotonic'),
        activeAt: value('ActiveEnterTimestampMonotonic'),
      };
    }

    /** The postgres cluster unit that actually runs the server (postgresql.service is a wrapper). */
    async function clusterUnit(): Promise<string> {
      const unit = await sh(
        `systemctl list-units --all --plain --no-legend 'postgresql@*' | awk '{print $1}'`,
      );
      expect(unit).toMatch(/^postgresql@[\w.-]+\.service$/);
      return unit;
    }

    interface ConfigOptions {
      order?: string[];
      readyTimeout?: string;
    }

    function config(o: ConfigOptions = {}): string {
      const server = labServerEntry(lab, 'sys', {
        sudo: true,
        // only the services decide health here
        thresholds: QUIET_HOST_THRESHOLDS,
        // ready = the service's own checks: active, listening on its port, and for the databases
        // their real query (postgres select 1, redis PING)
        services: ORDER.map((name) => ({ name, manager: 'systemd', port: PORTS[name] })),
        databases: [{ kind: 'postgres' }, { kind: 'redis' }],
        boot: { order: o.order ?? ORDER, ready_timeout: o.readyTimeout ?? '60s' },
      });
      // JSON is YAML: the config is exactly these objects
      return JSON.stringify({
        version: 1,
        mode: 'safe',
        defaults: { connect_timeout: '10s' },
        servers: [server],
        github: { issues: false, approvals: false },
      });
    }

    async function workspace(o: ConfigOptions = {}): Promise<Workspace> {
      const ws = await makeWorkspace(config(o));
      workspaces.push(ws);
      return ws;
    }

    async function run(ws: Workspace, inputs: Record<string, string> = {}): Promise<BundleRun> {
      return succeeded(await runAction(ws, inputs));
    }

    const report = runReport;

    /** The files under `dir/` on origin's state branch that one run wrote. */
    async function logsOf(
      ws: Workspace,
      result: BundleRun,
      dir: 'actions' | 'boot',
    ): Promise<StateDocument[]> {
      const logs = await runDocuments(ws, result, dir);
      return logs.sort((a, b) => String(a.meta.at).localeCompare(String(b.meta.at)));
    }

    async function serverState(ws: Workspace): Promise<{ bootId?: string; reboots: string[] }> {
      return JSON.parse(await stateFile(ws, 'state/sys.json')) as { bootId?: string; reboots: string[] };
    }

    /** The boot log's table rows: [service, state, waited, detail]. */
    function bootRows(log: StateDocument): string[][] {
      return log.body
        .split('\n')
        .filter(
          (l) =>
            /^\| [\w.@-]+ \| [\w-]+ \|/.test(l) &&
            !l.startsWith('| service |') &&
            !l.startsWith('| finding |'),
        )
        .map((l) =>
          l
            .slice(1, -1)
            .split(' | ')
            .map((c) => c.trim()),
        );
    }

    /**
     * What every successful recovery shows: on sys, each service started only after the one before
     * it was ready (systemd's own timestamps), and all of them ready now; on the state branch, one
     * executed start-service per service, requested by recover, in order, each verified as ready.
     */
    async function expectRecoveredInOrder(ws: Workspace, result: BundleRun): Promise<StateDocument[]> {
      for (const s of ORDER) expect(await ready(s), `${s} active and listening`).toBe(true);
      const pg = await unitTimes(await clusterUnit());
      const redis = await unitTimes('redis-server');
      const nginx = await unitTimes('nginx');
      expect(pg.activeAt).toBeGreaterThan(0);
      expect(pg.activeAt).toBeLessThanOrEqual(redis.startedAt);
      expect(redis.startedAt).toBeLessThan(redis.activeAt);
      expect(redis.activeAt).toBeLessThanOrEqual(nginx.startedAt);
      expect(nginx.startedAt).toBeLessThan(nginx.activeAt);

      const actions = await logsOf(ws, result, 'actions');
      const starts = actions.filter((a) => a.meta.action === 'start-service');
      expect(
        starts.map((a) => [a.meta.target, a.meta.decision, a.meta.outcome, a.meta.requested_by]),
      ).toEqual(ORDER.map((s) => [s, 'execute', 'fixed', 'recover']));
      const at = starts.map((a) => Date.parse(String(a.meta.at)));
      expect(at).toEqual([...at].sort((a, b) => a - b));
      for (const a of starts) {
        expect(a.meta.exit_code).toBe(0);
        expect(a.body).toContain(`systemctl start -- '${a.meta.target}'`);
        expect(a.body).toMatch(/## Verification\n\nready after \d+ s/);
      }
      // nothing else was needed: the services collected as down were brought up by the recovery
      expect(actions).toHaveLength(3);
      return starts;
    }

    /**
     * The health report and the job summary of a run that recovered sys: the reboot, the boot
     * recovery with a link to its log, and no planning left for what the recovery brought up
     * (the services and their ports were collected as down); only the reboot itself is left.
     */
    async function expectReported(ws: Workspace, result: BundleRun, boot: StateDocument): Promise<void> {
      const { meta, body } = await report(ws, result);
      expect(body).toContain('🔁 rebooted: sys (boot id changed)');
      expect(body).toContain(
        `## Boot recovery\n\n### sys\n\nTrigger: ${String(boot.meta.trigger)} · log: \`${boot.path}\``,
      );
      for (const s of ORDER)
        expect(body).toMatch(
          new RegExp(
            `\\| ${s} \\| started \\| \\d+ s \\| systemd: started and ready \\(systemd running, port \\d+ listening`,
          ),
        );
      expect(meta.recoveries).toEqual([
        { server: 'sys', trigger: boot.meta.trigger, failed: 0, log: boot.path },
      ]);
      const diagnosis = /## Diagnosis\n([\s\S]*?)\n## /.exec(body)?.[1] ?? '';
      expect(diagnosis).toContain('| sys/reboot/- |');
      expect(diagnosis).not.toMatch(/sys\/(service|port)\//);
      expect(meta.planner).toBe('rules');
      expect(result.summary).toContain(`### Boot recovery\n\nsys: ${String(boot.meta.trigger)}`);
      expect(result.summary).toContain(
        `(https://github.example/acme/fleet/blob/claudeops-state/${boot.path})`,
      );
    }

    // ---------------------------------------------------------------- scenarios

    it('1. task recover after a reboot: services started in boot.order, each waited for until ready; boot log; reboot noted', async () => {
      const ws = await workspace();
      const baseline = await run(ws);
      await expectStatus(ws, baseline, 'ok');
      const first = await bootId();
      expect((await serverState(ws)).bootId).toBe(first);

      const { before, after } = await rebootWithServicesDisabled();
      const started = Date.now();
      const result = await run(ws, { task: 'recover' });
      const took = Date.now() - started;

      await expectRecoveredInOrder(ws, result);
      expect(result.outputs.actions).toBe('3');

      // one boot log on origin's state branch, saying what was done and why
      const boots = await logsOf(ws, result, 'boot');
      expect(boots).toHaveLength(1);
      const boot = boots[0] as StateDocument;
      expect(boot.path).toMatch(/^boot\/\d{4}-\d{2}-\d{2}-\d{6}-sys\.md$/);
      expect(boot.meta).toMatchObject({
        server: 'sys',
        services: 3,
        failed: 0,
        mode: 'safe',
        dry_run: false,
      });
      // the task, and the reboot it found
      expect(boot.meta.trigger).toBe(
        `task recover (rebooted: boot id ${before.slice(0, 8)}… → ${after.slice(0, 8)}…)`,
      );
      expect(boot.body).toContain('# Boot recovery of sys');
      const rows = bootRows(boot);
      expect(rows.map((r) => [r[0], r[1], r[3]])).toEqual(
        ORDER.map((s) => [
          s,
          'started',
          expect.stringMatching(/^systemd: started and ready \(systemd running, port \d+ listening/),
        ]),
      );
      for (const r of rows) {
        const waited = Number(/^(\d+) s$/.exec(r[2] ?? '')?.[1] ?? Number.NaN);
        expect(waited * 1000).toBeLessThanOrEqual(took);
      }

      // the report notes the reboot and the recovery, and memory now holds the new boot id
      expect((await report(ws, result)).meta.task).toBe('recover');
      await expectReported(ws, result, boot);
      const state = await serverState(ws);
      expect(state.bootId).toBe(after);
      expect(state.reboots).toHaveLength(1);
    });

    it('2. the scheduled check right after a reboot notices the new boot id and recovers; the next check does not', async () => {
      const ws = await workspace();
      await run(ws);
      const { before, after } = await rebootWithServicesDisabled();

      const result = await run(ws); // task check, as the cron run
      await expectRecoveredInOrder(ws, result);
      const boots = await logsOf(ws, result, 'boot');
      expect(boots).toHaveLength(1);
      expect(boots[0]?.meta).toMatchObject({
        server: 'sys',
        trigger: `rebooted: boot id ${before.slice(0, 8)}… → ${after.slice(0, 8)}…`,
        services: 3,
        failed: 0,
      });
      expect((await report(ws, result)).meta.task).toBe('check');
      await expectReported(ws, result, boots[0] as StateDocument);
      expect((await serverState(ws)).bootId).toBe(after);

      // the following scheduled check: same boot, everything up, nothing to recover or do
      const next = await run(ws);
      expect(await logsOf(ws, next, 'boot')).toEqual([]);
      expect(await logsOf(ws, next, 'actions')).toEqual([]);
      expect(next.outputs.actions).toBe('0');
      await expectStatus(ws, next, 'ok');
    });

    it('3. mode report and dry run: the recovery is decided and recorded, nothing is started', async () => {
      const passes: Record<string, string>[] = [{ mode: 'report' }, { 'dry-run': 'true' }];
      for (const inputs of passes) {
        const ws = await workspace();
        await stopAll();
        const result = await run(ws, { task: 'recover', ...inputs });

        for (const s of ORDER)
          expect(await down(s), `${s} still down (${JSON.stringify(inputs)})`).toBe(true);
        expect(result.outputs.actions).toBe('0');
        const decision = inputs.mode === 'report' ? 'deny' : 'dry-run';
        const actions = await logsOf(ws, result, 'actions');
        const starts = actions.filter((a) => a.meta.requested_by === 'recover');
        expect(starts.map((a) => [a.meta.action, a.meta.target, a.meta.decision, a.meta.outcome])).toEqual(
          ORDER.map((s) => ['start-service', s, decision, 'not-run']),
        );
        for (const a of actions) expect(a.body).not.toContain('## Output');

        const boots = await logsOf(ws, result, 'boot');
        expect(boots).toHaveLength(1);
        expect(boots[0]?.meta).toMatchObject({
          server: 'sys',
          trigger: 'task recover',
          failed: 0,
          mode: inputs.mode ?? 'safe',
          dry_run: inputs.mode === undefined,
        });
        const rows = bootRows(boots[0] as StateDocument);
        expect(rows.map((r) => [r[0], r[1]])).toEqual(ORDER.map((s) => [s, 'skipped']));
        for (const r of rows)
          expect(r[3]).toMatch(inputs.mode === 'report' ? /^deny: mode report observes only/ : /^dry-run: /);
        // the services were down when collected: the run says so
        expect(result.outputs.status).toBe('critical');
        await sh(`systemctl start ${ORDER.join(' ')}`); // back up for the second pass
        await waitFor(async () => (await Promise.all(ORDER.map(ready))).every(Boolean), 'services up');
      }
    });

    it('4a. a service whose start fails (broken nginx config) is recorded as failed; what depends on it is blocked, never started', async () => {
      const order = ['postgresql', 'nginx', 'redis-server'];
      const ws = await workspace({ order });
      await stopAll();
      await sh(`echo 'this is not nginx syntax' > ${BROKEN_CONF}`);
      const result = await run(ws, { task: 'recover' });

      expect(await ready('postgresql')).toBe(true);
      expect(await down('nginx')).toBe(true);
      // after nginx in boot.order: it depends on nginx, so it stays down
      expect(await down('redis-server')).toBe(true);
      const boots = await logsOf(ws, result, 'boot');
      expect(boots).toHaveLength(1);
      expect(boots[0]?.meta).toMatchObject({ services: 3, failed: 2 });
      const rows = bootRows(boots[0] as StateDocument);
      expect(rows.map((r) => [r[0], r[1]])).toEqual([
        ['postgresql', 'started'],
        ['nginx', 'failed'],
        ['redis-server', 'blocked'],
      ]);
      expect(rows[1]?.[3]).toBe('start exited 1 (output in the action log)');
      expect(rows[2]?.[3]).toBe('blocked by nginx (failed)');
      // nginx's own complaint (server text) sits fenced under the table
      expect(boots[0]?.body).toMatch(/## nginx: output\n\n```+text\nstart exited 1: /);
      // the boot log ends with every configured check of sys, run once
      expect(boots[0]?.body).toMatch(/## Final check\n\nFinal check \([^)]+\): \d+ of \d+ checks failing\./);
      expect(boots[0]?.body).toContain('| sys/service/redis-server | critical |');

      const starts = (await logsOf(ws, result, 'actions')).filter((a) => a.meta.requested_by === 'recover');
      expect(starts.map((a) => [a.meta.target, a.meta.decision, a.meta.outcome])).toEqual([
        ['postgresql', 'execute', 'fixed'],
        ['nginx', 'execute', 'not-fixed'],
      ]);
      expect(starts[1]?.meta.exit_code).toBe(1);
      expect(starts[1]?.body).toContain('## Verification\n\nstart exited 1');
      // a completed run that reports the fault, not a crashed one
      expect(result.outputs.status).toBe('critical');
      const { meta, body } = await report(ws, result);
      expect(meta.task).toBe('recover');
      expect(body).toMatch(/\| sys \| start-service \| service=nginx \| low \| execute \| not-fixed \|/);
      // the boot recovery section says which step failed; the server's output stays in the (fenced) action log
      expect(meta.recoveries).toEqual([
        { server: 'sys', trigger: 'task recover', failed: 2, log: boots[0]?.path },
      ]);
      expect(body).toContain('| nginx | failed | — | start exited 1 (output in the action log) |');
      expect(body).toContain('| redis-server | blocked | — | blocked by nginx (failed) |');
      expect(result.summary).toContain('| sys | nginx | ❌ failed |');
      expect(result.summary).toContain('| sys | redis-server | ⛔ blocked |');
    });

    it('4b. a service that starts but is not ready within ready_timeout (nginx on the wrong port) is recorded as not ready', async () => {
      const ws = await workspace({ order: ['postgresql', 'redis-server', 'nginx'], readyTimeout: '5s' });
      await stopAll();
      // a config change gone wrong: nginx now listens on 8081, not on the configured port 80
      await sh(`mv ${SITE} ${SITE_SAVED} && echo 'server { listen 8081; return 200; }' > ${WRONG_PORT_CONF}`);
      const result = await run(ws, { task: 'recover' });

      expect(await unitState('nginx')).toBe('active');
      expect(await listening(80)).toBe(false);
      expect(await ready('postgresql')).toBe(true);
      expect(await ready('redis-server')).toBe(true);
      const boots = await logsOf(ws, result, 'boot');
      expect(boots[0]?.meta).toMatchObject({ services: 3, failed: 1 });
      const rows = bootRows(boots[0] as StateDocument);
      expect(rows.map((r) => [r[0], r[1], r[2]])).toEqual([
        ['postgresql', 'started', expect.stringMatching(/^\d+ s$/)],
        ['redis-server', 'started', expect.stringMatching(/^\d+ s$/)],
        ['nginx', 'not-ready', '5 s'],
      ]);
      // active is not ready: its own check (port 80) says why
      expect(rows[2]?.[3]).toMatch(/^not ready within 5 s: systemd running, port 80 listening: .*80/);
      const starts = (await logsOf(ws, result, 'actions')).filter((a) => a.meta.requested_by === 'recover');
      expect(starts.map((a) => [a.meta.target, a.meta.outcome, a.meta.exit_code])).toEqual([
        ['postgresql', 'fixed', 0],
        ['redis-server', 'fixed', 0],
        ['nginx', 'not-fixed', 0],
      ]);
      expect(result.outputs.status).toBe('critical');
      const { meta, body } = await report(ws, result);
      expect(meta.recoveries).toEqual([
        { server: 'sys', trigger: 'task recover', failed: 1, log: boots[0]?.path },
      ]);
      expect(body).toContain('| nginx | not-ready | 5 s | not ready within 5 s: ');
      expect(result.summary).toContain('| sys | nginx | ❌ not-ready | 5 s | not ready within 5 s: ');
    });
  },
);
