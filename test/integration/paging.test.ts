/**
 * PagerDuty Events API v2 and Opsgenie Alert API on their wire formats: every body validated
 * against the service's documented schema (test/fixtures/schemas), delivered over real HTTP to
 * stateful stand-ins, with the retry rules of every other channel, and the keys kept out of every
 * message.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { page } from '../../src/adapters/paging.js';
import { notifierFor } from '../../src/compose.js';
import { parseConfig } from '../../src/config/parse-config.js';
import type { PageEvent } from '../../src/core/alerting/alert-plan.js';
import {
  boundedKey,
  opsgenieAction,
  opsgenieCreate,
  pagerDutyEvent,
} from '../../src/core/render/paging-payloads.js';
import {
  type FakePaging,
  opsgenieActionSchema,
  opsgenieCreateSchema,
  pagerDutySchema,
  problems,
  startFakePaging,
} from '../support/fake-paging.js';

const LINK = 'https://github.example/acme/fleet/blob/claudeops-state/health/2026-11-21/020000-1.md';

function trigger(over: Partial<PageEvent> = {}): PageEvent {
  return {
    action: 'trigger',
    key: 'db1/service/postgresql',
    channels: ['pagerduty', 'opsgenie'],
    server: 'db1',
    severity: 'critical',
    summary: 'postgresql is inactive (dead)',
    check: 'service',
    target: 'postgresql',
    dependants: [
      'app1/endpoint/http://127.0.0.1:8091/health: HTTP 503',
      'app1/endpoint/http://127.0.0.1:8092/health: HTTP 503',
    ],
    since: '2026-11-21T02:00:00.000Z',
    tried: ['restart-service:postgresql on db1 ×3 (last: not-fixed, circuit breaker open)'],
    ...over,
  };
}

const hostile = 'x'.repeat(20_000);
const EVENTS: [string, PageEvent][] = [
  ['a trigger with dependants and tried actions', trigger()],
  ['a warning trigger without extras', trigger({ severity: 'warning', dependants: [], tried: [] })],
  [
    'a trigger with 20 000-character texts and a 600-character key',
    trigger({
      key: `web1/endpoint/${'k'.repeat(600)}`,
      summary: hostile,
      dependants: [hostile, hostile],
      tried: [hostile],
      note: hostile,
    }),
  ],
  ['control, bidi and ANSI characters', trigger({ summary: 'a\u0000b\u202ec\u001b[31md\r\ne' })],
  [
    'an acknowledge',
    { ...trigger({ action: 'acknowledge', note: 'acknowledged by @maintainer on GitHub' }) },
  ],
  ['a resolve', { ...trigger({ action: 'resolve', note: 'resolved: the check passes again' }) }],
];

describe('payloads against the services’ documented schemas', () => {
  const pd = pagerDutySchema();
  const ogCreate = opsgenieCreateSchema();
  const ogAction = opsgenieActionSchema();

  it.each(EVENTS)('%s', (_name, e) => {
    const pdBody = pagerDutyEvent(e, 'R0UTINGKEY', { link: LINK, at: new Date('2026-11-21T02:30:00Z') });
    expect(problems(pd, pdBody)).toEqual([]);
    expect(pdBody.dedup_key).toBe(boundedKey(e.key, 255));
    if (e.action === 'trigger') {
      const og = opsgenieCreate(e, { link: LINK });
      expect(problems(ogCreate, og)).toEqual([]);
      const details = Object.entries(og.details as Record<string, string>);
      expect(details.reduce((n, [k, v]) => n + k.length + v.length, 0)).toBeLessThanOrEqual(8000);
      expect(og.alias).toBe(boundedKey(e.key, 512));
    } else {
      const action = opsgenieAction(e);
      expect(problems(ogAction, action.body)).toEqual([]);
      expect(action.path).toBe(
        `/v2/alerts/${encodeURIComponent(boundedKey(e.key, 512))}/${e.action === 'resolve' ? 'close' : 'acknowledge'}?identifierType=alias`,
      );
    }
  });

  it('the schemas are not a formality: they refuse what the services refuse', () => {
    const good = pagerDutyEvent(trigger(), 'R0UTINGKEY') as Record<string, unknown>;
    expect(problems(pd, { ...good, event_action: 'page' })).not.toEqual([]);
    expect(problems(pd, { ...good, payload: undefined })).not.toEqual([]);
    expect(problems(pd, { routing_key: 'k', event_action: 'resolve' })).not.toEqual([]);
    expect(problems(pd, { ...good, dedup_key: 'k'.repeat(256) })).not.toEqual([]);
    const og = opsgenieCreate(trigger());
    expect(problems(ogCreate, { ...og, message: 'm'.repeat(131) })).not.toEqual([]);
    expect(problems(ogCreate, { ...og, priority: 'P0' })).not.toEqual([]);
    expect(problems(ogCreate, { ...og, tags: Array.from({ length: 21 }, (_, i) => `t${i}`) })).not.toEqual(
      [],
    );
  });

  it('keys are the fingerprint as it is; a too-long one is cut the same way every time', () => {
    expect(boundedKey('db1/service/postgresql', 255)).toBe('db1/service/postgresql');
    const long = `web1/endpoint/${'k'.repeat(600)}`;
    expect(boundedKey(long, 255)).toHaveLength(255);
    expect(boundedKey(long, 255)).toBe(boundedKey(long, 255));
    expect(boundedKey(long, 255)).not.toBe(boundedKey(`${long}x`, 255));
  });
});

describe('delivery over HTTP', () => {
  let fake: FakePaging;
  const targets = () => ({
    pagerduty: { routing_key: fake.routingKey, url: fake.pagerdutyUrl },
    opsgenie: { api_key: fake.apiKey, url: fake.opsgenieUrl },
    policy: { timeoutMs: 5_000, baseDelayMs: 1, sleep: async () => {} },
  });
  beforeAll(async () => {
    fake = await startFakePaging();
  });
  afterAll(() => fake.stop());
  beforeEach(() => {
    fake.requests.length = 0;
    fake.violations.length = 0;
  });

  it('trigger → acknowledge → resolve carries one key on PagerDuty; create → acknowledge → close one alias on Opsgenie', async () => {
    const e = trigger();
    expect(await page(targets(), [e], LINK)).toEqual([]);
    expect(fake.pagerduty.get(e.key)?.status).toBe('triggered');
    expect(fake.opsgenie.get(e.key)?.status).toBe('triggered');
    await page(targets(), [{ ...e, action: 'acknowledge', note: 'acknowledged by @maintainer' }]);
    expect(fake.pagerduty.get(e.key)?.status).toBe('acknowledged');
    await page(targets(), [{ ...e, action: 'resolve', note: 'resolved' }]);
    expect(fake.pagerduty.get(e.key)).toMatchObject({
      status: 'resolved',
      events: ['trigger', 'acknowledge', 'resolve'],
    });
    expect(fake.opsgenie.get(e.key)).toMatchObject({
      status: 'resolved',
      events: ['create', 'acknowledge', 'close'],
    });
    expect(fake.violations).toEqual([]);
    expect(fake.requests.every((r) => r.status === 202)).toBe(true);
    const og = fake.requests.find((r) => r.service === 'opsgenie');
    expect(og?.headers.authorization).toBe(`GenieKey ${fake.apiKey}`);
  });

  it('retries 429 and 5xx as every channel does, then delivers', async () => {
    fake.fail('pagerduty', 429, 1);
    fake.fail('pagerduty', 502, 1);
    fake.fail('opsgenie', 503, 2);
    const e = trigger({ key: 'web1/service/nginx' });
    expect(await page(targets(), [e])).toEqual([]);
    expect(fake.requests.filter((r) => r.service === 'pagerduty').map((r) => r.status)).toEqual([
      429, 502, 202,
    ]);
    expect(fake.requests.filter((r) => r.service === 'opsgenie').map((r) => r.status)).toEqual([
      503, 503, 202,
    ]);
  });

  it('a 4xx is final: one request, one line that names neither key', async () => {
    const wrong = {
      ...targets(),
      pagerduty: { routing_key: 'not-the-key-0123456789', url: fake.pagerdutyUrl },
      opsgenie: { api_key: 'also-not-the-key-0123456789', url: fake.opsgenieUrl },
    };
    const failures = await page(wrong, [trigger({ key: 'web1/disk/-' })]);
    expect(failures).toEqual([
      'notify pagerduty: trigger web1/disk/-: HTTP 400',
      'notify opsgenie: trigger web1/disk/-: HTTP 401',
    ]);
    expect(fake.requests).toHaveLength(2);
    for (const f of failures) {
      expect(f).not.toContain('not-the-key');
      expect(f).not.toContain(fake.routingKey);
    }
  });

  it('gives up after the attempts and says so, keeping the order of the events', async () => {
    fake.fail('pagerduty', 500, 3);
    const failures = await page({ ...targets(), opsgenie: undefined }, [
      trigger({ key: 'a/b/c', channels: ['pagerduty'] }),
      { ...trigger({ key: 'a/b/c', channels: ['pagerduty'] }), action: 'resolve' },
    ]);
    expect(failures).toEqual(['notify pagerduty: trigger a/b/c: HTTP 500 after 3 attempts']);
    expect(fake.requests.map((r) => `${r.body.event_action}:${r.status}`)).toEqual([
      'trigger:500',
      'trigger:500',
      'trigger:500',
      'resolve:202',
    ]);
  });

  it('the composition root wires both services from the config, keys read from the environment', async () => {
    const config = parseConfig(
      [
        'version: 1',
        'servers: [{ name: db1, transport: local }]',
        'notify:',
        `  pagerduty: { routing_key: "\${PD_KEY}", url: "${fake.pagerdutyUrl}" }`,
        `  opsgenie: { api_key: "\${OG_KEY}", url: "${fake.opsgenieUrl}" }`,
      ].join('\n'),
      'claudeops.yml',
      { PD_KEY: fake.routingKey, OG_KEY: fake.apiKey },
    );
    const notifier = notifierFor(config, {});
    expect(notifier?.page).toBeDefined();
    expect(await notifier?.page?.([trigger({ key: 'db1/service/x' })], LINK)).toEqual([]);
    expect(fake.pagerduty.has('db1/service/x')).toBe(true);
    expect(fake.opsgenie.has('db1/service/x')).toBe(true);
    expect(fake.violations).toEqual([]);
  });
});
