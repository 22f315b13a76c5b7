/**
 * Builds the status site from the state branch: reads, for every server, only the history months
 * (and rolled-up years) the 90-day window touches, its endpoint names and the open issue files;
 * then writes index.html, status.json and badges/<server>.json into an output directory.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../config/schema.js';
import {
  type HistoryDay,
  type HistoryPoint,
  historyEndpointsPath,
  parseEndpointNames,
  uptimeOf,
} from '../core/memory/history-series.js';
import type { StateReader } from '../core/ports/index.js';
import {
  badgeJson,
  renderStatusPage,
  type ServerPage,
  type StatusPageData,
  UPTIME_WINDOWS,
  type Uptimes,
  type UptimeWindow,
} from '../core/render/status-page.js';
import { type HistoryWindow, readHistoryWindow } from '../core/state-branch/history-window.js';
import { fleetNow, openIssues, serverNames } from '../core/state-branch/state-views.js';
import { maxCronInterval } from '../core/util/cron.js';
import { resolveThresholds } from '../probes/thresholds.js';

const WINDOW_MS: Record<UptimeWindow, number> = {
  '24h': 86_400_000,
  '7d': 7 * 86_400_000,
  '30d': 30 * 86_400_000,
  '90d': 90 * 86_400_000,
};

export interface StatusPageOptions {
  now: Date;
  config?: Config;
  /** web URL of the repository: incidents link to a search for their issue */
  repoUrl?: string;
  title?: string;
}

export type SeriesRead = HistoryWindow;

/** The 90-day series of these servers: the monthly files the window touches and rolled-up years. */
export function readNinetyDays(
  reader: StateReader,
  servers: readonly string[],
  now: Date,
): Promise<SeriesRead> {
  return readHistoryWindow(reader, servers, new Date(now.getTime() - WINDOW_MS['90d']), now, { days: true });
}

function uptimes(points: HistoryPoint[], days: HistoryDay[], now: Date, endpoint?: string): Uptimes {
  const out: Uptimes = {};
  for (const w of UPTIME_WINDOWS) {
    // rolled-up days only count for windows longer than the raw months they replaced
    const u = uptimeOf(
      points,
      new Date(now.getTime() - WINDOW_MS[w]),
      now,
      endpoint,
      w === '24h' ? [] : days,
    );
    if (u.percent !== undefined) out[w] = u.percent;
  }
  return out;
}

export async function statusPageData(
  reader: StateReader,
  options: StatusPageOptions,
): Promise<StatusPageData> {
  const { now, config } = options;
  const names = await serverNames(reader);
  const fleet = await fleetNow(reader, now);
  const series = await readNinetyDays(reader, names, now);
  const endpointFiles = await reader.read(names.map(historyEndpointsPath));
  const servers = names.map((name): ServerPage => {
    const points = series.points.get(name) ?? [];
    const days = series.days.get(name) ?? [];
    const serverConfig = config?.servers.find((s) => s.name === name);
    const t = resolveThresholds(config?.defaults.thresholds, serverConfig?.thresholds);
    const urls = parseEndpointNames(endpointFiles.get(historyEndpointsPath(name)) ?? '');
    const last = points.at(-1);
    const ids = [...new Set(points.flatMap((p) => Object.keys(p.endpoints)))];
    return {
      name,
      status: last?.status ?? 'unknown',
      ...(fleet.servers.find((s) => s.server === name)?.lastChecked
        ? { lastChecked: fleet.servers.find((s) => s.server === name)?.lastChecked as string }
        : {}),
      uptime: uptimes(points, days, now),
      disk: points.flatMap((p) =>
        p.disk === undefined ? [] : [[Date.parse(p.at), p.disk] as [number, number]],
      ),
      diskThreshold: t.disk,
      endpoints: ids.map((id) => {
        const lastSeen = [...points].reverse().find((p) => p.endpoints[id])?.endpoints[id];
        return {
          url: urls[id] ?? `endpoint ${id}`,
          ...(lastSeen ? { up: lastSeen.up, code: lastSeen.code } : {}),
          ...(lastSeen?.latencyMs !== undefined ? { latencyMs: lastSeen.latencyMs } : {}),
          uptime: uptimes(points, days, now, id),
          latency: points.flatMap((p) => {
            const ms = p.endpoints[id]?.latencyMs;
            return ms === undefined ? [] : [[Date.parse(p.at), ms] as [number, number]];
          }),
          latencyThreshold: t.latency,
        };
      }),
    };
  });
  const incidents = (await openIssues(reader, now)).map((i) => ({
    fingerprint: i.fingerprint,
    severity: i.severity,
    summary: i.summary,
    since: i.firstSeen,
    servers: i.servers,
    ...(options.repoUrl
      ? { link: `${options.repoUrl}/issues?q=${encodeURIComponent(`is:issue is:open "${i.fingerprint}"`)}` }
      : {}),
  }));
  const interval = config?.schedule ? maxCronInterval(config.schedule) : undefined;
  return {
    title: options.title ?? 'Fleet status',
    generatedAt: now.toISOString(),
    ...(fleet.lastRun ? { lastRun: fleet.lastRun } : {}),
    ...(interval ? { staleAfterMs: 2 * interval } : {}),
    servers,
    incidents,
    maintenance: (config?.maintenance ?? []).map((m) => ({
      servers: m.servers,
      from: m.from,
      to: m.to,
      ...(m.reason ? { reason: m.reason } : {}),
    })),
  };
}

const fileName = (server: string) => server.replace(/[^A-Za-z0-9._-]/g, '-');

/** Writes the site; returns the files written, relative to `outDir`. */
export async function writeStatusPage(outDir: string, data: StatusPageData): Promise<string[]> {
  await mkdir(join(outDir, 'badges'), { recursive: true });
  const files: [string, string][] = [
    ['index.html', renderStatusPage(data)],
    ['status.json', `${JSON.stringify(summaryOf(data), null, 2)}\n`],
    ...data.servers.map((s): [string, string] => [
      `badges/${fileName(s.name)}.json`,
      `${JSON.stringify(badgeJson(s))}\n`,
    ]),
  ];
  for (const [name, content] of files) await writeFile(join(outDir, name), content);
  return files.map(([name]) => name);
}

/** status.json: the page's figures without the chart series (machine-readable, small). */
function summaryOf(data: StatusPageData) {
  return {
    ...data,
    servers: data.servers.map(({ disk: _disk, endpoints, ...s }) => ({
      ...s,
      endpoints: endpoints.map(({ latency: _latency, ...e }) => e),
    })),
  };
}
