/**
 * The probes and branches detection.test.ts leaves out, against real servers in the lab, through
 * the product's own path (createSshTransport → collectFleet → evaluateServer):
 *
 *   TLS certificates  `sys` nginx :443, a self-signed certificate made at `lab.sh up` (10 days:
 *                     a warning), from the server (openssl s_client) and from the runner
 *                     (node:tls over the lab bridge); fault cert-expiry swaps in 3-day / expired
 *   runner endpoints  `from: runner` (fetch from this machine to 10.77.x)
 *   pending updates   `sys` apt with a local file: repository (lab-apt.sh): one ordinary update,
 *                     plus one from a `stable-security` suite under fault updates-security
 *   mysql / mariadb   `sys` mariadb.service: ok, a refused login, stopped
 *   pm2               `s1`: app lab-worker run by labops under pm2 7 (from the npm registry)
 *   sysv              `s1`: /etc/init.d/lab-sysv (no systemd on light servers: `service` runs it)
 *   docker            here only the CLI's "daemon not running" answer (s1 runs no dockerd); real
 *                     containers are docker-containers.test.ts's (a dockerd on s3)
 *
 * Each test collects only the probes it is about (the host-wide load and memory of this test
 * machine are detection.test.ts's business). Every fault goes through `inject`, and afterEach
 * undoes what is still in place and waits for the lab's baseline, so the next lab file finds the
 * lab as it was.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { httpOverChannel } from '../../../src/adapters/http-over-channel.js';
import { runnerChecks } from '../../../src/adapters/runner-checks.js';
import { createSshTransport } from '../../../src/adapters/ssh.js';
import { collectFleet } from '../../../src/collect.js';
import type { ServerConfig, Thresholds } from '../../../src/config/schema.js';
import { type RemoteShell, scriptText, type Transport } from '../../../src/core/ports/index.js';
import type { Finding, ServerObservation } from '../../../src/core/types.js';
import { type DatabasesData, databasesProbe } from '../../../src/probes/databases.js';
import { type EndpointsData, endpointsProbe } from '../../../src/probes/endpoints.js';
import { evaluateServer } from '../../../src/probes/evaluate.js';
import { type UpdatesData, updatesProbe } from '../../../src/probes/pending-updates.js';
import type { Probe } from '../../../src/probes/probe.js';
import type { ServiceState } from '../../../src/probes/service-state.js';
import { type ServicesData, servicesProbe } from '../../../src/probes/services.js';
import {
  type CertificatesData,
  certificatesProbe,
  parseOpensslDate,
} from '../../../src/probes/tls-certificates.js';
import { uptimeProbe } from '../../../src/probes/uptime-boot.js';
import { type FaultKind, type Lab, labIsUp, labSkipReason, startLab, stopLab } from '../../lab/lab.js';

const skip = labSkipReason();
if (skip) console.warn(`probe coverage tests skipped: ${skip}`);

const THRESHOLDS: Thresholds = {};
const DAY = 86_400_000;

interface Checked {
  observation: ServerObservation;
  findings: Finding[];
}

describe.skipIf(skip !== undefined)('probes against the lab: what detection.test.ts does not cover', () => {
  let lab: Lab;
  let startedHere = false;
  let SYS: string;
  let HTTPS: string;
  /** faults in place, undone (last first) by afterEach */
  let applied: { server: string; kind: FaultKind; arg?: string }[] = [];

  const transport = (servers: ServerConfig[]) =>
    createSshTransport({
      privateKey: lab.clientKey,
      knownHosts: lab.knownHosts,
      connectTimeoutMs: 5_000,
      servers,
    });

  /** One collection of one server, with only `probes` on it; `runner` adds the runner's checks. */
  async function check(server: ServerConfig, probes: readonly Probe[], runner = false): Promise<Checked> {
    const collection = await collectFleet([server], transport([server]), {
      commandTimeoutMs: 60_000,
      connectTimeoutMs: 10_000,
      probes,
      // the runner's checks are a port since 915840b: wired here as the composition root wires them
      runnerChecks: runner ? (s: ServerConfig) => runnerChecks(s) : false,
    });
    for (const shell of collection.shells.values()) await shell.close();
    const observation = collection.observations[0];
    if (!observation?.reachable) throw new Error(`${server.name} not collected: ${observation?.error}`);
    expect(observation.probeErrors).toEqual({});
    expect(observation.roundTrips).toBe(1);
    return { observation, findings: evaluateServer(server, observation, THRESHOLDS, new Date(), probes) };
  }

  /** Re-collects until `ready` holds (or 30 s pass), for effects that settle asynchronously. */
  async function checkUntil(
    server: ServerConfig,
    probes: readonly Probe[],
    ready: (c: Checked) => boolean,
    runner = false,
  ): Promise<Checked> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const c = await check(server, probes, runner);
      if (ready(c) || Date.now() > deadline) return c;
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  const one = (c: Checked, check: string, target: string): Finding => {
    const found = c.findings.find((f) => f.check === check && f.target === target);
    if (!found) throw new Error(`no ${check}/${target} finding:\n${show(c)}`);
    return found;
  };
  const show = (c: Checked) =>
    c.findings.map((f) => `${f.fingerprint} [${f.severity}] ${f.summary}`).join('\n');
  const severities = (c: Checked) =>
    Object.fromEntries(c.findings.map((f) => [`${f.check}/${f.target}`, f.severity]));
  const services = (c: Checked) => (c.observation.probes.services as ServicesData).services;
  const service = (c: Checked, name: string): ServiceState => {
    const found = services(c).find((s) => s.name === name);
    if (!found) throw new Error(`no service ${name} in ${JSON.stringify(services(c))}`);
    return found;
  };

  async function inject(server: string, kind: FaultKind, arg?: string): Promise<void> {
    applied.push({ server, kind, ...(arg === undefined ? {} : { arg }) });
    await lab.fault(server, kind, arg);
  }
  async function restore(server: string, kind: FaultKind, arg?: string): Promise<void> {
    const i = applied.findLastIndex((f) => f.server === server && f.kind === kind && f.arg === arg);
    if (i >= 0) applied.splice(i, 1);
    await lab.undo(server, kind, arg);
  }

  // ---------------------------------------------------------------- the servers as configured

  /** sys: mariadb, the HTTPS certificate, apt, and endpoints checked from the runner. */
  const sysConfig = (overrides: Record<string, unknown> = {}) =>
    lab.serverConfig('sys', {
      sudo: true,
      services: [{ name: 'mariadb', manager: 'systemd', port: 3306 }],
      databases: [{ kind: 'mysql' }],
      certificates: [HTTPS],
      security_updates: true,
      endpoints: [
        { url: `http://${SYS}/`, from: 'runner', contains: 'nginx ok', timeout: '3s' },
        { url: `http://${SYS}/app/`, from: 'runner', contains: 'ok', timeout: '3s' },
      ],
      ...overrides,
    });
  /** s1 as its deploy user (no sudo): the pm2 app and the SysV service. */
  const s1Config = (overrides: Record<string, unknown> = {}) =>
    lab.serverConfig('s1', {
      services: [
        { name: 'lab-worker', manager: 'pm2' },
        { name: 'lab-sysv', manager: 'sysv' },
      ],
      ...overrides,
    });
  const SYS_PROBES = [servicesProbe, databasesProbe, certificatesProbe, updatesProbe];
  /** The runner's own checks, with the one probe that has no finding (a collection needs one). */
  const RUNNER_ONLY = [uptimeProbe];

  /** what the last baseline check saw, to explain a failed baseline */
  let lastBaseline = '';
  /** The lab as it starts: only the 10-day certificate is not ok (a warning, by design). */
  const baselineReady = async (): Promise<string> => {
    const sys = await checkUntil(sysConfig(), SYS_PROBES, (c) => Object.keys(nonOk(c)).length === 1, true);
    const s1 = await checkUntil(
      s1Config(),
      [servicesProbe],
      (c) => Object.keys(nonOk(c)).length === 0 && service(c, 'lab-worker').restarts === 0,
    );
    const bad = { ...nonOk(sys), ...nonOk(s1) };
    lastBaseline = `${show(sys)}\n${show(s1)}`;
    return JSON.stringify(bad);
  };
  const nonOk = (c: Checked) =>
    Object.fromEntries(c.findings.filter((f) => f.severity !== 'ok').map((f) => [f.fingerprint, f.severity]));

  beforeAll(async () => {
    startedHere = !labIsUp();
    lab = await startLab({ light: 3, nspawn: true });
    SYS = lab.server('sys').host;
    HTTPS = `${SYS}:443`;
    // pm2 starts in the background of s1's boot, and on a loaded machine (CI runs the other
    // project alongside) its first start can be restarted once: start the app from a clean slate
    // (online, counter at 0), then wait for the lab's baseline.
    await lab.undo('s1', 'pm2-errored');
    expect(await baselineReady(), lastBaseline).toBe(
      JSON.stringify({ [`sys/certificate/${HTTPS}`]: 'warning' }),
    );
  }, 300_000);

  afterEach(async () => {
    for (const f of applied.reverse()) await lab.undo(f.server, f.kind, f.arg);
    applied = [];
    expect(await baselineReady(), lastBaseline).toBe(
      JSON.stringify({ [`sys/certificate/${HTTPS}`]: 'warning' }),
    );
  }, 180_000);

  afterAll(async () => {
    if (startedHere && process.env.LAB_KEEP !== '1') await stopLab();
  }, 120_000);

  // ---------------------------------------------------------------- TLS certificates

  /** notAfter of the certificate nginx has on disk, read inside sys with openssl. */
  async function certificateOnDisk(): Promise<string | undefined> {
    const out = await lab.exec('sys', 'openssl x509 -in /etc/nginx/lab-tls/cert.pem -noout -enddate');
    return parseOpensslDate(out.stdout.trim().replace(/^notAfter=/, ''));
  }
  const daysLeft = (iso: string) => Math.floor((Date.parse(iso) - Date.now()) / DAY);

  it('certificates from the server (openssl): the 10-day lab certificate is a warning, a closed port critical', async () => {
    const server = lab.serverConfig('sys', { certificates: [HTTPS, '127.0.0.1:8443'] });
    const c = await check(server, [certificatesProbe]);
    const [served, closed] = (c.observation.probes.certificates as CertificatesData).certificates;
    const onDisk = await certificateOnDisk();
    expect(onDisk).toBeDefined();
    expect(served).toMatchObject({ target: HTTPS, notAfter: onDisk, subject: 'CN = sys.lab' });
    expect(served?.verify).toMatch(/^18 \(self-signed certificate\)/);
    // valid 10 days from `lab.sh up`: 9 whole days left (unless the lab has been up for days)
    const days = daysLeft(onDisk ?? '');
    expect(days).toBeGreaterThan(7);
    expect(days).toBeLessThanOrEqual(9);
    const f = one(c, 'certificate', HTTPS);
    expect(f).toMatchObject({ severity: 'warning', value: days, evidence: 'CN = sys.lab' });
    expect(f.summary).toBe(
      `${HTTPS}: certificate expires in ${days} day(s) (${onDisk?.slice(0, 10)}) (verify: 18 (self-signed certificate))`,
    );
    expect(closed?.error).toMatch(/^no certificate: .*Connection refused/);
    expect(one(c, 'certificate', '127.0.0.1:8443').severity).toBe('critical');
  });

  it('certificates from the server: a 3-day certificate is critical, an expired one says so', async () => {
    const server = lab.serverConfig('sys', { certificates: [HTTPS] });
    await inject('sys', 'cert-expiry', '3');
    let c = await check(server, [certificatesProbe]);
    let f = one(c, 'certificate', HTTPS);
    expect(f).toMatchObject({ severity: 'critical', value: 2 });
    expect(f.summary).toMatch(/certificate expires in 2 day\(s\)/);
    await restore('sys', 'cert-expiry', '3');

    await inject('sys', 'cert-expiry', '-2');
    c = await check(server, [certificatesProbe]);
    f = one(c, 'certificate', HTTPS);
    const notAfter = (c.observation.probes.certificates as CertificatesData).certificates[0]?.notAfter ?? '';
    expect(notAfter).toBe(await certificateOnDisk());
    expect(Date.parse(notAfter)).toBeLessThan(Date.now() - 2 * DAY);
    expect(f.severity).toBe('critical');
    expect(f.value).toBe(daysLeft(notAfter));
    expect(f.summary).toMatch(
      new RegExp(`^${HTTPS}: certificate expired ${-daysLeft(notAfter)} day\\(s\\) ago`),
    );
  });

  it('certificates from the runner (node:tls over the lab bridge): same certificate, same verdict', async () => {
    // no server-side probe: the certificate finding can only come from the runner's handshake
    const server = lab.serverConfig('sys', { certificates: [HTTPS, `${SYS}:8443`] });
    const c = await check(server, RUNNER_ONLY, true);
    expect(c.observation.probes.certificates).toBeUndefined();
    const [served, closed] = (c.observation.probes['runner-certificates'] as CertificatesData).certificates;
    expect(served).toEqual({
      target: HTTPS,
      notAfter: await certificateOnDisk(),
      verify: 'DEPTH_ZERO_SELF_SIGNED_CERT',
      subject: 'CN = sys.lab',
    });
    expect(closed).toEqual({ target: `${SYS}:8443`, error: 'no certificate: ECONNREFUSED' });
    expect(severities(c)).toEqual({
      [`certificate/${HTTPS}`]: 'warning',
      [`certificate/${SYS}:8443`]: 'critical',
    });
    expect(one(c, 'certificate', HTTPS).summary).toContain('(verify: DEPTH_ZERO_SELF_SIGNED_CERT)');

    await inject('sys', 'cert-expiry', '-2');
    const expired = await check(server, RUNNER_ONLY, true);
    expect(one(expired, 'certificate', HTTPS).severity).toBe('critical');
    expect(one(expired, 'certificate', HTTPS).summary).toMatch(/certificate expired \d+ day\(s\) ago/);

    // both views at once: one finding per target (the server's view wins when it has one)
    await restore('sys', 'cert-expiry', '-2');
    const both = await check(server, [certificatesProbe], true);
    expect(both.findings.filter((f) => f.check === 'certificate').map((f) => f.target)).toEqual([
      HTTPS,
      `${SYS}:8443`,
    ]);
    expect(one(both, 'certificate', HTTPS).summary).toContain('(verify: 18 (self-signed certificate))');
  });

  // ---------------------------------------------------------------- endpoints from the runner

  it('endpoints from the runner: ok over the bridge, an untrusted certificate, nginx stopped, a 500', async () => {
    const server = sysConfig({
      endpoints: [
        { url: `http://${SYS}/`, from: 'runner', contains: 'nginx ok', timeout: '3s' },
        { url: `http://${SYS}/app/`, from: 'runner', contains: 'ok', timeout: '3s' },
        { url: `https://${SYS}/`, from: 'runner', timeout: '3s' },
      ],
    });
    const runnerEndpoints = (c: Checked) =>
      (c.observation.probes['runner-endpoints'] as EndpointsData).endpoints;
    const c = await check(server, RUNNER_ONLY, true);
    expect(c.observation.probes.endpoints).toBeUndefined(); // nothing ran curl on the server
    const [root, app, tls] = runnerEndpoints(c);
    expect(root).toMatchObject({ url: `http://${SYS}/`, status: 200, contains: true, excerpt: 'nginx ok' });
    expect(app).toMatchObject({ status: 200, contains: true });
    expect(root?.latencyMs).toBeGreaterThanOrEqual(0);
    expect(tls).toMatchObject({ error: 'TLS certificate not trusted (self-signed)' });
    expect(severities(c)).toMatchObject({
      [`endpoint/http://${SYS}/`]: 'ok',
      [`endpoint/http://${SYS}/app/`]: 'ok',
      [`endpoint/https://${SYS}/`]: 'critical',
    });
    expect(one(c, 'endpoint', `http://${SYS}/`).summary).toMatch(
      new RegExp(`^http://${SYS}/ returned 200 in \\d+ ms$`),
    );

    await inject('sys', 'endpoint-500');
    const failing = await check(server, RUNNER_ONLY, true);
    expect(one(failing, 'endpoint', `http://${SYS}/app/`)).toMatchObject({
      severity: 'critical',
      summary: `http://${SYS}/app/ returned 500, expected 200`,
    });
    expect(one(failing, 'endpoint', `http://${SYS}/`).severity).toBe('ok');
    await restore('sys', 'endpoint-500');

    await inject('sys', 'service-stop', 'nginx');
    const stopped = await check(server, RUNNER_ONLY, true);
    for (const url of [`http://${SYS}/`, `http://${SYS}/app/`])
      expect(one(stopped, 'endpoint', url)).toMatchObject({
        severity: 'critical',
        summary: `${url}: connection refused`,
      });
    expect(runnerEndpoints(stopped)[2]?.error).toBe('connection refused');
  });

  it('endpoints from the runner: a hanging app times out at the configured limit', async () => {
    const url = `http://${lab.server('s2').host}:8080/`;
    const server = lab.serverConfig('s2', { endpoints: [{ url, from: 'runner', timeout: '1s' }] });
    expect(one(await check(server, RUNNER_ONLY, true), 'endpoint', url).severity).toBe('ok');
    await inject('s2', 'endpoint-hang');
    const started = Date.now();
    const c = await check(server, RUNNER_ONLY, true);
    expect(Date.now() - started).toBeLessThan(10_000);
    const [hung] = (c.observation.probes['runner-endpoints'] as EndpointsData).endpoints;
    expect(hung).toMatchObject({ url, error: 'timed out', timedOut: true });
    expect(hung?.latencyMs).toBeGreaterThanOrEqual(1_000);
    expect(one(c, 'endpoint', url)).toMatchObject({ severity: 'critical', summary: `${url}: timed out` });
  });

  // ---------------------------------------------------------------- endpoints from the server, over SSH

  it('http endpoints from the server over the SSH connection: up, refused, hanging; forwarding off falls back to curl alike', async () => {
    const s2 = lab.server('s2');
    const app = 'http://127.0.0.1:8080/';
    const down = 'http://127.0.0.1:1/';
    const endpoints = [
      { url: app, contains: 'ok', timeout: '2s' },
      { url: down, timeout: '2s' },
    ];
    const scripts: string[] = [];
    /** One collection as the composition root wires it (the channel client), keeping its script. */
    async function overSsh(port: number) {
      const server = lab.serverConfig('s2', { port, endpoints });
      const ssh = transport([server]);
      const spying: Transport = {
        connect: async (s) => {
          const shell = await ssh.connect(s);
          const run: RemoteShell['run'] = (script, options) =>
            shell.run(async () => {
              scripts.push(await scriptText(script));
              return scripts.at(-1) ?? '';
            }, options);
          return Object.assign(Object.create(shell), { run });
        },
      };
      const collection = await collectFleet([server], spying, {
        commandTimeoutMs: 60_000,
        probes: [endpointsProbe],
        runnerChecks: false,
        channelHttp: httpOverChannel,
      });
      for (const shell of collection.shells.values()) await shell.close();
      const observation = collection.observations[0];
      if (!observation?.reachable) throw new Error(`s2 not collected: ${observation?.error}`);
      expect(observation.probeErrors).toEqual({});
      const findings = evaluateServer(server, observation, THRESHOLDS, new Date(), [endpointsProbe]);
      return { results: (observation.probes.endpoints as EndpointsData).endpoints, findings };
    }
    const apartFromLatency = (list: EndpointsData['endpoints']) => list.map(({ latencyMs: _, ...r }) => r);

    const channel = await overSsh(s2.port);
    expect(scripts.at(-1)).not.toContain(app); // no curl on the server for these two
    expect(scripts.at(-1)).not.toContain(down);
    expect(channel.results).toEqual([
      { url: app, status: 200, contains: true, excerpt: 'ok', latencyMs: expect.any(Number) },
      { url: down, error: 'connection refused or host unreachable', latencyMs: expect.any(Number) },
    ]);
    expect(channel.findings.map((f) => [f.target, f.severity])).toEqual([
      [app, 'ok'],
      [down, 'critical'],
    ]);
    const curl = await overSsh(s2.altPort); // 2222: AllowTcpForwarding no
    expect(scripts.at(-1)).toContain(app);
    expect(apartFromLatency(curl.results)).toEqual(apartFromLatency(channel.results));

    await inject('s2', 'endpoint-hang');
    for (const port of [s2.port, s2.altPort]) {
      const started = Date.now();
      const hung = await overSsh(port);
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(hung.results[0]).toMatchObject({ url: app, error: 'timed out', timedOut: true });
      expect(hung.results[0]?.latencyMs).toBeGreaterThanOrEqual(1_900);
    }
  });

  // ---------------------------------------------------------------- pending updates (apt)

  it('pending updates from a real apt: one ordinary update is ok, a security update is a warning', async () => {
    // as the unprivileged user: apt-get -s from the cached lists needs no root and no lock
    const server = lab.serverConfig('sys', { security_updates: true });
    const updates = (c: Checked) => c.observation.probes.updates as UpdatesData;
    const quiet = await check(server, [updatesProbe]);
    expect(updates(quiet)).toMatchObject({ manager: 'apt', total: 1, security: 0, securityPackages: [] });
    expect(updates(quiet).listsAgeHours).toBeLessThan(24 * 7);
    expect(one(quiet, 'updates', 'security')).toMatchObject({
      severity: 'ok',
      value: 0,
      summary: 'no security updates pending (1 other update(s))',
    });

    await inject('sys', 'updates-security');
    const pending = await check(server, [updatesProbe]);
    expect(updates(pending)).toMatchObject({
      manager: 'apt',
      total: 2,
      security: 1,
      securityPackages: ['claudeops-lab-openssl'],
      listsAgeHours: 0,
    });
    expect(one(pending, 'updates', 'security')).toMatchObject({
      severity: 'warning',
      value: 1,
      summary: '1 security update(s) pending of 2: claudeops-lab-openssl',
    });
    // what apt itself says, for the record of what the probe classified
    const apt = await lab.exec('sys', 'apt-get -s -o Debug::NoLocking=1 dist-upgrade | grep "^Inst "');
    expect(apt.stdout).toContain(
      'Inst claudeops-lab-openssl [1.0] (1.1 ClaudeOps-Lab:12/stable-security [all])',
    );
    expect(apt.stdout).toContain('Inst claudeops-lab-tools [1.0] (1.1 ClaudeOps-Lab:12/stable [all])');
  });

  // ---------------------------------------------------------------- mysql / mariadb

  it('mariadb: ok as root over the socket, a refused login is a warning, stopped is critical', async () => {
    const server = sysConfig({
      databases: [{ kind: 'mysql' }, { kind: 'mysql', host: '127.0.0.1', user: 'claudeops_nobody' }],
      certificates: [],
    });
    const probes = [servicesProbe, databasesProbe];
    const dbs = (c: Checked) => (c.observation.probes.databases as DatabasesData).databases;
    const c = await check(server, probes);
    expect(dbs(c)).toMatchObject([
      { kind: 'mysql', target: 'mysql', status: 'ok', detail: '1' },
      { kind: 'mysql', target: 'mysql@127.0.0.1:3306', status: 'auth' },
    ]);
    expect(dbs(c)[1]?.detail).toMatch(/Access denied for user 'claudeops_nobody'@'localhost'/);
    expect(severities(c)).toEqual({
      'service/mariadb': 'ok',
      'database/mysql': 'ok',
      'database/mysql@127.0.0.1:3306': 'warning',
    });
    expect(one(c, 'database', 'mysql').summary).toBe('mysql answers queries');

    await inject('sys', 'service-stop', 'mariadb');
    const down = await check(server, probes);
    expect(dbs(down).map((d) => d.status)).toEqual(['down', 'down']);
    expect(dbs(down)[0]?.detail).toMatch(/Can't connect to local server through socket/);
    expect(dbs(down)[1]?.detail).toMatch(/Can't connect to server on '127.0.0.1'/);
    expect(severities(down)).toEqual({
      'service/mariadb': 'critical',
      'database/mysql': 'critical',
      'database/mysql@127.0.0.1:3306': 'critical',
    });
    expect(one(down, 'database', 'mysql').summary).toMatch(/^mysql is down: /);
  });

  // ---------------------------------------------------------------- pm2

  it('pm2: online is ok, a crash pm2 restarts shows in the restart counter, stopped and errored are critical', async () => {
    const server = s1Config({ services: [{ name: 'lab-worker', manager: 'pm2' }] });
    const c = await check(server, [servicesProbe]);
    const worker = service(c, 'lab-worker');
    expect(worker).toMatchObject({ manager: 'pm2', status: 'running', detail: 'online', restarts: 0 });
    expect(Date.parse(worker.since ?? '')).toBeGreaterThan(Date.now() - 3_600_000);
    expect(one(c, 'service', 'lab-worker')).toMatchObject({ severity: 'ok', value: 0 });

    // SIGKILL: pm2 starts it again at once; still ok, and the counter says it happened
    await inject('s1', 'service-kill', 'lab-worker');
    const restarted = await check(server, [servicesProbe]);
    expect(service(restarted, 'lab-worker')).toMatchObject({ status: 'running', restarts: 1 });
    expect(one(restarted, 'service', 'lab-worker')).toMatchObject({
      severity: 'ok',
      value: 1,
      summary: 'lab-worker (pm2) is running: online, 1 restart(s)',
    });
    await restore('s1', 'service-kill', 'lab-worker');

    await inject('s1', 'service-stop', 'lab-worker');
    const stopped = await check(server, [servicesProbe]);
    expect(one(stopped, 'service', 'lab-worker')).toMatchObject({
      severity: 'critical',
      summary: 'lab-worker (pm2) is stopped: stopped',
    });
    await restore('s1', 'service-stop', 'lab-worker');

    await inject('s1', 'pm2-errored');
    const errored = await check(server, [servicesProbe]);
    expect(service(errored, 'lab-worker')).toMatchObject({ status: 'failed', detail: 'errored' });
    expect(service(errored, 'lab-worker').restarts).toBeGreaterThanOrEqual(1);
    expect(one(errored, 'service', 'lab-worker').severity).toBe('critical');
    expect(one(errored, 'service', 'lab-worker').summary).toMatch(
      /^lab-worker \(pm2\) is failed: errored, \d+ restart\(s\)$/,
    );
  });

  it('pm2: an app pm2 does not know is not-found; as root (sudo) there is no pm2 daemon to ask', async () => {
    const c = await check(
      s1Config({
        services: [
          { name: 'lab-worker', manager: 'pm2' },
          { name: 'lab-ghost', manager: 'pm2' },
        ],
      }),
      [servicesProbe],
    );
    expect(services(c).map((s) => [s.name, s.status, s.detail])).toEqual([
      ['lab-worker', 'running', 'online'],
      ['lab-ghost', 'not-found', 'no such app in pm2'],
    ]);
    // pm2 daemons are per user: root's PM2_HOME has none, and the probe never spawns one
    const asRoot = await check(s1Config({ sudo: true, services: [{ name: 'lab-worker', manager: 'pm2' }] }), [
      servicesProbe,
    ]);
    expect(one(asRoot, 'service', 'lab-worker')).toMatchObject({
      severity: 'warning',
      summary: 'lab-worker (pm2): cannot check: no pm2 daemon for this user (no rpc.sock in PM2_HOME)',
    });
    const daemons = await lab.exec('s1', 'ls -d /root/.pm2 2>/dev/null; pgrep -c -f "God Daemo[n]"');
    expect(daemons.stdout.trim()).toBe('1');
  });

  // ---------------------------------------------------------------- sysv

  it('sysv: running is ok; stopped (LSB 3) and dead with a pid file (LSB 1) are critical; as labops and as root', async () => {
    const probes = [servicesProbe];
    const configs = [
      s1Config({ services: [{ name: 'lab-sysv', manager: 'sysv' }] }),
      s1Config({ sudo: true, services: [{ name: 'lab-sysv', manager: 'sysv' }] }),
    ];
    // running is read from the pid file + /proc (no init script): the detail names that pid and file
    const pid = (await lab.exec('s1', 'cat /run/lab-sysv.pid')).stdout.trim();
    expect(pid).toMatch(/^\d+$/);
    for (const server of configs) {
      const c = await check(server, probes);
      expect(service(c, 'lab-sysv')).toMatchObject({
        status: 'running',
        detail: `running (pid ${pid} from /run/lab-sysv.pid)`,
      });
      expect(one(c, 'service', 'lab-sysv').severity).toBe('ok');
    }

    await inject('s1', 'service-stop', 'lab-sysv');
    for (const server of configs) {
      const c = await check(server, probes);
      expect(one(c, 'service', 'lab-sysv')).toMatchObject({
        severity: 'critical',
        summary: 'lab-sysv (sysv) is stopped: lab-sysv is not running ... failed!',
      });
    }
    await restore('s1', 'service-stop', 'lab-sysv');

    await inject('s1', 'service-kill', 'lab-sysv');
    for (const server of configs) {
      const c = await check(server, probes);
      expect(service(c, 'lab-sysv').status).toBe('failed');
      expect(one(c, 'service', 'lab-sysv').severity).toBe('critical');
    }
  });

  it('sysv: a service with no init script is not-found', async () => {
    const c = await check(s1Config({ sudo: true, services: [{ name: 'lab-nosuch', manager: 'sysv' }] }), [
      servicesProbe,
    ]);
    expect(service(c, 'lab-nosuch')).toMatchObject({
      status: 'not-found',
      detail: 'lab-nosuch: unrecognized service',
    });
    expect(one(c, 'service', 'lab-nosuch').severity).toBe('critical');
  });

  // ---------------------------------------------------------------- every manager in one round trip

  it('sysv, pm2, supervisor, systemd and docker services of one server in one collection', async () => {
    const docker = (await lab.exec('s1', 'command -v docker')).stdout.trim();
    const c = await check(
      s1Config({
        services: [
          { name: 'lab-sysv', manager: 'sysv' },
          { name: 'lab-worker', manager: 'pm2' },
          { name: 'lab-app', manager: 'supervisor' },
          { name: 'nginx', manager: 'systemd' },
          { name: 'web', manager: 'docker' },
        ],
      }),
      [servicesProbe],
    );
    const got = Object.fromEntries(services(c).map((s) => [s.name, [s.status, s.detail]]));
    expect(got['lab-sysv']?.[0]).toBe('running');
    expect(got['lab-sysv']?.[1]).toMatch(/^running \(pid \d+ from \/run\/lab-sysv\.pid\)$/);
    expect(got['lab-worker']).toEqual(['running', 'online']);
    // a light server runs no supervisord and no systemd: said as such, not as "stopped fine"
    expect(got['lab-app']?.[0]).toBe('stopped');
    expect(got['lab-app']?.[1]).toMatch(/^supervisord not answering: .*(no such file|refused)/i);
    expect(got.nginx).toEqual(['unknown', 'systemd is not running (not PID 1)']);
    // s1 runs no dockerd (docker-containers.test.ts starts one on s3). When the docker CLI is
    // installed (it is on this kind), its real answer with no daemon is covered; else "not installed".
    if (docker) {
      expect(got.web).toEqual([
        'failed',
        'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?',
      ]);
      expect(one(c, 'service', 'web').severity).toBe('critical');
    } else {
      expect(got.web).toEqual(['unknown', 'docker not installed']);
    }
  });
});
