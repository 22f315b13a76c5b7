import type { Config } from '../config/schema.js';

export interface NotifyTargets {
  config: NonNullable<Config['notify']>;
  /** Telegram's Bot API base; overridable so tests can stand in for it */
  telegramApi?: string;
  timeoutMs?: number;
}

/**
 * Sends one message to every configured channel (Slack incoming webhook, Telegram Bot API, generic
 * JSON webhook). Returns one error string per channel that failed: a dead chat never fails the run.
 */
export async function notify(targets: NotifyTargets, text: string, payload: unknown): Promise<string[]> {
  const { config } = targets;
  const sends: [string, Promise<Response>][] = [];
  const post = (url: string, body: unknown) =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(targets.timeoutMs ?? 10_000),
    });
  if (config.slack?.webhook) sends.push(['slack', post(config.slack.webhook, { text })]);
  if (config.telegram?.token && config.telegram.chat) {
    const api = targets.telegramApi ?? 'https://api.telegram.org';
    sends.push([
      'telegram',
      post(`${api}/bot${config.telegram.token}/sendMessage`, {
        chat_id: config.telegram.chat,
        text,
        disable_web_page_preview: true,
      }),
    ]);
  }
  if (config.webhook?.url) sends.push(['webhook', post(config.webhook.url, payload)]);
  const results = await Promise.allSettled(sends.map(([, p]) => p));
  return results.flatMap((result, i) => {
    const channel = sends[i]?.[0] ?? 'notify';
    if (result.status === 'rejected') return [`notify ${channel}: ${String(result.reason)}`];
    return result.value.ok ? [] : [`notify ${channel}: HTTP ${result.value.status}`];
  });
}
