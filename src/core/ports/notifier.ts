import type { Channel } from '../../config/schema.js';
import type { RunStatus } from '../types.js';

export type NotificationItemKind =
  | 'critical'
  | 'warning'
  | 'resolved'
  | 'action'
  | 'breaker'
  | 'error'
  | 'repeat'
  | 'escalation'
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

export type PagingChannel = 'pagerduty' | 'opsgenie';

/**
 * One paging-service event (docs/alerting.md#paging-services): trigger (with the incident),
 * acknowledge or resolve, keyed by the incident's root fingerprint. Text fields carry server
 * text: the payload builders make them plain for each service.
 */
export interface PageEvent {
  action: 'trigger' | 'acknowledge' | 'resolve';
  key: string;
  channels: PagingChannel[];
  server: string;
  severity: 'critical' | 'warning';
  summary: string;
  check?: string;
  target?: string;
  dependants?: string[];
  since?: string;
  tried?: string[];
  /** a line for the service's log: who acknowledged, why it resolved */
  note?: string;
}

/**
 * Where a run's notifications go (adapters/notify.ts: Slack, Telegram, Discord, Teams, webhook,
 * SMTP; adapters/paging.ts: PagerDuty, Opsgenie). Each returns one line per channel (or event)
 * that failed; never throws for a channel.
 */
export interface Notifier {
  /** the message to the configured chat channels, or only to `channels` when given */
  send(
    message: NotificationMessage,
    payload: Record<string, unknown>,
    channels?: readonly Channel[],
  ): Promise<string[]>;
  /** paging-service events, in order; absent when no paging service is configured */
  page?(events: readonly PageEvent[], link?: string): Promise<string[]>;
}
