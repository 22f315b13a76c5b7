import type { Channel, Config } from '../config/schema.js';
import type { NotificationMessage } from '../core/ports/index.js';
import { discordPayload, emailContent, teamsPayload } from '../core/render/notification-payloads.js';
import { notificationText } from '../core/render/render-notification.js';
import { errorMessage } from '../core/util/error-message.js';
import { type RetryPolicy, sendWithRetry } from './http-retry.js';

export interface NotifyTargets {
  config: NonNullable<Config['notify']>;
  /** Telegram's Bot API base; overridable so tests can stand in for it */
  telegramApi?: string;
  timeoutMs?: number;
  retry?: RetryPolicy;
  /** extra trusted CA certificates (PEM) for SMTP; in production NODE_EXTRA_CA_CERTS does this */
  smtpCa?: string;
}

type Send = () => Promise<string | undefined>;

/**
 * Sends one message to every configured channel: Slack incoming webhook, Telegram Bot API, generic
 * JSON webhook, Discord webhook, Teams Workflows webhook, e-mail over SMTP. Each channel retries
 * 429 and 5xx (Retry-After honoured, bounded). Returns one error string per channel that still
 * failed: a dead chat never fails the run. Error strings never contain a webhook URL (its secret).
 */
export async function notify(
  targets: NotifyTargets,
  message: NotificationMessage,
  payload: unknown,
  only?: readonly Channel[],
): Promise<string[]> {
  const { config } = targets;
  const text = notificationText(message);
  const slack = notificationText(message, 'slack');
  const policy: RetryPolicy = { timeoutMs: targets.timeoutMs ?? 10_000, ...targets.retry };
  const post =
    (url: string, body: unknown): Send =>
    async () => {
      const result = await sendWithRetry(
        (signal) =>
          fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(body),
            signal,
          }),
        policy,
      );
      return result.ok ? undefined : result.error;
    };
  const sends: [Channel, Send][] = [];
  if (config.slack?.webhook)
    sends.push([
      'slack',
      post(config.slack.webhook, { text: slack, unfurl_links: false, unfurl_media: false }),
    ]);
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
  if (config.discord?.webhook) sends.push(['discord', post(config.discord.webhook, discordPayload(message))]);
  if (config.teams?.webhook) sends.push(['teams', post(config.teams.webhook, teamsPayload(message))]);
  if (config.email) {
    const email = config.email;
    sends.push(['email', () => sendEmail(email, message, policy, targets.smtpCa)]);
  }
  const chosen = only ? sends.filter(([name]) => only.includes(name)) : sends;
  const results = await Promise.all(chosen.map(([, send]) => send().catch((e: unknown) => errorMessage(e))));
  return results.flatMap((error, i) => (error ? [`notify ${chosen[i]?.[0] ?? 'notify'}: ${error}`] : []));
}

type EmailConfig = NonNullable<NonNullable<Config['notify']>['email']>;

/**
 * One e-mail through SMTP. Never in clear text: smtp:// requires STARTTLS (requireTLS), smtps://
 * is TLS from the start. A temporary refusal (4xx) or a dropped connection is retried, bounded;
 * a permanent one (5xx: bad recipient, auth refused) is not.
 */
async function sendEmail(
  config: EmailConfig,
  message: NotificationMessage,
  policy: RetryPolicy,
  ca: string | undefined,
): Promise<string | undefined> {
  const smtp = typeof config.smtp === 'string' ? new URL(config.smtp) : undefined;
  const parts = typeof config.smtp === 'string' ? undefined : config.smtp;
  const secure = smtp ? smtp.protocol === 'smtps:' : (parts?.secure ?? parts?.port === 465);
  const user = smtp ? decodeURIComponent(smtp.username) : parts?.user;
  const pass = smtp ? decodeURIComponent(smtp.password) : parts?.password;
  // loaded only when an e-mail is sent: most runs send none, and nodemailer is a large module
  const { default: nodemailer } = await import('nodemailer');
  const transport = nodemailer.createTransport({
    host: smtp ? smtp.hostname : parts?.host,
    port: smtp ? Number(smtp.port || (secure ? 465 : 587)) : parts?.port,
    secure,
    requireTLS: !secure,
    ...(user ? { auth: { user, pass: pass ?? '' } } : {}),
    connectionTimeout: policy.timeoutMs,
    greetingTimeout: policy.timeoutMs,
    socketTimeout: policy.timeoutMs,
    ...(ca ? { tls: { ca } } : {}),
  });
  const content = emailContent(message);
  const attempts = Math.max(1, policy.attempts ?? 3);
  let last = '';
  try {
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        await transport.sendMail({ from: config.from, to: config.to, ...content });
        return undefined;
      } catch (error) {
        const code = (error as { responseCode?: number }).responseCode;
        last = code ? `SMTP ${code}` : smtpError(error);
        if (code !== undefined && code >= 500) return last;
        if (attempt < attempts)
          await (policy.sleep ?? sleep)((policy.baseDelayMs ?? 1000) * 2 ** (attempt - 1));
      }
    }
    return `${last} after ${attempts} attempts`;
  } finally {
    transport.close();
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** nodemailer's error code (ECONNREFUSED, ETLS, EAUTH …) without the message, which may quote the URL. */
function smtpError(error: unknown): string {
  const code = (error as { code?: string }).code;
  return code ? `SMTP error ${code}` : 'SMTP error';
}
