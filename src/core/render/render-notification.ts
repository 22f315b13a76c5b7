import { type FollowUp, openFor } from '../alerting/alert-plan.js';
import type { RemediationState, ServerState } from '../memory/memory.js';
import type { NotificationItemKind, NotificationMessage } from '../ports/index.js';
import type { RunRecord, TrackedFinding } from '../run-record.js';
import { raisedFindings } from '../status.js';
import { slackText, telegramText } from './untrusted-text.js';

/** A circuit breaker that opened or closed between the last run and this one. */
export interface BreakerChange {
  server: string;
  /** action+target key of the remediation state */
  key: string;
  open: boolean;
}

/**
 * Breakers whose state differs from what the last run left: each change is announced once, in
 * the run that made it (the next run sees the same state on both sides).
 */
export function breakerChanges(
  before: Record<string, ServerState>,
  after: Record<string, ServerState>,
): BreakerChange[] {
  const out: BreakerChange[] = [];
  for (const [server, state] of Object.entries(after)) {
    const old: Record<string, RemediationState> = before[server]?.remediation ?? {};
    for (const [key, r] of Object.entries(state.remediation ?? {})) {
      if ((old[key]?.breakerOpen ?? false) !== r.breakerOpen) out.push({ server, key, open: r.breakerOpen });
    }
  }
  return out;
}

/** Whether this run is worth a chat message under the config's `notify.on` policy. */
export function shouldNotify(
  record: RunRecord,
  on: 'changes' | 'always' | 'critical',
  breakers: readonly BreakerChange[] = [],
): boolean {
  if (on === 'always') return true;
  const followUps = (record.alerting?.repeats.length ?? 0) + (record.alerting?.changed.length ?? 0);
  if (on === 'critical') return record.status === 'critical' || record.status === 'error';
  // a dependant that fails after its root was announced is news on the issue, not in chat
  const changed =
    shownFindings(record).some((f) => f.lifecycle === 'new') || record.resolved.length > 0 || followUps > 0;
  // a denial repeated every run (an open breaker, a cooldown) is no news: only what ran or asks a human is
  const acted = record.actions.some((a) => a.decision === 'execute' || a.decision === 'needs-approval');
  return changed || acted || record.errors.length > 0 || breakers.length > 0;
}

const ICON: Record<NotificationItemKind, string> = {
  critical: '🔴',
  warning: '🟡',
  resolved: '✅',
  action: '🔧',
  breaker: '🔌',
  error: '⛔',
  repeat: '🔁',
  escalation: '📣',
  more: '…',
};

/** Raised findings as chat shows them: one per incident (its root); dependants ride along. */
function shownFindings(record: RunRecord): TrackedFinding[] {
  const dependants = new Set((record.incidents ?? []).flatMap((i) => i.dependants));
  return raisedFindings(record).filter((f) => !dependants.has(f.fingerprint));
}

/** " — also failing because of it: …" for an incident's root. */
function dependantsNote(record: RunRecord, key: string): string {
  const incident = (record.incidents ?? []).find((i) => i.key === key);
  if (!incident?.dependants.length) return '';
  return ` — also failing because of it: ${incident.dependants.join(', ')}`;
}

function ackNote(record: RunRecord, key: string): string {
  const ack = (record.incidents ?? []).find((i) => i.key === key)?.ack;
  return ack ? ` (acknowledged by @${ack.by})` : '';
}

/** A repeat or an escalation as one line: how long, what, what was tried. */
export function followUpText(f: FollowUp): string {
  const deps = f.dependants.length ? ` — also failing because of it: ${f.dependants.join(', ')}` : '';
  const tried = f.tried.length ? `; tried: ${f.tried.join('; ')}` : '; no automatic action tried';
  const note = f.note ? ` (${f.note})` : '';
  return `${f.server}: still ${f.severity}, ${openFor(f)}: ${f.summary}${deps}${tried}${note}`;
}

export function notificationMessage(
  record: RunRecord,
  link: string | undefined,
  breakers: readonly BreakerChange[] = [],
): NotificationMessage {
  const raised = raisedFindings(record);
  const shown = shownFindings(record);
  const changed = new Map((record.alerting?.changed ?? []).map((c) => [c.key, c]));
  const items: NotificationMessage['items'] = [
    ...shown.slice(0, 8).map((f) => ({
      kind: f.severity === 'critical' ? ('critical' as const) : ('warning' as const),
      text: `${f.server}: ${f.summary}${f.lifecycle === 'new' ? ' (new)' : changed.has(f.fingerprint) ? ` (now ${f.severity})` : ''}${dependantsNote(record, f.fingerprint)}${ackNote(record, f.fingerprint)}`,
    })),
    ...(shown.length > 8 ? [{ kind: 'more' as const, text: `and ${shown.length - 8} more` }] : []),
    ...(record.alerting?.repeats ?? []).map((r) => ({ kind: 'repeat' as const, text: followUpText(r) })),
    ...record.resolved
      .slice(0, 5)
      .map((f) => ({ kind: 'resolved' as const, text: `resolved: ${f.fingerprint}` })),
    ...record.actions
      .filter((a) => a.decision === 'execute')
      .map((a) => ({
        kind: 'action' as const,
        text: `${a.action} on ${a.server}: ${a.outcome === 'unverified' ? 'unverified (not proven fixed)' : (a.outcome ?? 'ran')}`,
      })),
    ...breakers.map((b) => ({
      kind: 'breaker' as const,
      text: b.open
        ? `circuit breaker opened: ${b.key} on ${b.server} (no more automatic tries)`
        : `circuit breaker closed: ${b.key} on ${b.server} (automatic tries allowed again)`,
    })),
    ...record.errors.map((e) => ({ kind: 'error' as const, text: e })),
  ];
  return {
    title: `ClaudeOps ${record.task}: ${record.status.toUpperCase()} — ${raised.length} finding(s) on ${record.servers.length} server(s)`,
    status: record.status,
    items,
    ...(link ? { link } : {}),
  };
}

/**
 * The escalation of critical incidents no one acknowledged within `notify.escalate.after`, for
 * the escalation channels; repeats of incidents escalated earlier go there too.
 */
export function escalationMessage(
  record: RunRecord,
  link: string | undefined,
): NotificationMessage | undefined {
  const escalations = record.alerting?.escalations ?? [];
  const repeats = (record.alerting?.repeats ?? []).filter((r) => r.escalated);
  if (escalations.length + repeats.length === 0) return undefined;
  return {
    title: `ClaudeOps escalation: ${escalations.length + repeats.length} critical incident(s) open and unacknowledged`,
    status: 'critical',
    items: [
      ...escalations.map((e) => ({ kind: 'escalation' as const, text: followUpText(e) })),
      ...repeats.map((r) => ({ kind: 'repeat' as const, text: followUpText(r) })),
      {
        kind: 'more' as const,
        text: 'acknowledge on the GitHub issue (label claudeops:ack, or comment /claudeops ack) to stop repeats and escalation',
      },
    ],
    ...(link ? { link } : {}),
  };
}

/**
 * Plain-text targets. Slack makes `<!channel>`, `<url|text>` and mrkdwn live; Telegram (sent
 * without parse_mode) and the webhook's `text` only links and mentions: each item is escaped for
 * its target by the untrusted-text module.
 */
export type TextTarget = 'slack' | 'plain';

const TEXT_ESCAPE: Record<TextTarget, (text: string) => string> = {
  slack: (t) => slackText(t, 600),
  plain: (t) => telegramText(t, 600),
};

/** The message as text, one item a line (Slack, Telegram, the webhook's `text`). */
export function notificationText(message: NotificationMessage, target: TextTarget = 'plain'): string {
  const escapeItem = TEXT_ESCAPE[target];
  const lines = [message.title, ...message.items.map((i) => itemLine({ ...i, text: escapeItem(i.text) }))];
  if (message.link) lines.push(message.link);
  return lines.join('\n');
}

export function itemLine(item: NotificationMessage['items'][number]): string {
  return item.kind === 'more' ? `• … ${item.text}` : `• ${ICON[item.kind]} ${item.text}`;
}

/** A short plain-text message: chat is for "look now", the state branch for the details. */
export function renderNotification(record: RunRecord, link: string | undefined): string {
  return notificationText(notificationMessage(record, link));
}
