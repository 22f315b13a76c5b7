/**
 * The wider read-only diagnostics (pure): logs, journal windows, OOM events, unit settings,
 * deleted-but-open files, sockets, configuration tests, package changes, time sync, containers,
 * PostgreSQL locks and connections, pressure stall. Every parameter is an enum built from the
 * config (services, log files, containers, patterns) or a fixed list; every command bounds its
 * output (head/tail) and runs under `timeout` and `nice` on the server (diagnostics.ts wraps it).
 */
import type { ServerConfig } from '../config/schema.js';
import type { Fragment, ParamSpec, TemplatedCommand } from '../remediate/command-template.js';

const enumOf = (values: readonly string[], description: string): ParamSpec => ({
  kind: 'enum',
  values: [...new Set(values)],
  description,
});

const WINDOWS = ['15 minutes ago', '1 hour ago', '6 hours ago', '24 hours ago', '7 days ago'];
const PRIORITIES = ['emerg', 'crit', 'err', 'warning', 'info'];

const PG = (query: string): Fragment[] => [
  'q=',
  { text: query },
  '\nif sudo -n -u postgres true 2>/dev/null; then sudo -n -u postgres psql -X -A -F " | " -c "$q" 2>&1; else psql -X -A -F " | " -c "$q" 2>&1; fi',
];

const PG_LOCKS =
  "select blocked.pid as blocked_pid, blocked.usename, now() - blocked.query_start as waiting, blocking.pid as blocking_pid, blocking.state as blocking_state, left(regexp_replace(blocking.query, '\\s+', ' ', 'g'), 120) as blocking_query from pg_stat_activity blocked join pg_stat_activity blocking on blocking.pid = any(pg_blocking_pids(blocked.pid)) order by waiting desc nulls last limit 25";
const PG_CONNECTIONS =
  "select coalesce(state, 'background') as state, usename, count(*) as sessions, (select setting from pg_settings where name = 'max_connections') as max_connections, (select setting from pg_settings where name = 'superuser_reserved_connections') as reserved from pg_stat_activity group by 1, 2 order by 3 desc limit 25";
const PG_CONFIG_ERRORS =
  "select sourcefile, sourceline, name, error from pg_file_settings where error is not null union all select 'pg_hba.conf', line_number, '-', error from pg_hba_file_rules where error is not null limit 25";

/** The configuration test of a service, by what the service is; undefined when none is known. */
function configTest(service: string): Fragment[] | undefined {
  if (/^nginx/.test(service)) return ['nginx -t 2>&1'];
  if (/^(sshd?|openssh-server)$/.test(service)) return ['sshd -t 2>&1 && echo "sshd: configuration OK"'];
  if (/^(apache2?|httpd)$/.test(service)) return ['apachectl configtest 2>&1'];
  if (/^postgres/.test(service)) return PG(PG_CONFIG_ERRORS);
  return undefined;
}

function logDiagnostics(server: ServerConfig): TemplatedCommand[] {
  const files = server.logs.flatMap((l) => ('path' in l ? [l] : []));
  if (files.length === 0) return [];
  const log = enumOf(
    files.map((l) => l.path),
    'a configured log file',
  );
  const patterns = files.flatMap((l) => l.patterns.map((p) => p.match));
  return [
    {
      id: 'log_tail',
      description: 'Last 100 lines of a configured log file.',
      params: { log },
      template: () => ['tail -n 100 -- ', { param: 'log' }, ' 2>&1'],
    },
    {
      id: 'log_grep',
      description: 'The last 50 lines of a configured log file matching one of its configured patterns.',
      params: { log, pattern: enumOf(patterns, 'a pattern configured for the log files') },
      template: () => [
        'tail -n 20000 -- ',
        { param: 'log' },
        ' 2>&1 | grep -E -e ',
        { param: 'pattern' },
        ' | tail -n 50',
      ],
    },
  ];
}

function unitDiagnostics(server: ServerConfig): TemplatedCommand[] {
  const units = server.services.filter((s) => s.manager === 'systemd').map((s) => s.name);
  const tests = server.services.map((s) => s.name).filter((name) => configTest(name) !== undefined);
  const diagnostics: TemplatedCommand[] = [];
  if (units.length > 0) {
    const unit = enumOf(units, 'a configured systemd service');
    diagnostics.push(
      {
        id: 'unit_show',
        description:
          'Restart policy, restart count, last result, limits and resource use of a configured systemd unit.',
        params: { service: unit },
        template: () => [
          'systemctl show --no-pager -p Id,ActiveState,SubState,Result,Restart,RestartUSec,NRestarts,ExecMainStatus,ExecMainStartTimestamp,ExecMainExitTimestamp,MemoryCurrent,MemoryMax,MemoryHigh,TasksCurrent,TasksMax,LimitNOFILE,LimitNPROC,CPUQuotaPerSecUSec,TimeoutStartUSec,FragmentPath,DropInPaths -- ',
          { param: 'service' },
          ' 2>&1',
        ],
      },
      {
        id: 'unit_cat',
        description: 'The unit file and drop-ins of a configured systemd unit (first 120 lines).',
        params: { service: unit },
        template: () => ['systemctl cat --no-pager -- ', { param: 'service' }, ' 2>&1 | head -n 120'],
      },
    );
  }
  if (tests.length > 0) {
    diagnostics.push({
      id: 'config_test',
      description:
        'Configuration test of a configured service (nginx -t, sshd -t, apachectl configtest; PostgreSQL: errors in its config and pg_hba files).',
      params: { service: enumOf(tests, 'a configured service with a known configuration test') },
      template: (p) => configTest(p.service ?? '') ?? ['echo no configuration test known'],
    });
  }
  return diagnostics;
}

function containerDiagnostics(server: ServerConfig): TemplatedCommand[] {
  const containers = server.services.filter((s) => s.manager === 'docker').map((s) => s.name);
  if (containers.length === 0) return [];
  const container = enumOf(containers, 'a configured docker container');
  return [
    {
      id: 'docker_inspect',
      description:
        'State, restart policy, restart count, health, OOM kill, limits and mounts of a configured container.',
      params: { container },
      template: () => [
        "docker inspect --format 'state={{.State.Status}} exit={{.State.ExitCode}} oom_killed={{.State.OOMKilled}} restarts={{.RestartCount}} started={{.State.StartedAt}} finished={{.State.FinishedAt}} error={{.State.Error}} health={{if .State.Health}}{{.State.Health.Status}}{{end}} restart_policy={{.HostConfig.RestartPolicy.Name}} memory={{.HostConfig.Memory}} image={{.Config.Image}}' -- ",
        { param: 'container' },
        ' 2>&1',
      ],
    },
    {
      id: 'docker_events',
      description:
        'Docker events (die, oom, restart, health) of a configured container over the last 24 hours.',
      params: { container },
      template: () => [
        'docker events --since 24h --until "$(date +%s)" --filter container=',
        { param: 'container' },
        " --format '{{.Time}} {{.Action}} {{.Actor.Attributes.exitCode}}' 2>&1 | tail -n 50",
      ],
    },
  ];
}

function postgresDiagnostics(server: ServerConfig): TemplatedCommand[] {
  if (!server.databases.some((d) => d.kind === 'postgres')) return [];
  return [
    {
      id: 'postgres_locks',
      description: 'PostgreSQL sessions waiting on a lock, and the sessions blocking them.',
      params: {},
      template: () => PG(PG_LOCKS),
    },
    {
      id: 'postgres_connections',
      description: 'PostgreSQL sessions by state and user, against max_connections and the reserved slots.',
      params: {},
      template: () => PG(PG_CONNECTIONS),
    },
  ];
}

const FIXED_WIDE: TemplatedCommand[] = [
  {
    id: 'journal_window',
    description:
      'System journal entries at or above a priority since a point in time (last 100, lines cut at 300 characters).',
    params: {
      since: enumOf(WINDOWS, 'how far back'),
      priority: enumOf(PRIORITIES, 'lowest priority shown'),
    },
    template: () => [
      'journalctl --no-pager -o short-iso -n 100 -p ',
      { param: 'priority' },
      ' --since ',
      { param: 'since' },
      ' 2>&1 | cut -c 1-300',
    ],
  },
  {
    id: 'journal_previous_boot',
    description:
      'Warnings and worse from the previous boot (its last 100 entries): why the server went down.',
    params: {},
    template: () => ['journalctl --no-pager -o short-iso -b -1 -p warning -n 100 2>&1 | cut -c 1-300'],
  },
  {
    id: 'oom_events',
    description: 'OOM-killer events of the last 7 days (kernel journal, else dmesg).',
    params: {},
    template: () => [
      "{ journalctl -k --no-pager -o short-iso --since '7 days ago' 2>/dev/null || dmesg -T 2>/dev/null; } | grep -i -E 'out of memory|oom-kill|oom_reaper|killed process' | tail -n 40",
    ],
  },
  {
    id: 'deleted_open_files',
    description: 'Files deleted but still held open (disk space not freed until the process closes them).',
    params: {},
    template: () => [
      "if command -v lsof >/dev/null 2>&1; then lsof -nP +L1 2>/dev/null | head -n 40; else find /proc/[0-9]*/fd -lname '*(deleted)' -printf '%p -> %l\\n' 2>/dev/null | head -n 40; fi",
    ],
  },
  {
    id: 'socket_states',
    description: 'TCP sockets counted by state (many TIME-WAIT/CLOSE-WAIT, SYN-RECV), then by local port.',
    params: {},
    template: () => [
      "ss -tanH 2>/dev/null | awk '{print $1}' | sort | uniq -c | sort -rn; echo; ss -tanH state established 2>/dev/null | awk '{n=split($3,a,\":\"); print a[n]}' | sort | uniq -c | sort -rn | head -n 15",
    ],
  },
  {
    id: 'package_changes',
    description: 'Recent package installs, upgrades and removals (dpkg/apt or dnf/yum history).',
    params: {},
    template: () => [
      "if [ -r /var/log/dpkg.log ]; then grep -h -E ' (install|upgrade|remove|purge) ' /var/log/dpkg.log 2>/dev/null | tail -n 40; elif [ -r /var/log/dnf.rpm.log ]; then tail -n 40 /var/log/dnf.rpm.log; elif [ -r /var/log/yum.log ]; then tail -n 40 /var/log/yum.log; else echo 'no package log readable'; fi",
    ],
  },
  {
    id: 'time_sync',
    description: 'Clock synchronisation: timedatectl, and chrony or ntpd when present.',
    params: {},
    template: () => [
      'timedatectl show 2>/dev/null || timedatectl status 2>&1; chronyc tracking 2>/dev/null | head -n 12; ntpq -pn 2>/dev/null | head -n 12; date -u',
    ],
  },
  {
    id: 'pressure',
    description: 'Pressure-stall information (cpu, memory, io): how long tasks waited for each resource.',
    params: {},
    template: () => [
      'for r in cpu memory io; do printf "%s: " $r; tr "\\n" " " < /proc/pressure/$r 2>/dev/null || printf "not available"; echo; done',
    ],
  },
];

export function wideDiagnostics(server: ServerConfig): TemplatedCommand[] {
  return [
    ...logDiagnostics(server),
    ...unitDiagnostics(server),
    ...containerDiagnostics(server),
    ...postgresDiagnostics(server),
    ...FIXED_WIDE,
  ];
}
