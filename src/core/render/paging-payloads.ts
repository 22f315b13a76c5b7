/**
 * Request bodies of the two paging services (pure), on their documented wire formats:
 *
 * - PagerDuty Events API v2 (https://developer.pagerduty.com/docs/send-alert-event, OpenAPI in
 *   PagerDuty/api-schema reference/events-v2/openapiv3.json): POST /v2/enqueue with
 *   `routing_key`, `event_action` trigger|acknowledge|resolve, `dedup_key` (≤ 255 characters), and
 *   for a trigger `payload` { summary ≤ 1024, source, severity critical|error|warning|info, … }.
 * - Opsgenie Alert API v2 (https://docs.opsgenie.com/docs/alert-api, opsgenie/opsgenie-oas
 *   definitions/alert.yaml): POST /v2/alerts { message ≤ 130, alias ≤ 512, description ≤ 15000,
 *   tags ≤ 20 of ≤ 50, details (≤ 8000 in all), entity ≤ 512, source ≤ 100, priority P1–P5 }, and
 *   POST /v2/alerts/{alias}/close|acknowledge?identifierType=alias { source, note }.
 *
 * The dedup key and the alias are the incident's root fingerprint, so trigger → resolve and
 * create → close carry the same key (a fingerprint longer than a service allows is cut and given
 * a hash of the whole, the same way every time); a key is an identifier, sent as it is. Texts are
 * server text: plain (no control, bidi or ANSI characters), links and mentions broken, one line
 * where the service shows one line, and bounded (untrusted-text.ts `pagingText`).
 */
import { createHash } from 'node:crypto';
import type { PageEvent } from '../ports/index.js';
import { oneLine, pagingText } from './untrusted-text.js';

export const PAGERDUTY_EVENTS_URL = 'https://events.pagerduty.com/v2/enqueue';
export const OPSGENIE_API_URL = 'https://api.opsgenie.com';

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
/** Well-formed UTF-16 (a URL path and a JSON string must be encodable). */
const wellFormed = (s: string) => s.replace(LONE_SURROGATE, '\ufffd');

/** A key within `max` characters: as it is when it fits, else a prefix and a hash of the whole. */
export function boundedKey(key: string, max: number): string {
  const whole = wellFormed(key);
  if (whole.length <= max) return whole;
  const hash = createHash('sha256').update(whole).digest('hex').slice(0, 16);
  return `${wellFormed(whole.slice(0, max - hash.length - 1))}#${hash}`;
}

const clip = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

function title(e: PageEvent): string {
  const more = e.dependants?.length
    ? ` (+${e.dependants.length} dependant${e.dependants.length === 1 ? '' : 's'})`
    : '';
  return `[${e.severity}] ${e.server}: ${e.summary}${more}`;
}

/** What the responder reads under the title: the same facts for both services. */
function detailLines(e: PageEvent, link: string | undefined): [string, string][] {
  const lines: [string, string][] = [['fingerprint', e.key]];
  if (e.since) lines.push(['since', e.since]);
  if (e.dependants?.length) lines.push(['dependants', e.dependants.join('\n')]);
  if (e.tried?.length) lines.push(['tried', e.tried.join('\n')]);
  if (e.note) lines.push(['note', e.note]);
  if (link) lines.push(['report', link]);
  return lines.map(([k, v]) => [k, k === 'report' ? v : pagingText(v, 2_000)]);
}

/** One Events API v2 event. */
export function pagerDutyEvent(
  e: PageEvent,
  routingKey: string,
  options: { link?: string; at?: Date } = {},
): Record<string, unknown> {
  const body: Record<string, unknown> = {
    routing_key: routingKey,
    event_action: e.action,
    dedup_key: boundedKey(e.key, 255),
  };
  if (e.action !== 'trigger') return body;
  return {
    ...body,
    payload: {
      summary: pagingText(title(e), 1_024, true),
      source: oneLine(e.server, 255),
      severity: e.severity === 'critical' ? 'critical' : 'warning',
      ...(options.at ? { timestamp: options.at.toISOString() } : {}),
      ...(e.target && e.target !== '-' ? { component: pagingText(e.target, 255, true) } : {}),
      ...(e.check ? { class: oneLine(e.check, 255) } : {}),
      group: oneLine(e.server, 255),
      custom_details: Object.fromEntries(detailLines(e, options.link)),
    },
    client: 'ClaudeOps',
    ...(options.link
      ? { client_url: options.link, links: [{ href: options.link, text: 'Health report' }] }
      : {}),
  };
}

const OPSGENIE_PRIORITY = { critical: 'P1', warning: 'P3' } as const;

/** Opsgenie's create-alert body. */
export function opsgenieCreate(e: PageEvent, options: { link?: string } = {}): Record<string, unknown> {
  const details = detailLines(e, options.link);
  // the whole details map is bounded (8000 characters): long values are cut, in order
  let budget = 7_500;
  const bounded = details.map(([k, v]): [string, string] => {
    const value = clip(v, Math.max(20, Math.min(v.length, budget)));
    budget -= k.length + value.length;
    return [k, value];
  });
  const text = [
    title(e),
    e.since ? `Open since ${e.since}.` : '',
    e.dependants?.length
      ? `\nAlso failing because of it:\n${e.dependants.map((d) => `- ${d}`).join('\n')}`
      : '',
    e.tried?.length ? `\nWhat automatic actions tried:\n${e.tried.map((t) => `- ${t}`).join('\n')}` : '',
  ]
    .filter(Boolean)
    .join('\n');
  // our own link stays a link; the rest is server text
  const report = options.link ? `\n\nHealth report: ${options.link}` : '';
  const description = `${pagingText(text, 15_000 - report.length)}${report}`;
  return {
    message: pagingText(title(e), 130, true),
    alias: boundedKey(e.key, 512),
    description,
    tags: ['claudeops', `severity:${e.severity}`, oneLine(`server:${e.server}`, 50)],
    details: Object.fromEntries(bounded),
    entity: oneLine(e.server, 512),
    source: 'ClaudeOps',
    priority: OPSGENIE_PRIORITY[e.severity],
  };
}

/** Path (under the API base) and body of Opsgenie's close or acknowledge by alias. */
export function opsgenieAction(e: PageEvent): { path: string; body: Record<string, unknown> } {
  const verb = e.action === 'resolve' ? 'close' : 'acknowledge';
  return {
    path: `/v2/alerts/${encodeURIComponent(boundedKey(e.key, 512))}/${verb}?identifierType=alias`,
    body: { source: 'ClaudeOps', note: pagingText(e.note ?? verb, 25_000) },
  };
}
