import type { NotificationMessage } from '../render/render-notification.js';

/**
 * Where a run's chat/e-mail notification goes (adapters/notify.ts: Slack, Telegram, Discord,
 * Teams, webhook, SMTP). Returns one line per channel that failed; never throws for a channel.
 */
export interface Notifier {
  send(message: NotificationMessage, payload: Record<string, unknown>): Promise<string[]>;
}
