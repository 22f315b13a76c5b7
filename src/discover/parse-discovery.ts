/**
 * Parses the sections of the discovery script (discovery-script.ts) into facts about one server.
 * Pure. Every parser takes what a real system printed (fixtures under test/fixtures/discovery/)
 * and tolerates what a missing tool or permission leaves: an absent section is no facts, never
 * an error. Values here are still server text: draft-config.ts validates each before it becomes
 * part of a config.
 */
import { serverSchema } from '../config/schema.js';
import type { Section } from '../probes/collector-script.js';
import { diskProbe, type MountUsage } from '../probes/disk-usage.js';
import { blocksOf, int, keyValues, quotedLines } from '../probes/output-text.js';

export interface HostFacts {
  uid?: number;
  /** the SSH user may run `sudo -n` (without a password) */
  sudo: boolean;
  /** the server's clock, epoch seconds */
  time?: number;
  hostname?: string;
  user?: string;
  /** the SSH user's groups (docker, adm, systemd-journal say what it may read) */
  groups: string[];
  os?: string;
}

export interface SystemdFacts {
  /** units whose SubState is running, without `.service` */
  running: string[];
  /** unit file name (without `.service`) → its state (enabled, indirect, static, disabled, …) */
  files: Map<string, string>;
}

export interface Container {
  name: string;
  image: string;
  /** docker's State: running, restarting, … */
  state: string;
  /** docker's human Status: "Up 3 hours (healthy)" */
  status: string;
  project?: string;
  service?: string;
  configFiles: string[];
}

export interface Listener {
  address: string;
  port: number;
  pids: number[];
  /** process names as ss printed them */
  names: string[];
}

export interface WebFile {
  kind: 'nginx' | 'apache';
  path: string;
  text: string;
}

export interface Discovery {
  host: HostFacts;
  /** undefined when systemd is not the init here */
  systemd?: SystemdFacts;
  /** SysV services `service --status-all` reports running ([ + ]) */
  sysv: string[];
  docker: { containers: Container[]; error?: string } | undefined;
  pm2: { apps: { name: string; status: string }[] } | undefined;
  supervisor: { programs: { name: string; state: string }[]; error?: string } | undefined;
  processes: { pid: number; comm: string; unit?: string }[];
  /** undefined when ss is missing */
  listening?: Listener[];
  web: WebFile[];
  largeLogs: { path: string; kb: number }[];
  errorLogs: string[];
  disks: MountUsage[];
  tools: Set<string>;
}

export function parseDiscovery(sections: ReadonlyMap<string, Section>): Discovery {
  const out = (id: string) => sections.get(id)?.output ?? '';
  return {
    host: parseHost(out('host')),
    ...optional('systemd', parseSystemd(out('systemd'))),
    sysv: parseSysv(out('sysv')),
    docker: parseDocker(out('docker')),
    pm2: parsePm2(out('pm2')),
    supervisor: parseSupervisor(out('supervisor')),
    processes: parseProcesses(out('processes')),
    ...optional('listening', parseListening(out('listening'))),
    web: parseWebFiles(out('web')),
    largeLogs: parseLargeLogs(out('logs')),
    errorLogs: block(out('logs'), 'errors').filter((p) => p.startsWith('/')),
    disks: parseDisks(out('disk')),
    tools: new Set(
      out('tools')
        .split('\n')
        .flatMap((l) => (l.startsWith('have ') ? [l.slice(5).trim()] : [])),
    ),
  };
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/** The quoted lines of the first `@tag` block, or [] when there is none. */
function block(output: string, tag: string): string[] {
  return quotedLines(blocksOf(output, tag)[0]?.lines ?? []);
}

const firstQuoted = (output: string, tag: string) => block(output, tag)[0]?.trim() || undefined;

export function parseHost(output: string): HostFacts {
  const kv = keyValues(output.split('\n'));
  const facts: HostFacts = {
    sudo: kv.sudo === '1',
    groups: (firstQuoted(output, 'groups') ?? '').split(/\s+/).filter(Boolean),
  };
  const uid = int(kv.uid);
  const time = int(kv.time);
  if (uid !== undefined) facts.uid = uid;
  if (time !== undefined) facts.time = time;
  const hostname = firstQuoted(output, 'hostname');
  const user = firstQuoted(output, 'user');
  const os = firstQuoted(output, 'os');
  if (hostname) facts.hostname = hostname;
  if (user) facts.user = user;
  if (os) facts.os = os;
  return facts;
}

/** `systemctl list-units --plain --no-legend` rows: `nginx.service loaded active running A high …`. */
export function parseSystemd(output: string): SystemdFacts | undefined {
  if (!blocksOf(output, 'running').length) return undefined;
  const unitName = (word: string | undefined) =>
    word?.endsWith('.service') ? word.slice(0, -'.service'.length) : undefined;
  const running = block(output, 'running').flatMap((line) => {
    const [unit, load, active, sub] = line.trim().split(/\s+/);
    const name = unitName(unit);
    return name && load === 'loaded' && active === 'active' && sub === 'running' ? [name] : [];
  });
  const files = new Map<string, string>();
  for (const line of block(output, 'files')) {
    const [unit, state] = line.trim().split(/\s+/);
    const name = unitName(unit);
    if (name && state) files.set(name, state);
  }
  return { running, files };
}

/** `service --status-all`: ` [ + ]  nginx` (running), `[ - ]` (stopped), `[ ? ]` (no status). */
export function parseSysv(output: string): string[] {
  return block(output, 'status-all').flatMap((line) => {
    const m = /^\s*\[ \+ \]\s+(\S+)\s*$/.exec(line);
    return m?.[1] ? [m[1]] : [];
  });
}

export function parseDocker(output: string): Discovery['docker'] {
  if (!output.includes('@ps')) return undefined;
  const rc = int(keyValues(output.split('\n')).rc);
  const lines = block(output, 'ps');
  if (rc !== 0) return { containers: [], error: lines.join(' ').trim() || `docker ps exit ${rc}` };
  const containers = lines.flatMap((line): Container[] => {
    const [name = '', image = '', state = '', status = '', project = '', service = '', files = ''] =
      line.split('\t');
    if (!name) return [];
    return [
      {
        name,
        image,
        state,
        status,
        ...(project ? { project } : {}),
        ...(service ? { service } : {}),
        configFiles: files ? files.split(',').filter(Boolean) : [],
      },
    ];
  });
  return { containers };
}

export function parsePm2(output: string): Discovery['pm2'] {
  if (!output.includes('@apps')) return undefined;
  const apps = block(output, 'apps').flatMap((line) => {
    try {
      const app = JSON.parse(line) as { name?: unknown; status?: unknown };
      return typeof app.name === 'string' ? [{ name: app.name, status: String(app.status ?? '') }] : [];
    } catch {
      return [];
    }
  });
  return { apps };
}

/** `supervisorctl status`: `lab-app   RUNNING   pid 312, uptime 0:05:01`; exit 3 when some are not running. */
export function parseSupervisor(output: string): Discovery['supervisor'] {
  if (!output.includes('@status')) return undefined;
  const rc = int(keyValues(output.split('\n')).rc);
  const lines = block(output, 'status');
  const programs = lines.flatMap((line) => {
    const m = /^(\S+)\s+(RUNNING|STARTING|BACKOFF|STOPPED|STOPPING|EXITED|FATAL|UNKNOWN)\b/.exec(line);
    return m?.[1] && m[2] ? [{ name: m[1], state: m[2] }] : [];
  });
  // 0 all running, 3 some not running (supervisor 4): both are answers; anything else could not ask
  if (rc !== 0 && rc !== 3 && programs.length === 0)
    return { programs, error: lines.join(' ').trim() || `supervisorctl exit ${rc}` };
  return { programs };
}

/** `ps -eo pid=,comm=,unit=` rows (the unit column is absent where ps has no systemd support). */
export function parseProcesses(output: string): Discovery['processes'] {
  return block(output, 'ps').flatMap((line) => {
    const m = /^\s*(\d+)\s+(.+?)(?:\s+(\S+\.(?:service|scope|slice)|-))?\s*$/.exec(line);
    if (!m?.[1] || !m[2]) return [];
    const unit = m[3] && m[3] !== '-' ? { unit: m[3] } : {};
    return [{ pid: Number(m[1]), comm: m[2].trim(), ...unit }];
  });
}

/**
 * `ss -ltnp` rows: `LISTEN 0 511 0.0.0.0:80 0.0.0.0:* users:(("nginx",pid=41,fd=6),…)`. The
 * users part is there only for sockets the asking user may see (all of them as root).
 */
export function parseListening(output: string): Listener[] | undefined {
  if (!output.includes('@ss')) return undefined;
  const byKey = new Map<string, Listener>();
  for (const line of block(output, 'ss')) {
    const fields = line.trim().split(/\s+/);
    if (fields[0] !== 'LISTEN') continue;
    const local = fields[3] ?? '';
    const m = /^(.*):(\d+)$/.exec(local);
    const port = int(m?.[2]);
    if (!m || port === undefined) continue;
    const address = (m[1] ?? '').replace(/%\S+$/, '');
    const users = line.slice(line.indexOf('users:') >= 0 ? line.indexOf('users:') : line.length);
    const pids = [...users.matchAll(/pid=(\d+)/g)].map((u) => Number(u[1]));
    const names = [...users.matchAll(/\("([^"]+)"/g)].map((u) => u[1] ?? '');
    const key = `${address}:${port}`;
    const seen = byKey.get(key);
    if (seen) {
      seen.pids.push(...pids.filter((p) => !seen.pids.includes(p)));
      seen.names.push(...names.filter((n) => !seen.names.includes(n)));
    } else byKey.set(key, { address, port, pids: [...new Set(pids)], names: [...new Set(names)] });
  }
  return [...byKey.values()];
}

export function parseWebFiles(output: string): WebFile[] {
  return blocksOf(output, 'file').flatMap((b): WebFile[] => {
    const kind = b.head === 'nginx' || b.head === 'apache' ? b.head : undefined;
    const [path, ...text] = quotedLines(b.lines);
    return kind && path ? [{ kind, path, text: text.join('\n') }] : [];
  });
}

/** `du -k` rows of the large log files: `153600\t/var/log/app/app.log`. */
export function parseLargeLogs(output: string): { path: string; kb: number }[] {
  return block(output, 'large').flatMap((line) => {
    const m = /^(\d+)\s+(\/.*)$/.exec(line);
    return m?.[1] && m[2] ? [{ kb: Number(m[1]), path: m[2] }] : [];
  });
}

const ANY_SERVER = serverSchema.parse({ name: 'discovery' });

export function parseDisks(output: string): MountUsage[] {
  try {
    return diskProbe.parse(output, ANY_SERVER).space;
  } catch {
    return [];
  }
}
