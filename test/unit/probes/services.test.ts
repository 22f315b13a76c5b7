import { describe, expect, it } from 'vitest';
import { type ServicesData, servicesProbe } from '../../../src/probes/services.js';
import { context, fixture, server } from './helpers.js';

function run(file: string, services: Record<string, unknown>[]) {
  const srv = server({ services });
  const data = servicesProbe.parse(fixture(file), srv);
  return { data, findings: servicesProbe.evaluate(data, srv, context()) };
}

const statusOf = (data: ServicesData) => Object.fromEntries(data.services.map((s) => [s.name, s.status]));

describe('services probe: systemd (captured in a systemd-nspawn container)', () => {
  const units = ['co-running', 'co-failed', 'co-stopped', 'co-missing', 'co-flapping.service'].map(
    (name) => ({ name }),
  );

  it('maps running, failed, stopped and not-found units', () => {
    const { data, findings } = run('services/systemd-mixed.txt', units);
    expect(statusOf(data)).toEqual({
      'co-running': 'running',
      'co-failed': 'failed',
      'co-stopped': 'stopped',
      'co-missing': 'not-found',
      'co-flapping.service': 'running',
    });
    expect(findings.map((f) => [f.target, f.severity])).toEqual([
      ['co-running', 'ok'],
      ['co-failed', 'critical'],
      ['co-stopped', 'critical'],
      ['co-missing', 'critical'],
      ['co-flapping.service', 'ok'],
    ]);
    expect(findings[1]?.summary).toBe('co-failed (systemd) is failed: failed/failed, exit status 3');
  });

  it('keeps NRestarts for trends', () => {
    const { data } = run('services/systemd-mixed.txt', units);
    expect(data.services.find((s) => s.name === 'co-flapping.service')?.restarts).toBe(63);
    expect(data.services[0]?.since).toBe('Sat 2026-11-21 07:52:17 UTC');
  });

  it('calls a unit in auto-restart restarting, critical', () => {
    const { data, findings } = run('services/systemd-auto-restart.txt', [{ name: 'co-flapping' }]);
    expect(data.services[0]).toMatchObject({ status: 'restarting', restarts: 63 });
    expect(findings[0]?.severity).toBe('critical');
  });

  it('says systemd is not running rather than calling the service down', () => {
    const { findings } = run('services/systemd-not-running.txt', [{ name: 'nginx' }]);
    expect(findings[0]).toMatchObject({ severity: 'warning' });
    expect(findings[0]?.summary).toMatch(/cannot check: systemd is not running/);
  });
});

describe('services probe: sysv', () => {
  it('reads LSB exit codes: 3 stopped, unrecognized = not found, 0 running', () => {
    const stopped = run('services/sysv-stopped-and-unknown.txt', [
      { name: 'nginx', manager: 'sysv' },
      { name: 'cron', manager: 'sysv' },
    ]);
    expect(statusOf(stopped.data)).toEqual({ nginx: 'stopped', cron: 'not-found' });
    expect(stopped.findings[0]?.summary).toBe('nginx (sysv) is stopped: nginx is not running ... failed!');
    const running = run('services/sysv-running.txt', [{ name: 'nginx', manager: 'sysv' }]);
    expect(running.findings[0]?.severity).toBe('ok');
  });

  it('takes a pid file naming a live process as running, without the init script', () => {
    const { data, findings } = run('services/sysv-pidfile-running.txt', [{ name: 'nginx', manager: 'sysv' }]);
    expect(data.services[0]).toMatchObject({
      status: 'running',
      detail: 'running (pid 5513 from /run/nginx.pid)',
    });
    expect(findings[0]?.severity).toBe('ok');
  });

  it('asks the init script when the pid file names a dead process: LSB 1, failed', () => {
    const { data, findings } = run('services/sysv-pidfile-dead.txt', [{ name: 'nginx', manager: 'sysv' }]);
    expect(data.services[0]).toMatchObject({ status: 'failed', detail: 'nginx is not running ... failed!' });
    expect(findings[0]?.severity).toBe('critical');
  });

  it('reads the pid file only at /run/NAME.pid or /var/run/NAME.pid, and runs the init script otherwise', () => {
    const script = servicesProbe.script(server({ services: [{ name: 'lab-sysv', manager: 'sysv' }] }), {
      cursors: {},
    });
    expect(script).toContain("for f in /run/'lab-sysv'.pid /var/run/'lab-sysv'.pid; do");
    expect(script).toContain("o=$(service 'lab-sysv' status 2>&1)");
  });
});

describe('services probe: supervisor', () => {
  const programs = ['co-web', 'co-crasher', 'co-idle', 'co-nosuch'].map((name) => ({
    name,
    manager: 'supervisor',
  }));

  it('maps RUNNING, FATAL, STOPPED and unknown programs', () => {
    const { data } = run('services/supervisor-mixed.txt', programs);
    expect(statusOf(data)).toEqual({
      'co-web': 'running',
      'co-crasher': 'failed',
      'co-idle': 'stopped',
      'co-nosuch': 'not-found',
    });
  });

  it('treats a dead supervisord as its programs being down', () => {
    const { data, findings } = run('services/supervisor-not-running.txt', programs);
    expect(data.services.every((s) => s.status === 'stopped')).toBe(true);
    expect(findings[0]?.summary).toMatch(
      /supervisord not answering: unix:\/\/\/var\/run\/supervisor.sock no such file/,
    );
  });
});

describe('services probe: pm2', () => {
  const apps = ['co-api', 'co-broken', 'co-paused', 'co-ghost'].map((name) => ({ name, manager: 'pm2' }));

  it('maps online, errored, stopped and absent apps and keeps restart_time', () => {
    const { data } = run('services/pm2-mixed.txt', apps);
    expect(statusOf(data)).toEqual({
      'co-api': 'running',
      'co-broken': 'failed',
      'co-paused': 'stopped',
      'co-ghost': 'not-found',
    });
    expect(data.services[1]?.restarts).toBe(2);
  });

  it('never spawns a daemon: no rpc.sock is reported as cannot-check', () => {
    const { findings } = run('services/pm2-no-daemon.txt', apps);
    expect(findings.every((f) => f.severity === 'warning' && /no pm2 daemon/.test(f.summary))).toBe(true);
  });

  it('keeps no environment: the server-side filter passes only name/status/restarts', () => {
    expect(fixture('services/pm2-mixed.txt')).not.toMatch(/"env"|PATH|HOME/);
    expect(servicesProbe.script(server({ services: apps }), { cursors: {} })).toContain('node -e');
  });
});

describe('services probe: docker (captured from the lab dockerd, see test/fixtures/README.md)', () => {
  const containers = ['co-web', 'co-unhealthy', 'co-exit', 'co-oom', 'co-loop', 'co-missing'].map((name) => ({
    name,
    manager: 'docker',
  }));
  const byName = (data: ServicesData, name: string) => data.services.find((s) => s.name === name);

  it('maps healthy, unhealthy, exited, OOM-killed, restarting and missing containers', () => {
    const { data, findings } = run('services/docker-lab-containers.txt', containers);
    expect(statusOf(data)).toEqual({
      'co-web': 'running',
      'co-unhealthy': 'unhealthy',
      'co-exit': 'failed',
      'co-oom': 'failed',
      'co-loop': 'restarting',
      'co-missing': 'not-found',
    });
    expect(findings.map((f) => [f.target, f.severity])).toEqual([
      ['co-web', 'ok'],
      ['co-unhealthy', 'critical'],
      ['co-exit', 'critical'],
      ['co-oom', 'critical'],
      ['co-loop', 'critical'],
      ['co-missing', 'critical'],
    ]);
  });

  it('says the exit code, the OOM kill, the restart count and the last health-check output', () => {
    const { data, findings } = run('services/docker-lab-containers.txt', containers);
    const summary = (target: string) => findings.find((f) => f.target === target)?.summary;
    expect(summary('co-exit')).toMatch(/co-exit \(docker\) is failed: exited with code 3 at 2026-/);
    expect(summary('co-oom')).toMatch(/killed by the OOM killer \(exit code 137\)/);
    expect(byName(data, 'co-oom')?.container).toMatchObject({ oomKilled: true, exitCode: 137 });
    expect(summary('co-loop')).toMatch(/restarting \(restart loop\), last exit code 1, 4 restart\(s\)$/);
    expect(byName(data, 'co-loop')?.restarts).toBe(4);
    expect(summary('co-unhealthy')).toContain(
      'running but unhealthy (2 failed health checks in a row; last exit 1: wget: server returned error: HTTP/1.1 404 Not Found)',
    );
    expect(findings.find((f) => f.target === 'co-unhealthy')?.evidence).toBe(
      'wget: server returned error: HTTP/1.1 404 Not Found',
    );
    expect(summary('co-web')).toMatch(
      /is running: running \(healthy\) since 2026-.*, image claudeops-lab\/web:1/,
    );
  });

  it('saves each image id as a cursor, and hands it back to the next run as what the last run saw', () => {
    const srv = server({ services: containers });
    const data = servicesProbe.parse(fixture('services/docker-lab-containers.txt'), srv);
    const cursors = servicesProbe.cursors?.(data) ?? {};
    expect(cursors['docker:co-loop']).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(cursors['docker:co-missing']).toBeUndefined();
    // the next run's script hands them back to the parser as structural `prev` lines
    const script = servicesProbe.script(srv, { cursors });
    expect(script).toContain(`printf 'prev %s %s\\n' 'co-loop' '${cursors['docker:co-loop']}'`);
  });

  it('catches a restart loop seen "running" between two crashes: fresh start after restarts', () => {
    const srv = server({ services: containers });
    const data = servicesProbe.parse(fixture('services/docker-loop-between-restarts.txt'), srv);
    expect(byName(data, 'co-loop')).toMatchObject({ status: 'running', restarts: 4 });
    // 2 s after its last start (StartedAt 13:16:26.78)
    const findings = servicesProbe.evaluate(data, srv, context(new Date('2026-11-26T13:16:28.800Z')));
    const loop = findings.find((f) => f.target === 'co-loop');
    expect(loop?.severity).toBe('critical');
    expect(loop?.summary).toMatch(
      /is running: .*, 4 restart\(s\); up only 2 s after the last restart \(a restart loop\)$/,
    );
    // a long-running container with old restarts is just running
    const later = servicesProbe.evaluate(data, srv, context(new Date('2026-11-26T14:00:00Z')));
    expect(later.find((f) => f.target === 'co-loop')?.severity).toBe('ok');
    expect(later.find((f) => f.target === 'co-web')?.severity).toBe('ok');
  });

  it("compares with the last run's cursors: a new image is an event", () => {
    const { data, findings } = run('services/docker-after-deploy.txt', containers);
    expect(byName(data, 'co-web')?.container?.previousImage).toBe(
      'sha256:77fac41b118276c8d3191e835ab34470f42c63e62829984c4bb611a6b4525408',
    );
    const image = findings.filter((f) => f.check === 'image');
    expect(image.map((f) => [f.fingerprint, f.severity, f.summary, f.event])).toEqual([
      [
        'web1/image/co-web',
        'warning',
        'co-web (docker) runs a new image since the last run: 77fac41b1182 → 4a2129a4e260',
        true,
      ],
    ]);
    expect(findings.find((f) => f.check === 'service' && f.target === 'co-web')?.severity).toBe('ok');
    // the restart counter goes to lifecycle's restart event like every manager's
    expect(byName(data, 'co-loop')?.restarts).toBe(5);
  });

  it('compose: a service is its project-and-service labelled containers; the worst replica speaks', () => {
    const compose = { manager: 'compose', project: 'labstack', file: '/srv/labstack/compose.yml' };
    const { data, findings } = run('services/compose-lab-stack.txt', [
      { name: 'web', ...compose, compose_command: 'docker-compose' },
      { name: 'worker', ...compose, compose_command: 'docker-compose' },
      { name: 'db', ...compose },
    ]);
    expect(data.services.map((s) => [s.name, s.manager, s.status])).toEqual([
      ['web', 'compose', 'running'],
      ['worker', 'compose', 'failed'],
      ['db', 'compose', 'not-found'],
    ]);
    // worker runs 2 replicas; worker_2 was killed
    expect(findings.find((f) => f.target === 'worker')?.summary).toMatch(
      /^worker \(compose\) is failed: exited with code 137 at /,
    );
    expect(findings.find((f) => f.target === 'db')?.summary).toBe(
      'db (compose) is not-found: no container of Compose service db in project labstack',
    );
    // a `docker` service named like a Compose service still finds it by its label
    const byLabel = run('services/compose-lab-stack.txt', [{ name: 'web', manager: 'docker' }]);
    expect(byLabel.data.services[0]?.status).toBe('running');
  });

  it('reports a dead docker daemon as failed with its words', () => {
    const { data } = run('services/docker-daemon-down.txt', [{ name: 'co-web', manager: 'docker' }]);
    expect(data.services[0]).toMatchObject({ status: 'failed' });
    expect(data.services[0]?.detail).toMatch(
      /^Cannot connect to the Docker daemon at unix:\/\/\/var\/run\/docker.sock/,
    );
  });

  it('reports a socket it may not use as unknown (cannot see), not as down', () => {
    const { data, findings } = run('services/docker-permission-denied.txt', [
      { name: 'co-web', manager: 'docker' },
    ]);
    expect(data.services[0]).toMatchObject({ status: 'unknown' });
    expect(findings[0]?.summary).toMatch(/cannot check: permission denied while trying to connect/);
    expect(findings[0]?.severity).toBe('warning');
  });
});

describe('services probe: script', () => {
  it('asks systemd once for all units and quotes every name', () => {
    const script = servicesProbe.script(
      server({ services: [{ name: 'nginx' }, { name: 'api@1' }, { name: 'cron', manager: 'sysv' }] }),
      { cursors: {} },
    );
    expect(script.match(/systemctl show/g)).toHaveLength(1);
    expect(script).toContain("-- 'nginx' 'api@1'");
    expect(script).toContain("service 'cron' status");
  });

  it('reports a service whose block never came back as unknown', () => {
    const srv = server({ services: [{ name: 'nginx' }] });
    const data = servicesProbe.parse('', srv);
    expect(data.services[0]).toMatchObject({ status: 'unknown', detail: 'no output for this service' });
  });
});

describe('services probe: several managers in one section', () => {
  it("keeps each manager's block to itself (a later block's rc= or lines never leak into an earlier one)", () => {
    // the order the probe prints them: sysv, supervisor, pm2 (real captures, concatenated)
    const output = ['sysv-running', 'supervisor-mixed', 'pm2-mixed']
      .map((name) => fixture(`services/${name}.txt`))
      .join('');
    const srv = server({
      services: [
        { name: 'nginx', manager: 'sysv' },
        { name: 'co-web', manager: 'supervisor' },
        { name: 'co-api', manager: 'pm2' },
      ],
    });
    // before blocks ended at the next header, sysv read supervisor's rc=3 (failed) and
    // supervisor read pm2's JSON lines
    expect(statusOf(servicesProbe.parse(output, srv))).toEqual({
      nginx: 'running',
      'co-web': 'running',
      'co-api': 'running',
    });
  });
});
