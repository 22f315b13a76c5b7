/**
 * The run's alerting steps (docs/alerting.md), between the pure core and the pipeline:
 *
 *   after evaluate   groupRunIncidents: one incident per root cause (record.incidents)
 *   before act       acknowledgements (github/acknowledgements.ts) mark incidents acknowledged;
 *                    pausedActions tells the remediator which findings it must leave alone
 *   before record    planFollowUps: repeats, escalations and paging events (record.alerting), and
 *                    the alert state each server's state file keeps for the next run
 */
import type { Channel, Config } from '../config/schema.js';
import { type AlertPolicy, normalChannels, planAlerts } from '../core/alerting/alert-plan.js';
import { dependencyGraph, groupIncidents, type Incident } from '../core/alerting/incidents.js';
import type { AckState, AlertState, Memory } from '../core/memory/memory.js';
import type { RunRecord, TrackedFinding } from '../core/run-record.js';
import { raisedFindings } from '../core/status.js';
import { findingText } from '../record/build-state-changes.js';
import type { RunContext } from '../run-context.js';

/** The run's raised findings as incidents (roots on servers this run checked). */
export function incidentsOf(ctx: RunContext, record: RunRecord): Incident<TrackedFinding>[] {
  const graph = dependencyGraph(ctx.config.servers, findingText(ctx));
  return groupIncidents(raisedFindings(record), graph);
}

/** After evaluate: record.incidents, so every later phase (act, record, report) sees the grouping. */
export function groupRunIncidents(ctx: RunContext, record: RunRecord): void {
  record.incidents = incidentsOf(ctx, record).map((i) => ({
    key: i.key,
    severity: i.severity,
    dependants: i.dependants.map((d) => d.fingerprint),
  }));
}

/**
 * Findings no automatic action may touch, and why: every member of an acknowledged incident.
 * (An approval merged by a human still runs: it is the explicit consent an ack is not.)
 */
export function pausedActions(record: RunRecord): Map<string, string> {
  const paused = new Map<string, string>();
  for (const incident of record.incidents ?? []) {
    if (!incident.ack) continue;
    const until = incident.ack.until ? ` until ${incident.ack.until}` : '';
    const why = `${incident.key} is acknowledged by @${incident.ack.by}${until}: automatic actions are paused`;
    for (const fp of [incident.key, ...incident.dependants]) paused.set(fp, why);
  }
  return paused;
}

/** The channels `notify:` configures. */
export function configuredChannels(notify: Config['notify']): Channel[] {
  if (!notify) return [];
  const present: Record<Channel, boolean> = {
    slack: !!notify.slack?.webhook,
    telegram: !!(notify.telegram?.token && notify.telegram.chat),
    webhook: !!notify.webhook?.url,
    discord: !!notify.discord?.webhook,
    teams: !!notify.teams?.webhook,
    email: !!notify.email,
    pagerduty: !!notify.pagerduty?.routing_key,
    opsgenie: !!notify.opsgenie?.api_key,
  };
  return (Object.keys(present) as Channel[]).filter((c) => present[c]);
}

export function alertPolicy(config: Config): AlertPolicy {
  const notify = config.notify;
  return {
    channels: configuredChannels(notify),
    ...(notify?.repeat ? { repeatMs: notify.repeat } : {}),
    ...(notify?.escalate
      ? { escalate: { afterMs: notify.escalate.after, channels: notify.escalate.channels } }
      : {}),
  };
}

/**
 * Before record: what this run tells beyond its changes, and the alert states the next run reads
 * (state/<server>.json `alerts`). Acknowledgements (record.incidents[].ack) were read before act.
 */
export function planFollowUps(ctx: RunContext, record: RunRecord, memory: Memory): void {
  const incidents = incidentsOf(ctx, record);
  const checked = new Set(record.servers.map((s) => s.server.name));
  const previous = new Map<string, { server: string; state: AlertState }>();
  for (const server of checked) {
    const alerts = memory.servers[server]?.alerts ?? {};
    for (const [key, state] of Object.entries(alerts)) previous.set(key, { server, state });
  }
  // incidents whose issue had new activity this run: their acknowledgement as it now stands
  const acks = new Map<string, AckState | undefined>(
    (record.acks ?? []).filter((a) => a.changed).map((a) => [a.key, a.state]),
  );
  const outcome = planAlerts({
    incidents: incidents.filter((i) => checked.has(i.root.server)),
    previous,
    resolved: new Set(record.resolved.map((f) => f.fingerprint)),
    acks,
    policy: alertPolicy(ctx.config),
    now: ctx.adapters.clock.now(),
    tried: (incident) => triedOn(record, incident),
  });
  record.alerting = outcome.run;
  // the comments were read up to here: the next run reads only newer ones
  for (const a of record.acks ?? []) {
    const server = incidents.find((i) => i.key === a.key)?.root.server;
    const state = server ? outcome.states[server]?.[a.key] : undefined;
    if (state && a.readAt) state.readAt = a.readAt;
  }
  for (const server of checked) {
    const state = record.serverStates[server];
    const next = outcome.states[server];
    if (!state || !next) continue;
    if (Object.keys(next).length > 0) state.alerts = next;
    else delete state.alerts;
  }
  for (const [key, why] of outcome.ended) {
    const incident = record.incidents?.find((i) => i.key === key);
    if (incident) delete incident.ack;
    record.warnings.push(`${key}: ${why}`);
  }
}

/**
 * What automatic actions tried on an incident in its current episode: each action and target whose
 * last attempt was for the root or a dependant, with its count and last outcome.
 */
export function triedOn(record: RunRecord, incident: Incident<TrackedFinding>): string[] {
  const members = new Set([incident.key, ...incident.dependants.map((d) => d.fingerprint)]);
  const since = incident.root.firstSeen;
  const servers = new Set([incident.root.server, ...incident.dependants.map((d) => d.server)]);
  const lines: string[] = [];
  for (const server of [...servers].sort()) {
    const remediation = record.serverStates[server]?.remediation ?? {};
    for (const [key, r] of Object.entries(remediation).sort(([a], [b]) => a.localeCompare(b))) {
      if (!r.fingerprint || !members.has(r.fingerprint)) continue;
      const attempts = r.attempts.filter((t) => t >= since).length;
      if (attempts === 0) continue;
      const breaker = r.breakerOpen ? ', circuit breaker open' : '';
      lines.push(`${key} on ${server} ×${attempts} (last: ${r.lastOutcome ?? 'unknown'}${breaker})`);
    }
  }
  return lines;
}

export { normalChannels };
