/**
 * The static status page (pure): one self-contained HTML file (no scripts, no external styles,
 * fonts or images; charts are inline SVG), light and dark through prefers-color-scheme, readable at
 * 375 px, with real headings, text next to every colour, and alt text for every chart. Plus one
 * shields.io endpoint badge per server.
 *
 * What it shows is what {@link StatusPageData} holds: the builder decides what is public
 * (docs/status-page.md). Every piece of text from the state branch is escaped here.
 */
import { AVAILABILITY_DEFINITION, type DayBar, type DayState } from '../memory/availability.js';
import type { PointStatus } from '../memory/history-series.js';
import { countOf } from '../util/count-of.js';
import { humanDuration } from '../util/duration.js';
import { svgFigure } from './svg-chart.js';
import { htmlPageText, titleText } from './untrusted-text.js';

export const UPTIME_WINDOWS = ['24h', '7d', '30d', '90d'] as const;
export type UptimeWindow = (typeof UPTIME_WINDOWS)[number];
/** availability per window, percent */
export type Availabilities = Partial<Record<UptimeWindow, number>>;

export interface EndpointPage {
  url: string;
  /** the last check: answered as expected, its HTTP status (0: no answer), its response time */
  up?: boolean;
  code?: number;
  latencyMs?: number;
  availability: Availabilities;
  days: DayBar[];
  /** response times of the checks it answered */
  latency: [number, number][];
  latencyThreshold: { warn: number; crit: number };
}

export interface ServerPage {
  name: string;
  status: PointStatus | 'unknown';
  lastChecked?: string;
  availability: Availabilities;
  days: DayBar[];
  endpoints: EndpointPage[];
  /** fullest disk, % used: only with `status_page.details` */
  disk?: { points: [number, number][]; threshold: { warn: number; crit: number } };
}

export interface IncidentPage {
  /** written by code from the check kind and configured names (incident-title.ts) */
  title: string;
  severity: 'critical' | 'warning';
  servers: string[];
  start: string;
  /** undefined while open */
  end?: string;
  /** only with `status_page.details`: the redacted summary, the fingerprint, a link to its issue */
  details?: { summary: string; fingerprint: string; link?: string };
}

export interface StatusPageData {
  title: string;
  generatedAt: string;
  lastRun?: string;
  /** last run older than this: the page says its data is stale (twice the schedule) */
  staleAfterMs?: number;
  /** `status_page.details`: summaries, fingerprints and disk charts are on the page */
  details: boolean;
  servers: ServerPage[];
  /** open now, oldest first */
  incidents: IncidentPage[];
  /** resolved within the page's 90 days, newest first */
  pastIncidents: IncidentPage[];
  /** resolved incidents beyond those listed */
  morePastIncidents?: number;
  maintenance: { servers: string[]; from: string; to: string; reason?: string }[];
}

/** Text from the state branch (server names, URLs, summaries, reasons): inert HTML. */
const esc = (s: string) => htmlPageText(s);
/** An attribute holding a link we built ourselves: escaped, not broken up. */
const attr = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

type Shown = ServerPage['status'] | DayState;

const WORDS: Record<Shown, [string, string]> = {
  ok: ['✓', 'Operational'],
  warning: ['!', 'Degraded'],
  critical: ['✗', 'Major problem'],
  down: ['✗', 'Unreachable'],
  unknown: ['?', 'No data'],
  none: ['·', 'No data'],
};

/** An endpoint's states in its own words: no answer at all is not the same as a wrong one. */
const ENDPOINT_WORDS: Record<Shown, [string, string]> = {
  ...WORDS,
  ok: ['✓', 'Up'],
  critical: ['✗', 'Failing'],
  down: ['✗', 'No answer'],
};

const RANK: Record<Shown, number> = { none: -1, unknown: -1, ok: 0, warning: 1, critical: 2, down: 3 };

const when = (iso: string) =>
  `<time datetime="${esc(iso)}">${esc(iso.slice(0, 16).replace('T', ' '))} UTC</time>`;
const pct = (v: number | undefined) => (v === undefined ? '—' : `${v.toFixed(2)}%`);
const anchor = (name: string) => `server-${name.replace(/[^A-Za-z0-9_-]/g, '-')}`;
const css = (state: Shown) => (state === 'unknown' ? 'none' : state);

function badge(status: Shown, words = WORDS): string {
  const [mark, word] = words[status];
  return `<span class="st ${css(status)}"><span aria-hidden="true">${mark}</span> ${word}</span>`;
}

const CSS = `
:root{color-scheme:light dark;--bg:#fff;--fg:#1a1a1a;--muted:#4d4d4d;--line:#d0d0d0;--card:#f5f5f5;--ok:#1b6e20;--warn:#8a5a00;--crit:#b00020;--chart:#0b57d0;--link:#0b57d0;--bar-ok:#2e8540;--bar-warn:#d29922;--bar-crit:#d1242f;--bar-none:#d8dadd}
@media (prefers-color-scheme:dark){:root{--bg:#121212;--fg:#ececec;--muted:#b8b8b8;--line:#3a3a3a;--card:#1e1e1e;--ok:#7bd389;--warn:#f4c15d;--crit:#ff8a80;--chart:#8ab4f8;--link:#8ab4f8;--bar-ok:#3fb950;--bar-warn:#d29922;--bar-crit:#f85149;--bar-none:#3a3d42}}
*{box-sizing:border-box}body{margin:0;background:var(--bg);color:var(--fg);font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;overflow-wrap:anywhere}tbody th{min-width:6.5em}
header,main,footer{max-width:960px;margin:0 auto;padding:0 16px}h1{font-size:1.6rem;margin:1rem 0 .25rem}h2{font-size:1.25rem;margin:2rem 0 .5rem}h3{font-size:1rem;margin:1.25rem 0 .25rem}
a{color:var(--link)}.muted{color:var(--muted)}.st{font-weight:600}.ok{color:var(--ok)}.warning{color:var(--warn)}.critical,.down{color:var(--crit)}.none{color:var(--muted)}
.banner{border-radius:6px;padding:.75rem 1rem;margin:1rem 0;font-size:1.1rem;color:#fff;background:#5f6368}.banner.ok{background:#1b6e20}.banner.warning{background:#8a5a00}.banner.critical,.banner.down{background:#b00020}
.alert{border:2px solid var(--crit);border-radius:6px;padding:.75rem 1rem;margin:1rem 0;background:var(--card)}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}th,td{text-align:left;padding:.4rem .5rem;border-bottom:1px solid var(--line)}thead th{font-size:.85rem;color:var(--muted)}
td.num,th.num{text-align:right;white-space:nowrap}ul{padding-left:1.2rem}li{margin:.35rem 0}section.server{border-top:1px solid var(--line);margin-top:1.5rem}
.daily{margin:1rem 0}.daily.endpoint{margin-left:1rem}.daily-head{display:flex;flex-wrap:wrap;justify-content:space-between;gap:0 1rem}
.bars{display:grid;grid-template-columns:repeat(90,1fr);gap:1px;height:30px;margin:.25rem 0 0}.bars span{border-radius:1px;background:var(--bar-none)}
.bars .ok{background:var(--bar-ok)}.bars .warning{background:var(--bar-warn)}.bars .critical,.bars .down{background:var(--bar-crit)}
.bar-axis{display:flex;justify-content:space-between;font-size:.8rem;color:var(--muted)}.key{font-size:.85rem;color:var(--muted)}.key i{display:inline-block;width:.7rem;height:.7rem;margin:0 .25rem 0 .6rem;border-radius:1px;vertical-align:-1px}
.key .ok{background:var(--bar-ok)}.key .warning{background:var(--bar-warn)}.key .critical{background:var(--bar-crit)}.key .none{background:var(--bar-none)}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(320px,1fr));gap:1rem 2rem;margin:1rem 0}figure{margin:0}figcaption{font-size:.85rem;color:var(--muted)}ul.endpoints{list-style:none;padding:0}.url{font-weight:600}time{white-space:nowrap}
.chart{width:100%;height:auto;max-width:480px;display:block}.chart .line{fill:none;stroke:var(--chart);stroke-width:2;vector-effect:non-scaling-stroke}.chart .grid{stroke:var(--line);stroke-width:1}
.chart .axis{fill:var(--muted);font-size:12px}.chart .th{stroke-dasharray:4 3;stroke-width:1.5}.chart .th.warn{stroke:var(--warn)}.chart .th.crit{stroke:var(--crit)}.chart text.warn{fill:var(--warn)}.chart text.crit{fill:var(--crit)}
.legend .warn{color:var(--warn)}.legend .crit{color:var(--crit)}.legend .measured{color:var(--chart)}
@media (max-width:480px){body{font-size:15px}table{font-size:.9rem}th,td{padding:.3rem .25rem}.charts{grid-template-columns:1fr}.hide-narrow{display:none}.daily.endpoint{margin-left:.5rem}}
`;

export function renderStatusPage(data: StatusPageData): string {
  const now = Date.parse(data.generatedAt);
  const stale =
    data.staleAfterMs !== undefined && (!data.lastRun || now - Date.parse(data.lastRun) > data.staleAfterMs);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark"><title>${esc(data.title)}</title><style>${CSS}</style></head>
<body><header><h1>${esc(data.title)}</h1>
${banner(data.servers)}
<p class="muted">Last run: ${data.lastRun ? when(data.lastRun) : 'none recorded'} · page built ${when(data.generatedAt)}</p>
${stale ? `<p class="alert" role="alert"><strong>Stale data:</strong> the last run is older than twice the schedule${data.lastRun ? ` (${esc(humanDuration(now - Date.parse(data.lastRun)))} ago)` : ''}. Scheduled checks may have stopped; the figures below may not be current.</p>` : ''}
</header>
<main>
${serversTable(data.servers)}
${dailySection(data.servers)}
${incidentsSection(data.incidents)}
${maintenanceSection(data.maintenance, now)}
${pastIncidentsSection(data.pastIncidents, data.morePastIncidents ?? 0)}
${data.servers.map(serverSection).join('\n')}
</main>
<footer><p class="muted">Built by ClaudeOps from its state branch.</p></footer>
</body></html>
`;
}

/** The fleet's worst state, in words and colour, with the servers that need attention, worst first. */
function banner(servers: readonly ServerPage[]): string {
  if (servers.length === 0) return '<p class="banner none" role="status">No server has been checked yet.</p>';
  const worst = servers.reduce<Shown>((w, s) => (RANK[s.status] > RANK[w] ? s.status : w), 'ok');
  const bad = servers.filter((s) => s.status !== 'ok').sort((a, b) => RANK[b.status] - RANK[a.status]);
  const text =
    bad.length === 0
      ? servers.length === 1
        ? `${esc(servers[0]?.name ?? '')} is operational.`
        : `All ${servers.length} servers operational.`
      : `${WORDS[worst][1]}: ${bad.length} of ${countOf(servers.length, 'server')} ${bad.length === 1 ? 'needs' : 'need'} attention: ${bad
          .map((s) => `${esc(s.name)} (${WORDS[s.status][1].toLowerCase()})`)
          .join(', ')}.`;
  const state = bad.length === 0 ? 'ok' : css(worst);
  return `<p class="banner ${state}" role="status"><span aria-hidden="true">${WORDS[worst][0]}</span> ${text}</p>`;
}

const narrow = (w: UptimeWindow) => (w === '24h' || w === '30d' ? ' hide-narrow' : '');

function serversTable(servers: readonly ServerPage[]): string {
  if (servers.length === 0) return '<h2>Servers</h2><p>None recorded yet.</p>';
  const rows = servers.map(
    (s) =>
      `<tr><th scope="row"><a href="#${anchor(s.name)}">${esc(s.name)}</a></th><td>${badge(s.status)}</td>${UPTIME_WINDOWS.map(
        (w) => `<td class="num${narrow(w)}">${pct(s.availability[w])}</td>`,
      ).join('')}</tr>`,
  );
  return `<h2>Servers</h2><table><caption class="muted">Availability over 24 hours, 7, 30 and 90 days</caption>
<thead><tr><th scope="col">Server</th><th scope="col">Status</th>${UPTIME_WINDOWS.map((w) => `<th scope="col" class="num${narrow(w)}">${w}</th>`).join('')}</tr></thead>
<tbody>${rows.join('')}</tbody></table>
<p class="muted">${AVAILABILITY_DEFINITION}</p>`;
}

/** 90 bars, one per UTC day, coloured by the day's worst state; the day's figures in each bar's title. */
function dayBars(label: string, days: readonly DayBar[], words: typeof WORDS): string {
  const counts = new Map<string, number>();
  for (const d of days) counts.set(words[d.worst][1], (counts.get(words[d.worst][1]) ?? 0) + 1);
  const summary = [...counts].map(([word, n]) => `${n} ${word.toLowerCase()}`).join(', ');
  const bars = days.map((d) => {
    const figures =
      d.checks === 0
        ? 'no checks'
        : `${d.available} of ${countOf(d.checks, 'check')} available (${pct(Math.floor((d.available * 10000) / d.checks) / 100)})`;
    return `<span class="${css(d.worst)}" title="${esc(`${d.day}: ${words[d.worst][1]}, ${figures}`)}"></span>`;
  });
  return `<div class="bars" role="img" aria-label="${esc(`${label}, last ${days.length} days: ${summary}`)}">${bars.join('')}</div><div class="bar-axis" aria-hidden="true"><span>${days.length} days ago</span><span>today</span></div>`;
}

function dailySection(servers: readonly ServerPage[]): string {
  if (servers.length === 0) return '';
  const blocks = servers.map((s) => {
    const endpoints = s.endpoints.map(
      (e) =>
        `<div class="daily endpoint"><div class="daily-head"><span>${esc(e.url)}</span><span class="muted">${pct(e.availability['90d'])} available</span></div>${dayBars(e.url, e.days, ENDPOINT_WORDS)}</div>`,
    );
    return `<div class="daily"><div class="daily-head"><strong><a href="#${anchor(s.name)}">${esc(s.name)}</a></strong><span class="muted">${pct(s.availability['90d'])} available</span></div>${dayBars(s.name, s.days, WORDS)}</div>${endpoints.join('')}`;
  });
  // unreachable and a major problem share red: the day's title says which
  const key = (['ok', 'warning', 'critical', 'none'] as const)
    .map((k) => `<i class="${k}"></i>${k === 'critical' ? 'Major problem or unreachable' : WORDS[k][1]}`)
    .join('');
  return `<h2>Last 90 days</h2><p class="key">Each bar is one UTC day, coloured by its worst state:${key}</p>${blocks.join('\n')}`;
}

function incidentLine(i: IncidentPage, open: boolean): string {
  const sev = i.severity === 'critical' ? 'critical' : 'warning';
  const times = open
    ? `since ${when(i.start)}`
    : `${when(i.start)} – ${when(i.end ?? i.start)} · ${esc(humanDuration(Date.parse(i.end ?? i.start) - Date.parse(i.start)))}`;
  const word = i.severity === 'critical' ? 'Major' : 'Minor';
  const details = i.details
    ? `<br><span class="muted">${esc(i.details.summary)} — ${i.details.link ? `<a href="${attr(i.details.link)}"><code>${esc(i.details.fingerprint)}</code></a>` : `<code>${esc(i.details.fingerprint)}</code>`}</span>`
    : '';
  return `<li><strong class="${sev}">${esc(i.title)}</strong><br><span class="muted">${word} · ${times}</span>${details}</li>`;
}

function incidentsSection(incidents: readonly IncidentPage[]): string {
  if (incidents.length === 0) return '<h2>Open incidents</h2><p>None.</p>';
  return `<h2>Open incidents</h2><ul>${incidents.map((i) => incidentLine(i, true)).join('')}</ul>`;
}

function pastIncidentsSection(incidents: readonly IncidentPage[], more: number): string {
  if (incidents.length === 0) return '<h2>Past incidents</h2><p>None resolved in the last 90 days.</p>';
  const tail = more > 0 ? `<p class="muted">And ${more} earlier in the last 90 days.</p>` : '';
  return `<h2>Past incidents</h2><p class="muted">Resolved in the last 90 days, newest first: start – end (UTC), duration.</p><ul>${incidents.map((i) => incidentLine(i, false)).join('')}</ul>${tail}`;
}

function maintenanceSection(windows: StatusPageData['maintenance'], now: number): string {
  const current = windows.filter((w) => Date.parse(w.to) >= now);
  if (current.length === 0) return '<h2>Maintenance</h2><p>None scheduled.</p>';
  const items = current.map(
    (w) =>
      `<li>${esc(w.servers.join(', '))}: ${when(w.from)} – ${when(w.to)}${Date.parse(w.from) <= now ? ' <strong>(in progress)</strong>' : ''}${w.reason ? ` — ${esc(w.reason)}` : ''}</li>`,
  );
  return `<h2>Maintenance</h2><ul>${items.join('')}</ul>`;
}

function endpointLine(e: EndpointPage): string {
  const state: Shown = e.up === undefined ? 'unknown' : e.up ? 'ok' : e.code ? 'critical' : 'down';
  // a response time only for a check that got an answer: "no answer" is never "0 ms"
  const answered = e.code !== undefined && e.code > 0;
  const last = [
    badge(state, ENDPOINT_WORDS),
    ...(answered ? [`HTTP ${e.code}`] : []),
    ...(answered && e.latencyMs !== undefined ? [`${Math.round(e.latencyMs)} ms`] : []),
  ].join(' · ');
  return `<li><span class="url">${esc(e.url)}</span><br>${last} · available ${windows(e.availability)}</li>`;
}

const windows = (a: Availabilities) => UPTIME_WINDOWS.map((w) => `${w}&nbsp;${pct(a[w])}`).join(', ');

function serverSection(s: ServerPage): string {
  const charts = [
    ...(s.disk
      ? [
          svgFigure(
            {
              title: `${s.name}: fullest disk, % used`,
              measured: 'fullest disk, % used',
              unit: '%',
              points: s.disk.points,
              yMax: 100,
              thresholds: [
                { value: s.disk.threshold.warn, label: `warn ${s.disk.threshold.warn}%`, kind: 'warn' },
                { value: s.disk.threshold.crit, label: `crit ${s.disk.threshold.crit}%`, kind: 'crit' },
              ],
            },
            'Disk chart after three runs.',
          ),
        ]
      : []),
    ...s.endpoints.map((e) =>
      svgFigure(
        {
          title: `${e.url}: response time, ms`,
          measured: `response time of ${e.url}, ms`,
          unit: 'ms',
          points: e.latency,
          thresholds: [
            { value: e.latencyThreshold.warn, label: `warn ${e.latencyThreshold.warn} ms`, kind: 'warn' },
            { value: e.latencyThreshold.crit, label: `crit ${e.latencyThreshold.crit} ms`, kind: 'crit' },
          ],
        },
        `${e.url}: response-time chart after three answered checks.`,
      ),
    ),
  ];
  const endpoints = s.endpoints.length
    ? `<ul class="endpoints">${s.endpoints.map(endpointLine).join('')}</ul>`
    : '';
  return `<section class="server" aria-labelledby="${anchor(s.name)}"><h2 id="${anchor(s.name)}">${esc(s.name)}</h2>
<p>${badge(s.status)} · last checked ${s.lastChecked ? when(s.lastChecked) : 'never'} · available ${windows(s.availability)}</p>
${endpoints}${charts.length ? `<div class="charts">${charts.join('')}</div>` : ''}</section>`;
}

/** shields.io endpoint JSON (https://shields.io/badges/endpoint-badge) for one server. */
export function badgeJson(s: ServerPage): Record<string, unknown> {
  const color = { ok: 'brightgreen', warning: 'yellow', critical: 'red', down: 'red', unknown: 'lightgrey' }[
    s.status
  ];
  const availability = s.availability['30d'];
  return {
    schemaVersion: 1,
    label: titleText(s.name, 60),
    message: `${WORDS[s.status][1].toLowerCase()}${availability !== undefined ? ` · ${availability.toFixed(2)}% 30d` : ''}`,
    color,
  };
}
