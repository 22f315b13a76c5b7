/**
 * The runner's HTTP GET for a `from: server` http:// endpoint, over a connection the server made
 * (RemoteShell.forward: a direct-tcpip channel of the collection's SSH connection). It means what
 * curl on the server meant: one deadline for the whole transfer (curl --max-time) counted from
 * the channel's request, no redirects followed, the status as received, the body read up to
 * BODY_LIMIT. Its outcome is written as curl's would have been (channelBlock in
 * probes/endpoints.ts), so the endpoints probe parses, redacts and judges both alike.
 */
import { type IncomingMessage, request } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { EndpointConfig } from '../config/schema.js';
import { type ChannelHttp, type ChannelResponse, ForwardError } from '../core/ports/index.js';
import { decoded, readCapped } from './body-reader.js';
import { runnerDeadline } from './runner-deadline.js';

/** curl accepts header lines up to 100 KiB; node's default (16 KiB in all) would fail pages curl reads. */
const MAX_HEADER_BYTES = 100 * 1024;

export const httpOverChannel: ChannelHttp = async (endpoint, channel, started) => {
  const chunks: Uint8Array[] = [];
  // the runner's own stalls are not the server's latency (runner-deadline.ts)
  const deadline = runnerDeadline(endpoint.timeout, started);
  // a channel that opens after the deadline, or is left open by an error, is closed here
  const opened = channel.then((stream) => {
    if (deadline.signal.aborted) stream.destroy();
    return stream;
  });
  opened.catch(() => undefined);
  let status: number | undefined;
  try {
    // every wait ends at the deadline, whatever the stream or the parser does (or fails to say)
    const stream = await untilAborted(opened, deadline.signal);
    const response = await untilAborted(get(endpoint, stream, deadline.signal), deadline.signal);
    status = response.statusCode;
    await untilAborted(readCapped(response, chunks), deadline.signal);
    return { status, latencyMs: deadline.elapsedMs(), body: decoded(chunks) };
  } catch (error) {
    const failure = deadline.signal.aborted ? 'timeout' : failureOf(error, status !== undefined);
    return {
      ...(status !== undefined ? { status } : {}),
      latencyMs: deadline.elapsedMs(),
      body: decoded(chunks),
      failure,
    };
  } finally {
    deadline.cancel();
    opened.then((stream) => stream.destroy()).catch(() => undefined);
  }
};

function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise((resolve, reject) => {
    const abort = () => reject(signal.reason);
    signal.addEventListener('abort', abort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', abort));
  });
}

/** One GET over the stream as curl sends it (no Accept-Encoding: the body arrives as served). */
function get(endpoint: EndpointConfig, stream: Duplex, signal: AbortSignal): Promise<IncomingMessage> {
  const url = new URL(endpoint.url);
  const auth = url.username
    ? `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`
    : undefined;
  return new Promise((resolve, reject) => {
    const req = request({
      method: 'GET',
      host: url.hostname,
      path: `${url.pathname}${url.search}`,
      headers: { Host: url.host, 'User-Agent': 'claudeops', Accept: '*/*', Connection: 'close' },
      ...(auth ? { auth } : {}),
      // node's strict parser (not insecureHTTPParser, which would also take a NUL in a header, a
      // bare CR, Content-Length beside chunked): LF-only heads and folded headers, which curl
      // accepts, are a protocol error here (test/fixtures/http-hostile: knownWrong.channel)
      maxHeaderSize: MAX_HEADER_BYTES,
      createConnection: () => stream as Socket,
      signal,
    });
    req.once('response', resolve);
    req.once('error', reject);
    // 101 Switching Protocols nobody asked for: not an HTTP answer (node emits no response for it)
    req.once('upgrade', (_res, socket) => {
      socket.destroy();
      reject(new InvalidResponse('unasked protocol switch'));
    });
    req.end();
  });
}

class InvalidResponse extends Error {}

/** What went wrong, in the words curl's exit codes carry (CURL_ERRORS in probes/endpoints.ts). */
function failureOf(error: unknown, responded: boolean): NonNullable<ChannelResponse['failure']> {
  if (error instanceof ForwardError)
    return /resolve|not known|no address|name/i.test(error.message) ? 'resolve' : 'refused';
  const code = (error as { code?: string } | undefined)?.code ?? '';
  if (code === 'HPE_HEADER_OVERFLOW') return 'headers';
  // the first bytes are not `HTTP/1.x`: another protocol's banner, HTTP/0.9, a TLS record
  if (!responded && (code === 'HPE_INVALID_CONSTANT' || code === 'HPE_INVALID_VERSION')) return 'not-http';
  if (error instanceof InvalidResponse || code.startsWith('HPE_')) return 'invalid';
  if (responded) return 'partial';
  // node says "socket hang up" for a close before a whole head (curl's "empty reply from server");
  // a reset the channel reports (a TCP RST) stays a reset
  return (error as Error | undefined)?.message === 'socket hang up' ? 'empty' : 'reset';
}
