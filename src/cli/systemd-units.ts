/**
 * The systemd service + timer pair `claudeops timer` writes (pure): the check as a oneshot service,
 * unprivileged and sandboxed, started by a calendar timer that catches up on a run missed while
 * the machine was off (Persistent=true) and spreads a fleet of machines (RandomizedDelaySec with a
 * fixed per-machine delay, so each keeps an even cadence).
 */
export interface TimerSpec {
  everyMs: number;
  user: string;
  /** absolute paths */
  node: string;
  cli: string;
  workingDirectory: string;
  config: string;
  stateRepo: string;
}

const MINUTE = 60_000;
const HOUR = 3_600_000;

/** `OnCalendar=` for an interval that divides an hour or a day, or why it cannot be one. */
export function calendarFor(everyMs: number): { ok: true; calendar: string } | { ok: false; reason: string } {
  const minutes = everyMs / MINUTE;
  const hours = everyMs / HOUR;
  if (Number.isInteger(minutes) && minutes >= 1 && minutes < 60 && 60 % minutes === 0)
    return { ok: true, calendar: minutes === 1 ? '*-*-* *:*:00' : `*-*-* *:00/${minutes}:00` };
  if (Number.isInteger(hours) && hours >= 1 && hours <= 24 && 24 % hours === 0)
    return {
      ok: true,
      calendar: hours === 1 ? '*-*-* *:00:00' : hours === 24 ? '*-*-* 00:00:00' : `*-*-* 00/${hours}:00:00`,
    };
  return {
    ok: false,
    reason:
      'expected minutes that divide an hour (1m, 2m, 3m, 4m, 5m, 6m, 10m, 12m, 15m, 20m, 30m) or hours that divide a day (1h, 2h, 3h, 4h, 6h, 8h, 12h, 24h)',
  };
}

/** One ExecStart= word: plain when safe, else double-quoted; `%` and `$` escaped for systemd. */
export function unitWord(word: string): string {
  const escaped = word.replaceAll('%', '%%').replaceAll('$', '$$$$');
  if (/^[A-Za-z0-9/._@+=:,%$-]+$/.test(escaped)) return escaped;
  return `"${escaped.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}

/** A path for a list setting (ReadWritePaths=): those take no quotes, so refuse what needs them. */
function listPath(path: string): string {
  if (!/^\/[A-Za-z0-9/._@+-]*$/.test(path))
    throw new Error(`${path}: a directory for the service needs a path of plain characters (no spaces)`);
  return path;
}

/** Directories the service writes: the working directory and, when elsewhere, the state repository's parent. */
function writablePaths(spec: TimerSpec): string[] {
  const inside = (p: string) => p === spec.workingDirectory || p.startsWith(`${spec.workingDirectory}/`);
  const parent = spec.stateRepo.slice(0, spec.stateRepo.lastIndexOf('/')) || '/';
  return [spec.workingDirectory, ...(inside(spec.stateRepo) ? [] : [parent])].map(listPath);
}

export function serviceUnit(spec: TimerSpec): string {
  const exec = [spec.node, spec.cli, 'check', '--config', spec.config, '--state-repo', spec.stateRepo]
    .map(unitWord)
    .join(' ');
  return `# Written by \`claudeops timer\`. Install: copy with claudeops.timer to /etc/systemd/system/, then
# systemctl daemon-reload && systemctl enable --now claudeops.timer   (status: systemctl list-timers claudeops)
[Unit]
Description=ClaudeOps health check
Wants=network-online.target
After=network-online.target

[Service]
Type=oneshot
User=${spec.user}
WorkingDirectory=${listPath(spec.workingDirectory)}
# Secrets, one VAR=value a line, readable by root only (chmod 600): SSH_PRIVATE_KEY_FILE=/path/to/key,
# KNOWN_HOSTS_FILE=..., ANTHROPIC_API_KEY=... (optional), CLAUDEOPS_HEARTBEAT_URL=... (optional)
EnvironmentFile=-/etc/claudeops/claudeops.env
ExecStart=${exec}
# the CLI's compiled code, kept between runs (Node 22.1+): /var/cache/claudeops, this user's alone
CacheDirectory=claudeops
CacheDirectoryMode=0700
TimeoutStartSec=${Math.max(10, Math.ceil((2 * spec.everyMs) / MINUTE))}min

${sandbox(spec)}`;
}

/** The [Service] directives that confine the check (the text says why each is, or is not, there). */
function sandbox(spec: TimerSpec): string {
  return `# Sandbox: the check reads servers over SSH and writes only its state repository. (No
# MemoryDenyWriteExecute: node's JIT needs it off. Servers with transport: local and sudo
# need NoNewPrivileges=no.)
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=read-only
ReadWritePaths=${writablePaths(spec).join(' ')}
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
RestrictSUIDSGID=yes
RestrictRealtime=yes
RestrictNamespaces=yes
LockPersonality=yes
SystemCallArchitectures=native
SystemCallFilter=@system-service
SystemCallFilter=~@privileged
SystemCallErrorNumber=EPERM
PrivateMounts=yes
RemoveIPC=yes
CapabilityBoundingSet=
AmbientCapabilities=
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6
UMask=0077
`;
}

export function timerUnit(spec: TimerSpec, calendar: string): string {
  const spread = Math.max(1, Math.round(Math.min(spec.everyMs / 10, 5 * MINUTE) / 1000));
  return `# Written by \`claudeops timer\`: runs claudeops.service on a calendar (see the service's header).
[Unit]
Description=ClaudeOps health check, on a schedule

[Timer]
OnCalendar=${calendar}
# a run missed while the machine was off runs at boot
Persistent=true
# machines started together spread over ${spread}s, each at its own fixed offset
RandomizedDelaySec=${spread}s
FixedRandomDelay=true
AccuracySec=1s
Unit=claudeops.service

[Install]
WantedBy=timers.target
`;
}
