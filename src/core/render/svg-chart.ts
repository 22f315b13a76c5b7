/**
 * Inline SVG line charts for the status page (pure): a time x axis (≤ 6 ticks: they must fit a
 * phone), a value y axis, threshold lines labelled in a margin of their own (the data line never
 * crosses a label), colours from CSS custom properties so light and dark themes both read, and a
 * <title>/<desc> so a screen reader gets the figures too. The drawing keeps its aspect ratio: the
 * page scales it as a whole, so text is never stretched. No chart under three points.
 */
import { niceMax, timeTicks } from './time-axis.js';
import { htmlPageText } from './untrusted-text.js';

export interface ChartSeries {
  title: string;
  /** what the line is, for the legend under the chart ("response time (ms)") */
  measured?: string;
  unit: string;
  points: [number, number][];
  /** fixed y maximum (percentages: 100); else from the data */
  yMax?: number;
  thresholds?: { value: number; label: string; kind: 'warn' | 'crit' }[];
}

const W = 360;
const H = 170;
const PAD = { left: 38, right: 34, top: 10, bottom: 26 };
/** the smallest vertical distance between two threshold labels, in drawing units */
const LABEL_GAP = 12;

/** Text from the state branch (server names, URLs, summaries, reasons): inert HTML. */
const esc = (s: string) => htmlPageText(s);

export const MIN_CHART_POINTS = 3;

export function svgChart(series: ChartSeries): string | undefined {
  const pts = [...series.points]
    .filter(([t, v]) => Number.isFinite(t) && Number.isFinite(v))
    .sort((a, b) => a[0] - b[0]);
  if (pts.length < MIN_CHART_POINTS) return undefined;
  const t0 = pts[0]?.[0] ?? 0;
  const t1 = pts.at(-1)?.[0] ?? t0 + 1;
  const values = pts.map(([, v]) => v);
  const thresholds = drawnThresholds(series);
  const top = series.yMax ?? niceMax(Math.max(...values, ...thresholds.map((t) => t.value)));
  const right = W - PAD.right;
  const x = (t: number) => PAD.left + ((t - t0) / Math.max(1, t1 - t0)) * (right - PAD.left);
  const y = (v: number) => PAD.top + (1 - Math.min(Math.max(v, 0), top) / top) * (H - PAD.top - PAD.bottom);
  const path = pts.map(([t, v], i) => `${i ? 'L' : 'M'}${x(t).toFixed(1)} ${y(v).toFixed(1)}`).join(' ');
  const latest = values.at(-1) ?? 0;
  const desc = `${pts.length} measurements from ${new Date(t0).toISOString().slice(0, 16)} to ${new Date(t1).toISOString().slice(0, 16)} UTC; latest ${round(latest)} ${series.unit}, highest ${round(Math.max(...values))} ${series.unit}${thresholds.length ? `; thresholds ${thresholds.map((t) => t.label).join(', ')}` : ''}.`;
  const id = `c${hash(series.title)}`;
  return [
    `<svg class="chart" viewBox="0 0 ${W} ${H}" role="img" aria-labelledby="${id}t ${id}d">`,
    `<title id="${id}t">${esc(series.title)}</title><desc id="${id}d">${esc(desc)}</desc>`,
    ...[0, top / 2, top].map(
      (v) =>
        `<line class="grid" x1="${PAD.left}" x2="${right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}"/><text class="axis" x="${PAD.left - 5}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${round(v)}</text>`,
    ),
    ...timeTicks(t0, t1, 5).map(
      (t) =>
        `<text class="axis" x="${x(t.at).toFixed(1)}" y="${H - 8}" text-anchor="${anchorAt(x(t.at))}">${esc(t.label)}</text>`,
    ),
    ...thresholdMarks(thresholds, y, right),
    `<path class="line" d="${path}"/>`,
    '</svg>',
  ].join('');
}

/**
 * Thresholds far above every value (a 5 s alarm on a 100 ms endpoint) would flatten the line to
 * the floor: they are named under the chart instead of drawn.
 */
function drawnThresholds(series: ChartSeries): NonNullable<ChartSeries['thresholds']> {
  const highest = Math.max(...series.points.map(([, v]) => v));
  const ceiling = series.yMax ?? Math.max(highest * 1.5, Number.MIN_VALUE);
  return (series.thresholds ?? []).filter((t) => t.value <= ceiling);
}

/** The chart with its legend: the line, and each threshold drawn or said to be above the scale. */
export function svgFigure(series: ChartSeries, empty: string): string {
  const svg = svgChart(series);
  if (!svg) return `<p class="muted">${esc(empty)}</p>`;
  const drawn = new Set(drawnThresholds(series));
  const above = (series.thresholds ?? []).filter((t) => !drawn.has(t)).map((t) => esc(t.label));
  const items = [
    `<span class="measured">━ ${esc(series.measured ?? series.unit)}</span>`,
    ...[...drawn].map((t) => `<span class="${t.kind}">╍ ${esc(t.label)}</span>`),
    ...(above.length ? [`${above.join(' and ')} ${above.length === 1 ? 'is' : 'are'} above this scale`] : []),
  ];
  return `<figure>${svg}<figcaption class="legend">${items.join(' · ')}</figcaption></figure>`;
}

/** Dashed lines across the plot, each named in the right margin; labels nudged apart when close. */
function thresholdMarks(
  thresholds: NonNullable<ChartSeries['thresholds']>,
  y: (v: number) => number,
  right: number,
): string[] {
  const sorted = [...thresholds].sort((a, b) => b.value - a.value);
  let previous = Number.NEGATIVE_INFINITY;
  return sorted.map((t) => {
    const at = y(t.value);
    const labelY = Math.min(Math.max(at + 4, previous + LABEL_GAP), H - PAD.bottom + 4);
    previous = labelY;
    return `<line class="th ${t.kind}" x1="${PAD.left}" x2="${right}" y1="${at.toFixed(1)}" y2="${at.toFixed(1)}"/><text class="axis ${t.kind}" x="${right + 4}" y="${labelY.toFixed(1)}">${t.kind}</text>`;
  });
}

/** Labels at the ends of the axis stay inside the chart. */
const anchorAt = (px: number) => (px < PAD.left + 24 ? 'start' : px > W - PAD.right - 24 ? 'end' : 'middle');

const round = (v: number) => (Math.abs(v) >= 10 ? Math.round(v) : Math.round(v * 100) / 100);

function hash(s: string): string {
  let h = 0;
  for (const ch of s) h = (Math.imul(h, 31) + (ch.codePointAt(0) ?? 0)) >>> 0;
  return h.toString(36);
}
