/**
 * The runner's GET over a forwarded connection, against real sockets: a loopback TCP connection
 * stands in for the SSH channel (a Duplex either way), the servers are raw `net` servers so each
 * misbehaviour is exactly the bytes written. The outcome goes through channelBlock and the
 * endpoints probe's own parser, as the collector does.
 */

import type { AddressInfo } from 'node:net';
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BODY_LIMIT } from '../../../src/adapters/body-reader.js';
import { httpOverChannel } from '../../../src/adapters/http-over-channel.js';
import type { EndpointConfig } from '../../../src/config/schema.js';
import { type ChannelResponse, ForwardError } from '../../../src/core/ports/index.js';
import { channelBlock, type EndpointResult, endpointsProbe } from '../../../src/probes/endpoints.js';
import { server } from '../probes/helpers.js';

/** Each path's raw answer; a function gets the socket to misbehave over time. */
const ANSWERS: Record<string, string | ((s: Socket) => void)> = {
  '/health': 'HTTP/1.1 200 OK\r\nContent-Length: 21\r\n\r\nstatus: ok\nline 2\nl3\n',
  '/redirect': 'HTTP/1.1 301 Moved\r\nLocation: /health\r\nContent-Length: 0\r\n\r\n',
  '/chunked': 'HTTP/1.1 503 Busy\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nbusy\n\r\n0\r\n\r\n',
  '/empty': (s) => s.destroy(),
  '/garbage': 'SSH-2.0-OpenSSH_9.2\r\n\r\n',
  '/short': 'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this',
  '/hang': () => undefined,
  '/drip': (s) => {
    s.write('HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n');
    const timer = setInterval(() => (s.writable ? s.write('x') : clearInterval(timer)), 20);
    s.on('close', () => clearInterval(timer));
  },
  '/huge': (s) => {
    s.write('HTTP/1.1 200 OK\r\n\r\n');
    const block = Buffer.alloc(64 * 1024, 'a');
    const more = () => {
      while (s.writable && s.write(block));
    };
    s.on('drain', more);
    s.on('error', () => undefined);
    more();
  },
};

let raw: Server;
let port = 0;
const requests: string[] = [];

beforeAll(async () => {
  raw = createServer((socket) => {
    socket.on('error', () => undefined);
    let head = '';
    socket.on('data', (d) => {
      head += d;
      if (!head.includes('\r\n\r\n')) return;
      requests.push(head);
      const path = head.split(' ')[1] ?? '';
      const answer = ANSWERS[path];
      if (typeof answer === 'string') socket.end(answer);
      else answer?.(socket);
    });
  });
  await new Promise<void>((r) => raw.listen(0, '127.0.0.1', r));
  port = (raw.address() as AddressInfo).port;
});

afterAll(() => new Promise((r) => raw.close(r)));

function endpoint(path: string, extra: Record<string, unknown> = {}): EndpointConfig {
  const [config] = server({ endpoints: [{ url: `http://127.0.0.1:${port}${path}`, ...extra }] }).endpoints;
  if (!config) throw new Error('schema dropped the endpoint');
  return config;
}

/** A loopback connection as the channel: resolves once connected, as a channel opens once sshd has. */
function channel(): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

async function judged(e: EndpointConfig, response: ChannelResponse): Promise<EndpointResult> {
  const cfg = server({ endpoints: [{ url: e.url, ...(e.contains ? { contains: e.contains } : {}) }] });
  const { endpoints } = endpointsProbe.parse(channelBlock(0, e, response), cfg);
  return endpoints[0] as EndpointResult;
}

async function fetched(path: string, extra: Record<string, unknown> = {}, open = channel()) {
  const e = endpoint(path, extra);
  const response = await httpOverChannel(e, open, performance.now());
  return { response, result: await judged(e, response) };
}

describe('GET over a forwarded connection', () => {
  it('an endpoint that is up: status, contains over the body, the first two lines as excerpt, curl-like request', async () => {
    const { result } = await fetched('/health', { contains: 'l3' });
    expect(result).toMatchObject({ status: 200, contains: true, excerpt: 'status: ok\nline 2' });
    expect(result.latencyMs).toBeGreaterThanOrEqual(0);
    const sent = requests.find((r) => r.startsWith('GET /health '));
    expect(sent).toMatch(/^GET \/health HTTP\/1\.1\r\n/);
    expect(sent).toContain(`Host: 127.0.0.1:${port}\r\n`);
    expect(sent).not.toMatch(/accept-encoding/i);
  });

  it('status as received: no redirect followed, chunked body decoded', async () => {
    expect((await fetched('/redirect')).result).toMatchObject({ status: 301 });
    expect((await fetched('/chunked', { contains: 'busy' })).result).toMatchObject({
      status: 503,
      contains: true,
      excerpt: 'busy',
    });
  });

  it('a refused connection on the server is the endpoint being down, in curl words', async () => {
    const refused = Promise.reject(new ForwardError('Connection refused', 'connect-failed'));
    expect((await fetched('/health', {}, refused)).result).toMatchObject({
      error: 'connection refused or host unreachable',
    });
    const unknown = Promise.reject(new ForwardError('Name or service not known', 'connect-failed'));
    expect((await fetched('/health', {}, unknown)).result).toMatchObject({ error: 'could not resolve host' });
  });

  it('one deadline for the whole transfer: a silent server, a drip-feeding one, a channel that never opens', async () => {
    for (const [path, open] of [
      ['/hang', channel()],
      ['/drip', channel()],
      ['/health', new Promise<Duplex>(() => undefined)],
    ] as const) {
      const started = performance.now();
      const { result } = await fetched(path, { timeout: '400ms' }, open);
      expect(result, path).toMatchObject({ error: 'timed out', timedOut: true });
      expect(performance.now() - started, path).toBeLessThan(3000);
    }
  });

  it('no reply, a non-HTTP reply and a short body each fail as curl does', async () => {
    expect((await fetched('/empty')).result.error).toBe('empty reply from server');
    expect((await fetched('/garbage')).result.error).toBe('not an HTTP response');
    expect((await fetched('/short')).result.error).toBe(
      'response cut short (connection closed before the whole body)',
    );
  });

  it('reads an endless body only up to the cap', async () => {
    const { response, result } = await fetched('/huge', { contains: 'b', timeout: '20s' });
    expect(response.failure).toBeUndefined();
    expect(Buffer.byteLength(response.body)).toBe(BODY_LIMIT);
    expect(result).toMatchObject({ status: 200, contains: false });
  });
});
