/**
 * The lab from a test's point of view: real SSH servers on this machine (see lab.sh for how
 * they are built). Needs root; `labSkipReason()` says why a test cannot use it.
 *
 *   const lab = await startLab({ light: 3, nspawn: true });   // idempotent, reuses a running lab
 *   const web = lab.serverConfig('s1');                        // a ServerConfig for the product
 *   await lab.fault('sys', 'service-stop', 'nginx');  … await lab.undo('sys', 'service-stop', 'nginx');
 *   await stopLab();                                           // or leave it up for the next file
 *
 * Servers: `s1`…`sN` are light (namespaces + sshd, app on :8080, heartbeat, /srv/data ext4; s1
 * also the SysV service lab-sysv and the pm2 app lab-worker run by labops), `sys` is a
 * systemd-nspawn machine (systemd, nginx :80 with /app/ proxied to the app and :443 with a
 * self-signed certificate valid 10 days, postgresql, mariadb, redis-server, supervisor program
 * lab-app, lab-heartbeat.service, /srv/data, a local apt repository with one pending update).
 * Every server: sshd on 22 and 2222 (on light servers 2222 refuses TCP forwarding: the endpoint
 * fallback to curl), users root and labops (passwordless sudo), the lab client
 * keys authorised, /run/lab/heartbeat, /var/log/app/error.log, boot id in /run/lab/boot_id.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { type ServerConfig, serverSchema } from '../../src/config/schema.js';

export const LAB_SH = join(dirname(fileURLToPath(import.meta.url)), 'lab.sh');
/**
 * The names of lab `instance` (lab.sh's LAB_INSTANCE: 1, or 2 for the second lab scripts/test.sh
 * runs beside the first) that tests use; `lab.sh names` prints these and the rest, and
 * test/lab/lab-instances.test.ts checks both agree. A lab file takes them from here, never spelt.
 */
export function labNames(instance = process.env.LAB_INSTANCE): { stateDir: string; unusedAddress: string } {
  const second = instance === '2';
  const net = second ? '10.78' : '10.77';
  return { stateDir: `/var/lib/claudeops-lab/${second ? 'run2' : 'run'}`, unusedAddress: `${net}.0.99` };
}
export const LAB_RUN = process.env.LAB_RUN ?? labNames().stateDir;
/** A lab address nothing is ever assigned to: connections there fail (no host on the bridge). */
export const UNUSED_ADDRESS = labNames().unusedAddress;

export type FaultKind =
  | 'service-stop'
  | 'service-kill'
  | 'endpoint-500'
  | 'endpoint-hang'
  | 'disk-fill'
  | 'log-errors'
  | 'heartbeat-stale'
  | 'boot-id'
  | 'uptime'
  | 'pg-stop'
  | 'pg-saturate'
  | 'cert-expiry'
  | 'updates-security'
  | 'pm2-errored';

export interface LabServer {
  name: string;
  kind: 'light' | 'nspawn';
  host: string;
  port: number;
  /** a second sshd port, for `[host]:port` known_hosts tests */
  altPort: number;
  user: string;
  /** base64 public key blobs by key type */
  hostKeys: Record<string, string>;
}

export interface ExecOutput {
  stdout: string;
  stderr: string;
  code: number;
}

export interface Lab {
  servers: LabServer[];
  server(name: string): LabServer;
  /** a ServerConfig (schema defaults applied) for a lab server; overrides win */
  serverConfig(name: string, overrides?: Record<string, unknown>): ServerConfig;
  /** private key text authorised on every server */
  clientKey: string;
  /** a passphrase-protected key authorised on every server, and its passphrase */
  passphraseKey: string;
  passphrase: string;
  /** a valid key that no server accepts */
  unauthorizedKey: string;
  /** known_hosts text: every server, on port 22 and on its alt port */
  knownHosts: string;
  /** runs `sh -c command` inside a server (its mount/pid/net namespaces), as root */
  exec(server: string, command: string): Promise<ExecOutput>;
  fault(server: string, kind: FaultKind, arg?: string): Promise<void>;
  undo(server: string, kind: FaultKind, arg?: string): Promise<void>;
  /** restarts the server: new boot id, fresh /run and /tmp, services started again */
  reboot(server: string): Promise<void>;
  /**
   * `up`: a dockerd on light server `server` (socket /run/docker.sock there, labops in its docker
   * group) with the lab images and containers as lab.sh describes them (co-web healthy,
   * co-unhealthy, co-exit exit 3, co-oom OOM-killed, co-loop restart loop), recreated as they
   * were on every call. `down`: containers, dockerd and their cgroups gone (`lab.sh down` does it too).
   */
  docker(server: string, verb: 'up' | 'down'): Promise<void>;
  /**
   * `up`: light server `server` as an RPM-family server (lab.sh rpm_up): apt-get hidden, dnf with
   * a local repository whose updateinfo.xml holds one security advisory (LAB-2026:0001) for an
   * installed package, and one ordinary update. `down`: the server as it was.
   */
  rpm(server: string, verb: 'up' | 'down'): Promise<void>;
}

/** Why the lab cannot run here, or undefined when it can. */
export function labSkipReason(): string | undefined {
  if (process.platform !== 'linux') return 'the lab needs Linux (network namespaces, systemd-nspawn)';
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    return 'the lab needs root (network namespaces, mounts, systemd-nspawn): run the tests as root, as CI does';
  }
  return undefined;
}

async function labSh(args: string[], timeoutMs = 300_000): Promise<ExecOutput> {
  const result = await execa('bash', [LAB_SH, ...args], {
    reject: false,
    timeout: timeoutMs,
    env: { LAB_RUN },
  });
  const out = { stdout: String(result.stdout), stderr: String(result.stderr), code: result.exitCode ?? -1 };
  return out;
}

async function labShOrThrow(args: string[], timeoutMs?: number): Promise<ExecOutput> {
  const out = await labSh(args, timeoutMs);
  if (out.code !== 0) {
    throw new Error(`lab.sh ${args.join(' ')} failed (exit ${out.code}):\n${out.stderr}${out.stdout}`);
  }
  return out;
}

export interface StartOptions {
  /** light servers s1..sN (default 3) */
  light?: number;
  /** also the systemd-nspawn server `sys` (default true) */
  nspawn?: boolean;
}

/** Brings the lab up (adds what is missing; a running lab is reused) and describes it. */
export async function startLab(options: StartOptions = {}): Promise<Lab> {
  const args = ['up', String(options.light ?? 3)];
  if (options.nspawn === false) args.push('--no-nspawn');
  await labShOrThrow(args);
  return readLab();
}

/** Stops every lab server and removes namespaces, mounts and state. */
export async function stopLab(): Promise<void> {
  await labShOrThrow(['down'], 120_000);
}

/** True when lab state exists (some earlier startLab, possibly another test file's). */
export function labIsUp(): boolean {
  return existsSync(join(LAB_RUN, 'known_hosts'));
}

/** Describes the running lab from its state directory. */
export function readLab(): Lab {
  const serversDir = join(LAB_RUN, 'servers');
  const servers: LabServer[] = readdirSync(serversDir)
    .filter((name) => existsSync(join(serversDir, name, 'info.json')))
    .map((name) => JSON.parse(readFileSync(join(serversDir, name, 'info.json'), 'utf8')) as LabServer)
    .sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }));
  const read = (path: string): string => readFileSync(join(LAB_RUN, path), 'utf8');
  const server = (name: string): LabServer => {
    const found = servers.find((s) => s.name === name);
    if (!found) throw new Error(`no lab server ${name} (have ${servers.map((s) => s.name).join(', ')})`);
    return found;
  };
  return {
    servers,
    server,
    serverConfig(name, overrides = {}) {
      const s = server(name);
      return serverSchema.parse({ name: s.name, host: s.host, port: s.port, user: s.user, ...overrides });
    },
    clientKey: read('client/id_ed25519'),
    passphraseKey: read('client/id_ed25519_pass'),
    passphrase: read('client/passphrase').trim(),
    unauthorizedKey: read('client/id_unauthorized'),
    knownHosts: read('known_hosts'),
    async exec(name, command) {
      return labSh(['exec', name, '--', '/bin/sh', '-c', command], 120_000);
    },
    async fault(name, kind, arg) {
      await labShOrThrow(['fault', name, kind, ...(arg === undefined ? [] : [arg])], 120_000);
    },
    async undo(name, kind, arg) {
      await labShOrThrow(['undo', name, kind, ...(arg === undefined ? [] : [arg])], 120_000);
    },
    async reboot(name) {
      await labShOrThrow(['reboot', name], 180_000);
    },
    async docker(name, verb) {
      await labShOrThrow(['docker', name, verb], 120_000);
    },
    async rpm(name, verb) {
      await labShOrThrow(['rpm', name, verb], 120_000);
    },
  };
}
