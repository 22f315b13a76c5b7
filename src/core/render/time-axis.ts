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
