/**
 * Replays one case of the held-out hostile HTTP corpus (test/fixtures/http-hostile/) on a raw TCP
 * socket: after the request head arrives, the case's script is written byte for byte (no HTTP
 * library in between, so a broken status line or a lying length reaches the client as written).
 * Any client that speaks HTTP to 127.0.0.1 can be measured against it: curl on the server, the
 * runner's fetch, a client over an SSH channel.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { join } from 'node:path';

export type HostileStep =
  | { send: string }
  | { sendBase64: string }
  | { repeat: { send?: string; sendBase64?: string; times: number } }
  | { waitMs: number }
  | { end: 'close' | 'reset' | 'hang' };

/** What a path observed, in the corpus's words (`knownWrong` records exactly this). */
export interface HostileObserved {
  outcome: 'status' | 'error';
  status?: number;
  contains?: boolean;
  timedOut?: boolean;
  error?: string;
  /** what the case did to a healthy endpoint asked in the same call (curl's one call per server) */
  neighbour?: string;
  /** bounds the result breaks (excerpt size, a piece of a secret, control bytes in the error) */
  broken?: string[];
}

export interface HostileCase {
  name: string;
  why: string;
  endpoint: { timeout: number; status?: number; contains?: string };
  script: HostileStep[];
  expect: {
    outcome: 'status' | 'error';
    status?: number;
    contains?: boolean;
    timedOut?: boolean;
    errorLike?: string;
    maxMs: number;
    /** raw secrets in the script that must not come out in an excerpt, whole or in part */
    secrets?: string[];
  };
  /** a path's result today where it is wrong, asserted exactly so a fix shows up */
  knownWrong?: Record<string, HostileObserved & { maxMs?: number; note?: string }>;
}

export const HOSTILE_HTTP_DIR = join(import.meta.dirname, '..', 'fixtures', 'http-hostile');

export function loadHostileCases(dir = HOSTILE_HTTP_DIR): HostileCase[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as HostileCase);
}

export interface HostileServer {
  url: string;
  close(): Promise<void>;
}

/** Largest head a client may send before the script starts anyway. */
const REQUEST_HEAD_LIMIT = 64 * 1024;

/** Listens on 127.0.0.1, port 0; every connection gets the whole script. */
export async function startHostileServer(c: HostileCase): Promise<HostileServer> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    void afterRequestHead(socket).then(() => replay(socket, c.script));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/${c.name}`,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

function afterRequestHead(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    let head = '';
    const onData = (chunk: Buffer) => {
      head += chunk.toString('latin1');
      if (head.includes('\r\n\r\n') || head.includes('\n\n') || head.length > REQUEST_HEAD_LIMIT) done();
    };
    const done = () => {
      socket.off('data', onData);
      socket.off('close', done);
      resolve();
    };
    socket.on('data', onData);
    socket.on('close', done);
  });
}

const bytesOf = (step: { send?: string; sendBase64?: string }) =>
  step.sendBase64 !== undefined
    ? Buffer.from(step.sendBase64, 'base64')
    : Buffer.from(step.send ?? '', 'utf8');

/** Writes with back-pressure; false once the client has gone. */
function write(socket: Socket, bytes: Buffer): Promise<boolean> {
  if (socket.destroyed || !socket.writable) return Promise.resolve(false);
  if (socket.write(bytes)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const settle = (ok: boolean) => {
      socket.off('drain', onDrain);
      socket.off('close', onClose);
      resolve(ok);
    };
    const onDrain = () => settle(true);
    const onClose = () => settle(false);
    socket.on('drain', onDrain);
    socket.on('close', onClose);
  });
}

function wait(socket: Socket, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => settle(true), ms);
    const onClose = () => settle(false);
    const settle = (ok: boolean) => {
      clearTimeout(timer);
      socket.off('close', onClose);
      resolve(ok && !socket.destroyed);
    };
    socket.on('close', onClose);
  });
}

/** A repeat is written in blocks of about 64 KiB, so a 100 MiB body costs no 100 MiB buffer. */
async function repeat(socket: Socket, unit: Buffer, times: number): Promise<boolean> {
  const perBlock = Math.max(1, Math.floor((64 * 1024) / Math.max(1, unit.length)));
  const block = Buffer.concat(Array(Math.min(perBlock, times)).fill(unit));
  for (let left = times; left > 0; left -= perBlock) {
    const bytes = left >= perBlock ? block : block.subarray(0, left * unit.length);
    if (!(await write(socket, bytes))) return false;
  }
  return true;
}

async function replay(socket: Socket, script: readonly HostileStep[]): Promise<void> {
  for (const step of script) {
    let going = true;
    if ('send' in step || 'sendBase64' in step) going = await write(socket, bytesOf(step));
    else if ('repeat' in step) going = await repeat(socket, bytesOf(step.repeat), step.repeat.times);
    else if ('waitMs' in step) going = await wait(socket, step.waitMs);
    else if ('end' in step) return finish(socket, step.end);
    if (!going) return;
  }
  finish(socket, 'close');
}

function finish(socket: Socket, how: 'close' | 'reset' | 'hang'): void {
  if (how === 'close') socket.end();
  else if (how === 'reset') socket.resetAndDestroy();
  // hang: the socket stays open until the client goes or the server is closed
}
