/**
 * A chat webhook that accepts connections and never answers (a real TCP server on loopback):
 * every channel request gives up after the config's per-request timeout (github.request_timeout),
 * so a hung chat service cannot hold the run for the channel's own default.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { notifierFor } from '../../src/compose.js';
import { parseConfig } from '../../src/config/parse-config.js';

describe('a notification channel that never answers', () => {
  let server: Server;
  const sockets: Socket[] = [];
  let base = '';
  beforeAll(async () => {
    server = createServer((socket) => {
      sockets.push(socket);
      socket.on('data', () => {}); // read the request, answer nothing
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('gives up after github.request_timeout per attempt and reports it as one channel error', async () => {
    const config = parseConfig(
      `version: 1
servers: [{ name: runner, transport: local }]
github: { request_timeout: 300ms }
notify: { webhook: { url: "${base}/hook" } }
`,
      'claudeops.yml',
    );
    const notifier = notifierFor(config, {});
    expect(notifier).toBeDefined();
    const started = Date.now();
    const errors = await notifier?.send({ title: 'hello', status: 'critical', items: [] }, {});
    const took = Date.now() - started;
    expect(sockets.length).toBeGreaterThanOrEqual(1); // it did reach the hung receiver
    expect(errors).toHaveLength(1);
    expect(errors?.[0]).toMatch(/webhook/);
    // three attempts of 300 ms plus the backoff between them; the channel default (10 s) would be 30 s+
    expect(took).toBeLessThan(8_000);
  });
});
