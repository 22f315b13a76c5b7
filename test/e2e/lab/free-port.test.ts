/**
 * `free-port` against the lab's systemd server `sys` over real SSH (labops, `sudo: true`): nginx
 * is down and another process holds its port 80.
 *
 *   1. a squatter started by hand (python3 http.server, root, outside any unit) is stopped, named in
 *      the action's output (PID, user, command line), nginx is started and the re-run probes say fixed;
 *   2. the squatter runs as a configured service's own process (a systemd unit that the config
 *      lists): free-port refuses, stops nothing, and says why;
 *   3. systemd `Restart=` brings the service's own process back inside the SIGTERM→SIGKILL window
 *      (a squatter that ignores SIGTERM keeps the port meanwhile; both hold it with SO_REUSEPORT):
 *      the squatter is killed, the service's process is judged as the service itself and left
 *      alone, and free-port succeeds without starting it again.
 *
 * All leave nginx running and no squatter behind (afterEach).
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { configSchema, type ServerConfig } from '../../../src/config/schema.js';
import type { Finding } from '../../../src/core/types.js';
import { portsProbe } from '../../../src/probes/listening-ports.js';
import { servicesProbe } from '../../../src/probes/services.js';
import { type Lab, labSkipReason, startLab } from '../../lab/lab.js';
import { labFindings, remediateOnLab } from '../../support/lab-remediation.js';
import { labRoot } from '../../support/lab-setup.js';

const skip = labSkipReason();
if (skip) console.warn(`free-port lab tests skipped: ${skip}`);

const SQUATTER = 'python3 -m http.server 80 --bind 0.0.0.0';

describe.skipIf(skip !== undefined)('free-port on the lab systemd server', () => {
  let lab: Lab;
  let sys: ServerConfig;

  beforeAll(async () => {
    lab = await startLab();
  });

  afterEach(async () => {
    await lab.exec(
      'sys',
      `systemctl stop lab-rebinder 2>/dev/null; systemctl reset-failed lab-rebinder 2>/dev/null
       [ -f /run/lab/rebind-squatter.pid ] && kill -KILL "$(cat /run/lab/rebind-squatter.pid)" 2>/dev/null
       rm -f /run/lab/rebind-squatter.pid /run/lab/rebind-up /run/lab/rebind-served.pid /run/lab/rebind.py
       systemctl stop lab-squatter 2>/dev/null
       [ -f /run/lab/squatter.pid ] && kill "$(cat /run/lab/squatter.pid)" 2>/dev/null; rm -f /run/lab/squatter.pid
       systemctl reset-failed nginx lab-squatter 2>/dev/null; systemctl start nginx`,
    );
  });

  const sh = async (command: string) => (await labRoot(lab, 'sys', command)).trim();
  /** Waits until something listens on :80 inside sys. */
  const port80 = () =>
    sh('for i in $(seq 100); do ss -Htln "sport = :80" | grep -q . && exit 0; sleep 0.1; done; exit 1');

  function server(services: Record<string, unknown>[]): ServerConfig {
    return lab.serverConfig('sys', { sudo: true, services, ports: [] });
  }

  const findingsNow = async () => (await labFindings(lab, sys, [servicesProbe, portsProbe])).findings;

  const freePort = (findings: Finding[]) =>
    remediateOnLab(
      lab,
      {
        config: configSchema.parse({ version: 1, servers: [{ ...sys }] }),
        server: sys,
        findings,
        mode: 'full',
        settleMs: 1_000,
      },
      {
        action: 'free-port',
        params: { service: 'nginx' },
        fingerprint: 'sys/service/nginx',
        reason: 'nginx is down and port 80 is held by another process',
        requestedBy: 'claude',
      },
    );

  it('stops a process squatting nginx’s port, names it, starts nginx and verifies', async () => {
    sys = server([{ name: 'nginx', manager: 'systemd', port: 80 }]);
    await sh('systemctl stop nginx');
    await sh(`setsid ${SQUATTER} </dev/null >/dev/null 2>&1 & echo $! > /run/lab/squatter.pid`);
    await port80();
    const pid = await sh('cat /run/lab/squatter.pid');
    const before = await findingsNow();
    expect(before.find((f) => f.fingerprint === 'sys/service/nginx')?.severity).toBe('critical');

    const action = await freePort(before);
    expect(action.risk).toBe('medium');
    expect(action.decision, action.reason).toBe('execute');
    expect(action.output).toContain(`stopping PID ${pid}, user root, command: ${SQUATTER}`);
    expect(action.output).toMatch(/starting nginx\nnginx is listening on port 80/);
    expect(action, action.verification).toMatchObject({ exitCode: 0, outcome: 'fixed' });
    expect(action.verification).toMatch(/sys\/service\/nginx critical → ok/);
    expect(await sh('systemctl is-active nginx')).toBe('active');
    expect((await lab.exec('sys', `kill -0 ${pid}`)).code).not.toBe(0);
  });

  it("refuses when the holder is a configured service's own process, and stops nothing", async () => {
    sys = server([
      { name: 'nginx', manager: 'systemd', port: 80 },
      { name: 'lab-squatter', manager: 'systemd' },
    ]);
    await sh('systemctl stop nginx');
    await sh(`systemd-run --quiet --unit lab-squatter ${SQUATTER}`);
    await port80();
    const pid = await sh('systemctl show -p MainPID --value lab-squatter');
    const action = await freePort(await findingsNow());
    expect(action.decision, action.reason).toBe('execute');
    expect(action.exitCode).toBe(3);
    expect(action.output).toContain(
      `refusing: PID ${pid} on port 80: it runs in lab-squatter.service: systemd manages it`,
    );
    expect(action.output).not.toContain('stopping PID');
    expect(action.outcome).toBe('not-fixed');
    expect(await sh('systemctl is-active lab-squatter')).toBe('active');
    expect((await lab.exec('sys', 'systemctl is-active nginx')).stdout.trim()).not.toBe('active');
  });

  it('systemd Restart= brings the service back in the SIGTERM→SIGKILL window: it is judged, not killed', async () => {
    const PORT = 18_081;
    // one binder for both: SO_REUSEPORT so two processes hold the port at once; the squatter
    // (mode squat) ignores SIGTERM and, on it, lets the unit's next restart bind
    const BINDER = [
      'import os, signal, socket, sys, time',
      's = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)',
      `s.bind(("0.0.0.0", ${PORT})); s.listen(8)`,
      'if sys.argv[1] == "squat":',
      '    signal.signal(signal.SIGTERM, lambda *_: open("/run/lab/rebind-up", "w").close())',
      'elif not os.path.exists("/run/lab/rebind-served.pid"):',
      '    open("/run/lab/rebind-served.pid", "x").write(str(os.getpid()))  # the first to serve',
      'while True: time.sleep(1)',
    ].join('\n');
    const b64 = Buffer.from(BINDER).toString('base64');
    await sh(`printf '%s' '${b64}' | base64 -d > /run/lab/rebind.py`);
    // the configured service: down (its start fails) until the squatter was asked to go, then
    // systemd's Restart= starts it again within a second
    await sh(
      'systemd-run --quiet --unit lab-rebinder -p Restart=always -p RestartSec=1 -p StartLimitIntervalSec=0 ' +
        `sh -c 'test -e /run/lab/rebind-up || exit 1; exec python3 /run/lab/rebind.py serve'`,
    );
    await sh(
      'setsid python3 /run/lab/rebind.py squat </dev/null >/dev/null 2>&1 & echo $! > /run/lab/rebind-squatter.pid',
    );
    await sh(
      `for i in $(seq 100); do ss -Htln "sport = :${PORT}" | grep -q . && exit 0; sleep 0.1; done; exit 1`,
    );
    const squatter = await sh('cat /run/lab/rebind-squatter.pid');
    sys = server([{ name: 'lab-rebinder', manager: 'systemd', port: PORT }]);
    const action = await remediateOnLab(
      lab,
      {
        config: configSchema.parse({ version: 1, servers: [{ ...sys }] }),
        server: sys,
        findings: await findingsNow(),
        mode: 'full',
        settleMs: 1_000,
      },
      {
        action: 'free-port',
        params: { service: 'lab-rebinder' },
        fingerprint: 'sys/service/lab-rebinder',
        reason: 'lab-rebinder is down and its port is held by another process',
        requestedBy: 'claude',
      },
    );
    const served = await sh('cat /run/lab/rebind-served.pid');
    expect(action.output).toContain(`stopping PID ${squatter}, user root`);
    expect(action.output).toContain(`PID ${squatter} still holds port ${PORT} after 5 s: SIGKILL`);
    expect(action.output).toContain(`PID ${served} on port ${PORT}: it is lab-rebinder itself`);
    expect(action.output).toContain(`lab-rebinder is listening on port ${PORT}`);
    expect(action.output).not.toContain('starting lab-rebinder');
    expect(action.exitCode).toBe(0);
    // the service's own process bound in the window and is still the one serving
    expect((await lab.exec('sys', `kill -0 ${served}`)).code).toBe(0);
    expect(await sh('systemctl show -p MainPID --value lab-rebinder')).toBe(served);
    expect((await lab.exec('sys', `kill -0 ${squatter}`)).code).not.toBe(0);
  });
});
