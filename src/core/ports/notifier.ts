import type { RunStatus } from '../types.js';

export type NotificationItemKind =
  | 'critical'
  | 'warning'
  | 'resolved'
  | 'action'
  | 'breaker'
  | 'error'
  | 'more';

/**
 * One chat message, before any target's format: every channel (Slack, Telegram, Discord, Teams,
 * e-mail, webhook) renders this same content its own way. `text` fields carry server text: each
 * channel escapes them for its own format.
 */
export interface NotificationMessage {
  title: string;
  status: RunStatus;
  items: { kind: NotificationItemKind; text: string }[];
  link?: string;
}

/**
 * Where a run's chat/e-mail notification goes (adapters/notify.ts: Slack, Telegram, Discord,
 * Teams, webhook, SMTP). Returns one line per channel that failed; never throws for a channel.
 */
export interface Notifier {
  send(message: NotificationMessage, payload: Record<string, unknown>): Promise<string[]>;
}
