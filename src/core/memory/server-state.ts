/**
 * state/<server>.json: parsing (a hand-edited or corrupt file costs that server its memory, never
 * the run), serializing, and the 3-way merge BY MEANING that lets two concurrent runs both count.
 */
import { z } from 'zod';
import { serverStatePath } from '../state-branch/paths.js';
import { errorMessage } from '../util/error-message.js';
import {
  type AlertState,
  emptyServerState,
  type FindingState,
  type RemediationState,
  type ServerState,
} from './memory.js';

/** Bounds keep a state file small however long the server lives. */
export const LIMITS = { samples: 48, history: 50, recentRuns: 50, reboots: 20, attempts: 50 } as const;

const severity = z.enum(['ok', 'warning', 'critical']);
const findingSchema = z.object({
  status: z.enum(['pending', 'new', 'ongoing', 'resolved', 'flapping']),
  severity,
  firstSeen: z.string(),
  lastSeen: z.string(),
  streak: z.number().int().min(0),
  okStreak: z.number().int().min(0),
  history: z.array(z.tuple([z.string(), severity])).default([]),
  summary: z.string().default(''),
  resolvedAt: z.string().optional(),
  event: z.boolean().optional(),
});
const remediationSchema = z.object({
  attempts: z.array(z.string()).default([]),
  failures: z.number().int().min(0).default(0),
  breakerOpen: z.boolean().default(false),
  lastOutcome: z.string().optional(),
  openedAt: z.string().optional(),
  fingerprint: z.string().optional(),
});
const ackSchema = z.object({
  by: z.string(),
  at: z.string(),
  until: z.string().optional(),
  severity,
  via: z.enum(['label', 'comment']),
  kind: z.enum(['ack', 'snooze']),
});
const alertSchema = z.object({
  severity: z.enum(['warning', 'critical']),
  since: z.string(),
  slot: z.number().int().min(0),
  announcedAt: z.string(),
  escalatedAt: z.string().optional(),
  paged: z.array(z.enum(['pagerduty', 'opsgenie'])).optional(),
  ack: ackSchema.optional(),
  readAt: z.string().optional(),
});
const stateSchema = z.object({
  server: z.string(),
  lastRun: z.string().optional(),
  lastChecked: z.string().optional(),
  runs: z.number().int().min(0).default(0),
  recentRuns: z.array(z.string()).default([]),
  bootId: z.string().optional(),
  uptimeSeconds: z.number().optional(),
  reboots: z.array(z.string()).default([]),
  cursors: z.record(z.string(), z.string()).default({}),
  findings: z.record(z.string(), findingSchema).default({}),
  samples: z.record(z.string(), z.array(z.tuple([z.string(), z.number()]))).default({}),
  counters: z.record(z.string(), z.number()).default({}),
  remediation: z.record(z.string(), remediationSchema).default({}),
  alerts: z.record(z.string(), alertSchema).optional(),
});

export type ParsedState = { ok: true; state: ServerState } | { ok: false; error: string };

/** Parses and validates a state file; the error says what is wrong in words a human can fix. */
function parseState(text: string): ParsedState {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { ok: false, error: `not valid JSON (${errorMessage(error)})` };
  }
  const parsed = stateSchema.safeParse(json);
  if (!parsed.success) return { ok: false, error: z.prettifyError(parsed.error).replaceAll('\n', '; ') };
  return { ok: true, state: parsed.data };
}

/** A state file that must be `server`'s. */
export function parseServerState(text: string, server: string): ParsedState {
  const parsed = parseState(text);
  if (parsed.ok && parsed.state.server !== server) {
    return { ok: false, error: `it names server "${parsed.state.server}", expected "${server}"` };
  }
  return parsed;
}

/**
 * A state file read back from the state branch: valid, and at the path its own server's state is
 * written to (serverStatePath: a long name is bounded), so a file never stands for another server.
 */
export function parseStateFile(path: string, text: string): ParsedState {
  const parsed = parseState(text);
  if (parsed.ok && serverStatePath(parsed.state.server) !== path) {
    return {
      ok: false,
      error: `it names server "${parsed.state.server}", whose state is not kept at ${path}`,
    };
  }
  return parsed;
}

/** `state/web1.json` → `web1`: the name a state file's path suggests (for messages). */
export function stemOf(path: string): string {
  return path.replace(/^state\//, '').replace(/\.json$/, '');
}

/**
 * A state file's text: JSON indented by two, each pair of plain values (a sample's time and value,
 * a history entry's time and severity) on one line. Samples are most of a state file (48 per
 * metric); written one value a line they made it half again as long, and every run redacts every
 * server's state file whole before it is committed.
 */
export function serializeServerState(state: ServerState): string {
  return `${JSON.stringify(state, null, 2).replace(PAIR, '[$1, $2]')}\n`;
}

/** One JSON value that holds no other: a string (no raw line break in JSON), number, boolean, null. */
const PLAIN = String.raw`"(?:[^"\\\n]|\\.)*"|[^\s,[\]{}"]+`;
/** An array of exactly two plain values as JSON.stringify(…, null, 2) lays it out: four lines. */
const PAIR = new RegExp(String.raw`\[\n +(${PLAIN}),\n +(${PLAIN})\n +\]`, 'g');

/**
 * A count both sides may have advanced from base: both increments survive. A side that went
 * below base reset it (e.g. a streak broken): the reset wins, plus the other side's increment is
 * lost on purpose (it counted the episode that the reset ended).
 */
export function mergeCount(base: number, ours: number, theirs: number): number {
  if (ours >= base && theirs >= base) return base + (ours - base) + (theirs - base);
  if (ours < base && theirs < base) return Math.max(ours, theirs);
  return Math.min(ours, theirs);
}

/** Union of time-stamped entries, sorted by time, deduplicated on time, newest `limit` kept. */
export function mergeTimed<T>(a: [string, T][], b: [string, T][], limit: number): [string, T][] {
  const byTime = new Map<string, [string, T]>();
  for (const entry of [...a, ...b]) byTime.set(entry[0], entry);
  return [...byTime.values()].sort((x, y) => x[0].localeCompare(y[0])).slice(-limit);
}

function mergeTimes(a: string[], b: string[], limit: number): string[] {
  return [...new Set([...a, ...b])].sort().slice(-limit);
}

function newer<T>(ours: T, theirs: T, oursAt: string | undefined, theirsAt: string | undefined): T {
  return (theirsAt ?? '') > (oursAt ?? '') ? theirs : ours;
}

/** Per key: a side that changed the value from base wins; both changed → `pick` decides. */
function mergeRecord<V>(
  base: Record<string, V>,
  ours: Record<string, V>,
  theirs: Record<string, V>,
  pick: (key: string, ours: V, theirs: V, base: V | undefined) => V,
): Record<string, V> {
  const out: Record<string, V> = {};
  const same = (a: V | undefined, b: V | undefined) => JSON.stringify(a) === JSON.stringify(b);
  for (const key of new Set([...Object.keys(ours), ...Object.keys(theirs), ...Object.keys(base)])) {
    const [b, o, t] = [base[key], ours[key], theirs[key]];
    const value =
      o === undefined || t === undefined
        ? pickPresent(b, o, t, same)
        : same(o, b)
          ? t
          : same(t, b)
            ? o
            : pick(key, o, t, b);
    if (value !== undefined) out[key] = value;
  }
  return out;
}

/** One side lacks the key: it was deleted there only if it existed in base and the other kept it unchanged. */
function pickPresent<V>(
  b: V | undefined,
  o: V | undefined,
  t: V | undefined,
  same: (a: V | undefined, b: V | undefined) => boolean,
): V | undefined {
  const present = o ?? t;
  if (b === undefined) return present;
  return same(present, b) ? undefined : present;
}

function mergeFinding(base: FindingState | undefined, o: FindingState, t: FindingState): FindingState {
  const top = newer(o, t, o.history.at(-1)?.[0] ?? o.lastSeen, t.history.at(-1)?.[0] ?? t.lastSeen);
  const b = base ?? { streak: 0, okStreak: 0 };
  // counts add up only when both runs saw the same phase (both failing in one episode, or both ok)
  const samePhase = (o.streak === 0) === (t.streak === 0);
  const sameEpisode = samePhase && o.firstSeen === t.firstSeen;
  return {
    ...top,
    lastSeen: [o.lastSeen, t.lastSeen].sort()[1] ?? o.lastSeen,
    streak: sameEpisode && top.streak > 0 ? mergeCount(b.streak, o.streak, t.streak) : top.streak,
    okStreak: samePhase && top.okStreak > 0 ? mergeCount(b.okStreak, o.okStreak, t.okStreak) : top.okStreak,
    history: mergeTimed(o.history, t.history, LIMITS.history),
  };
}

function mergeRemediation(base: RemediationState | undefined, o: RemediationState, t: RemediationState) {
  const attempts = mergeTimes(o.attempts, t.attempts, LIMITS.attempts);
  const merged: RemediationState = {
    attempts,
    failures: mergeCount(base?.failures ?? 0, o.failures, t.failures),
    breakerOpen: o.breakerOpen || t.breakerOpen,
  };
  const lastOutcome = newer(o.lastOutcome, t.lastOutcome, o.attempts.at(-1), t.attempts.at(-1));
  if (lastOutcome !== undefined) merged.lastOutcome = lastOutcome;
  const fingerprint = newer(o.fingerprint, t.fingerprint, o.attempts.at(-1), t.attempts.at(-1));
  if (fingerprint !== undefined) merged.fingerprint = fingerprint;
  const openedAt = [o.openedAt, t.openedAt]
    .filter((x) => x !== undefined)
    .sort()
    .at(-1);
  if (merged.breakerOpen && openedAt !== undefined) merged.openedAt = openedAt;
  return merged;
}

/**
 * 3-way merge of one server's state by meaning: `base` is what this run read, `ours` what it
 * wrote, `theirs` what another run pushed meanwhile. Counts add up, timed lists are unioned,
 * single values come from whichever run saw the server last.
 */
export function mergeServerStates(
  base: ServerState | undefined,
  ours: ServerState,
  theirs: ServerState | undefined,
): ServerState {
  if (!theirs) return ours;
  const newest = ours.recentRuns.at(-1);
  if (newest !== undefined && theirs.recentRuns.includes(newest)) return theirs;
  const b = base ?? emptyServerState(ours.server);
  const top = newer(ours, theirs, ours.lastRun, theirs.lastRun);
  const merged: ServerState = {
    ...top,
    runs: mergeCount(b.runs, ours.runs, theirs.runs),
    recentRuns: mergeRunIds(b.recentRuns, ours.recentRuns, theirs.recentRuns),
    reboots: mergeTimes(ours.reboots, theirs.reboots, LIMITS.reboots),
    cursors: mergeRecord(b.cursors, ours.cursors, theirs.cursors, (_k, o, t) =>
      newer(o, t, ours.lastChecked, theirs.lastChecked),
    ),
    findings: mergeRecord(b.findings, ours.findings, theirs.findings, (_k, o, t, bf) =>
      mergeFinding(bf, o, t),
    ),
    samples: mergeRecord(b.samples, ours.samples, theirs.samples, (_k, o, t) =>
      mergeTimed(o, t, LIMITS.samples),
    ),
    counters: mergeRecord(b.counters, ours.counters, theirs.counters, (_k, o, t) =>
      newer(o, t, ours.lastChecked, theirs.lastChecked),
    ),
    remediation: mergeRecord(b.remediation, ours.remediation, theirs.remediation, (_k, o, t, br) =>
      mergeRemediation(br, o, t),
    ),
  };
  const alerts = mergeRecord(b.alerts ?? {}, ours.alerts ?? {}, theirs.alerts ?? {}, (_k, o, t) =>
    mergeAlert(o, t),
  );
  if (Object.keys(alerts).length > 0) merged.alerts = alerts;
  else delete merged.alerts;
  return merged;
}

/**
 * Two runs that both announced an incident: the furthest repeat counts (a slot is announced once),
 * an escalation or a page either made stands, the newer acknowledgement and read position win.
 */
function mergeAlert(o: AlertState, t: AlertState): AlertState {
  const top = newer(o, t, o.since, t.since);
  if (o.since !== t.since) return top;
  const merged: AlertState = {
    ...top,
    slot: Math.max(o.slot, t.slot),
    announcedAt: [o.announcedAt, t.announcedAt].sort()[1] ?? top.announcedAt,
  };
  const escalatedAt = [o.escalatedAt, t.escalatedAt].filter((x) => x !== undefined).sort()[0];
  if (escalatedAt) merged.escalatedAt = escalatedAt;
  const paged = [...new Set([...(o.paged ?? []), ...(t.paged ?? [])])].sort();
  if (paged.length > 0) merged.paged = paged;
  if (o.ack && t.ack) merged.ack = o.ack.at > t.ack.at ? o.ack : t.ack;
  const readAt = [o.readAt, t.readAt].filter((x) => x !== undefined).sort()[1] ?? o.readAt ?? t.readAt;
  if (readAt) merged.readAt = readAt;
  return merged;
}

/** Base's ids, then the ids either side appended (theirs first: they landed first), bounded. */
function mergeRunIds(base: string[], ours: string[], theirs: string[]): string[] {
  const seen = new Set(base);
  const appended = [...theirs, ...ours].filter((id) => !seen.has(id) && seen.add(id));
  return [...base, ...appended].slice(-LIMITS.recentRuns);
}
