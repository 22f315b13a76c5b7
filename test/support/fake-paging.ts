/**
 * PagerDuty and Opsgenie stand-ins on loopback, speaking their wire formats: every request body is
 * validated against the service's documented schema (test/fixtures/schemas/pagerduty-events-v2 and
 * opsgenie-alert-v2, each saying where it was written from) and answered as the service answers
 * (PagerDuty 202 {status, message, dedup_key} / 400; Opsgenie 202 {result, took, requestId} / 401
 * / 422). Both keep state — which alerts are open, under which key — so a test can follow one
 * incident from trigger to resolve. Anything the real service would refuse is a recorded violation.
 *
 *   const pd = await startFakePaging();  // config: pagerduty.url = pd.pagerdutyUrl, opsgenie.url = pd.opsgenieUrl
 *   expect(pd.violations).toEqual([]);
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';

const SCHEMAS = join(import.meta.dirname, '../fixtures/schemas');

function compile(file: string, ref?: string): ValidateFunction {
  const schema = JSON.parse(readFileSync(join(SCHEMAS, file), 'utf8')) as Record<string, unknown>;
  const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false });
  ajv.addSchema(schema, file);
  return ref ? (ajv.getSchema(`${file}#/definitions/${ref}`) as ValidateFunction) : ajv.compile(schema);
}

export const pagerDutySchema = () => compile('pagerduty-events-v2.schema.json');
export const opsgenieCreateSchema = () => compile('opsgenie-alert-v2.schema.json', 'create');
export const opsgenieActionSchema = () => compile('opsgenie-alert-v2.schema.json', 'action');

/** Validation errors as lines, empty when the body is valid. */
export function problems(validate: ValidateFunction, body: unknown): string[] {
  if (validate(body)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? 'invalid'}`);
}

export interface PagingRequest {
  service: 'pagerduty' | 'opsgenie';
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown>;
  status: number;
}

export interface OpenAlert {
  key: string;
  severity?: string;
  summary: string;
  events: string[];
  status: 'triggered' | 'acknowledged' | 'resolved';
}

export interface FakePaging {
  pagerdutyUrl: string;
  opsgenieUrl: string;
  routingKey: string;
  apiKey: string;
  requests: PagingRequest[];
  violations: string[];
  /** PagerDuty alerts by dedup_key, Opsgenie alerts by alias */
  pagerduty: Map<string, OpenAlert>;
  opsgenie: Map<string, OpenAlert>;
  /** the next `times` requests to `service` answer `status` (429 with Retry-After: 0, or 5xx) */
  fail(service: 'pagerduty' | 'opsgenie', status: number, times?: number): void;
  stop(): Promise<void>;
}

export async function startFakePaging(
  options: { routingKey?: string; apiKey?: string } = {},
): Promise<FakePaging> {
  const routingKey = options.routingKey ?? 'R0UT1NGKEY0123456789abcdefabcdef';
  const apiKey = options.apiKey ?? 'eb243592-faa2-4ba2-a551-1afdf565c889';
  const pd = pagerDutySchema();
  const ogCreate = opsgenieCreateSchema();
  const ogAction = opsgenieActionSchema();
  const requests: PagingRequest[] = [];
  const violations: string[] = [];
  const pagerduty = new Map<string, OpenAlert>();
  const opsgenie = new Map<string, OpenAlert>();
  const faults: { service: string; status: number; times: number }[] = [];
  let requestNo = 0;

  const answer = (
    service: 'pagerduty' | 'opsgenie',
    req: IncomingMessage,
    raw: string,
  ): [number, unknown] => {
    const fault = faults.find((f) => f.service === service && f.times > 0);
    if (fault) {
      fault.times -= 1;
      return [fault.status, { status: 'throttled', message: 'fault injected' }];
    }
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      violations.push(`${service}: body is not JSON`);
      return [
        400,
        { status: 'invalid event', message: 'Event object is invalid', errors: ['JSON parse error'] },
      ];
    }
    const url = new URL(req.url ?? '/', 'http://fake');
    if (service === 'pagerduty') {
      if (req.method !== 'POST' || url.pathname !== '/v2/enqueue') {
        violations.push(`pagerduty: ${req.method} ${url.pathname} is not the Events API v2 endpoint`);
        return [404, { status: 'not found' }];
      }
      const wrong = problems(pd, body);
      if (body.routing_key !== routingKey) wrong.push('routing_key is not the integration key');
      if (wrong.length > 0) {
        violations.push(...wrong.map((p) => `pagerduty: ${p}`));
        return [400, { status: 'invalid event', message: 'Event object is invalid', errors: wrong }];
      }
      const key = String(body.dedup_key ?? `auto-${requestNo}`);
      const action = String(body.event_action);
      const payload = body.payload as Record<string, unknown> | undefined;
      const alert = pagerduty.get(key);
      if (action === 'trigger') {
        if (alert && alert.status !== 'resolved') alert.events.push('trigger');
        else
          pagerduty.set(key, {
            key,
            severity: String(payload?.severity),
            summary: String(payload?.summary),
            events: ['trigger'],
            status: 'triggered',
          });
      } else if (alert) {
        alert.events.push(action);
        alert.status = action === 'resolve' ? 'resolved' : 'acknowledged';
      }
      return [202, { status: 'success', message: 'Event processed', dedup_key: key }];
    }
    if (req.headers.authorization !== `GenieKey ${apiKey}`)
      return [401, { message: 'Could not authenticate', took: 0, requestId: `r${requestNo}` }];
    const accepted: [number, unknown] = [
      202,
      { result: 'Request will be processed', took: 0.01, requestId: `r${requestNo}` },
    ];
    if (req.method === 'POST' && url.pathname === '/v2/alerts') {
      const wrong = problems(ogCreate, body);
      const details = Object.entries((body.details ?? {}) as Record<string, string>);
      const detailChars = details.reduce((n, [k, v]) => n + k.length + v.length, 0);
      if (detailChars > 8000) wrong.push(`details hold ${detailChars} characters, more than 8000`);
      if (wrong.length > 0) {
        violations.push(...wrong.map((p) => `opsgenie create: ${p}`));
        return [422, { message: wrong.join('; '), took: 0, requestId: `r${requestNo}` }];
      }
      const key = String(body.alias ?? body.message);
      const alert = opsgenie.get(key);
      if (alert && alert.status !== 'resolved') alert.events.push('create');
      else
        opsgenie.set(key, {
          key,
          severity: String(body.priority),
          summary: String(body.message),
          events: ['create'],
          status: 'triggered',
        });
      return accepted;
    }
    const m = /^\/v2\/alerts\/([^/]+)\/(close|acknowledge)$/.exec(url.pathname);
    if (req.method === 'POST' && m) {
      if (url.searchParams.get('identifierType') !== 'alias')
        violations.push(
          `opsgenie ${m[2]}: identifierType=alias missing (the identifier would be read as an id)`,
        );
      const wrong = problems(ogAction, body);
      if (wrong.length > 0) {
        violations.push(...wrong.map((p) => `opsgenie ${m[2]}: ${p}`));
        return [422, { message: wrong.join('; '), took: 0, requestId: `r${requestNo}` }];
      }
      // Opsgenie accepts the request and processes it later; an unknown alias fails there, silently
      const alert = opsgenie.get(decodeURIComponent(m[1] ?? ''));
      if (alert) {
        alert.events.push(m[2] ?? '');
        alert.status = m[2] === 'close' ? 'resolved' : 'acknowledged';
      }
      return accepted;
    }
    violations.push(`opsgenie: ${req.method} ${url.pathname} is not an Alert API route this tool uses`);
    return [404, { message: 'not found' }];
  };

  const listen = (service: 'pagerduty' | 'opsgenie'): Promise<Server> =>
    new Promise((resolve) => {
      const server = createServer(async (req, res) => {
        let raw = '';
        for await (const chunk of req) raw += chunk;
        requestNo += 1;
        const [status, reply] = answer(service, req, raw);
        let body: Record<string, unknown> = {};
        try {
          body = JSON.parse(raw) as Record<string, unknown>;
        } catch {}
        requests.push({
          service,
          method: req.method ?? '',
          path: req.url ?? '',
          headers: req.headers,
          body,
          status,
        });
        res.writeHead(status, {
          'content-type': 'application/json',
          ...(status === 429 ? { 'retry-after': '0' } : {}),
        });
        res.end(JSON.stringify(reply));
      });
      server.listen(0, '127.0.0.1', () => resolve(server));
    });
  const pdServer = await listen('pagerduty');
  const ogServer = await listen('opsgenie');
  const port = (s: Server) => (s.address() as AddressInfo).port;
  return {
    pagerdutyUrl: `http://127.0.0.1:${port(pdServer)}/v2/enqueue`,
    opsgenieUrl: `http://127.0.0.1:${port(ogServer)}`,
    routingKey,
    apiKey,
    requests,
    violations,
    pagerduty,
    opsgenie,
    fail: (service, status, times = 1) => faults.push({ service, status, times }),
    stop: async () => {
      for (const s of [pdServer, ogServer]) {
        s.closeAllConnections();
        await new Promise<void>((resolve) => s.close(() => resolve()));
      }
    },
  };
}
