/**
 * The read-only diagnostics Claude may ask for (`run_diagnostic`): fixed commands with typed,
 * validated, shell-quoted arguments, built with the same template mechanism as the remediation
 * catalog. Nothing here changes a server. Pure.
 */
import type { ServerConfig, ServiceConfig } from '../config/schema.js';
import type { RunRecord } from '../core/run-record.js';
import { normalizeAbsolutePath } from '../core/util/safe-path.js';
import { shellQuote } from '../core/util/shell-quote.js';
import { safeClearable } from '../remediate/clearable.js';
import {
  describeParams,
  type Fragment,
  type ParamSpec,
  type Result,
  renderFragments,
  type TemplatedCommand,
  validateParams,
} from '../remediate/command-template.js';
import { wideDiagnostics } from './diagnostics-wide.js';

/** A read-only diagnostic: a fixed template, typed parameters (remediate/command-template.ts). */
export type Diagnostic = TemplatedCommand;

/** What the run measured on a server that diagnostics may be asked about (the collection). */
export interface DiagnosticFacts {
  /** mount points df reported */
  mounts?: readonly string[];
}

/** The facts of one server from this run's collection. */
export function diagnosticFactsOf(record: Pick<RunRecord, 'servers'>, server: string): DiagnosticFacts {
  const disk = record.servers.find((r) => r.server.name === server)?.observation.probes.disk as
    | { space?: { mount: string }[] }
    | undefined;
  return { mounts: (disk?.space ?? []).map((m) => m.mount) };
}

/** Where disk usually grows: offered to disk_usage / large_files beside the config's own paths. */
const USUAL_DIRS = [
  '/',
  '/var',
  '/var/log',
  '/var/lib',
  '/var/cache',
  '/var/tmp',
  '/tmp',
  '/home',
  '/srv',
  '/opt',
];

/**
 * The directories disk_usage and large_files may look at: an enum built from the config
 * (clearable directories, the directories of log and heartbeat files) and the collection (mount
 * points), plus the usual places disk grows; every entry normalised, none with `..`.
 */
export function diagnosticDirs(server: ServerConfig, facts: DiagnosticFacts = {}): string[] {
  const parent = (path: string) => path.replace(/\/[^/]*$/, '') || '/';
  const candidates = [
    ...USUAL_DIRS,
    ...(facts.mounts ?? []),
    ...safeClearable(server),
    ...server.logs.flatMap((l) => ('path' in l ? [parent(l.path)] : [])),
    ...server.heartbeats.map((h) => parent(h.path)),
  ];
  const dirs: string[] = [];
  for (const raw of candidates) {
    const normal = normalizeAbsolutePath(raw);
    if (normal.ok && normal.path.length <= 200 && !dirs.includes(normal.path)) dirs.push(normal.path);
  }
  return dirs;
}

const STATUS: Record<ServiceConfig['manager'], Fragment[]> = {
  systemd: ['systemctl status --no-pager -l -- ', { param: 'service' }, ' 2>&1 | head -n 40'],
  sysv: ['service ', { param: 'service' }, ' status 2>&1 | head -n 40'],
  supervisor: ['supervisorctl status ', { param: 'service' }, ' 2>&1'],
  pm2: ['pm2 describe ', { param: 'service' }, ' 2>&1 | head -n 60'],
  docker: [
    "docker inspect --format 'status={{.State.Status}} exit={{.State.ExitCode}} restarts={{.RestartCount}} started={{.State.StartedAt}} error={{.State.Error}}' -- ",
    { param: 'service' },
    ' 2>&1',
  ],
  // a Compose service is its containers, found by the label Compose puts on them
  compose: [
    "docker ps -a --no-trunc --format '{{.Names}} {{.Status}} {{.Image}}' --filter label=com.docker.compose.service=",
    { param: 'service' },
    ' 2>&1',
  ],
};

const LOGS: Record<ServiceConfig['manager'], Fragment[]> = {
  systemd: ['journalctl -u ', { param: 'service' }, ' -n 100 --no-pager -o short-iso 2>&1'],
  sysv: [
    'tail -n 2000 /var/log/syslog /var/log/messages 2>/dev/null | grep -F -e ',
    { param: 'service' },
    ' | tail -n 100',
  ],
  supervisor: [
    'supervisorctl tail -8000 ',
    { param: 'service' },
    ' stderr 2>&1; supervisorctl tail -4000 ',
    { param: 'service' },
    ' 2>&1',
  ],
  pm2: ['pm2 logs ', { param: 'service' }, ' --lines 100 --nostream --raw 2>&1'],
  docker: ['docker logs --tail 100 --timestamps ', { param: 'service' }, ' 2>&1'],
  compose: [
    'for c in $(docker ps -aq --filter label=com.docker.compose.service=',
    { param: 'service' },
    ' | head -n 3); do echo "== container $c"; docker logs --tail 100 --timestamps "$c" 2>&1; done',
  ],
};

function byService(services: readonly ServiceConfig[], table: typeof STATUS) {
  return (params: Readonly<Record<string, string>>): Fragment[] => {
    const service = services.find((s) => s.name === params.service);
    if (!service) throw new Error(`unknown service ${params.service}`);
    return table[service.manager];
  };
}

const PG_QUERY =
  "select pid, usename, state, wait_event_type, now() - query_start as age, left(regexp_replace(query, '\\s+', ' ', 'g'), 160) as query from pg_stat_activity where pid <> pg_backend_pid() order by age desc nulls last limit 25";

function serviceDiagnostics(server: ServerConfig): Diagnostic[] {
  if (server.services.length === 0) return [];
  const service: ParamSpec = {
    kind: 'enum',
    values: server.services.map((s) => s.name),
    description: 'a configured service',
  };
  return [
    {
      id: 'service_status',
      description: 'Status of a configured service from its manager.',
      params: { service },
      template: byService(server.services, STATUS),
    },
    {
      id: 'service_logs',
      description: 'Last 100 log lines of a configured service.',
      params: { service },
      template: byService(server.services, LOGS),
    },
  ];
}

const FIXED: Diagnostic[] = [
  {
    id: 'journal_errors',
    description: 'Errors (priority err and worse) in the system journal over the last 6 hours.',
    params: {},
    template: () => [
      "journalctl -p err -n 100 --no-pager -o short-iso --since '6 hours ago' 2>&1 || tail -n 100 /var/log/syslog 2>&1",
    ],
  },
  {
    id: 'kernel_errors',
    description: 'Kernel errors (OOM killer, disk I/O errors) from dmesg.',
    params: {},
    template: () => ['dmesg -T --level=err,crit,alert,emerg 2>&1 | tail -n 50'],
  },
  {
    id: 'failed_units',
    description: 'systemd units in the failed state.',
    params: {},
    template: () => ['systemctl --failed --no-pager 2>&1'],
  },
  {
    id: 'top_processes',
    description: 'Processes using the most CPU, then the most memory; free memory.',
    params: {},
    template: () => [
      'ps -eo pid,ppid,user,pcpu,pmem,rss,etime,stat,comm --sort=-pcpu 2>&1 | head -n 20; echo; ps -eo pid,user,pmem,rss,comm --sort=-rss 2>&1 | head -n 15; echo; free -m 2>&1',
    ],
  },
  {
    id: 'listening_ports',
    description: 'Listening TCP/UDP sockets and their processes.',
    params: {},
    template: () => ['(ss -ltnup 2>/dev/null || netstat -ltnup 2>/dev/null) | head -n 60'],
  },
  {
    id: 'docker_ps',
    description: 'All docker containers with status.',
    params: {},
    template: () => ["docker ps -a --format '{{.Names}}\\t{{.Status}}\\t{{.Image}}' 2>&1 | head -n 60"],
  },
];

/** disk_usage and large_files, over the directories of diagnosticDirs. */
function pathDiagnostics(server: ServerConfig, facts: DiagnosticFacts): Diagnostic[] {
  const path: ParamSpec = {
    kind: 'enum',
    values: diagnosticDirs(server, facts),
    description: 'a directory from the config or a mount point',
  };
  return [
    {
      id: 'disk_usage',
      description: 'Sizes (KiB) of the entries of a directory on the same filesystem, largest first.',
      params: { path },
      template: () => ['du -x -k -d 1 -- ', { param: 'path' }, ' 2>/dev/null | sort -rn | head -n 25'],
    },
    {
      id: 'large_files',
      description: 'Files over 100 MB under a directory (same filesystem), largest first.',
      params: { path },
      template: () => [
        'find ',
        { param: 'path' },
        " -xdev -type f -size +100M -printf '%s %TY-%Tm-%Td %p\\n' 2>/dev/null | sort -rn | head -n 20",
      ],
    },
  ];
}

/** docker_logs, for the configured docker containers only. */
function dockerLogs(server: ServerConfig): Diagnostic[] {
  const containers = server.services.filter((s) => s.manager === 'docker').map((s) => s.name);
  if (containers.length === 0) return [];
  return [
    {
      id: 'docker_logs',
      description: 'Last 100 log lines of a configured docker container.',
      params: {
        container: { kind: 'enum', values: containers, description: 'a configured docker container' },
      },
      template: () => ['docker logs --tail 100 --timestamps -- ', { param: 'container' }, ' 2>&1'],
    },
  ];
}

function postgres(server: ServerConfig): Diagnostic[] {
  if (!server.databases.some((d) => d.kind === 'postgres')) return [];
  return [
    {
      id: 'postgres_activity',
      description: 'PostgreSQL sessions (pg_stat_activity), oldest first.',
      params: {},
      template: () => [
        'q=',
        { param: 'query' },
        '\nif sudo -n -u postgres true 2>/dev/null; then sudo -n -u postgres psql -X -A -F " | " -c "$q" 2>&1; else psql -X -A -F " | " -c "$q" 2>&1; fi',
      ],
    },
  ];
}

export function buildDiagnostics(server: ServerConfig, facts: DiagnosticFacts = {}): Map<string, Diagnostic> {
  const all = [
    ...serviceDiagnostics(server),
    ...FIXED,
    ...pathDiagnostics(server, facts),
    ...dockerLogs(server),
    ...postgres(server),
    ...wideDiagnostics(server),
  ];
  return new Map(all.map((d) => [d.id, d]));
}

/** Seconds a diagnostic may run on the server before `timeout` ends it (the caller's own limit is longer). */
export const DIAGNOSTIC_SERVER_TIMEOUT_S = 20;

/**
 * Every diagnostic runs under `timeout` (TERM, then KILL 5 s later) and `nice`: a slow `du` or a
 * hung `docker` on a struggling server must not outlive the call or compete with the service.
 */
function bounded(command: string): string {
  return `timeout -k 5 ${DIAGNOSTIC_SERVER_TIMEOUT_S} nice -n 10 sh -c ${shellQuote(command)}`;
}

/** Validates untrusted arguments and renders the diagnostic's command. */
export function renderDiagnostic(diagnostic: Diagnostic, args: unknown): Result<string> {
  const validated = validateParams(diagnostic, args);
  if (!validated.ok) return validated;
  // fixed values the template needs that are not the caller's to choose
  const values = { ...validated.value, query: PG_QUERY };
  return { ok: true, value: bounded(renderFragments(diagnostic.template(validated.value), values)) };
}

export function describeDiagnostics(diagnostics: Iterable<Diagnostic>): string {
  const lines: string[] = [];
  for (const d of diagnostics) {
    const args = describeParams(d.params);
    lines.push(`- ${d.id}${args ? ` (${args})` : ''}: ${d.description}`);
  }
  return lines.join('\n');
}
