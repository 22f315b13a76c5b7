/**
 * A real smart-HTTP git server on 127.0.0.1: git's own `git http-backend` behind a small CGI
 * bridge. As on GitHub, anyone may fetch, and pushing needs a token: a request whose basic auth
 * carries `token` (as x-access-token, the way the Action sends it) is authenticated (REMOTE_USER
 * set); http-backend refuses the push service to any other with 403, as GitHub refuses a token
 * without write access.
 *
 *   const server = await startGitHttp(root, { token: 'ghs_…' });   // serves root/*.git
 *   server.url('state.git') → http://127.0.0.1:PORT/state.git
 */
import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface GitHttp {
  url(repo: string): string;
  /** requests seen: method and path with query */
  requests: string[];
  close(): Promise<void>;
}

function authenticated(req: IncomingMessage, token: string | undefined): boolean {
  if (!token) return false;
  const header = req.headers.authorization ?? '';
  const m = /^basic (.+)$/i.exec(header);
  return Boolean(m?.[1]) && Buffer.from(m?.[1] ?? '', 'base64').toString() === `x-access-token:${token}`;
}

function cgi(root: string, req: IncomingMessage, res: ServerResponse, user: boolean): void {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const child = spawn('git', ['http-backend'], {
    env: {
      PATH: process.env.PATH,
      GIT_PROJECT_ROOT: root,
      GIT_HTTP_EXPORT_ALL: '1',
      REQUEST_METHOD: req.method ?? 'GET',
      PATH_INFO: decodeURIComponent(url.pathname),
      QUERY_STRING: url.search.slice(1),
      CONTENT_TYPE: req.headers['content-type'] ?? '',
      ...(req.headers['content-length'] ? { CONTENT_LENGTH: req.headers['content-length'] } : {}),
      ...(req.headers['content-encoding'] ? { HTTP_CONTENT_ENCODING: req.headers['content-encoding'] } : {}),
      GIT_PROTOCOL: String(req.headers['git-protocol'] ?? ''),
      ...(user ? { REMOTE_USER: 'x-access-token', REMOTE_ADDR: '127.0.0.1' } : {}),
    },
  });
  req.pipe(child.stdin);
  const chunks: Buffer[] = [];
  child.stdout.on('data', (d: Buffer) => chunks.push(d));
  child.on('close', () => {
    const out = Buffer.concat(chunks);
    const split = out.indexOf('\r\n\r\n');
    const headEnd = split >= 0 ? split : out.indexOf('\n\n');
    const sep = split >= 0 ? 4 : 2;
    const headers: Record<string, string> = {};
    let status = 200;
    for (const line of out.subarray(0, Math.max(0, headEnd)).toString().split(/\r?\n/)) {
      const i = line.indexOf(':');
      if (i < 0) continue;
      const name = line.slice(0, i).trim();
      const value = line.slice(i + 1).trim();
      if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10);
      else headers[name] = value;
    }
    res.writeHead(status, headers);
    res.end(headEnd >= 0 ? out.subarray(headEnd + sep) : out);
  });
}

export async function startGitHttp(root: string, options: { token?: string } = {}): Promise<GitHttp> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    // http-backend itself refuses the push service to a request without REMOTE_USER (403)
    cgi(root, req, res, authenticated(req, options.token));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (repo) => `http://127.0.0.1:${port}/${repo}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
