/**
 * Availability from the history series (pure): the share of checks in which a server was reachable
 * and had no critical finding (an endpoint: answered with its expected status), and the per-day
 * states behind the status page's 90 bars. One definition for every figure that says "available",
 * so a server in a major problem never shows 100 %.
 */
import { type HistoryDay, type HistoryPoint, isAvailable, type PointStatus } from './history-series.js';

/** The words printed under every availability figure (status page, CLI). */
export const AVAILABILITY_DEFINITION =
  'Availability is the share of checks in which the server was reachable and had no critical finding; for an endpoint, the share of checks in which it answered with its expected status.';

export type DayState = PointStatus | 'none';

/** One UTC day of one server or endpoint: how many checks, how many available, the worst state seen. */
export interface DayBar {
  day: string;
  checks: number;
  available: number;
  worst: DayState;
}

export interface Availability {
  /** percent, floored to hundredths (never rounds up to 100); undefined when nothing was checked */
  percent?: number;
  samples: number;
}

const RANK: Record<DayState, number> = { none: -1, ok: 0, warning: 1, critical: 2, down: 3 };

export const worseState = (a: DayState, b: DayState): DayState => (RANK[b] > RANK[a] ? b : a);

/** The state of one point for a server, or for one of its endpoints (undefined: not checked then). */
export function pointState(p: HistoryPoint, endpoint?: string): PointStatus | undefined {
  if (!endpoint) return p.status;
  const e = p.endpoints[endpoint];
  if (!e) return undefined;
  // no answer at all is an outage; a wrong status is a major problem of a live server
  return e.up ? 'ok' : e.code === 0 ? 'down' : 'critical';
}

/** A rolled-up day (months past retention) as a bar. */
function rolledBar(d: HistoryDay, endpoint?: string): DayBar | undefined {
  if (endpoint) {
    const e = d.endpoints[endpoint];
    if (!e || e.checks === 0) return undefined;
    return { day: d.day, checks: e.checks, available: e.up, worst: e.up < e.checks ? 'down' : 'ok' };
  }
  if (d.runs === 0) return undefined;
  // days rolled up before the count of available runs was kept: a day without a critical run is
  // wholly available; otherwise the runs that reached the server are the best figure there is
  const available = d.available ?? (isAvailable(d.worst) ? d.runs : d.up);
  return { day: d.day, checks: d.runs, available, worst: d.worst };
}

/** Bars per UTC day in [since, until] from raw points and rolled-up days (a day is read from one or the other). */
function barsByDay(
  points: readonly HistoryPoint[],
  days: readonly HistoryDay[],
  since: Date,
  until: Date,
  endpoint?: string,
): Map<string, DayBar> {
  const from = since.toISOString();
  const to = until.toISOString();
  const out = new Map<string, DayBar>();
  for (const p of points) {
    if (p.at < from || p.at > to) continue;
    const state = pointState(p, endpoint);
    if (!state) continue;
    const day = p.at.slice(0, 10);
    const bar = out.get(day) ?? { day, checks: 0, available: 0, worst: 'none' };
    bar.checks += 1;
    if (isAvailable(state)) bar.available += 1;
    bar.worst = worseState(bar.worst, state);
    out.set(day, bar);
  }
  for (const d of days) {
    if (d.day < from.slice(0, 10) || d.day > to.slice(0, 10) || out.has(d.day)) continue;
    const bar = rolledBar(d, endpoint);
    if (bar) out.set(d.day, bar);
  }
  return out;
}

/** Availability over [since, until]: raw points, plus rolled-up days for the days they cover. */
export function availabilityOf(
  points: readonly HistoryPoint[],
  since: Date,
  until: Date,
  endpoint?: string,
  days: readonly HistoryDay[] = [],
): Availability {
  const from = since.toISOString();
  let total = 0;
  let available = 0;
  for (const p of points) {
    if (p.at < from || p.at > until.toISOString()) continue;
    const state = pointState(p, endpoint);
    if (!state) continue;
    total += 1;
    if (isAvailable(state)) available += 1;
  }
  const rawDays = new Set(points.map((p) => p.at.slice(0, 10)));
  for (const bar of barsByDay([], days, since, until, endpoint).values()) {
    // a day is read from its raw points or from its rolled-up line, never both
    if (rawDays.has(bar.day)) continue;
    total += bar.checks;
    available += bar.available;
  }
  return total === 0
    ? { samples: 0 }
    : { percent: Math.floor((available * 10000) / total) / 100, samples: total };
}

/** `count` bars, one per UTC day, oldest first, ending with today's; a day without checks is `none`. */
export function dailyBars(
  points: readonly HistoryPoint[],
  days: readonly HistoryDay[],
  now: Date,
  count = 90,
  endpoint?: string,
): DayBar[] {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const since = new Date(today - (count - 1) * 86_400_000);
  const byDay = barsByDay(points, days, since, now, endpoint);
  return Array.from({ length: count }, (_, i) => {
    const day = new Date(today - (count - 1 - i) * 86_400_000).toISOString().slice(0, 10);
    return byDay.get(day) ?? { day, checks: 0, available: 0, worst: 'none' };
  });
}
