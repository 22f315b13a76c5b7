/**
 * Time axes people can read (pure): at most `max` ticks on round instants (hours, days, weeks),
 * each label unique and only as long as the span needs (`14:00`, `11-26`, `11-26 14:00`).
 */
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const STEPS = [
  5 * MINUTE,
  15 * MINUTE,
  30 * MINUTE,
  HOUR,
  2 * HOUR,
  3 * HOUR,
  6 * HOUR,
  12 * HOUR,
  DAY,
  2 * DAY,
  7 * DAY,
  14 * DAY,
  30 * DAY,
];

export interface Tick {
  at: number;
  label: string;
}

export function timeTicks(from: number, to: number, max = 12): Tick[] {
  if (!(to > from)) return [{ at: from, label: timeLabel(from, 0) }];
  const step =
    STEPS.find((s) => (to - from) / s <= max - 1) ?? Math.ceil((to - from) / (max - 1) / DAY) * DAY;
  const first = Math.ceil(from / step) * step;
  const ticks: Tick[] = [];
  for (let at = first; at <= to && ticks.length < max; at += step)
    ticks.push({ at, label: timeLabel(at, to - from) });
  return uniqueLabels(ticks, to - from);
}

/** A label as short as the span allows: time of day within a day, the date beyond. */
export function timeLabel(at: number, span: number): string {
  const iso = new Date(at).toISOString();
  if (span <= DAY) return iso.slice(11, 16);
  if (span <= 3 * DAY) return `${iso.slice(5, 10)} ${iso.slice(11, 16)}`;
  return iso.slice(5, 10);
}

/** Labels must differ (two runs in one minute must not make two "14:00"): widen until they do. */
function uniqueLabels(ticks: Tick[], span: number): Tick[] {
  const seen = new Set(ticks.map((t) => t.label));
  if (seen.size === ticks.length) return ticks;
  const wide = ticks.map((t) => ({
    at: t.at,
    label: new Date(t.at).toISOString().slice(5, 16).replace('T', ' '),
  }));
  return new Set(wide.map((t) => t.label)).size === wide.length || span < 0 ? wide : dedupe(wide);
}

function dedupe(ticks: Tick[]): Tick[] {
  const seen = new Set<string>();
  return ticks.filter((t) => !seen.has(t.label) && seen.add(t.label));
}

export interface Bucket {
  label: string;
  /** the highest value in the bucket: a chart of "how full" must not average a spike away */
  value: number;
}

/**
 * A series on a categorical axis (Mermaid xychart): at most `max` buckets of equal time, each
 * labelled once. Labels are as short as the span allows and always unique: buckets that would
 * share a label (two runs in one minute) are one bucket.
 */
export function timeBuckets(points: readonly [number, number][], max = 12): Bucket[] {
  const sorted = [...points]
    .filter(([t, v]) => Number.isFinite(t) && Number.isFinite(v))
    .sort((a, b) => a[0] - b[0]);
  const first = sorted[0]?.[0];
  const last = sorted.at(-1)?.[0];
  if (first === undefined || last === undefined) return [];
  const span = last - first;
  const width = span / max || 1;
  // per bucket: its highest value and the time of its last sample (what the label shows)
  const buckets = new Map<number, { value: number; at: number }>();
  for (const [t, v] of sorted) {
    const index = Math.min(max - 1, Math.floor((t - first) / width));
    const b = buckets.get(index);
    buckets.set(index, { value: Math.max(b?.value ?? Number.NEGATIVE_INFINITY, v), at: t });
  }
  const byLabel = new Map<string, number>();
  for (const { value, at } of buckets.values()) {
    const label = span < 10 * MINUTE ? new Date(at).toISOString().slice(11, 19) : timeLabel(at, span);
    byLabel.set(label, Math.max(byLabel.get(label) ?? Number.NEGATIVE_INFINITY, value));
  }
  return [...byLabel].map(([label, value]) => ({ label, value }));
}

/** A round top for a value axis: 1, 2 or 5 times a power of ten, at or above `v`. */
export function niceMax(v: number): number {
  if (!(v > 0)) return 1;
  const mag = 10 ** Math.floor(Math.log10(v));
  const n = v / mag;
  return (n <= 1 ? 1 : n <= 2 ? 2 : n <= 5 ? 5 : 10) * mag;
}
