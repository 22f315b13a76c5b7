/**
 * Inline SVG line charts for the status page (pure): a time x axis (≤ 12 ticks), a value y axis,
 * threshold lines, colours from CSS custom properties so light and dark themes both read, and a
 * <title>/<desc> so a screen reader gets the figures too. No chart under three points.
 */
import { niceMax, timeTicks } from './time-axis.js';
import { htmlText } from './untrusted-text.js';

export interface ChartSeries {
  title: string;
  unit: string;
  points: [number, number][];
  /** fixed y maximum (percentages: 100); else from the data */
  yMax?: number;
  thresholds?: { value: number; label: string; kind: 'warn' | 'crit' }[];
}

const W = 480;
const H = 180;
const PAD = { left: 44, right: 8, top: 14, bottom: 30 };

/** Text from the state branch (server names, URLs, summaries, reasons): inert HTML. */
const esc = (s: string) => htmlText(s);

export const MIN_CHART_POINTS = 3;

export function svgChart(series: ChartSeries): string | undefined {
  const pts = [...series.points].sort((a, b) => a[0] - b[0]);
  if (pts.length < MIN_CHART_POINTS) return undefined;
  const t0 = pts[0]?.[0] ?? 0;
  const t1 = pts.at(-1)?.[0] ?? t0 + 1;
  const values = pts.map(([, v]) => v);
  const top = series.yMax ?? niceMax(Math.max(...values, ...(series.thresholds ?? []).map((t) => t.value)));
  const x = (t: number) => PAD.left + ((t - t0) / Math.max(1, t1 - t0)) * (W - PAD.left - PAD.right);
  const y = (v: number) => PAD.top + (1 - Math.min(v, top) / top) * (H - PAD.top - PAD.bottom);
  const path = pts.map(([t, v], i) => `${i ? 'L' : 'M'}${x(t).toFixed(1)} ${y(v).toFixed(1)}`).join(' ');
  const yTicks = [0, top / 2, top];
  const latest = values.at(-1) ?? 0;
  const desc = `${pts.length} measurements from ${new Date(t0).toISOString().slice(0, 16)} to ${new Date(t1).toISOString().slice(0, 16)} UTC; latest ${round(latest)} ${series.unit}, highest ${round(Math.max(...values))} ${series.unit}.`;
  const id = `c${hash(series.title)}`;
  return [
    `<svg class="chart" viewBox="0 0 ${W} ${H}" role="img" aria-labelledby="${id}t ${id}d" preserveAspectRatio="none">`,
    `<title id="${id}t">${esc(series.title)}</title><desc id="${id}d">${esc(desc)}</desc>`,
    ...yTicks.map(
      (v) =>
        `<line class="grid" x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}"/><text class="axis" x="${PAD.left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${round(v)}</text>`,
    ),
    ...timeTicks(t0, t1).map(
      (t) =>
        `<text class="axis" x="${x(t.at).toFixed(1)}" y="${H - 8}" text-anchor="${anchorAt(x(t.at))}">${esc(t.label)}</text>`,
    ),
    ...(series.thresholds ?? []).map(
      (t) =>
        `<line class="th ${t.kind}" x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(t.value).toFixed(1)}" y2="${y(t.value).toFixed(1)}"/><text class="axis ${t.kind}" x="${W - PAD.right}" y="${(y(t.value) - 3).toFixed(1)}" text-anchor="end">${esc(t.label)}</text>`,
    ),
    `<path class="line" d="${path}"/>`,
    '</svg>',
  ].join('');
}

/** Labels at the ends of the axis stay inside the chart. */
const anchorAt = (px: number) => (px < PAD.left + 24 ? 'start' : px > W - PAD.right - 24 ? 'end' : 'middle');

const round = (v: number) => (Math.abs(v) >= 10 ? Math.round(v) : Math.round(v * 100) / 100);

function hash(s: string): string {
  let h = 0;
  for (const ch of s) h = (Math.imul(h, 31) + (ch.codePointAt(0) ?? 0)) >>> 0;
  return h.toString(36);
}
