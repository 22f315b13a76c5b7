import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certificateOf, fetchEndpoint, runnerChecks } from '../../../src/adapters/runner-checks.js';
import type { EndpointConfig } from '../../../src/config/schema.js';
import { server } from '../probes/helpers.js';

let http: Server;
let tls: TlsServer;
let httpPort = 0;
let tlsPort = 0;
const dir = mkdtempSync(join(tmpdir(), 'claudeops-tls-'));

beforeAll(async () => {
  http = createServer((req, res) => {
    if (req.url === '/slow') return void setTimeout(() => res.end('late'), 2000);
    res.statusCode = req.url === '/health' ? 200 : 503;
    res.end(req.url === '/health' ? 'status: ok\n' : 'maintenance\n');
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  httpPort = (http.address() as AddressInfo).port;
  // A throwaway self-signed certificate valid 3 days, made here so no key lives in the repo.
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
      '-days',
      '3',
      '-subj',
      '/CN=runner.test',
    ],
    { stdio: 'ignore' },
  );
  tls = createTlsServer(
    { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) },
    (s) => s.end(),
  );
  await new Promise<void>((r) => tls.listen(0, '127.0.0.1', r));
  tlsPort = (tls.address() as AddressInfo).port;
});

afterAll(async () => {
  http.closeAllConnections();
  await new Promise((r) => http.close(r));
  await new Promise((r) => tls.close(r));
  rmSync(dir, { recursive: true, force: true });
});

function endpoint(path: string, extra: Record<string, unknown> = {}): EndpointConfig {
  const url = `http://127.0.0.1:${httpPort}${path}`;
  const [config] = server({ endpoints: [{ url, from: 'runner', ...extra }] }).endpoints;
  if (!config) throw new Error('schema dropped the endpoint');
  return config;
}

describe('runner checks', () => {
  it('fetches status, latency and body contains', async () => {
    const ok = await fetchEndpoint(endpoint('/health', { contains: 'ok' }));
    expect(ok).toMatchObject({ status: 200, contains: true, excerpt: 'status: ok' });
    expect(ok.latencyMs).toBeGreaterThanOrEqual(0);
    expect(await fetchEndpoint(endpoint('/down', { contains: 'ok' }))).toMatchObject({
      status: 503,
      contains: false,
    });
  });

  it('times out and refuses distinctly', async () => {
    expect(await fetchEndpoint(endpoint('/slow', { timeout: '300ms' }))).toMatchObject({
      timedOut: true,
      error: 'timed out',
    });
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const refused = { ...endpoint('/'), url: `http://127.0.0.1:${port}/` };
    expect((await fetchEndpoint(refused)).error).toBe('connection refused');
  });

  it('reads a certificate expiry over TLS, trusted or not', async () => {
    const cert = await certificateOf(`127.0.0.1:${tlsPort}`, 5000);
    const days = (Date.parse(cert.notAfter ?? '') - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(2.9);
    expect(days).toBeLessThan(3.1);
    expect(cert).toMatchObject({ target: `127.0.0.1:${tlsPort}`, subject: 'CN = runner.test' });
    expect(cert.verify).toMatch(/SELF_SIGNED|self-signed/i);
    expect((await certificateOf('127.0.0.1:1', 2000)).error).toBe('no certificate: ECONNREFUSED');
  });

  it('stores results under runner-* probe ids, only for what is configured', async () => {
    const srv = server({
      endpoints: [
        { url: `http://127.0.0.1:${httpPort}/health`, from: 'runner' },
        { url: 'http://127.0.0.1:1/' },
      ],
      certificates: [`127.0.0.1:${tlsPort}`],
    });
    const results = await runnerChecks(srv);
    expect(Object.keys(results.probes).sort()).toEqual(['runner-certificates', 'runner-endpoints']);
    expect(results.probes['runner-endpoints']).toMatchObject({ endpoints: [{ status: 200 }] });
    expect(await runnerChecks(server())).toEqual({ probes: {}, errors: {} });
  });
});
