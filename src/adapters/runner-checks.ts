/**
 * Checks made from the runner itself with node I/O, for what is better seen from outside:
 * endpoints with `from: runner` (fetch) and TLS certificate expiry (node:tls). Results use the
 * same shapes as the server-side probes so evaluation judges both alike; they land in the
 * observation under the probe ids `runner-endpoints` and `runner-certificates`.
 */
import { connect, type PeerCertificate } from 'node:tls';
import type { EndpointConfig, ServerConfig } from '../config/schema.js';
import { errorMessage } from '../core/util/error-message.js';
import { redact } from '../core/util/redact.js';
import type { EndpointResult, EndpointsData } from '../probes/endpoints.js';
import {
  type CertificateResult,
  type CertificatesData,
  certificateTarget,
  parseOpensslDate,
} from '../probes/tls-certificates.js';
import { readCapped } from './body-reader.js';
import { runnerDeadline } from './runner-deadline.js';

export const RUNNER_ENDPOINTS = 'runner-endpoints';
export const RUNNER_CERTIFICATES = 'runner-certificates';

export interface RunnerCheckResults {
  probes: Record<string, EndpointsData | CertificatesData>;
  errors: Record<string, string>;
}

export interface RunnerCheckOptions {
  /** TLS handshake limit (default 10 s); endpoints use their own configured timeout */
  tlsTimeoutMs?: number;
}

export async function runnerChecks(
  server: ServerConfig,
  options: RunnerCheckOptions = {},
): Promise<RunnerCheckResults> {
  const results: RunnerCheckResults = { probes: {}, errors: {} };
  const endpoints = server.endpoints.filter((e) => e.from === 'runner');
  const [fetched, certs] = await Promise.all([
    Promise.all(endpoints.map(fetchEndpoint)),
    Promise.all(server.certificates.map((spec) => certificateOf(spec, options.tlsTimeoutMs ?? 10_000))),
  ]);
  if (endpoints.length > 0) results.probes[RUNNER_ENDPOINTS] = { endpoints: fetched };
  if (certs.length > 0) results.probes[RUNNER_CERTIFICATES] = { certificates: certs };
  return results;
}

export async function fetchEndpoint(endpoint: EndpointConfig): Promise<EndpointResult> {
  // the runner's own stalls are not the endpoint's latency (runner-deadline.ts)
  const deadline = runnerDeadline(endpoint.timeout);
  const latency = () => deadline.elapsedMs();
  try {
    const response = await fetch(endpoint.url, { redirect: 'manual', signal: deadline.signal });
    const body = response.body ? await readCapped(response.body) : '';
    const result: EndpointResult = { url: endpoint.url, status: response.status, latencyMs: latency() };
    if (endpoint.contains !== undefined) result.contains = body.includes(endpoint.contains);
    // the body enters the run here: redacted with its lines intact before it is cut to 400
    const excerpt = redact(body.split('\n', 2).join('\n').slice(0, 4096)).slice(0, 400).trim();
    return excerpt ? { ...result, excerpt } : result;
  } catch (error) {
    const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
    return {
      url: endpoint.url,
      latencyMs: latency(),
      error: timedOut ? 'timed out' : describeFetchError(error),
      ...(timedOut ? { timedOut } : {}),
    };
  } finally {
    deadline.cancel();
  }
}

/** fetch wraps the socket error in `cause`; its code says more than "fetch failed". */
function describeFetchError(error: unknown): string {
  const cause =
    error instanceof Error ? (error.cause as { code?: string; message?: string } | undefined) : undefined;
  const words: Record<string, string> = {
    ECONNREFUSED: 'connection refused',
    ENOTFOUND: 'could not resolve host',
    ECONNRESET: 'connection reset',
    EHOSTUNREACH: 'host unreachable',
    CERT_HAS_EXPIRED: 'TLS certificate expired',
    DEPTH_ZERO_SELF_SIGNED_CERT: 'TLS certificate not trusted (self-signed)',
    UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'TLS certificate not trusted',
    UND_ERR_HEADERS_OVERFLOW: 'response headers too large',
    UND_ERR_RES_CONTENT_LENGTH_MISMATCH: 'response body length does not match its Content-Length',
    // undici asserts on what its parser let through (status 000): an invalid response, not a bug report
    ERR_ASSERTION: 'invalid HTTP response',
  };
  if (cause?.code)
    return oneLine(words[cause.code] ?? `${cause.code}${cause.message ? `: ${cause.message}` : ''}`);
  if (cause?.message) return oneLine(cause.message);
  return oneLine(errorMessage(error));
}

/** Error words become a finding's summary: one line, bounded, whatever the parser said. */
function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim().slice(0, 200);
}

/** Handshakes without verifying (we want the expiry even of an untrusted certificate). */
export function certificateOf(spec: string, timeoutMs: number): Promise<CertificateResult> {
  const { host, port, target } = certificateTarget(spec);
  return new Promise((resolve) => {
    const isIp = /^[\d.]+$|:/.test(host);
    const socket = connect({ host, port, rejectUnauthorized: false, ...(isIp ? {} : { servername: host }) });
    const done = (result: CertificateResult) => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(timeoutMs, () =>
      done({ target, error: `no certificate: timed out after ${timeoutMs} ms` }),
    );
    socket.once('error', (error: NodeJS.ErrnoException) =>
      done({ target, error: `no certificate: ${error.code ?? error.message}` }),
    );
    socket.once('secureConnect', () => {
      const cert: PeerCertificate = socket.getPeerCertificate();
      const notAfter = cert.valid_to ? parseOpensslDate(cert.valid_to) : undefined;
      if (!notAfter) return done({ target, error: 'no certificate presented' });
      const verify = socket.authorized ? '0 (ok)' : String(socket.authorizationError ?? 'not trusted');
      const subject = cert.subject?.CN ? `CN = ${cert.subject.CN}` : undefined;
      done({ target, notAfter, verify, ...(subject ? { subject } : {}) });
    });
  });
}
