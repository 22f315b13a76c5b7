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

export function planAlerts(input: AlertInput): AlertOutcome {
  const { policy, now } = input;
  const at = now.toISOString();
  const states: Record<string, Record<string, AlertState>> = {};
  const put = (server: string, key: string, state: AlertState) => {
    states[server] ??= {};
    states[server][key] = state;
  };
  const run: AlertRun = {
    changed: [],
    repeats: [],
    escalations: [],
    escalationChannels: (policy.escalate?.channels ?? []).filter((c) => !isPaging(c)),
    pages: [],
  };
  const ended = new Map<string, string>();
  const normalPaging = normalChannels(policy).filter(isPaging);
  const escalationPaging = (policy.escalate?.channels ?? []).filter(isPaging);
  const live = new Set<string>();

  for (const incident of input.incidents) {
    live.add(incident.key);
    const server = incident.root.server;
    const before = input.previous.get(incident.key)?.state;
    const state = nextState(before, incident, at);
    const ack = input.acks.has(incident.key) ? input.acks.get(incident.key) : before?.ack;
    const endedWhy = ack ? ackEnded(ack, incident.severity, now) : undefined;
    if (ack && !endedWhy) state.ack = ack;
    else delete state.ack;
    if (ack && endedWhy) ended.set(incident.key, endedWhy);
    const acked = state.ack !== undefined;
    const follow = (extra: Partial<FollowUp> = {}): FollowUp =>
      followUp(incident, state, now, input.tried, extra);

    const fresh = !before || before.severity !== incident.severity;
    if (before && fresh)
      run.changed.push(follow({ note: `severity ${before.severity} → ${incident.severity}` }));
    if (fresh && !acked && normalPaging.length > 0)
      run.pages.push(trigger(incident, state, normalPaging, input.tried(incident)));
    if (fresh && !acked) state.paged = union(state.paged, normalPaging);

    if (incident.severity === 'critical' && !acked) {
      const slot = policy.repeatMs
        ? Math.floor((now.getTime() - Date.parse(state.since)) / policy.repeatMs)
        : 0;
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
        if (escalationPaging.length > 0) {
          run.pages.push(trigger(incident, state, escalationPaging, input.tried(incident)));
          state.paged = union(state.paged, escalationPaging);
        }
      }
    }
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
    put(server, incident.key, state);
  }

  for (const [key, { server, state }] of input.previous) {
    if (live.has(key)) continue;
    if (!input.resolved.has(key) && !foldedInto(key, input.incidents)) {
      // not seen this run (server unreachable, or the finding carried over): nothing changed
      put(server, key, state);
      continue;
    }
    const into = foldedInto(key, input.incidents);
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
    states[server] ??= {};
  }
  return { run, states, ended };
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
