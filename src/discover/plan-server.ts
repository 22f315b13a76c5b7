/**
 * What one server's config entry should watch, decided from what discovery found there (pure).
 * Every name taken from the server is checked against the config's own rules before it is used;
 * what cannot be used, or would make the first check fail for a reason the user should decide
 * on (an endpoint answering 502, a TLS certificate curl does not trust), becomes a comment.
 */

import type { Discovery, Listener } from './parse-discovery.js';
import type { EndpointCandidate } from './web-sites.js';

/** The config's rule for service and server names (config/schema.ts). */
export const NAME = /^[A-Za-z0-9][A-Za-z0-9._@:-]{0,127}$/;
/** A compose file path the schema accepts. */
const COMPOSE_FILE = /^\/[A-Za-z0-9._@+/-]{1,255}$/;
/** Ports from here up are the kernel's ephemeral range: they change from one start to the next. */
const EPHEMERAL_FROM = 32_768;

/** Units that are the operating system's own plumbing, not what the server is for. */
const PLUMBING =
  /^(systemd-.*|dbus(-broker)?|(serial-|container-|console-)?getty(@.*)?|getty-static|user@.*|user-runtime-dir@.*|polkit|ssh|sshd|accounts-daemon|udisks2|upower|rtkit-daemon|ModemManager|NetworkManager|wpa_supplicant|avahi-daemon|packagekit|snapd(\..*)?|unattended-upgrades|networkd-dispatcher|irqbalance|multipathd|lvm2-.*|qemu-guest-agent|plymouth.*|rsyslog|haveged|rngd|atd)$/;
/** unit file states that mean "starts at boot" (an instance counts through its template). */
const AT_BOOT = new Set(['enabled', 'enabled-runtime', 'indirect', 'alias', 'generated']);

export interface EndpointTrial {
  candidate: EndpointCandidate;
  /** the HTTP status the server answered with, asked as the check will ask */
  status?: number;
  /** why there was no status (curl's words) */
  error?: string;
}

export interface ServiceDraft {
  name: string;
  manager: 'systemd' | 'sysv' | 'supervisor' | 'pm2' | 'docker' | 'compose';
  port?: number;
  project?: string;
  file?: string;
}

export interface ServerDraft {
  name: string;
  host: string;
  port: number;
  user: string;
  hostKey?: string;
  os?: string;
  sudo: boolean | 'actions';
  /** why this sudo mode, one comment line */
  sudoWhy: string;
  services: ServiceDraft[];
  ports: { port: number; owner: string }[];
  endpoints: { url: string; status: number; source: string }[];
  databases: ('postgres' | 'mysql' | 'redis')[];
  certificates: string[];
  securityUpdates: boolean;
  /** log files a user may want to watch (commented out: their history would fire at once) */
  logSuggestions: string[];
  /** comment lines under the entry: what was found but left out, and why */
  comments: string[];
}

export interface PlanInput {
  /** the name to give the server (unique in the fleet) */
  name: string;
  host: string;
  port: number;
  user: string;
  hostKey?: string;
  discovery: Discovery;
  trials: readonly EndpointTrial[];
}

export function planServer(input: PlanInput): ServerDraft {
  const d = input.discovery;
  const comments: string[] = [];
  const { sudo, why, asRoot } = sudoMode(d);
  const services = [
    ...systemdServices(d, comments),
    ...sysvServices(d),
    ...supervisorServices(d, asRoot, comments),
    ...pm2Services(d, comments),
    ...dockerServices(d, asRoot, comments),
  ];
  const ports = attributePorts(d, services, input.port, comments);
  const { endpoints, certificates } = endpointsOf(input.trials, d, comments);
  return {
    name: input.name,
    host: input.host,
    port: input.port,
    user: input.user,
    ...(input.hostKey ? { hostKey: input.hostKey } : {}),
    ...(d.host.os ? { os: d.host.os } : {}),
    sudo,
    sudoWhy: why,
    services,
    ports,
    endpoints,
    databases: databasesOf(d, asRoot, comments),
    certificates,
    securityUpdates: ['apt-get', 'dnf', 'yum'].some((t) => d.tools.has(t)),
    logSuggestions: d.errorLogs.filter((p) => /^\/[\w./@+-]+$/.test(p)).slice(0, 5),
    comments: [...comments, ...largeLogComments(d)],
  };
}

/**
 * root: nothing needed. Passwordless sudo: the collector runs as root (supervisorctl, journals and
 * database peer logins need it), except where pm2 apps run: pm2 keeps a daemon per user, which
 * root does not see, so scripts stay the user's and only root commands go through sudo.
 */
function sudoMode(d: Discovery): { sudo: boolean | 'actions'; why: string; asRoot: boolean } {
  const user = d.host.user ?? 'the SSH user';
  if (d.host.uid === 0) return { sudo: false, why: 'the SSH user is root', asRoot: true };
  if (!d.host.sudo) {
    return {
      sudo: false,
      why: `${user} may not use sudo without a password: checks run as ${user} and fixes that need root will fail (docs/least-privilege.md)`,
      asRoot: false,
    };
  }
  if (d.pm2?.apps.length) {
    return {
      sudo: 'actions',
      why: `${user} runs pm2 apps (a per-user daemon): scripts run as ${user}, root commands through sudo -n; install \`claudeops sudoers\` for least privilege`,
      asRoot: false,
    };
  }
  return {
    sudo: true,
    why: `${user} may use sudo without a password, so checks run as root. Least privilege: sudo: actions with the file from \`claudeops sudoers\` (docs/least-privilege.md)`,
    asRoot: true,
  };
}

function startsAtBoot(systemd: NonNullable<Discovery['systemd']>, unit: string): boolean {
  const template = unit.includes('@') ? `${unit.slice(0, unit.indexOf('@'))}@` : undefined;
  const state = systemd.files.get(unit) ?? (template ? systemd.files.get(template) : undefined);
  return state !== undefined && AT_BOOT.has(state);
}

function systemdServices(d: Discovery, comments: string[]): ServiceDraft[] {
  if (!d.systemd) return [];
  const systemd = d.systemd;
  const notAtBoot: string[] = [];
  const out = systemd.running.flatMap((unit): ServiceDraft[] => {
    if (PLUMBING.test(unit) || !NAME.test(unit)) return [];
    if (!startsAtBoot(systemd, unit)) {
      notAtBoot.push(unit);
      return [];
    }
    return [{ name: unit, manager: 'systemd' }];
  });
  if (notAtBoot.length) comments.push(`running but not enabled at boot (left out): ${notAtBoot.join(', ')}`);
  return out;
}

function sysvServices(d: Discovery): ServiceDraft[] {
  return d.sysv
    .filter((s) => NAME.test(s) && !PLUMBING.test(s))
    .map((name) => ({ name, manager: 'sysv' as const }));
}

function supervisorServices(d: Discovery, asRoot: boolean, comments: string[]): ServiceDraft[] {
  const programs = d.supervisor?.programs ?? [];
  if (programs.length === 0) return [];
  if (!asRoot) {
    comments.push(
      `supervisor programs ${programs.map((p) => p.name).join(', ')}: supervisorctl needs root here (sudo), left out`,
    );
    return [];
  }
  const stopped = programs.filter((p) => p.state !== 'RUNNING');
  if (stopped.length)
    comments.push(
      `supervisor programs not running now: ${stopped.map((p) => `${p.name} (${p.state})`).join(', ')}`,
    );
  return programs
    .filter((p) => p.state === 'RUNNING' && NAME.test(p.name))
    .map((p) => ({ name: p.name, manager: 'supervisor' as const }));
}

function pm2Services(d: Discovery, comments: string[]): ServiceDraft[] {
  const apps = d.pm2?.apps ?? [];
  const down = apps.filter((a) => a.status !== 'online');
  if (down.length)
    comments.push(`pm2 apps not online now: ${down.map((a) => `${a.name} (${a.status})`).join(', ')}`);
  return apps
    .filter((a) => a.status === 'online' && NAME.test(a.name))
    .map((a) => ({ name: a.name, manager: 'pm2' as const }));
}

function dockerServices(d: Discovery, asRoot: boolean, comments: string[]): ServiceDraft[] {
  const containers = d.docker?.containers ?? [];
  if (containers.length === 0) return [];
  if (!asRoot && !d.host.groups.includes('docker')) {
    comments.push(
      `docker containers ${containers.map((c) => c.name).join(', ')}: ${d.host.user ?? 'the SSH user'} is not in the docker group, left out`,
    );
    return [];
  }
  const out: ServiceDraft[] = [];
  const projects = new Set<string>();
  for (const c of containers) {
    if (c.state !== 'running') {
      comments.push(`container ${c.name} is ${c.state} (${c.status}): left out`);
      continue;
    }
    const file = c.configFiles[0];
    if (c.project && c.service) {
      const key = `${c.project}/${c.service}`;
      if (projects.has(key)) continue;
      projects.add(key);
      if (NAME.test(c.service) && NAME.test(c.project) && file && COMPOSE_FILE.test(file)) {
        out.push({ name: c.service, manager: 'compose', project: c.project, file });
        continue;
      }
    }
    if (NAME.test(c.name)) out.push({ name: c.name, manager: 'docker' });
  }
  return out;
}

/** `postgresql@15-main` and `postgres`, `mariadb` and `mariadbd`, `redis-server` and itself. */
function sameProgram(unit: string, process: string): boolean {
  const a = unit.replace(/@.*$/, '').toLowerCase();
  const b = process.toLowerCase();
  return (
    a.startsWith(b) || b.startsWith(a) || (a.length >= 5 && b.length >= 5 && a.slice(0, 5) === b.slice(0, 5))
  );
}

/**
 * Each listening port goes to the systemd service whose own process listens on it (`port:` of
 * the service, its lowest port); the others must be listening too (`ports:`), except the SSH port
 * (a check could not connect without it anyway) and ports of the ephemeral range.
 */
function attributePorts(
  d: Discovery,
  services: ServiceDraft[],
  sshPort: number,
  comments: string[],
): { port: number; owner: string }[] {
  if (!d.listening) {
    comments.push('ss is not installed: listening ports were not discovered');
    return [];
  }
  const unitOf = new Map(d.processes.map((p) => [p.pid, p.unit?.replace(/\.service$/, '')]));
  const byPort = new Map<number, Listener[]>();
  for (const l of d.listening) byPort.set(l.port, [...(byPort.get(l.port) ?? []), l]);
  const ports: { port: number; owner: string }[] = [];
  const ephemeral: number[] = [];
  for (const port of [...byPort.keys()].sort((a, b) => a - b)) {
    if (port === sshPort) continue;
    if (port >= EPHEMERAL_FROM) {
      ephemeral.push(port);
      continue;
    }
    const listeners = byPort.get(port) ?? [];
    const names = [...new Set(listeners.flatMap((l) => l.names))];
    const units = new Set(listeners.flatMap((l) => l.pids.map((p) => unitOf.get(p)).filter(Boolean)));
    const service = services.find(
      (s) =>
        s.manager === 'systemd' &&
        s.port === undefined &&
        units.has(s.name) &&
        names.some((n) => sameProgram(s.name, n)),
    );
    if (service) service.port = port;
    else ports.push({ port, owner: names.join(', ') || 'owner not visible' });
  }
  if (ephemeral.length)
    comments.push(`listening on ephemeral ports (left out, they change): ${ephemeral.join(', ')}`);
  return ports;
}

function endpointsOf(
  trials: readonly EndpointTrial[],
  d: Discovery,
  comments: string[],
): { endpoints: ServerDraft['endpoints']; certificates: string[] } {
  if (trials.length > 0 && !d.tools.has('curl'))
    comments.push('curl is not installed: the web sites found cannot be checked from the server');
  const endpoints: ServerDraft['endpoints'] = [];
  const certificates: string[] = [];
  for (const { candidate, status, error } of trials) {
    if (status !== undefined && status < 500) {
      endpoints.push({ url: candidate.url, status, source: candidate.source });
      if (candidate.tls && !/^[\d.]+$|^\[/.test(candidate.host))
        certificates.push(`${candidate.host}:${candidate.port}`);
    } else {
      const why = status !== undefined ? `answered ${status}` : (error ?? 'no answer');
      comments.push(`endpoint ${candidate.url} (${candidate.source}) left out: ${why} when init asked`);
    }
  }
  return { endpoints, certificates: [...new Set(certificates)] };
}

const DATABASES: {
  kind: 'postgres' | 'mysql' | 'redis';
  processes: RegExp;
  clients: string[];
  root: boolean;
}[] = [
  { kind: 'postgres', processes: /^postgres$|^postmaster$/, clients: ['psql'], root: true },
  {
    kind: 'mysql',
    processes: /^(mysqld|mariadbd)$/,
    clients: ['mysql', 'mariadb', 'mysqladmin'],
    root: true,
  },
  { kind: 'redis', processes: /^redis-server$/, clients: ['redis-cli'], root: false },
];

/** A database whose server runs here and whose client is installed; postgres and mysql log in as root (peer, socket). */
function databasesOf(d: Discovery, asRoot: boolean, comments: string[]): ServerDraft['databases'] {
  const running = new Set(d.processes.map((p) => p.comm));
  return DATABASES.flatMap(({ kind, processes, clients, root }) => {
    if (![...running].some((c) => processes.test(c))) return [];
    if (!clients.some((c) => d.tools.has(c))) {
      comments.push(`${kind} runs here but its client (${clients.join(' or ')}) is not installed: left out`);
      return [];
    }
    if (root && !asRoot) {
      comments.push(
        `${kind} runs here; the check logs in as the SSH user, which needs a role for it (docs/least-privilege.md): left out`,
      );
      return [];
    }
    return [kind];
  });
}

function largeLogComments(d: Discovery): string[] {
  return d.largeLogs
    .slice(0, 5)
    .map((l) => `large log file ${l.path}: ${Math.round(l.kb / 1024)} MiB (rotated? see logrotate)`);
}
