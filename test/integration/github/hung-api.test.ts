/**
 * A GitHub API that accepts connections and never answers (a real TCP server on loopback that
 * reads the request and says nothing): every call fails after the per-request timeout (retries
 * included), and once the Report phase's budget is spent no call waits at all.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOctokitGitHub } from '../../../src/adapters/github-octokit.js';
import { fastTuning } from '../../support/github-tuning.js';

describe('a GitHub API that never answers', () => {
  let server: Server;
  const sockets: Socket[] = [];
  let base = '';
  let connections = 0;
  beforeAll(async () => {
    server = createServer((socket) => {
      connections += 1;
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

  const api = (requestTimeoutMs: number) =>
    createOctokitGitHub({
      token: 'ghs_test',
      repository: 'acme/ops',
      baseUrl: base,
      requestTimeoutMs,
      tuning: fastTuning(),
    });

  it('fails a call after the per-request timeout, retries included, instead of hanging', async () => {
    const before = connections;
    const started = Date.now();
    await expect(api(300).listIssues({ labels: ['claudeops'], state: 'open' })).rejects.toThrow(/GitHub/);
    const took = Date.now() - started;
    expect(connections - before).toBeGreaterThanOrEqual(1); // it did connect: the server is up
    // each attempt ends after 300 ms, so the call ends in seconds: nowhere near a 300 s socket wait
    expect(took).toBeGreaterThanOrEqual(300);
    expect(took).toBeLessThan(5_000);
  });

  it('ends every call of the phase within its budget, however many there are', async () => {
    const gh = api(10_000);
    gh.startBudget?.(800);
    const started = Date.now();
    const calls = [
      () => gh.listIssues({ labels: ['claudeops'], state: 'open' }),
      () => gh.listIssues({ labels: ['claudeops'], state: 'closed' }),
      () => gh.listPulls({ state: 'all', base: 'claudeops-state' }),
      () => gh.createIssue({ title: 't', body: 'b', labels: [] }),
    ];
    for (const call of calls) await expect(call()).rejects.toThrow();
    const took = Date.now() - started;
    // four calls that would each wait 10 s × 3 attempts: all done shortly after the 800 ms budget
    expect(took).toBeGreaterThanOrEqual(700);
    expect(took).toBeLessThan(4_000);
  });
});
