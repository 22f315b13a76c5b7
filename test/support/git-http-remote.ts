/**
 * A real git remote over smart HTTP, as GitHub serves one: `git http-backend` (CGI) behind a
 * loopback HTTP server, partial clones allowed (`uploadpack.allowFilter`), protocol v2. It counts
 * what a client asks of it, so "one fetch request per run" is measured on the server side, not
 * claimed: every POST to git-upload-pack is one HTTP round trip (on GitHub, one HTTPS request),
 * and its first pkt-line names the command (`ls-refs`, `fetch`).
 */
import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, dirname } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { execa } from 'execa';

export interface RemoteRequest {
  service: 'upload-pack' | 'receive-pack' | 'info';
  /** protocol v2 command of an upload-pack POST (`fetch`, `ls-refs`) */
  command?: string;
  /** object ids a fetch asked for by `want` */
  wants: number;
  /** the pack a push sent (receive-pack), as it came over the wire */
  pack?: Buffer;
}

export interface GitHttpRemote {
  /** the URL a clone uses */
  url: string;
  requests: RemoteRequest[];
  /** upload-pack requests carrying `command=fetch` since the last reset (what a fetch costs) */
  fetches(): number;
  reset(): void;
  close(): Promise<void>;
}

/** Serves the bare repository `repo` (created if missing) at http://127.0.0.1:<port>/<name>. */
export async function serveGitHttp(repo: string): Promise<GitHttpRemote> {
  await execa('git', ['init', '-q', '--bare', repo]).catch(() => undefined);
  for (const [k, v] of [
    ['uploadpack.allowFilter', 'true'],
    ['uploadpack.allowAnySHA1InWant', 'true'],
    ['http.receivepack', 'true'],
  ] as const)
    await execa('git', ['-C', repo, 'config', k, v]);
  const requests: RemoteRequest[] = [];
  const server: Server = createServer((req, res) => {
    void handle(req, res, repo, requests).catch((error) => {
      res.statusCode = 500;
      res.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/${basename(repo)}`,
    requests,
    fetches: () => requests.filter((r) => r.service === 'upload-pack' && r.command === 'fetch').length,
    reset: () => {
      requests.length = 0;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  repo: string,
  requests: RemoteRequest[],
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const body = await new Promise<Buffer>((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => resolve(Buffer.concat(parts)));
    req.on('error', reject);
  });
  const plain = req.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body;
  requests.push(describe(url.pathname, req.method ?? 'GET', plain));
  const child = spawn('git', ['http-backend'], {
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      GIT_PROJECT_ROOT: dirname(repo),
      GIT_HTTP_EXPORT_ALL: '1',
      REQUEST_METHOD: req.method ?? 'GET',
      PATH_INFO: url.pathname,
      QUERY_STRING: url.search.slice(1),
      CONTENT_TYPE: req.headers['content-type'] ?? '',
      CONTENT_LENGTH: String(body.length),
      REMOTE_USER: 'test',
      REMOTE_ADDR: '127.0.0.1',
      ...(req.headers['git-protocol'] ? { GIT_PROTOCOL: String(req.headers['git-protocol']) } : {}),
      // git gzips larger request bodies; http-backend inflates them when told
      ...(req.headers['content-encoding']
        ? { HTTP_CONTENT_ENCODING: String(req.headers['content-encoding']) }
        : {}),
    },
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  // http-backend may answer and exit before reading the whole body (a refusal): its stdin then
  // fails with EPIPE, which is the answer's business, not an uncaught error of the test run
  child.stdin.on('error', () => undefined);
  child.stdin.end(body);
  const out: Buffer[] = [];
  child.stdout.on('data', (c: Buffer) => out.push(c));
  await new Promise((resolve) => child.on('close', resolve));
  const raw = Buffer.concat(out);
  const split = raw.indexOf('\r\n\r\n');
  const head = raw.subarray(0, split).toString('latin1');
  res.statusCode = 200;
  for (const line of head.split('\r\n')) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (/^status$/i.test(name)) res.statusCode = Number(value.split(' ')[0]);
    else if (name) res.setHeader(name, value);
  }
  res.end(raw.subarray(split + 4));
}

function describe(path: string, method: string, body: Buffer): RemoteRequest {
  if (method !== 'POST') return { service: 'info', wants: 0 };
  const service = path.endsWith('git-receive-pack') ? 'receive-pack' : 'upload-pack';
  const text = body.toString('latin1');
  const command = /^[0-9a-f]{4}command=([a-z-]+)/.exec(text)?.[1];
  const pack = service === 'receive-pack' ? packAfterCommands(body) : undefined;
  return {
    service,
    ...(command ? { command } : {}),
    wants: text.match(/want [0-9a-f]{40}/g)?.length ?? 0,
    ...(pack ? { pack } : {}),
  };
}

/** A push body: pkt-lines of ref updates up to a flush packet, then the pack. */
function packAfterCommands(body: Buffer): Buffer | undefined {
  let at = 0;
  while (at + 4 <= body.length) {
    const length = Number.parseInt(body.subarray(at, at + 4).toString('latin1'), 16);
    if (Number.isNaN(length)) return undefined;
    at += length === 0 ? 4 : length;
    if (length === 0)
      return body.subarray(at, at + 4).toString('latin1') === 'PACK' ? body.subarray(at) : undefined;
  }
  return undefined;
}
