/**
 * Builds the status site from the state branch: reads, for every server, only the history months
 * (and rolled-up years) the 90-day window touches, its endpoint names and the issue files; then
 * writes index.html, status.json and badges/<server>.json into an output directory.
 *
 * What is public is decided here (docs/status-page.md): by default servers and endpoints with
 * their status, availability, per-day bars and response times, and incidents titled by code.
 * `status_page: { details: true }` adds the findings' summaries, fingerprints and disk charts.
 * Everything that reaches the page goes through the redactor once more, whatever the mode.
 */
import { createHash } from 'node:crypto';
import { type Config, NAME_PATTERN } from '../config/schema.js';
import { type Availability, availabilityOf, dailyBars } from '../core/memory/availability.js';
import { type HistoryDay, type HistoryPoint, parseEndpointNames } from '../core/memory/history-series.js';
import type { StateReader } from '../core/ports/index.js';
import { incidentTitle, type TitleContext } from '../core/render/incident-title.js';
import {
  type Availabilities,
  badgeJson,
  type IncidentPage,
  renderStatusPage,
  type ServerPage,
  type StatusPageData,
  UPTIME_WINDOWS,
  type UptimeWindow,
} from '../core/render/status-page.js';
import { frontMatter } from '../core/state-branch/front-matter.js';
import { type HistoryWindow, readHistoryWindow } from '../core/state-branch/history-window.js';
import { type IncidentEpisode, incidentEpisodes } from '../core/state-branch/incidents.js';
import { parseIssueFile } from '../core/state-branch/issue-files.js';
import { historyEndpointsPath } from '../core/state-branch/paths.js';
import { newestRun, serverStates } from '../core/state-branch/state-views.js';
import { maxCronInterval } from '../core/util/cron.js';
import { type RedactOptions, redact, redactDeep } from '../core/util/redact.js';
import { resolveThresholds } from '../probes/thresholds.js';

const DAY_MS = 86_400_000;
const WINDOW_MS: Record<UptimeWindow, number> = {
  '24h': DAY_MS,
  '7d': 7 * DAY_MS,
  '30d': 30 * DAY_MS,
  '90d': 90 * DAY_MS,
};
/** resolved incidents listed; older ones in the window are counted */
const MAX_PAST_INCIDENTS = 50;

export interface StatusPageOptions {
  now: Date;
  config?: Config;
  /** web URL of the repository: with details, incidents link to a search for their issue */
  repoUrl?: string;
  title?: string;
  /** overrides `config.status_page.details` */
  details?: boolean;
  /** the run's secrets and host redaction, on top of the redactor's own detection */
  redaction?: { secrets: readonly string[]; options?: RedactOptions };
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

function availabilities(
  points: HistoryPoint[],
  days: HistoryDay[],
  now: Date,
  endpoint?: string,
): Availabilities {
  const out: Availabilities = {};
  for (const w of UPTIME_WINDOWS) {
    // rolled-up days only count for windows longer than the raw months they replaced
    const a: Availability = availabilityOf(
      points,
      new Date(now.getTime() - WINDOW_MS[w]),
      now,
      endpoint,
      w === '24h' ? [] : days,
    );
    if (a.percent !== undefined) out[w] = a.percent;
  }
  return out;
}

function serverPage(
  name: string,
  points: HistoryPoint[],
  days: HistoryDay[],
  urls: Record<string, string>,
  options: StatusPageOptions & { details: boolean; lastChecked?: string },
): ServerPage {
  const { now, config } = options;
  const serverConfig = config?.servers.find((s) => s.name === name);
  const t = resolveThresholds(config?.defaults.thresholds, serverConfig?.thresholds);
  const ids = [
    ...new Set([
      ...points.flatMap((p) => Object.keys(p.endpoints)),
      ...days.flatMap((d) => Object.keys(d.endpoints)),
    ]),
  ];
  const disk = points.flatMap((p) =>
    p.disk === undefined ? [] : [[Date.parse(p.at), p.disk] as [number, number]],
  );
  return {
    name,
    status: points.at(-1)?.status ?? 'unknown',
    ...(options.lastChecked ? { lastChecked: options.lastChecked } : {}),
    availability: availabilities(points, days, now),
    days: dailyBars(points, days, now),
    ...(options.details ? { disk: { points: disk, threshold: t.disk } } : {}),
    endpoints: ids.map((id) => {
      const last = [...points].reverse().find((p) => p.endpoints[id])?.endpoints[id];
      return {
        url: urls[id] ?? `endpoint ${id}`,
        ...(last ? { up: last.up, code: last.code } : {}),
        // a check with no answer has no response time, whatever the line says
        ...(last && last.code > 0 && last.latencyMs !== undefined ? { latencyMs: last.latencyMs } : {}),
        availability: availabilities(points, days, now, id),
        days: dailyBars(points, days, now, 90, id),
        latency: points.flatMap((p) => {
          const e = p.endpoints[id];
          return e && e.code > 0 && e.latencyMs !== undefined
            ? [[Date.parse(p.at), e.latencyMs] as [number, number]]
            : [];
        }),
        latencyThreshold: t.latency,
      };
    }),
  };
}

/** An issue file's front matter is in its first few kilobytes. */
const FRONT_MATTER_BYTES = 4096;

/**
 * The episodes of every issue file open now or updated within the window: the front matter of each
 * file is read first (streamed, a few KB), the whole file only for those.
 */
async function readIncidents(reader: StateReader, since: string): Promise<IncidentEpisode[]> {
  const paths = (await reader.list('issues/')).filter((p) => p.endsWith('.md'));
  const wanted: string[] = [];
  await reader.heads(paths, FRONT_MATTER_BYTES, (path, head) => {
    const meta = frontMatter(head);
    if (meta.status === 'open' || String(meta.updated ?? '') >= since) wanted.push(path);
  });
  const files = await reader.read(wanted);
  return wanted.flatMap((path) => {
    const doc = parseIssueFile(files.get(path) ?? '');
    return doc ? incidentEpisodes(doc) : [];
  });
}

function incidentPage(
  e: IncidentEpisode,
  context: TitleContext,
  options: StatusPageOptions & { details: boolean },
): IncidentPage {
  const open = e.end === undefined;
  const link = options.repoUrl
    ? `${options.repoUrl}/issues?q=${encodeURIComponent(`is:issue "${e.fingerprint}"`)}`
    : undefined;
  return {
    title: incidentTitle({ ...e, open }, context),
    severity: e.severity,
    servers: e.servers.filter((s) => context.servers.has(s)),
    start: e.start,
    ...(open ? {} : { end: e.end }),
    ...(options.details
      ? { details: { summary: e.summary, fingerprint: e.fingerprint, ...(link ? { link } : {}) } }
      : {}),
  };
}

/**
 * An endpoint as the page names it: an http(s) URL, without credentials, and in public without its
 * query or fragment (where tokens live); anything else is not a URL a run wrote.
 */
function shownUrl(raw: string, id: string, details: boolean): string {
  try {
    const u = new URL(raw);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return `endpoint ${id}`;
    u.username = '';
    u.password = '';
    return details ? u.href : `${u.origin}${u.pathname}`;
  } catch {
    return `endpoint ${id}`;
  }
}

/** Per server: endpoint id → the URL shown, and the URL as findings name it → the URL shown. */
async function endpointNames(reader: StateReader, names: readonly string[], details: boolean) {
  const files = await reader.read(names.map(historyEndpointsPath));
  const byId = new Map<string, Record<string, string>>();
  const byUrl = new Map<string, Map<string, string>>();
  for (const n of names) {
    const raw = Object.entries(parseEndpointNames(files.get(historyEndpointsPath(n)) ?? ''));
    byId.set(n, Object.fromEntries(raw.map(([id, u]) => [id, shownUrl(u, id, details)])));
    byUrl.set(n, new Map(raw.map(([id, u]) => [u, shownUrl(u, id, details)])));
  }
  return { byId, byUrl };
}

export async function statusPageData(
  reader: StateReader,
  options: StatusPageOptions,
): Promise<StatusPageData> {
  const { now, config } = options;
  const details = options.details ?? config?.status_page.details ?? false;
  // the last check and run come from the state files: the series is read once, for 90 days
  const states = await serverStates(reader);
  // a state file whose name no config accepts was not written by a run: it is no server of ours
  const names = [...states.keys()].filter((n) => NAME_PATTERN.test(n));
  const lastRun = newestRun(states);
  const series = await readNinetyDays(reader, names, now);
  const urls = await endpointNames(reader, names, details);
  const servers = names.map((name) => {
    const lastChecked = states.get(name)?.lastChecked;
    return serverPage(
      name,
      series.points.get(name) ?? [],
      series.days.get(name) ?? [],
      urls.byId.get(name) ?? {},
      { ...options, details, ...(lastChecked ? { lastChecked } : {}) },
    );
  });

  const since = new Date(now.getTime() - WINDOW_MS['90d']).toISOString();
  const secrets = [...(config?.redact.secrets ?? []), ...(options.redaction?.secrets ?? [])];
  const redaction = options.redaction?.options ?? {};
  // redacted before links are made of them: a token inside a percent-encoded URL escapes the redactor
  const episodes = redactDeep(await readIncidents(reader, since), secrets, redaction);
  const context: TitleContext = {
    servers: new Set(names),
    // findings name endpoints by their redacted URL: so does the lookup
    endpoints: new Map(
      [...urls.byUrl].map(([n, m]) => [
        n,
        new Map([...m].map(([raw, shown]) => [redact(raw, secrets, redaction), shown])),
      ]),
    ),
  };
  const open = episodes.filter((e) => e.end === undefined).sort((a, b) => a.start.localeCompare(b.start));
  const past = episodes
    .filter((e): e is IncidentEpisode & { end: string } => e.end !== undefined && e.end >= since)
    .sort((a, b) => b.end.localeCompare(a.end));
  const interval = config?.schedule ? maxCronInterval(config.schedule) : undefined;
  const data: StatusPageData = {
    title: options.title ?? 'Fleet status',
    generatedAt: now.toISOString(),
    ...(lastRun ? { lastRun } : {}),
    ...(interval ? { staleAfterMs: 2 * interval } : {}),
    details,
    servers,
    incidents: open.map((e) => incidentPage(e, context, { ...options, details })),
    pastIncidents: past
      .slice(0, MAX_PAST_INCIDENTS)
      .map((e) => incidentPage(e, context, { ...options, details })),
    ...(past.length > MAX_PAST_INCIDENTS ? { morePastIncidents: past.length - MAX_PAST_INCIDENTS } : {}),
    maintenance: (config?.maintenance ?? []).map((m) => ({
      servers: m.servers,
      from: m.from,
      to: m.to,
      ...(m.reason ? { reason: m.reason } : {}),
    })),
  };
  // server names and URLs are public by design, but a hand-edited branch can put anything there
  return redactDeep(data, secrets, redaction);
}

/** A badge's file name: safe characters, bounded (a server name on the branch can be any length). */
function fileName(server: string): string {
  const safe = server.replace(/[^A-Za-z0-9._-]/g, '-');
  if (safe.length <= 100) return safe;
  return `${safe.slice(0, 80)}-${createHash('sha256').update(server).digest('hex').slice(0, 16)}`;
}

/** The site's files: path relative to the site's directory → content. */
export function statusPageFiles(shown: StatusPageData): [string, string][] {
  // the last step before the internet: whatever built the data, every string is redacted once more
  const data = redactDeep(shown);
  return [
    ['index.html', renderStatusPage(data)],
    // < and > as \u escapes: the same JSON, inert even when pasted into a page
    [
      'status.json',
      `${JSON.stringify(summaryOf(data), null, 2).replace(/</g, '\\u003c').replace(/>/g, '\\u003e')}\n`,
    ],
    ...data.servers.map((s): [string, string] => [
      `badges/${fileName(s.name)}.json`,
      `${JSON.stringify(badgeJson(s))}\n`,
    ]),
  ];
}

/** status.json: the page's figures without the chart series and day bars (machine-readable, small). */
function summaryOf(data: StatusPageData) {
  return {
    ...data,
    servers: data.servers.map(({ disk: _disk, days: _days, endpoints, ...s }) => ({
      ...s,
      endpoints: endpoints.map(({ latency: _latency, days: _d, ...e }) => e),
    })),
  };
}
