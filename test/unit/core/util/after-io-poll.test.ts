import { once } from 'node:events';
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { afterIoPoll } from '../../../../src/core/util/after-io-poll.js';

const servers: Server[] = [];
const sockets: Socket[] = [];

/** A connected loopback pair: [the client end, the server's end]. */
async function pair(): Promise<[Socket, Socket]> {
  const server = createServer();
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const accepted = once(server, 'connection');
  const client = connect((server.address() as AddressInfo).port, '127.0.0.1');
  await once(client, 'connect');
  const [peer] = (await accepted) as [Socket];
  sockets.push(client, peer);
  return [client, peer];
}

afterEach(() => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const s of servers.splice(0)) s.close();
});

describe('afterIoPoll', () => {
  // What ssh.ts warm() relies on: called where the run goes on from an I/O callback, the I/O that
  // is already waiting (a TCP connect, a server's packet) is handled before it resolves.
  it('called from an I/O callback, resolves only after data already in another socket is handled', async () => {
    const [a, aPeer] = await pair();
    const [b, bPeer] = await pair();
    const seen: string[] = [];
    b.on('data', () => seen.push('b read'));
    const done = new Promise<void>((resolve) => {
      // runs in the poll phase
      a.once('data', () => {
        bPeer.write('kex offer'); // in b's receive buffer now; the loop has not polled since
        afterIoPoll().then(() => {
          seen.push('resolved');
          resolve();
        });
      });
    });
    aPeer.write('go');
    await done;
    expect(seen).toEqual(['b read', 'resolved']);
  });
});
