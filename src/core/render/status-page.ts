/**
 * The static status page (pure): one self-contained HTML file (no scripts, no external styles,
 * fonts or images; charts are inline SVG), light and dark through prefers-color-scheme, readable at
 * 375 px, with real headings, text next to every colour, and alt text for every chart. Plus one
 * shields.io endpoint badge per server. Every piece of text from the state branch is escaped.
 */
import type { PointStatus } from '../memory/history-series.js';
import { svgChart } from './svg-chart.js';
import { htmlText, titleText } from './untrusted-text.js';

export const UPTIME_WINDOWS = ['24h', '7d', '30d', '90d'] as const;
export type UptimeWindow = (typeof UPTIME_WINDOWS)[number];
export type Uptimes = Partial<Record<UptimeWindow, number>>;

export interface EndpointPage {
  url: string;
  up?: boolean;
  code?: number;
  latencyMs?: number;
  uptime: Uptimes;
  latency: [number, number][];
  latencyThreshold: { warn: number; crit: number };
}

export interface ServerPage {
  name: string;
  status: PointStatus | 'unknown';
  lastChecked?: string;
  uptime: Uptimes;
  disk: [number, number][];
  diskThreshold: { warn: number; crit: number };
  endpoints: EndpointPage[];
}

export interface Incident {
  fingerprint: string;
  severity: string;
  summary: string;
  since: string;
  servers: string[];
  link?: string;
}

export interface StatusPageData {
  title: string;
  generatedAt: string;
  lastRun?: string;
  /** last run older than this: the page says its data is stale (twice the schedule) */
  staleAfterMs?: number;
  servers: ServerPage[];
  incidents: Incident[];
  maintenance: { servers: string[]; from: string; to: string; reason?: string }[];
}

/** Text from the state branch (server names, URLs, summaries, reasons): inert HTML. */
const esc = (s: string) => htmlText(s);
/** An attribute holding a link we built ourselves: escaped, not broken up. */
const attr = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const WORDS: Record<ServerPage['status'], [string, string]> = {
  ok: ['✓', 'Operational'],
  warning: ['!', 'Degraded'],
  critical: ['✗', 'Major problem'],
  down: ['✗', 'Unreachable'],
  unknown: ['?', 'No data'],
};

const when = (iso: string) =>
  `<time datetime="${attr(iso)}">${esc(iso.slice(0, 16).replace('T', ' '))} UTC</time>`;
const pct = (v: number | undefined) => (v === undefined ? '—' : `${v.toFixed(2)}%`);
const anchor = (name: string) => `server-${name.replace(/[^A-Za-z0-9_-]/g, '-')}`;

function badge(status: ServerPage['status']): string {
  const [mark, word] = WORDS[status];
  return `<span class="st ${status}"><span aria-hidden="true">${mark}</span> ${word}</span>`;
}

const CSS = `
:root{color-scheme:light dark;--bg:#fff;--fg:#1a1a1a;--muted:#4d4d4d;--line:#d0d0d0;--card:#f5f5f5;--ok:#1b6e20;--warn:#8a5a00;--crit:#b00020;--chart:#0b57d0;--link:#0b57d0}
@media (prefers-color-scheme:dark){:root{--bg:#121212;--fg:#ececec;--muted:#b8b8b8;--line:#3a3a3a;--card:#1e1e1e;--ok:#7bd389;--warn:#f4c15d;--crit:#ff8a80;--chart:#8ab4f8;--link:#8ab4f8}}
*{box-sizing:border-box}body{margin:0;background:var(--bg);color:var(--fg);font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
header,main,footer{max-width:960px;margin:0 auto;padding:0 16px}h1{font-size:1.6rem;margin:1rem 0 .25rem}h2{font-size:1.25rem;margin:2rem 0 .5rem}h3{font-size:1rem;margin:1.25rem 0 .25rem;overflow-wrap:anywhere}
a{color:var(--link)}.muted{color:var(--muted)}.st{font-weight:600;white-space:nowrap}.ok{color:var(--ok)}.warning{color:var(--warn)}.critical,.down{color:var(--crit)}.unknown{color:var(--muted)}
.banner{border:2px solid var(--crit);border-radius:6px;padding:.75rem 1rem;margin:1rem 0;background:var(--card)}.summary{border-radius:6px;padding:.75rem 1rem;background:var(--card);font-size:1.1rem}
.scroll{overflow-x:auto}table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}th,td{text-align:left;padding:.4rem .5rem;border-bottom:1px solid var(--line)}th{font-size:.85rem;color:var(--muted)}
td.num,th.num{text-align:right}ul{padding-left:1.2rem}section.server{border-top:1px solid var(--line);margin-top:1.5rem}
.chart{width:100%;height:auto;max-height:200px;display:block}.chart .line{fill:none;stroke:var(--chart);stroke-width:2;vector-effect:non-scaling-stroke}.chart .grid{stroke:var(--line);stroke-width:1}
.chart .axis{fill:var(--muted);font-size:13px}.chart .th{stroke-dasharray:4 3;stroke-width:1}.chart .th.warn{stroke:var(--warn)}.chart .th.crit{stroke:var(--crit)}.chart text.warn{fill:var(--warn)}.chart text.crit{fill:var(--crit)}
@media (max-width:480px){body{font-size:15px}th,td{padding:.3rem .25rem}.hide-narrow{display:none}}
`;

export function renderStatusPage(data: StatusPageData): string {
  const now = Date.parse(data.generatedAt);
  const stale =
    data.staleAfterMs !== undefined && (!data.lastRun || now - Date.parse(data.lastRun) > data.staleAfterMs);
  const bad = data.servers.filter((s) => s.status !== 'ok');
  const overall =
    data.servers.length === 0
      ? 'No server has been checked yet.'
      : bad.length === 0
        ? `All ${data.servers.length} servers operational.`
        : `${bad.length} of ${data.servers.length} servers need attention: ${bad.map((s) => esc(s.name)).join(', ')}.`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark"><title>${esc(data.title)}</title><style>${CSS}</style></head>
<body><header><h1>${esc(data.title)}</h1>
<p class="muted">Last run: ${data.lastRun ? when(data.lastRun) : 'none recorded'} · page built ${when(data.generatedAt)}</p>
${stale ? `<p class="banner" role="alert"><strong>Stale data:</strong> the last run is older than twice the schedule${data.lastRun ? ` (${esc(ago(now - Date.parse(data.lastRun)))} ago)` : ''}. Scheduled checks may have stopped; the figures below may not be current.</p>` : ''}
<p class="summary">${overall}</p></header>
<main>
${serversTable(data.servers)}
${incidentsSection(data.incidents)}
${maintenanceSection(data.maintenance, now)}
${data.servers.map(serverSection).join('\n')}
</main>
<footer><p class="muted">Built by ClaudeOps from its state branch. Uptime is the share of checks in which the server answered (or the endpoint returned its expected status).</p></footer>
</body></html>
`;
}

function serversTable(servers: readonly ServerPage[]): string {
  if (servers.length === 0) return '<h2>Servers</h2><p>None recorded yet.</p>';
  const rows = servers.map(
    (s) =>
      `<tr><th scope="row"><a href="#${anchor(s.name)}">${esc(s.name)}</a></th><td>${badge(s.status)}</td>${UPTIME_WINDOWS.map(
        (w) => `<td class="num${w === '24h' || w === '30d' ? ' hide-narrow' : ''}">${pct(s.uptime[w])}</td>`,
      ).join('')}</tr>`,
  );
  return `<h2>Servers</h2><div class="scroll"><table><caption class="muted">Uptime per server over 24 hours, 7, 30 and 90 days</caption>
<thead><tr><th scope="col">Server</th><th scope="col">Status</th>${UPTIME_WINDOWS.map((w) => `<th scope="col" class="num${w === '24h' || w === '30d' ? ' hide-narrow' : ''}">${w}</th>`).join('')}</tr></thead>
<tbody>${rows.join('')}</tbody></table></div>`;
}

function incidentsSection(incidents: readonly Incident[]): string {
  if (incidents.length === 0) return '<h2>Open incidents</h2><p>None.</p>';
  const items = incidents.map((i) => {
    const text = `${esc(i.summary || i.fingerprint)} <span class="muted">(${esc(i.severity)}, since ${when(i.since)})</span>`;
    const name = `<code>${esc(i.fingerprint)}</code>`;
    return `<li><span class="${i.severity === 'critical' ? 'critical' : 'warning'}">${esc(i.servers.join(', '))}</span>: ${text} — ${i.link ? `<a href="${attr(i.link)}">${name}</a>` : name}</li>`;
  });
  return `<h2>Open incidents</h2><ul>${items.join('')}</ul>`;
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

function serverSection(s: ServerPage): string {
  const disk = svgChart({
    title: `${s.name}: fullest disk, % used`,
    unit: '%',
    points: s.disk,
    yMax: 100,
    thresholds: [
      { value: s.diskThreshold.warn, label: `warn ${s.diskThreshold.warn}%`, kind: 'warn' },
      { value: s.diskThreshold.crit, label: `crit ${s.diskThreshold.crit}%`, kind: 'crit' },
    ],
  });
  const endpoints = s.endpoints.map((e) => {
    const chart = svgChart({
      title: `${e.url}: response time, ms`,
      unit: 'ms',
      points: e.latency,
      thresholds: [
        { value: e.latencyThreshold.warn, label: `warn ${e.latencyThreshold.warn} ms`, kind: 'warn' },
      ],
    });
    const now = e.up === undefined ? badge('unknown') : badge(e.up ? 'ok' : 'down');
    return `<h3>${esc(e.url)}</h3><p>${now}${e.code ? ` · HTTP ${e.code}` : ''}${e.latencyMs !== undefined ? ` · ${e.latencyMs} ms` : ''} · uptime ${UPTIME_WINDOWS.map((w) => `${w} ${pct(e.uptime[w])}`).join(', ')}</p>${chart ?? '<p class="muted">Response-time chart after three checks.</p>'}`;
  });
  return `<section class="server" aria-labelledby="${anchor(s.name)}"><h2 id="${anchor(s.name)}">${esc(s.name)}</h2>
<p>${badge(s.status)} · last checked ${s.lastChecked ? when(s.lastChecked) : 'never'} · uptime ${UPTIME_WINDOWS.map((w) => `${w} ${pct(s.uptime[w])}`).join(', ')}</p>
${disk ?? '<p class="muted">Disk chart after three runs.</p>'}
${endpoints.join('\n')}</section>`;
}

function ago(ms: number): string {
  const h = Math.round(ms / 3_600_000);
  return h >= 48
    ? `${Math.round(h / 24)} days`
    : h >= 1
      ? `${h} h`
      : `${Math.max(1, Math.round(ms / 60_000))} min`;
}

/** shields.io endpoint JSON (https://shields.io/badges/endpoint-badge) for one server. */
export function badgeJson(s: ServerPage): Record<string, unknown> {
  const color = { ok: 'brightgreen', warning: 'yellow', critical: 'red', down: 'red', unknown: 'lightgrey' }[
    s.status
  ];
  const uptime = s.uptime['30d'];
  return {
    schemaVersion: 1,
    label: titleText(s.name, 60),
    message: `${WORDS[s.status][1].toLowerCase()}${uptime !== undefined ? ` · ${uptime.toFixed(2)}% 30d` : ''}`,
    color,
  };
}
