/**
 * Discord, Microsoft Teams and e-mail bodies for one NotificationMessage (pure). Server text
 * (finding summaries, errors) reaches every one of them, so each target gets it escaped for its
 * own syntax, and nothing in it can ping anyone: Discord is told to parse no mentions at all.
 */

import type { NotificationMessage } from '../ports/index.js';
import type { RunStatus } from '../types.js';
import { itemLine } from './render-notification.js';
import { discordText, emailHeader, emailText, htmlText, teamsText } from './untrusted-text.js';

// Each target's escaper is the shared untrusted-text module's (controls, bidi and ANSI stripped first).
/** Discord markdown: every formatting character escaped; mentions are also disabled by allowed_mentions. */
const forDiscord = (s: string) => discordText(s, 4_000);
/** Adaptive Card TextBlocks render a markdown subset: escape it. */
const forTeams = (s: string) => teamsText(s, 2_000);
const forHtml = (s: string) => htmlText(s);
/** Plain text mail: no control characters but newlines, so nothing rewrites the terminal or headers. */
const forPlain = (s: string) => emailText(s);
/** An attribute holding our own link (the report's URL): escaped, not broken up. */
const forHref = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const COLOUR: Record<RunStatus, number> = {
  ok: 0x2e7d32,
  warning: 0xf9a825,
  critical: 0xc62828,
  error: 0x6a1b9a,
};

const clip = (s: string, max: number) => (s.length <= max ? s : `${s.slice(0, max - 1)}…`);

/** Discord execute-webhook body: `content` for the notification preview, an embed for the rest. */
export function discordPayload(message: NotificationMessage): Record<string, unknown> {
  const description = clip(message.items.map((i) => forDiscord(itemLine(i))).join('\n'), 4000);
  return {
    content: clip(forDiscord(message.title), 2000),
    embeds: [
      {
        title: clip(emailHeader(message.title), 256).replace(/[<>@]/g, ''),
        ...(description ? { description } : {}),
        color: COLOUR[message.status],
        ...(message.link ? { url: message.link } : {}),
      },
    ],
    // No @everyone, @here, role or user ping, whatever the text says.
    allowed_mentions: { parse: [] },
  };
}

/** A Teams "Workflows" webhook body: a message with one Adaptive Card attachment. */
export function teamsPayload(message: NotificationMessage): Record<string, unknown> {
  const colour = { ok: 'Good', warning: 'Warning', critical: 'Attention', error: 'Attention' }[
    message.status
  ];
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          body: [
            {
              type: 'TextBlock',
              text: forTeams(message.title),
              weight: 'Bolder',
              size: 'Medium',
              color: colour,
              wrap: true,
            },
            ...message.items
              .slice(0, 30)
              .map((i) => ({ type: 'TextBlock', text: forTeams(itemLine(i)), wrap: true, spacing: 'Small' })),
          ],
          ...(message.link
            ? { actions: [{ type: 'Action.OpenUrl', title: 'Open the health report', url: message.link }] }
            : {}),
        },
      },
    ],
  };
}

export interface EmailContent {
  subject: string;
  text: string;
  html: string;
}

export function emailContent(message: NotificationMessage): EmailContent {
  const lines = message.items.map(itemLine);
  const link = message.link ? `<p><a href="${forHref(message.link)}">Open the health report</a></p>` : '';
  return {
    // header injection: a subject is one line
    subject: emailHeader(message.title),
    text: forPlain([message.title, '', ...lines, ...(message.link ? ['', message.link] : [])].join('\n')),
    html: `<!doctype html><html><body><h1 style="font-size:1.1em">${forHtml(message.title)}</h1><ul>${lines
      .map((l) => `<li>${forHtml(l)}</li>`)
      .join('')}</ul>${link}</body></html>`,
  };
}
