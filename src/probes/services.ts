import type { ServerConfig, ServiceConfig } from '../config/schema.js';
import { type Finding, finding, type Severity } from '../core/types.js';
import { shellQuote, shellQuoteAll } from '../core/util/shell-quote.js';
import { dockerCursorKey, dockerScript, parseDocker, shortImageId } from './docker-containers.js';
import { blocksOf, int, keyValues, quotedLines } from './output-text.js';
import type { Probe } from './probe.js';
import type { ServiceState, ServiceStatus } from './service-state.js';

export interface ServicesData {
  services: ServiceState[];
}

type Indexed = { service: ServiceConfig; index: number };

/** Docker containers and Compose services: all answered by one `docker inspect`. */
function containerUnits(server: ServerConfig): Indexed[] {
  return [...byManager(server, 'docker'), ...byManager(server, 'compose')];
}

function byManager(server: ServerConfig, manager: ServiceConfig['manager']): Indexed[] {
  return server.services
    .map((service, index) => ({ service, index }))
    .filter((s) => s.service.manager === manager);
}

const SYSTEMD_PROPS = 'Id,LoadState,ActiveState,SubState,NRestarts,ExecMainStatus,ActiveEnterTimestamp';

function systemdScript(units: Indexed[]): string {
  if (units.length === 0) return '';
  // One systemctl call for all units: it prints one blank-line separated block per argument, in order.
  return [
    "if ! co_have systemctl; then echo '@systemd missing'",
    "elif [ ! -d /run/systemd/system ]; then echo '@systemd not-running'",
    `else echo '@systemd'; systemctl show -p ${SYSTEMD_PROPS} -- ${shellQuoteAll(units.map((u) => u.service.name))} 2>&1; fi`,
  ].join('\n');
}

/**
 * A SysV service whose pid file (/run/NAME.pid or /var/run/NAME.pid) names a live process is
 * running: the same test LSB's `status_of_proc -p` makes (pidofproc: the pid file's pid answers
 * `kill -0`), without running the init script and the dozens of processes it starts. Anything
 * else (no such pid file, a dead pid) asks the init script, whose own words and exit code say why.
 */
function sysvScript(units: Indexed[]): string {
  // LSB status exit codes: 0 running, 1-3 dead, 4 unknown; the first output line says why.
  return units
    .map(({ service, index }) => {
      const name = shellQuote(service.name);
      return [
        `echo '@sysv ${index}'`,
        `p=; for f in /run/${name}.pid /var/run/${name}.pid; do [ -r "$f" ] && read -r p < "$f" && break; p=; done`,
        "case $p in *[!0-9]* | '') p= ;; esac",
        'if [ -n "$p" ] && [ -d "/proc/$p" ]; then echo "rc=0"; echo "pid=$p"; echo "pidfile=$f"',
        `elif co_have service; then o=$(service ${name} status 2>&1); echo "rc=$?"; co_q 3 "$o"`,
        `elif [ -x /etc/init.d/${name} ]; then o=$(/etc/init.d/${name} status 2>&1); echo "rc=$?"; co_q 3 "$o"`,
        "else echo 'missing'; fi",
      ].join('\n');
    })
    .join('\n');
}

function supervisorScript(units: Indexed[]): string {
  if (units.length === 0) return '';
  return [
    "echo '@supervisor'",
    `if co_have supervisorctl; then o=$(supervisorctl status ${shellQuoteAll(units.map((u) => u.service.name))} 2>&1); echo "rc=$?"`,
    // every line: one per program asked for
    'co_q 10000 "$o" 300',
    "else echo 'missing'; fi",
  ].join('\n');
}

/**
 * `pm2 jlist` prints every app's whole environment (secrets included, kilobytes each). pm2 runs on
 * node, so node is there: keep only the fields we read, one JSON object per line, on the server.
 */
export const PM2_FILTER = [
  'let s = "";',
  'process.stdin.on("data", (d) => (s += d)).on("end", () => {',
  '  try {',
  '    for (const p of JSON.parse(s.slice(s.indexOf("[")))) {',
  '      const e = p.pm2_env || {};',
  '      console.log(JSON.stringify({ name: p.name, status: e.status, restart_time: e.restart_time, pm_uptime: e.pm_uptime }));',
  '    }',
  '  } catch { console.log("not-json"); }',
  '});',
].join(' ');

function pm2Script(units: Indexed[]): string {
  if (units.length === 0) return '';
  // `pm2 jlist` starts a daemon when none runs: look for its socket first so a check never spawns one.
  return [
    "echo '@pm2'",
    "if ! co_have pm2; then echo 'missing'",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not JS
    'elif [ ! -S "${PM2_HOME:-$HOME/.pm2}/rpc.sock" ]; then echo \'no-daemon\'',
    `else pm2 jlist 2>/dev/null | node -e ${shellQuote(PM2_FILTER)} | sed 's/^/| /'; fi`,
  ].join('\n');
}

const state = (
  { service }: Indexed,
  status: ServiceStatus,
  detail: string,
  extra: Pick<ServiceState, 'restarts' | 'since'> = {},
): ServiceState => ({ name: service.name, manager: service.manager, status, detail, ...extra });

function parseSystemd(head: string, lines: string[], units: Indexed[]): ServiceState[] {
  if (head === 'missing') return units.map((u) => state(u, 'unknown', 'systemctl not installed'));
  if (head === 'not-running')
    return units.map((u) => state(u, 'unknown', 'systemd is not running (not PID 1)'));
  const chunks: string[][] = [[]];
  for (const line of lines) {
    if (line === '') chunks.push([]);
    else chunks.at(-1)?.push(line);
  }
  const props = chunks.filter((c) => c.length > 0).map((c) => keyValues(c));
  return units.map((u, i) => {
    const p = props[i];
    if (!p?.LoadState) return state(u, 'unknown', 'systemctl printed nothing for this unit');
    const detail = `${p.ActiveState}/${p.SubState}${p.ExecMainStatus && p.ExecMainStatus !== '0' ? `, exit status ${p.ExecMainStatus}` : ''}`;
    const extra = { restarts: int(p.NRestarts), since: p.ActiveEnterTimestamp || undefined };
    if (p.LoadState === 'not-found') return state(u, 'not-found', 'unit not found');
    return state(u, systemdStatus(p.ActiveState, p.SubState), detail, extra);
  });
}

function systemdStatus(active = '', sub = ''): ServiceStatus {
  if (active === 'active' || active === 'reloading') return 'running';
  if (active === 'activating') return sub === 'auto-restart' ? 'restarting' : 'starting';
  if (active === 'failed') return 'failed';
  return 'stopped';
}

function parseSysv(lines: string[], unit: Indexed): ServiceState {
  const said = quotedLines(lines)[0]?.trim() ?? '';
  if (lines.includes('missing'))
    return state(unit, 'unknown', 'neither service nor /etc/init.d script found');
  const kv = keyValues(lines);
  const rc = int(kv.rc);
  if (rc === 0 && kv.pid && kv.pidfile)
    return state(unit, 'running', `running (pid ${kv.pid} from ${kv.pidfile})`);
  if (rc === 0) return state(unit, 'running', said || 'running');
  if (/unrecognized service|not found/i.test(said)) return state(unit, 'not-found', said);
  // LSB: 1 = dead but pid file exists, 3 = not running, 4 = status unknown.
  if (rc === 4) return state(unit, 'unknown', said || 'status unknown (exit 4)');
  return state(unit, rc === 3 ? 'stopped' : 'failed', said || `status exit ${rc}`);
}

function parseSupervisor(lines: string[], units: Indexed[]): ServiceState[] {
  if (lines.includes('missing')) return units.map((u) => state(u, 'unknown', 'supervisorctl not installed'));
  const said = quotedLines(lines);
  return units.map((u) => {
    const line = said.find((l) => l.split(/\s+/)[0] === u.service.name || l.startsWith(`${u.service.name}:`));
    if (!line) {
      const why = said.find((l) => l.trim() !== '') ?? 'no answer from supervisorctl';
      // Permission problems mean we cannot see, not that the program is down.
      if (/permission denied/i.test(why)) return state(u, 'unknown', why.trim());
      return state(u, 'stopped', `supervisord not answering: ${why.trim()}`);
    }
    const [, st = '', rest = ''] = /^\S+\s+(\S+)\s*(.*)$/.exec(line) ?? [];
    if (/no such process/i.test(line)) return state(u, 'not-found', 'no such program in supervisord');
    const map: Record<string, ServiceStatus> = {
      RUNNING: 'running',
      STARTING: 'starting',
      BACKOFF: 'restarting',
      STOPPING: 'stopped',
      STOPPED: 'stopped',
      EXITED: 'stopped',
      FATAL: 'failed',
    };
    return state(u, map[st] ?? 'unknown', `${st} ${rest}`.trim());
  });
}

/** What the server-side filter keeps of one `pm2 jlist` entry. */
interface Pm2Entry {
  name?: string;
  status?: string;
  restart_time?: number;
  pm_uptime?: number;
}

function parsePm2(lines: string[], units: Indexed[]): ServiceState[] {
  if (lines.includes('missing')) return units.map((u) => state(u, 'unknown', 'pm2 not installed'));
  if (lines.includes('no-daemon'))
    return units.map((u) => state(u, 'unknown', 'no pm2 daemon for this user (no rpc.sock in PM2_HOME)'));
  const list: Pm2Entry[] = [];
  for (const line of quotedLines(lines)) {
    try {
      list.push(JSON.parse(line) as Pm2Entry);
    } catch {
      return units.map((u) => state(u, 'unknown', 'pm2 jlist did not print JSON'));
    }
  }
  return units.map((u) => {
    const apps = list.filter((p) => p.name === u.service.name);
    if (apps.length === 0) return state(u, 'not-found', 'no such app in pm2');
    // Cluster mode lists one entry per instance: the app is as bad as its worst instance.
    const env = apps.find((a) => a.status !== 'online') ?? apps[0] ?? {};
    const restarts = apps.reduce((sum, a) => sum + (a.restart_time ?? 0), 0);
    const map: Record<string, ServiceStatus> = {
      online: 'running',
      launching: 'starting',
      'waiting restart': 'restarting',
      stopped: 'stopped',
      stopping: 'stopped',
      errored: 'failed',
      'one-launch-status': 'stopped',
    };
    const since = env.pm_uptime ? new Date(env.pm_uptime).toISOString() : undefined;
    const detail = `${env.status ?? 'unknown'}${apps.length > 1 ? ` (${apps.length} instances)` : ''}`;
    return state(u, map[env.status ?? ''] ?? 'unknown', detail, { restarts, since });
  });
}

const SEVERITY: Record<ServiceStatus, Severity> = {
  running: 'ok',
  starting: 'warning',
  unknown: 'warning',
  restarting: 'critical',
  unhealthy: 'critical',
  stopped: 'critical',
  failed: 'critical',
  'not-found': 'critical',
};

function summaryOf(s: ServiceState): string {
  const restarts = s.restarts ? `, ${s.restarts} restart(s)` : '';
  if (s.status === 'unknown') return `${s.name} (${s.manager}): cannot check: ${s.detail}`;
  return `${s.name} (${s.manager}) is ${s.status}: ${s.detail}${restarts}`;
}

/** A container back up for less than this after restarts is caught between two crashes. */
const FRESH_START_MS = 60_000;
/** ...and with at least this many restarts, it is in a loop. */
const LOOP_RESTARTS = 3;

/** Seconds a restarted container has been up, when that is short enough to say so. */
function upOnlySeconds(s: ServiceState, now: Date): number | undefined {
  if (!s.container || s.status !== 'running' || !s.restarts || !s.since) return undefined;
  const up = now.getTime() - Date.parse(s.since);
  return up >= 0 && up < FRESH_START_MS ? Math.round(up / 1000) : undefined;
}

function serviceFinding(server: ServerConfig, s: ServiceState, now: Date): Finding {
  // A container under a restart policy that crashes at once is "running" for a moment between
  // back-offs; seen then, a fresh start after restarts is the loop. (Counters that rose since the
  // last run are lifecycle's `restarts` event, for every manager.)
  const upOnly = upOnlySeconds(s, now);
  const looping = upOnly !== undefined && (s.restarts ?? 0) >= LOOP_RESTARTS;
  const severity = looping
    ? 'critical'
    : upOnly !== undefined && SEVERITY[s.status] === 'ok'
      ? 'warning'
      : SEVERITY[s.status];
  const fresh = upOnly !== undefined ? `; up only ${upOnly} s after the last restart` : '';
  return finding(
    server.name,
    'service',
    s.name,
    severity,
    `${summaryOf(s)}${fresh}${looping ? ' (a restart loop)' : ''}`,
    {
      ...(s.restarts !== undefined ? { value: s.restarts } : {}),
      ...(s.container?.healthOutput ? { evidence: s.container.healthOutput } : {}),
    },
  );
}

/** A container now running another image than at the last run: a deploy, an event. */
function imageChange(server: ServerConfig, s: ServiceState): Finding[] {
  const before = s.container?.previousImage;
  const now = s.container?.image;
  if (!before || !now || before === now) return [];
  return [
    finding(
      server.name,
      'image',
      s.name,
      'warning',
      `${s.name} (${s.manager}) runs a new image since the last run: ${shortImageId(before)} → ${shortImageId(now)}`,
      { event: true },
    ),
  ];
}

export const servicesProbe: Probe<ServicesData> = {
  id: 'services',
  inline: true,
  applies: (server) => server.services.length > 0,
  script: (server, context) =>
    [
      systemdScript(byManager(server, 'systemd')),
      sysvScript(byManager(server, 'sysv')),
      supervisorScript(byManager(server, 'supervisor')),
      pm2Script(byManager(server, 'pm2')),
      dockerScript(containerUnits(server), context.cursors),
    ]
      .filter((part) => part !== '')
      .join('\n'),
  parse(output, server) {
    const found: ServiceState[] = [];
    const sysv = byManager(server, 'sysv');
    for (const tag of ['systemd', 'sysv', 'supervisor', 'pm2', 'docker'] as const) {
      for (const block of blocksOf(output, tag)) {
        if (tag === 'systemd') found.push(...parseSystemd(block.head, block.lines, byManager(server, tag)));
        if (tag === 'supervisor') found.push(...parseSupervisor(block.lines, byManager(server, tag)));
        if (tag === 'pm2') found.push(...parsePm2(block.lines, byManager(server, tag)));
        if (tag === 'docker') found.push(...parseDocker(block.lines, containerUnits(server)));
        const unit = sysv.find((u) => String(u.index) === block.head);
        if (tag === 'sysv' && unit) found.push(parseSysv(block.lines, unit));
      }
    }
    // Keep the configured order, and say so when a manager's block never came back.
    const services = server.services.map(
      (svc) =>
        found.find((f) => f.name === svc.name && f.manager === svc.manager) ??
        state({ service: svc, index: -1 }, 'unknown', 'no output for this service'),
    );
    return { services };
  },
  evaluate(data, server, context): Finding[] {
    return data.services.flatMap((s) => [serviceFinding(server, s, context.now), ...imageChange(server, s)]);
  },
  cursors(data) {
    const cursors: Record<string, string> = {};
    for (const s of data.services) {
      if (s.container) cursors[dockerCursorKey(s)] = s.container.image;
    }
    return cursors;
  },
};
