/**
 * Trends over memory (pure): growth toward full before a threshold is crossed, restart counters
 * that rise, reboots, and runs of the watcher itself that went missing.
 */

import { type Finding, finding, type ServerObservation } from '../types.js';
import { maxCronInterval } from '../util/cron.js';
import { formatDuration } from '../util/duration.js';
import type { ServerState } from './memory.js';

/** Checks that are events, not conditions: raised at once, never debounced. */
export const EVENT_CHECKS: ReadonlySet<string> = new Set(['reboot', 'restarts', 'missed-runs']);

/** The watcher's own findings are filed under this server name. */
export const WATCHER = 'claudeops';

const HOUR = 3_600_000;
/** Only recent samples predict: older ones describe a different workload. */
const TREND_WINDOW_MS = 24 * HOUR;
/** Warn when full is predicted this close. */
const HORIZON_HOURS = 24;

/**
 * Metrics sampled for trends, keyed check:target: the percent value of disk, inodes and memory
 * findings; the matching lines per run of log findings (their rate); endpoint latency in ms (for
 * the summary's latency charts; no growth rule reads it).
 */
const SAMPLED_CHECKS = new Set(['disk', 'inodes', 'memory', 'log', 'endpoint']);

/** Whether a non-ok finding is an event (raised at once, resolved after quiet runs), not a state. */
export function isEvent(f: Pick<Finding, 'check' | 'event'>): boolean {
  return f.event === true || EVENT_CHECKS.has(f.check);
}

/** Log rates shown beside log findings: "~2.5 matching lines/run over 12 runs", keyed log:target. */
export function logRateNotes(samples: Record<string, [string, number][]>): Record<string, string> {
  const notes: Record<string, string> = {};
  for (const [key, series] of Object.entries(samples)) {
    if (!key.startsWith('log:') || series.length === 0) continue;
    const mean = series.reduce((sum, [, v]) => sum + v, 0) / series.length;
    const runs = series.length;
    notes[key] =
      `~${mean < 10 ? mean.toFixed(1) : Math.round(mean)} matching lines/run over ${runs} run${runs === 1 ? '' : 's'}`;
  }
  return notes;
}

/** This run's numeric samples, from the evaluated findings (they carry the measured percent). */
export function currentSamples(findings: readonly Finding[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const f of findings) {
    if (SAMPLED_CHECKS.has(f.check) && typeof f.value === 'number') out[`${f.check}:${f.target}`] = f.value;
  }
  return out;
}

export interface Growth {
  /** percent points per hour */
  ratePerHour: number;
  /** hours until 100 % at that rate */
  hoursToFull: number;
}

/**
 * Least-squares growth over the recent samples. Undefined unless there are 3+ samples spanning
 * 30+ minutes, the fit is good (r² ≥ 0.6: noise is not a trend) and the value is rising.
 */
export function estimateGrowth(samples: readonly [string, number][], now: Date): Growth | undefined {
  const from = now.getTime() - TREND_WINDOW_MS;
  const points = samples
    .map(([at, v]) => [(Date.parse(at) - from) / HOUR, v] as const)
    .filter(([x]) => Number.isFinite(x) && x >= 0);
  if (points.length < 3) return undefined;
  const xs = points.map((p) => p[0]);
  if (Math.max(...xs) - Math.min(...xs) < 0.5) return undefined;
  const fit = linearFit(points);
  if (!fit || fit.slope <= 0.05 || fit.r2 < 0.6) return undefined;
  const latest = points.at(-1)?.[1] ?? 0;
  return { ratePerHour: fit.slope, hoursToFull: Math.max(0, (100 - latest) / fit.slope) };
}

function linearFit(
  points: readonly (readonly [number, number])[],
): { slope: number; r2: number } | undefined {
  const n = points.length;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (const [x, y] of points) {
    sxy += (x - mx) * (y - my);
    sxx += (x - mx) ** 2;
    syy += (y - my) ** 2;
  }
  if (sxx === 0 || syy === 0) return undefined;
  return { slope: sxy / sxx, r2: (sxy * sxy) / (sxx * syy) };
}

export function formatEta(hours: number): string {
  if (hours < 1) return `~${Math.max(1, Math.round(hours * 60))} min`;
  if (hours < 48) return `~${Math.round(hours)} h`;
  return `~${Math.round(hours / 24)} d`;
}

const GROWTH_WORDS: Record<string, { check: string; noun: (target: string) => string; full: string }> = {
  disk: { check: 'disk-growth', noun: (t) => `${t}`, full: 'full' },
  inodes: { check: 'inode-growth', noun: (t) => `${t} inodes`, full: 'out of inodes' },
  memory: { check: 'memory-growth', noun: () => 'memory', full: 'exhausted' },
};

/** The checks of trend findings ("full in ~9 h"). */
export const GROWTH_CHECKS: readonly string[] = Object.values(GROWTH_WORDS).map((w) => w.check);

/**
 * "Full in ~X h" findings for every sampled metric heading for 100 % within the horizon. `ok` when
 * it is not (so an earlier growth warning resolves). `note` carries the text for the metric's own
 * finding, so the report can say "/ is 91% full — full in ~2 h".
 */
export function growthFindings(
  server: string,
  samples: Record<string, [string, number][]>,
  current: Record<string, number>,
  now: Date,
): { findings: Finding[]; notes: Record<string, string> } {
  const findings: Finding[] = [];
  const notes: Record<string, string> = {};
  for (const [key, value] of Object.entries(current)) {
    const [metric = '', target = '-'] = splitKey(key);
    const words = GROWTH_WORDS[metric];
    if (!words) continue;
    const growth = estimateGrowth(samples[key] ?? [], now);
    const soon = growth && growth.hoursToFull <= HORIZON_HOURS;
    if (growth)
      notes[key] = `${words.full} in ${formatEta(growth.hoursToFull)} (+${growth.ratePerHour.toFixed(1)}%/h)`;
    const summary = soon
      ? `${words.noun(target)} is ${value}% used and growing ${growth.ratePerHour.toFixed(1)}%/h: ${words.full} in ${formatEta(growth.hoursToFull)}`
      : `${words.noun(target)} is not heading for ${words.full} within ${HORIZON_HOURS} h`;
    findings.push(finding(server, words.check, target, soon ? 'warning' : 'ok', summary, { value }));
  }
  return { findings, notes };
}

function splitKey(key: string): [string, string] {
  const at = key.indexOf(':');
  return at < 0 ? [key, '-'] : [key.slice(0, at), key.slice(at + 1)];
}

/**
 * Restart counters (systemd NRestarts, pm2 restart_time, docker RestartCount) that rose since the
 * last run. A counter that fell was reset (reboot, service re-created): not a restart.
 */
export function restartFindings(
  server: string,
  previous: Record<string, number>,
  current: Record<string, number>,
): Finding[] {
  const out: Finding[] = [];
  for (const [key, now] of Object.entries(current)) {
    if (!key.startsWith('restarts:')) continue;
    const service = key.slice('restarts:'.length);
    const before = previous[key];
    const rose = before !== undefined && now > before;
    const summary = rose
      ? `${service} restarted ${now - before} time${now - before === 1 ? '' : 's'} since the last run (restart counter ${now})`
      : `${service} did not restart since the last run`;
    out.push(finding(server, 'restarts', service, rose ? 'warning' : 'ok', summary, { value: now }));
  }
  return out;
}

export interface BootInfo {
  bootId?: string;
  uptimeSeconds?: number;
}

/**
 * A changed boot id means the server rebooted; without boot ids, an uptime shorter than the time
 * since the last check does. The finding is an event: ok on the next run.
 */
export function rebootFinding(server: string, previous: ServerState, boot: BootInfo, now: Date): Finding {
  const rebooted = didReboot(previous, boot, now);
  const up = boot.uptimeSeconds === undefined ? '' : ` (up ${formatDuration(boot.uptimeSeconds * 1000)})`;
  return rebooted
    ? finding(server, 'reboot', '-', 'warning', `${server} rebooted since the last run${up}`)
    : finding(server, 'reboot', '-', 'ok', `${server} did not reboot since the last run`);
}

export function didReboot(previous: ServerState, boot: BootInfo, now: Date): boolean {
  if (previous.bootId && boot.bootId) return previous.bootId !== boot.bootId;
  if (boot.uptimeSeconds === undefined || !previous.lastChecked) return false;
  const sinceLast = (now.getTime() - Date.parse(previous.lastChecked)) / 1000;
  return boot.uptimeSeconds < sinceLast;
}

/** Boot id and uptime from whatever probe reported them (the uptime probe: { bootId, uptimeSeconds }). */
export function bootInfoOf(observation: ServerObservation): BootInfo {
  const info: BootInfo = {};
  for (const data of Object.values(observation.probes)) {
    if (!isObject(data)) continue;
    if (typeof data.bootId === 'string' && data.bootId) info.bootId = data.bootId;
    if (typeof data.uptimeSeconds === 'number') info.uptimeSeconds = data.uptimeSeconds;
  }
  return info;
}

/**
 * Restart counters from the probes' parsed data: any list of objects with a name and a restart
 * count (`restarts`, `nRestarts`, `NRestarts`, `restart_time`, `restartCount`), keyed restarts:<name>.
 */
export function restartCountersOf(observation: ServerObservation): Record<string, number> {
  const out: Record<string, number> = {};
  for (const data of Object.values(observation.probes)) {
    for (const list of listsIn(data)) {
      for (const item of list) {
        if (!isObject(item) || typeof item.name !== 'string') continue;
        const count = restartCount(item);
        if (count !== undefined) out[`restarts:${item.name}`] = count;
      }
    }
  }
  return out;
}

const RESTART_KEYS = ['restarts', 'nRestarts', 'NRestarts', 'restart_time', 'restartCount', 'RestartCount'];

function restartCount(item: Record<string, unknown>): number | undefined {
  for (const key of RESTART_KEYS) {
    const v = item[key];
    if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return v;
  }
  return undefined;
}

function listsIn(data: unknown): unknown[][] {
  if (Array.isArray(data)) return [data];
  if (!isObject(data)) return [];
  return Object.values(data).filter((v): v is unknown[] => Array.isArray(v));
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The watcher watching itself: no run recorded for more than twice the schedule's longest gap
 * (and at least 30 min more than it, since GitHub delays scheduled runs) means runs were missed.
 */
export function missedRunsFinding(
  lastRunAt: string | undefined,
  schedule: string | undefined,
  now: Date,
): Finding | undefined {
  if (!lastRunAt || !schedule) return undefined;
  const interval = maxCronInterval(schedule);
  const last = Date.parse(lastRunAt);
  if (!interval || Number.isNaN(last)) return undefined;
  const gap = now.getTime() - last;
  const allowed = Math.max(2 * interval, interval + 30 * 60_000);
  if (gap <= allowed) return finding(WATCHER, 'missed-runs', '-', 'ok', 'scheduled runs arrive on time');
  const missed = Math.max(1, Math.floor(gap / interval) - 1);
  return finding(
    WATCHER,
    'missed-runs',
    '-',
    'warning',
    `no run was recorded for ${formatDuration(gap)} although the schedule "${schedule}" runs at least every ` +
      `${formatDuration(interval)}: about ${missed} run${missed === 1 ? '' : 's'} missed`,
    { value: missed },
  );
}
