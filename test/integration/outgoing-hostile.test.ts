/**
 * What the runner sends out (chat, webhook, paging, heartbeat pings: every POST or GET goes through
 * http-retry's sendWithRetry) meets the held-out hostile HTTP corpus (test/fixtures/http-hostile/)
 * as the receiving end. A delivery needs the status, never the body: once a complete head has
 * arrived the delivery is settled, whatever the body does next (16 MiB then a hang, a slow drip, a
 * length that lies, a body that never ends), and no case holds a delivery past its timeout.
 */
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { sendWithRetry } from '../../src/adapters/http-retry.js';
import { type HostileCase, loadHostileCases, startHostileServer } from '../support/hostile-http-server.js';

/**
 * Wide on purpose: 80 servers and 80 deliveries in one process on a loaded 2-core machine took
 * 1.6 s to settle in CI with the head already in. A delivery that reads the body runs to the
 * timeout, so "settled" is judged at half of it: the two stay far apart under any load.
 */
const TIMEOUT_MS = 12_000;
/** A head that arrived with the first bytes: settled well before the timeout. */
const SETTLED_MS = TIMEOUT_MS / 2;

/** The case's bytes before its first pause or repeat hold a whole HTTP/1.1 head with a status. */
function headFirst(c: HostileCase): boolean {
  let sent = '';
  for (const step of c.script) {
    if ('send' in step) sent += step.send;
    else if ('sendBase64' in step) sent += Buffer.from(step.sendBase64, 'base64').toString('latin1');
    else break;
  }
  return /^HTTP\/1\.[01] [2-5]\d\d [^\r\n]*\r\n(?:[A-Za-z-]+: [^\r\n]*\r\n)*\r\n/.test(sent);
}

describe('outgoing deliveries against the hostile HTTP corpus', () => {
  const servers: { close(): Promise<void> }[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
  });

  it('settle once the status is in, and never past the timeout', async () => {
    const cases = loadHostileCases();
    expect(cases.length).toBeGreaterThan(50);
    const results = await Promise.all(
      cases.map(async (c) => {
        const server = await startHostileServer(c);
        servers.push(server);
        const started = performance.now();
        const result = await sendWithRetry(
          (signal) => fetch(server.url, { method: 'POST', body: '{"text":"hi"}', signal }),
          { attempts: 1, timeoutMs: TIMEOUT_MS },
        );
        return { c, result, ms: Math.round(performance.now() - started) };
      }),
    );
    const late = results
      .filter(({ ms }) => ms > TIMEOUT_MS + SETTLED_MS)
      .map(({ c, ms }) => `${c.name} ${ms} ms`);
    const held = results
      .filter(({ c, ms }) => headFirst(c) && ms > SETTLED_MS)
      .map(({ c, ms }) => `${c.name} ${ms} ms`);
    expect(results.filter(({ c }) => headFirst(c)).length).toBeGreaterThan(20);
    expect({ late, held }).toEqual({ late: [], held: [] });
  }, 60_000);

  it('take no more of a fast endless body than the first blocks (the rest is never read)', async () => {
    // 256 MiB as fast as loopback carries it, then a hang: a client that reads bodies buffers it all
    const block = Buffer.alloc(64 * 1024, 'x');
    const sockets: Socket[] = [];
    let wrote = 0;
    const server = createServer((socket) => {
      sockets.push(socket);
      socket.on('error', () => undefined);
      socket.once('data', async () => {
        socket.write('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n');
        for (let i = 0; i < 4096 && !socket.destroyed; i++) {
          if (!socket.write(block)) await new Promise((r) => socket.once('drain', r).once('close', r));
        }
      });
      socket.on('close', () => {
        wrote = socket.bytesWritten;
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    servers.push({
      close: async () => {
        for (const s of sockets) s.destroy();
        await new Promise((resolve) => server.close(resolve));
      },
    });
    const { port } = server.address() as AddressInfo;
    const result = await sendWithRetry(
      (signal) => fetch(`http://127.0.0.1:${port}/hook`, { method: 'POST', body: '{}', signal }),
      { attempts: 1, timeoutMs: TIMEOUT_MS },
    );
    await expect.poll(() => sockets[0]?.destroyed, { timeout: 5_000 }).toBe(true);
    expect(result.ok).toBe(true);
    expect(wrote).toBeLessThan(16 * 1024 * 1024);
  }, 30_000);
});
