/**
 * The runner's deadlines count only the time it could watch: a server that answers at once is
 * not "timed out" because the runner itself was busy (a synchronous step, a starved CPU) — the
 * CI failure this was written for: both endpoints of a healthy lab server, 2 s limits, judged
 * critical on a loaded machine. The HTTP servers run in another process, as a real server would,
 * so the runner's stall does not stall them; every wait is still bounded.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpOverChannel } from '../../../src/adapters/http-over-channel.js';
import { fetchEndpoint } from '../../../src/adapters/runner-checks.js';
import { runnerDeadline } from '../../../src/adapters/runner-deadline.js';
import type { EndpointConfig } from '../../../src/config/schema.js';
import { server } from '../probes/helpers.js';

const SERVER = `
const http = require('node:http');
const s = http.createServer((req, res) => { if (req.url === '/hang') return; res.end('alive\\n'); });
s.listen(0, '127.0.0.1', () => process.stdout.write(String(s.address().port) + '\\n'));
`;

let child: ChildProcess;
let port = 0;

beforeAll(async () => {
  child = spawn(process.execPath, ['-e', SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  port = await new Promise<number>((resolve, reject) => {
    child.stdout?.once('data', (d: Buffer) => resolve(Number(String(d).trim())));
    child.once('error', reject);
  });
});

afterAll(() => {
  child.kill();
});

function endpoint(path: string, extra: Record<string, unknown> = {}): EndpointConfig {
  const [config] = server({ endpoints: [{ url: `http://127.0.0.1:${port}${path}`, ...extra }] }).endpoints;
  if (!config) throw new Error('schema dropped the endpoint');
  return config;
}

function channel(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** The runner busy for `ms` without yielding: what a long synchronous step does to every timer. */
function stall(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // busy: no timer, no I/O callback runs meanwhile
  }
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('runner deadlines', () => {
  it('over a channel: a server that answered while the runner was busy is not timed out', async () => {
    const started = performance.now();
    const response = httpOverChannel(endpoint('/', { timeout: '1s' }), channel(), started);
    stall(2_500);
    const result = await response;
    expect(result.failure).toBeUndefined();
    expect(result.status).toBe(200);
    expect(result.body).toBe('alive\n');
    // the latency is the server's as far as the runner could watch, not the stall's 2.5 s
    expect(result.latencyMs).toBeLessThan(1_000);
  }, 30_000);

  it('from the runner: a fetch that answered while the runner was busy is not timed out', async () => {
    const response = fetchEndpoint(endpoint('/', { timeout: '1s', from: 'runner', contains: 'alive' }));
    await turn();
    stall(2_500);
    const result = await response;
    expect(result.error).toBeUndefined();
    expect(result).toMatchObject({ status: 200, contains: true });
  }, 30_000);

  it('a server that never answers still times out at its limit', async () => {
    const started = performance.now();
    const result = await httpOverChannel(endpoint('/hang', { timeout: '1s' }), channel(), started);
    expect(result.failure).toBe('timeout');
    expect(performance.now() - started).toBeGreaterThanOrEqual(1_000);
  }, 30_000);

  it('a runner that stalls again and again still ends every wait (forgiveness is bounded)', async () => {
    const started = performance.now();
    const deadline = runnerDeadline(300);
    // stalls of 200 ms with a turn between: almost no time is watched, so only the bound ends it
    while (!deadline.signal.aborted) {
      stall(200);
      await turn();
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    const wall = performance.now() - started;
    expect(wall).toBeGreaterThanOrEqual(900);
    expect(deadline.signal.reason).toBeInstanceOf(DOMException);
    expect((deadline.signal.reason as DOMException).name).toBe('TimeoutError');
    deadline.cancel();
  }, 60_000);
});
