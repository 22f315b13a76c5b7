/**
 * Alerting that follows through (pure, docs/alerting.md): for each incident of this run, what is
 * told beyond "it changed" — repeats of an open critical no one acknowledged, its escalation, and
 * the paging services' trigger / acknowledge / resolve — and the alert state the next run reads.
 *
 * Repeats are anchored, not relative: the n-th repeat of an incident is due at
 * `since + n × notify.repeat`, and the state records the last n told. A run announces a repeat
 * when the slot it falls in is past the recorded one, so a missed or late scheduled run tells it
 * at the next run (never dropped), a second run in the same slot tells nothing (never doubled),
 * and a late run does not shift the ones after it.
 */
import type { Channel } from '../../config/schema.js';
import { ackEnded } from '../issues/acknowledge.js';
import type { AckState, AlertState } from '../memory/memory.js';
import type { PageEvent, PagingChannel } from '../ports/index.js';
import type { TrackedFinding } from '../run-record.js';
import { formatDuration } from '../util/duration.js';
import type { AlertRun, FollowUp } from './alert-types.js';
import type { Incident } from './incidents.js';

export type { AlertRun, FollowUp, PageEvent, PagingChannel };

export const PAGING_CHANNELS: readonly PagingChannel[] = ['pagerduty', 'opsgenie'];
export const isPaging = (c: Channel): c is PagingChannel =>
  (PAGING_CHANNELS as readonly string[]).includes(c);

export interface AlertPolicy {
  repeatMs?: number;
  escalate?: { afterMs: number; channels: readonly Channel[] };
  /** every configured channel */
  channels: readonly Channel[];
}

export interface AlertInput {
  /** this run's raised incidents, rooted on servers this run checked */
  incidents: readonly Incident<TrackedFinding>[];
  /** alert states the branch holds for this run's servers, by incident key */
  previous: ReadonlyMap<string, { server: string; state: AlertState }>;
  /** root fingerprints this run saw resolve */
  resolved: ReadonlySet<string>;
  /** the acknowledgement of each incident after this run's events (from the issue) */
  acks: ReadonlyMap<string, AckState | undefined>;
  policy: AlertPolicy;
  now: Date;
  /** what automatic actions tried on an incident (root and dependants) */
  tried: (incident: Incident<TrackedFinding>) => string[];
}

export interface AlertOutcome {
  run: AlertRun;
  /** next alert states per server: replaces `alerts` in each server's state */
  states: Record<string, Record<string, AlertState>>;
  /** acknowledgements that ended this run, by incident key, and why */
  ended: Map<string, string>;
}

/** Channels that hear about an incident from the start: all but the escalation-only ones. */
export function normalChannels(policy: AlertPolicy): Channel[] {
  const escalation = new Set(policy.escalate?.channels ?? []);
  return policy.channels.filter((c) => !escalation.has(c));
}

/** What one planAlerts call builds up, shared by its steps. */
interface Planning {
  input: AlertInput;
  at: string;
  run: AlertRun;
  states: Record<string, Record<string, AlertState>>;
  ended: Map<string, string>;
  /** paging channels told from the start, and those told on escalation */
  normalPaging: PagingChannel[];
  escalationPaging: PagingChannel[];
}

export function planAlerts(input: AlertInput): AlertOutcome {
  const { policy } = input;
  const planning: Planning = {
    input,
    at: input.now.toISOString(),
    run: {
      changed: [],
      repeats: [],
      escalations: [],
      escalationChannels: (policy.escalate?.channels ?? []).filter((c) => !isPaging(c)),
      pages: [],
    },
    states: {},
    ended: new Map(),
    normalPaging: normalChannels(policy).filter(isPaging),
    escalationPaging: (policy.escalate?.channels ?? []).filter(isPaging),
  };
  for (const incident of input.incidents) planIncident(planning, incident);
  const live = new Set(input.incidents.map((i) => i.key));
  for (const [key, previous] of input.previous) if (!live.has(key)) planGone(planning, key, previous);
  const { run, states, ended } = planning;
  return { run, states, ended };
}

function put(planning: Planning, server: string, key: string, state: AlertState): void {
  planning.states[server] ??= {};
  planning.states[server][key] = state;
}

/**
 * A raised incident: its next state and acknowledgement, a severity change, the first page, the
 * repeats and escalation of a critical one, and the pagers' acknowledge when a human took it.
 */
function planIncident(planning: Planning, incident: Incident<TrackedFinding>): void {
  const { input, at, run } = planning;
  const before = input.previous.get(incident.key)?.state;
  const state = nextState(before, incident, at);
  const endedWhy = settleAck(planning, incident, before, state);
  const acked = state.ack !== undefined;
  const follow = (extra: Partial<FollowUp> = {}): FollowUp =>
    followUp(incident, state, input.now, input.tried, extra);

  const fresh = !before || before.severity !== incident.severity;
  if (before && fresh)
    run.changed.push(follow({ note: `severity ${before.severity} → ${incident.severity}` }));
  if (fresh && !acked && planning.normalPaging.length > 0)
    run.pages.push(trigger(incident, state, planning.normalPaging, input.tried(incident)));
  if (fresh && !acked) state.paged = union(state.paged, planning.normalPaging);

  if (incident.severity === 'critical' && !acked)
    followCritical(planning, incident, state, { fresh, endedWhy, follow });
  // a human took it: the pagers holding it stop paging too
  if (acked && !before?.ack && state.paged?.length)
    run.pages.push(
      event(
        'acknowledge',
        incident.key,
        state.paged,
        incident,
        `acknowledged by @${state.ack?.by} on GitHub`,
      ),
    );
  put(planning, incident.root.server, incident.key, state);
}

/**
 * The acknowledgement the incident carries after this run (from its issue, else the state's),
 * kept on `state` unless it ended; returns why it ended, if it did.
 */
function settleAck(
  planning: Planning,
  incident: Incident<TrackedFinding>,
  before: AlertState | undefined,
  state: AlertState,
): string | undefined {
  const { acks, now } = planning.input;
  const ack = acks.has(incident.key) ? acks.get(incident.key) : before?.ack;
  const endedWhy = ack ? ackEnded(ack, incident.severity, now) : undefined;
  if (ack && !endedWhy) state.ack = ack;
  else delete state.ack;
  if (ack && endedWhy) planning.ended.set(incident.key, endedWhy);
  return endedWhy;
}

/** An open critical no one acknowledged: the repeat due in its slot, and its escalation once. */
function followCritical(
  planning: Planning,
  incident: Incident<TrackedFinding>,
  state: AlertState,
  seen: { fresh: boolean; endedWhy: string | undefined; follow: (extra?: Partial<FollowUp>) => FollowUp },
): void {
  const { input, at, run } = planning;
  const { policy, now } = input;
  const { fresh, endedWhy, follow } = seen;
  const slot = policy.repeatMs ? Math.floor((now.getTime() - Date.parse(state.since)) / policy.repeatMs) : 0;
  if (!fresh && policy.repeatMs && slot > state.slot) {
    const escalated = state.escalatedAt !== undefined;
    run.repeats.push(follow({ repeat: slot, escalated, ...(endedWhy ? { note: endedWhy } : {}) }));
    state.slot = slot;
    state.announcedAt = at;
  }
  const escalate = policy.escalate;
  if (escalate && !state.escalatedAt && now.getTime() - Date.parse(state.since) >= escalate.afterMs) {
    state.escalatedAt = at;
    run.escalations.push(follow(endedWhy ? { note: endedWhy } : {}));
    if (planning.escalationPaging.length > 0) {
      run.pages.push(trigger(incident, state, planning.escalationPaging, input.tried(incident)));
      state.paged = union(state.paged, planning.escalationPaging);
    }
  }
}

/**
 * An incident of the branch not raised this run: kept as it was when nothing was seen of it;
 * resolved (or folded into another incident) otherwise, its pagers told.
 */
function planGone(
  planning: Planning,
  key: string,
  { server, state }: { server: string; state: AlertState },
): void {
  const { input, run } = planning;
  const into = foldedInto(key, input.incidents);
  if (!input.resolved.has(key) && !into) {
    // not seen this run (server unreachable, or the finding carried over): nothing changed
    put(planning, server, key, state);
    return;
  }
  if (state.paged?.length)
    run.pages.push({
      action: 'resolve',
      key,
      channels: state.paged,
      server,
      severity: state.severity,
      summary: key,
      note: into ? `now part of the incident of ${into}` : 'resolved: the check passes again',
    });
  planning.states[server] ??= {};
}

/** The earlier of two ISO times. */
const earlier = (a: string, b: string) => [a, b].sort()[0] ?? a;

/** The alert state after this run's sighting of an incident (before repeats are counted). */
function nextState(before: AlertState | undefined, incident: Incident, at: string): AlertState {
  if (!before || before.severity !== incident.severity)
    return {
      severity: incident.severity,
      since: at,
      slot: 0,
      announcedAt: at,
      ...(before?.paged ? { paged: before.paged } : {}),
      ...(before?.ack ? { ack: before.ack } : {}),
      ...(before?.readAt ? { readAt: before.readAt } : {}),
    };
  // a start ahead of this run's clock (written by a runner whose clock ran ahead, or by hand) would
  // hold repeats and escalation back until then: they count from this run instead
  if (!(Date.parse(before.since) <= Date.parse(at))) return { ...before, since: at, slot: 0 };
  return { ...before };
}

function followUp(
  incident: Incident<TrackedFinding>,
  state: AlertState,
  now: Date,
  tried: AlertInput['tried'],
  extra: Partial<FollowUp>,
): FollowUp {
  const since = earlier(incident.root.firstSeen, state.since);
  return {
    key: incident.key,
    server: incident.root.server,
    summary: incident.root.summary,
    severity: incident.severity,
    dependants: incident.dependants.map((d) => d.fingerprint),
    openForMs: Math.max(0, now.getTime() - Date.parse(since)),
    since,
    tried: tried(incident),
    ...extra,
  };
}

function trigger(
  incident: Incident<TrackedFinding>,
  state: AlertState,
  channels: PagingChannel[],
  tried: string[],
): PageEvent {
  return {
    ...event('trigger', incident.key, channels, incident),
    check: incident.root.check,
    target: incident.root.target,
    dependants: incident.dependants.map((d) => `${d.fingerprint}: ${d.summary}`),
    since: earlier(incident.root.firstSeen, state.since),
    tried,
  };
}

function event(
  action: PageEvent['action'],
  key: string,
  channels: readonly PagingChannel[],
  incident: Incident<TrackedFinding>,
  note?: string,
): PageEvent {
  return {
    action,
    key,
    channels: [...channels],
    server: incident.root.server,
    severity: incident.severity,
    summary: incident.root.summary,
    ...(note ? { note } : {}),
  };
}

function union(
  a: readonly PagingChannel[] | undefined,
  b: readonly PagingChannel[],
): PagingChannel[] | undefined {
  const all = [...new Set([...(a ?? []), ...b])].sort();
  return all.length > 0 ? all : undefined;
}

/** The incident a former root now belongs to as a dependant, if any. */
function foldedInto(key: string, incidents: readonly Incident[]): string | undefined {
  return incidents.find((i) => i.dependants.some((d) => d.fingerprint === key))?.key;
}

/** "open 3h20m, since 02:10 UTC" for a follow-up line. */
export function openFor(f: Pick<FollowUp, 'openForMs' | 'since'>): string {
  return `open ${formatDuration(f.openForMs)} (since ${f.since.slice(0, 16).replace('T', ' ')} UTC)`;
}
