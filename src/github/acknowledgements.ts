/**
 * Reads acknowledgements from the incidents' GitHub issues (docs/alerting.md#acknowledge), before
 * the run acts: the `claudeops:ack` label and `/claudeops ack|snooze|unack` comments, each counted
 * only when its author has write access now (the collaborator permission API, as approvals are).
 *
 * Bounded: one list of open issues; for an issue that changed since it was last read, its newer
 * comments and (when the label is on it or an acknowledgement is held) its label events; the
 * label changes this tool made itself (by the account of its own comments, or a GitHub App bot)
 * do not count. A quiet issue costs nothing. When GitHub cannot be read, the acknowledgements the
 * state branch holds stand, and the run says so.
 */
import {
  ACK_LABEL,
  type AckEvent,
  activeAck,
  applyAckEvents,
  parseAckCommand,
} from '../core/issues/acknowledge.js';
import { MANAGED_LABEL } from '../core/issues/issue-labels.js';
import { keyOf } from '../core/issues/issue-markers.js';
import type { AckState, Memory } from '../core/memory/memory.js';
import type { GitHubApi, IssueInfo, RepoPermission } from '../core/ports/index.js';
import type { AckRecord, IncidentRecord, RunRecord } from '../core/run-record.js';
import { errorMessage } from '../core/util/error-message.js';
import type { RunContext } from '../run-context.js';

const WRITERS: ReadonlySet<RepoPermission> = new Set(['admin', 'maintain', 'write']);
/** Our own comments carry a marker; they are never commands. */
const OURS = /<!-- claudeops:|<sub>ClaudeOps run /;

export async function readAcknowledgements(
  ctx: RunContext,
  record: RunRecord,
  memory: Memory,
): Promise<void> {
  const now = ctx.adapters.clock.now();
  const alerts = (key: string, server: string) => memory.servers[server]?.alerts?.[key];
  // what the branch remembers holds unless the issue says otherwise
  for (const incident of record.incidents ?? []) {
    const server = serverOfKey(record, incident.key);
    const ack = server ? activeAck(alerts(incident.key, server), now) : undefined;
    if (ack && ack.severity === incident.severity) incident.ack = brief(ack);
  }
  const api = ctx.adapters.github;
  if (!api || !ctx.config.github.issues || !record.incidents?.length) return;
  const byKey = new Map<string, IssueInfo>();
  try {
    for (const issue of await api.listIssues({ labels: [MANAGED_LABEL], state: 'open' })) {
      const key = keyOf(issue.body);
      // the oldest open issue of a key is the one kept (issue-groups.ts indexIssues)
      if (key && (!byKey.has(key) || (byKey.get(key)?.number ?? 0) > issue.number)) byKey.set(key, issue);
    }
  } catch (error) {
    record.warnings.push(
      `acknowledgements could not be read (the last known ones stand): ${errorMessage(error)}`,
    );
    return;
  }
  const permissions = new Map<string, Promise<boolean>>();
  const writer = (login: string) => {
    let known = permissions.get(login);
    if (!known) {
      known = api.permissionOf(login).then((p) => WRITERS.has(p));
      permissions.set(login, known);
    }
    return known;
  };
  for (const incident of record.incidents) {
    const issue = byKey.get(incident.key);
    const server = serverOfKey(record, incident.key);
    if (!issue || !server) continue;
    try {
      const acked = await readIssue(api, issue, incident, alerts(incident.key, server), record, now, writer);
      if (acked) record.acks = [...(record.acks ?? []), acked];
    } catch (error) {
      record.warnings.push(
        `acknowledgement of ${incident.key} (#${issue.number}) could not be read: ${errorMessage(error)}`,
      );
    }
  }
}

async function readIssue(
  api: GitHubApi,
  issue: IssueInfo,
  incident: IncidentRecord,
  alert: { ack?: AckState; readAt?: string } | undefined,
  record: RunRecord,
  now: Date,
  writer: (login: string) => Promise<boolean>,
): Promise<AckRecord | undefined> {
  const root = record.findings.find((f) => f.fingerprint === incident.key);
  // a new episode of a reopened issue: commands from the earlier one do not count
  const floor = alert?.readAt ?? root?.firstSeen ?? record.startedAt;
  const held = alert?.ack;
  // nothing happened on the issue since it was last read: nothing to read
  const events =
    issue.updatedAt > floor
      ? await ackEventsSince(
          api,
          issue,
          floor,
          issue.labels.includes(ACK_LABEL) || held !== undefined,
          writer,
        )
      : [];
  const readAt = now.toISOString();
  for (const e of events.filter((x) => !x.writer))
    record.warnings.push(
      `${incident.key} (#${issue.number}): ignored ${e.type === 'comment' ? 'a /claudeops command' : `the ${ACK_LABEL} label`} from @${e.by}, who has no write access`,
    );
  const outcome = applyAckEvents(held, events, incident.severity);
  const changed = events.some((e) => e.writer);
  if (changed) {
    if (outcome.ack && !ackIsOver(outcome.ack, incident, now)) incident.ack = brief(outcome.ack);
    else delete incident.ack;
  }
  return {
    key: incident.key,
    issue: issue.number,
    changed,
    ...(outcome.ack ? { state: outcome.ack } : {}),
    ...(outcome.confirmation ? { confirmation: outcome.confirmation } : {}),
    readAt,
  };
}

/**
 * The /claudeops commands of other accounts commented on the issue after `floor`, and, when the
 * label can matter (it is there, or an acknowledgement is held), the label's changes since then
 * by people: each with whether its author may write to the repository.
 */
async function ackEventsSince(
  api: GitHubApi,
  issue: IssueInfo,
  floor: string,
  labelMatters: boolean,
  writer: (login: string) => Promise<boolean>,
): Promise<AckEvent[]> {
  const events: AckEvent[] = [];
  // the accounts this tool writes as: the authors of its own comments, and GitHub Apps' bots
  const ours = new Set<string>();
  for (const c of await api.listComments(issue.number, floor)) {
    if (OURS.test(c.body)) {
      ours.add(c.author);
      continue;
    }
    if (!c.createdAt || c.createdAt <= floor) continue;
    const command = parseAckCommand(c.body);
    if (command)
      events.push({
        type: 'comment',
        by: c.author,
        at: c.createdAt,
        writer: await writer(c.author),
        command,
      });
  }
  if (!labelMatters) return events;
  for (const e of await api.listLabelEvents(issue.number)) {
    if (e.label !== ACK_LABEL || e.createdAt <= floor || ours.has(e.actor) || e.actor.endsWith('[bot]'))
      continue;
    events.push({
      type: e.action === 'labeled' ? 'label-added' : 'label-removed',
      by: e.actor,
      at: e.createdAt,
      writer: await writer(e.actor),
    });
  }
  return events;
}

function ackIsOver(ack: AckState, incident: IncidentRecord, now: Date): boolean {
  return (
    activeAck({ severity: incident.severity, since: ack.at, slot: 0, announcedAt: ack.at, ack }, now) ===
    undefined
  );
}

function brief(ack: AckState): NonNullable<IncidentRecord['ack']> {
  return { by: ack.by, kind: ack.kind, ...(ack.until ? { until: ack.until } : {}) };
}

/** The server an incident key (its root fingerprint) is on. */
function serverOfKey(record: RunRecord, key: string): string | undefined {
  return record.findings.find((f) => f.fingerprint === key)?.server;
}
