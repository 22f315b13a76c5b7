/**
 * `free-port` (risk medium): a configured service is down because another process holds its
 * configured port. The script finds the holders (`ss -ltnp`), refuses when any of them is PID 1,
 * sshd, or a process of a configured service (its own name, its systemd unit, or a descendant of
 * one, or a child of a process manager), names each holder it stops (PID, user, command line),
 * stops them (TERM, then KILL after 5 s), starts the service and waits up to 20 s for the port.
 *
 * One fixed script per service, built from the config alone (the validated `service` parameter
 * picks which), so under `sudo: actions` it is one `sudo -n /bin/sh -c <script>` that sudoers
 * allows exactly, as for config remediations. Only services whose manager runs as root
 * (systemd, sysv, supervisor, docker): pm2 keeps its processes per user.
 */
import type { ServerConfig, ServiceConfig } from '../config/schema.js';
import { shellQuote, shellQuoteAll } from '../core/util/shell-quote.js';
import type { CatalogAction } from './catalog-action.js';
import { CONFIG_SHELL, type Fragment, type Word, wordsToArgv, wordsToFragments } from './command-template.js';
import { serviceWords } from './service-words.js';

const MINUTE = 60_000;

/** Holders that are never stopped, whatever the config says. */
const NEVER = ['sshd', 'systemd', 'init', 'dockerd', 'containerd'];
/** Parents that mean "a process manager runs this": it would start it again, and it is someone's service. */
const MANAGERS = ['supervisord', 'PM2*', 'containerd-shim*', 'docker-proxy', 'dockerd'];

function eligible(server: ServerConfig): ServiceConfig[] {
  return server.services.filter((s) => s.port !== undefined && s.manager !== 'pm2');
}

/** The script for one service: pure text from the config. */
export function freePortScript(server: ServerConfig, service: ServiceConfig): string {
  const start = wordsToArgv(serviceWords(service, 'start'), { service: service.name });
  // names a configured service's processes go by: the service name and its unit's stem
  const configured = server.services.map((s) => s.name.replace(/\.service$/, ''));
  return [
    `port=${service.port}; svc=${shellQuote(service.name)}; configured=${shellQuote(configured.join(' '))}`,
    'refuse() { echo "refusing: $*"; exit 3; }',
    // comm is in parentheses and may hold spaces: the fields after the last ") " are fixed
    'ppid_of() { sed "s/.*) //" "/proc/$1/stat" 2>/dev/null | cut -d" " -f2; }',
    'listening() { ss -Htln "sport = :$port" 2>/dev/null | grep -q .; }',
    'holders() { ss -Htlnp "sport = :$port" 2>/dev/null | grep -o "pid=[0-9]*" | cut -d= -f2 | sort -u; }',
    'if ! command -v ss >/dev/null 2>&1; then echo "refusing: ss (iproute2) is not installed"; exit 4; fi',
    'pids=$(holders)',
    'if [ -z "$pids" ] && listening; then refuse "port $port is held but its process cannot be seen (not root?)"; fi',
    'for pid in $pids; do',
    '  [ "$pid" = 1 ] && refuse "PID 1 holds port $port"',
    '  c=$(cat "/proc/$pid/comm" 2>/dev/null)',
    `  case $c in ${NEVER.join('|')}) refuse "PID $pid on port $port is $c" ;; esac`,
    '  unit=$(grep -o "[^/]*\\.service" "/proc/$pid/cgroup" 2>/dev/null | tail -n 1)',
    '  for s in $configured; do [ "$unit" = "$s.service" ] && refuse "PID $pid on port $port runs in $unit, a configured service"; done',
    // the holder and its parents: a configured service's process (nginx workers under their
    // master) or a process manager's child is someone's service
    '  p=$pid',
    '  while [ -n "$p" ] && [ "$p" -gt 1 ]; do',
    '    c=$(cat "/proc/$p/comm" 2>/dev/null) || break',
    `    case $c in ${MANAGERS.join('|')}) refuse "PID $pid on port $port is run by $c (PID $p): a managed service" ;; esac`,
    '    for s in $configured; do',
    '      [ "$c" = "$s" ] && refuse "PID $pid on port $port is a process of the configured service $s (PID $p: $c)"',
    '    done',
    '    p=$(ppid_of "$p")',
    '  done',
    'done',
    'for pid in $pids; do',
    '  echo "stopping PID $pid, user $(stat -c %U "/proc/$pid" 2>/dev/null), command: $(tr "\\000" " " < "/proc/$pid/cmdline" 2>/dev/null | cut -c1-200)"',
    '  kill -TERM "$pid" 2>/dev/null',
    'done',
    'if [ -n "$pids" ]; then',
    '  i=0; while listening && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done',
    '  if listening; then for pid in $(holders); do echo "PID $pid still holds port $port after 5 s: SIGKILL"; kill -KILL "$pid" 2>/dev/null; done; sleep 0.5; fi',
    'else echo "port $port was free: nothing to stop"; fi',
    'listening && refuse "port $port is still held"',
    `echo "starting $svc"; ${shellQuoteAll(start)} || exit $?`,
    'i=0; until listening || [ $i -ge 200 ]; do sleep 0.1; i=$((i+1)); done',
    'if listening; then echo "$svc is listening on port $port"; else echo "$svc started but port $port is not listening after 20 s"; exit 5; fi',
  ].join('\n');
}

export function freePortActions(server: ServerConfig): CatalogAction[] {
  const services = eligible(server);
  if (services.length === 0) return [];
  const scriptOf = (params: Readonly<Record<string, string>>): string => {
    const service = services.find((s) => s.name === params.service);
    if (!service) throw new Error(`free-port: no service ${params.service} with a port`);
    return freePortScript(server, service);
  };
  const root = (params: Readonly<Record<string, string>>): readonly Word[] => [
    [CONFIG_SHELL],
    ['-c'],
    [{ text: scriptOf(params) }],
  ];
  return [
    {
      id: 'free-port',
      description:
        "Stop the process squatting a down service's configured port (never PID 1, sshd or a configured service's process), then start the service and wait for its port.",
      source: 'builtin',
      params: {
        service: {
          kind: 'enum',
          values: services.map((s) => s.name),
          description: 'a configured service with a port (not pm2)',
        },
      },
      targetParam: 'service',
      risk: 'medium',
      verify: ['service', 'port'],
      cooldownMs: 30 * MINUTE,
      maxPerDay: 3,
      timeoutMs: 60_000,
      rootCommand: root,
      template: (params): Fragment[] =>
        server.sudo === 'actions' ? ['sudo -n ', ...wordsToFragments(root(params))] : [scriptOf(params)],
    },
  ];
}
