/**
 * The paging services: PagerDuty Events API v2 and Opsgenie Alert API (bodies in
 * core/render/paging-payloads.ts). The same delivery rules as every other channel
 * (adapters/http-retry.ts): 429 and 5xx retried with Retry-After honoured, bounded; any other 4xx
 * is final. Events go out in order (a trigger before a resolve of the same key). A failure is one
 * line per event and service, and never names the routing key or the API key.
 */
import type { Config } from '../config/schema.js';
import type { PageEvent } from '../core/ports/index.js';
import {
  OPSGENIE_API_URL,
  opsgenieAction,
  opsgenieCreate,
  PAGERDUTY_EVENTS_URL,
  pagerDutyEvent,
} from '../core/render/paging-payloads.js';
import { type RetryPolicy, sendWithRetry } from './http-retry.js';

type Notify = NonNullable<Config['notify']>;

export interface PagingTargets {
  pagerduty?: Notify['pagerduty'];
  opsgenie?: Notify['opsgenie'];
  policy: RetryPolicy;
  now?: () => Date;
}

export async function page(
  targets: PagingTargets,
  events: readonly PageEvent[],
  link?: string,
): Promise<string[]> {
  const failures: string[] = [];
  for (const e of events) {
    for (const channel of e.channels) {
      const error = await deliver(targets, channel, e, link);
      if (error) failures.push(`notify ${channel}: ${e.action} ${e.key.slice(0, 200)}: ${error}`);
    }
  }
  return failures;
}

async function deliver(
  targets: PagingTargets,
  channel: PageEvent['channels'][number],
  e: PageEvent,
  link: string | undefined,
): Promise<string | undefined> {
  if (channel === 'pagerduty') {
    const pd = targets.pagerduty;
    if (!pd) return 'not configured';
    const at = targets.now?.();
    const body = pagerDutyEvent(e, pd.routing_key, { ...(link ? { link } : {}), ...(at ? { at } : {}) });
    return post(pd.url ?? PAGERDUTY_EVENTS_URL, body, {}, targets.policy);
  }
  const og = targets.opsgenie;
  if (!og) return 'not configured';
  const base = (og.url ?? OPSGENIE_API_URL).replace(/\/+$/, '');
  const auth = { authorization: `GenieKey ${og.api_key}` };
  if (e.action === 'trigger')
    return post(`${base}/v2/alerts`, opsgenieCreate(e, link ? { link } : {}), auth, targets.policy);
  const action = opsgenieAction(e);
  return post(`${base}${action.path}`, action.body, auth, targets.policy);
}

async function post(
  url: string,
  body: unknown,
  headers: Record<string, string>,
  policy: RetryPolicy,
): Promise<string | undefined> {
  const result = await sendWithRetry(
    (signal) =>
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
        signal,
      }),
    policy,
  );
  return result.ok ? undefined : result.error;
}
