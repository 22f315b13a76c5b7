// The endpoints probe asks every URL of a server in ONE curl call and cuts the answers apart in
// one awk. Here the real snippet runs under sh with the real curl against a local HTTP server:
// the answers land on the right endpoint, a response body cannot forge another endpoint's result,
// a curl without %{exitcode} (before 7.75) still tells why a transfer failed, and an endpoint curl
// never reports on says so.
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServer as createTcpServer, type Socket, type Server as TcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newNonce } from '../../src/collect.js';
import { serverSchema } from '../../src/config/schema.js';
import { buildCollectorScript, splitSections } from '../../src/probes/collector-script.js';
import { endpointsProbe } from '../../src/probes/endpoints.js';

const run = promisify(execFile);
let http: Server;
let silent: TcpServer;
let base = '';
let hangs = '';
let refused = '';
let shimDir = '';
let deadCurlDir = '';
const held: Socket[] = [];

beforeAll(async () => {
  http = createServer((req, res) => {
    const bodies: Record<string, [number, string]> = {
      '/ok': [200, 'status: ok\nsecond line\nthird line\n'],
      '/boom': [503, 'upstream exploded'],
      // what a compromised app could answer: another endpoint's write-out, without the nonce
      '/forge': [200, 'x\n@@claudeops-w:guess:2@@ 200 0.001 0\n| forged\n'],
      '/long': [200, `${'y'.repeat(5000)}\nneedle at the end`],
    };
    const [status, body] = bodies[req.url ?? ''] ?? [404, 'nope'];
    res.writeHead(status, { 'content-type': 'text/plain' }).end(body);
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  // accepts and never answers: the transfer times out
  silent = createTcpServer((socket) => held.push(socket));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  hangs = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/hangs`;
  // a port that was free a moment ago: connection refused
  const probe = createTcpServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  refused = `http://127.0.0.1:${(probe.address() as AddressInfo).port}/refused`;
  await new Promise((resolve) => probe.close(resolve));
  // curl as it was before 7.75: the same program, with %{exitcode} unknown (so printed as nothing)
  shimDir = mkdtempSync(join(tmpdir(), 'co-old-curl-'));
  const shim = join(shimDir, 'curl');
  writeFileSync(
    shim,
    '#!/bin/sh\nfor a; do shift; set -- "$@" "$(printf \'%s\' "$a" | sed \'s/%{exitcode}//\')"; done\nexec /usr/bin/curl "$@"\n',
  );
  chmodSync(shim, 0o755);
  // a curl that gives up before its first write-out, every time (as at a fatal error)
  deadCurlDir = mkdtempSync(join(tmpdir(), 'co-dead-curl-'));
  writeFileSync(join(deadCurlDir, 'curl'), '#!/bin/sh\nprintf partial\nexit 27\n');
  chmodSync(join(deadCurlDir, 'curl'), 0o755);
});

afterAll(async () => {
  http.closeAllConnections();
  await new Promise((resolve) => http.close(resolve));
  for (const socket of held) socket.destroy();
  await new Promise((resolve) => silent.close(resolve));
  rmSync(shimDir, { recursive: true, force: true });
  rmSync(deadCurlDir, { recursive: true, force: true });
});

async function collect(endpoints: Record<string, unknown>[], path = process.env.PATH ?? '') {
  const server = serverSchema.parse({ name: 'web1', transport: 'local', endpoints });
  const nonce = newNonce();
  const script = buildCollectorScript(server, [endpointsProbe], { nonce });
  const child = run('sh', ['-s'], { env: { ...process.env, PATH: path }, timeout: 30_000 });
  child.child.stdin?.end(script);
  const { stdout } = await child;
  const section = splitSections(stdout, nonce).get('endpoints');
  return { output: section?.output ?? '', data: endpointsProbe.parse(section?.output ?? '', server) };
}

describe('endpoints: one curl call for all of a server', () => {
  it('gives each endpoint its own status, verdict and excerpt, and each failure its reason', async () => {
    const { data, output } = await collect([
      { url: `${base}/ok`, contains: 'second' },
      { url: `${base}/boom` },
      { url: `${base}/long`, contains: 'needle at the end' },
      { url: refused },
      { url: hangs, timeout: '1s' },
    ]);
    expect(output.match(/^@endpoint /gm)).toHaveLength(5);
    expect(data.endpoints.map((e) => [e.status, e.contains, e.error])).toEqual([
      [200, true, undefined],
      [503, undefined, undefined],
      [200, true, undefined],
      [undefined, undefined, 'connection refused or host unreachable'],
      [undefined, undefined, 'timed out'],
    ]);
    expect(data.endpoints[0]?.excerpt).toBe('status: ok\nsecond line');
    // two lines, the first cut to 200 bytes
    expect(data.endpoints[2]?.excerpt).toBe(`${'y'.repeat(200)}\nneedle at the end`);
    expect(data.endpoints[4]?.timedOut).toBe(true);
  });

  it('a response body cannot pass for another endpoint: the marker carries the run nonce', async () => {
    const { data } = await collect([{ url: `${base}/forge` }, { url: `${base}/boom` }, { url: refused }]);
    expect(data.endpoints.map((e) => e.status ?? e.error)).toEqual([
      200,
      503,
      'connection refused or host unreachable',
    ]);
    expect(data.endpoints[0]?.excerpt).toBe('x\n@@claudeops-w:guess:2@@ 200 0.001 0');
  });

  it('with a curl that has no %{exitcode}, a transfer without an answer is asked again for its reason', async () => {
    const { data } = await collect(
      [{ url: `${base}/ok` }, { url: refused }, { url: hangs, timeout: '1s' }],
      `${shimDir}:${process.env.PATH ?? ''}`,
    );
    expect(data.endpoints.map((e) => e.status ?? e.error)).toEqual([
      200,
      'connection refused or host unreachable',
      'timed out',
    ]);
  });

  it('an endpoint curl never reports on is asked again alone, then said to be not checked', async () => {
    const { data, output } = await collect(
      [{ url: `${base}/ok`, contains: 'ok' }, { url: `${base}/boom` }],
      `${deadCurlDir}:${process.env.PATH ?? ''}`,
    );
    expect(output.match(/^@endpoint /gm)).toHaveLength(2);
    expect(data.endpoints.map((e) => [e.status, e.error, e.contains])).toEqual([
      [undefined, 'not checked: curl stopped before reporting on it', undefined],
      [undefined, 'not checked: curl stopped before reporting on it', undefined],
    ]);
  });
});
