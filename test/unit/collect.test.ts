import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { httpOverChannel } from '../../src/adapters/http-over-channel.js';
import { collectFleet } from '../../src/collect.js';
import type { ServerConfig } from '../../src/config/schema.js';
import {
  type ChannelHttp,
  ConnectError,
  type ExecResult,
  ForwardError,
  type RemoteShell,
  scriptText,
  type Transport,
} from '../../src/core/ports/index.js';
import { progressLine, tinted, wantsColour } from '../../src/core/render/progress-line.js';
import { finding, type ServerObservation } from '../../src/core/types.js';
import { keptChannels, openEndpointChannels } from '../../src/endpoint-channels.js';
import { type EndpointsData, endpointsProbe } from '../../src/probes/endpoints.js';
import { server } from './probes/helpers.js';

/** A real shell on this machine: the script goes to `sh -s` on stdin, as over SSH. */
class ShTransport implements Transport {
  open = 0;
  maxOpen = 0;
  runs = 0;
  constructor(private readonly delayMs = 0) {}
  async connect(srv: ServerConfig): Promise<RemoteShell> {
    if (srv.host === 'unreachable.invalid')
      throw new ConnectError(`${srv.name}: connection refused`, 'unreachable');
    this.open += 1;
    this.maxOpen = Math.max(this.maxOpen, this.open);
    await new Promise((r) => setTimeout(r, this.delayMs));
    return {
      server: srv.name,
      run: async (script, options) => {
        this.runs += 1;
        return runSh(await scriptText(script), options?.timeoutMs ?? 60_000);
      },
      close: async () => {
        this.open -= 1;
      },
    };
  }
}

function runSh(script: string, timeoutMs: number): Promise<ExecResult> {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn('sh', ['-s'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ stdout, stderr, code: timedOut ? null : code, durationMs: Date.now() - started, timedOut });
    });
    child.stdin.end(script);
  });
}

const dir = mkdtempSync(join(tmpdir(), 'claudeops-collect-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('collectFleet', () => {
  it('one round trip per server; an unreachable server does not stop the others', async () => {
    const transport = new ShTransport();
    const servers = [
      server({ name: 'a' }),
      server({ name: 'down', host: 'unreachable.invalid' }),
      server({ name: 'b' }),
    ];
    const { observations, shells } = await collectFleet(servers, transport, { runnerChecks: false });
    expect(observations.map((o) => [o.server, o.reachable])).toEqual([
      ['a', true],
      ['down', false],
      ['b', true],
    ]);
    expect(observations[1]?.error).toBe('down: connection refused');
    expect(observations[0]).toMatchObject({ roundTrips: 1, probeErrors: {} });
    expect(Object.keys(observations[0]?.probes ?? {}).sort()).toEqual(['disk', 'load', 'memory', 'uptime']);
    expect(transport.runs).toBe(2);
    expect([...shells.keys()]).toEqual(['a', 'b']);
    for (const shell of shells.values()) await shell.close();
  });

  it('prints one progress line per server as it finishes, saying what was found there', async () => {
    const transport = new ShTransport();
    const servers = [server({ name: 'a' }), server({ name: 'down', host: 'unreachable.invalid' })];
    const seen: ServerObservation[] = [];
    await collectFleet(servers, transport, { runnerChecks: false, onServer: (o) => void seen.push(o) });
    const a = seen.find((o) => o.server === 'a');
    const down = seen.find((o) => o.server === 'down');
    if (!a || !down) throw new Error('a server was not reported');
    const bad = (severity: 'warning' | 'critical', target: string) =>
      finding('a', 'disk', target, severity, 'x');
    expect(progressLine(a, [])).toEqual({ text: expect.stringMatching(/^✓ a ok \d+\.\ds$/), tone: 'ok' });
    // "ok" is never said of a server with criticals (it used to mean "collected")
    expect(progressLine(a, [bad('critical', '/'), bad('critical', '/var'), bad('warning', '/home')])).toEqual(
      {
        text: expect.stringMatching(/^✗ a critical: 2 critical, 1 warning \d+\.\ds$/),
        tone: 'critical',
      },
    );
    expect(progressLine(a, [bad('warning', '/')]).text).toMatch(/^! a warning: 1 warning \d+\.\ds$/);
    expect(progressLine(down, [])).toEqual({
      text: expect.stringMatching(/^✗ down unreachable: down: connection refused \d+\.\ds$/),
      tone: 'critical',
    });
    expect(tinted('✗ down', 'critical')).toBe('\u001b[31m✗ down\u001b[0m');
  });

  it('colour only on a terminal without NO_COLOR', () => {
    expect(wantsColour(true, {})).toBe(true);
    expect(wantsColour(true, { NO_COLOR: '1' })).toBe(false);
    expect(wantsColour(false, {})).toBe(false);
    expect(wantsColour(undefined, {})).toBe(false);
  });

  it('bounds parallelism', async () => {
    const slow = new ShTransport(20);
    const servers = Array.from({ length: 6 }, (_, i) => server({ name: `s${i}` }));
    let inFlight = 0;
    let peak = 0;
    const counting: Transport = {
      connect: async (s) => {
        inFlight += 1;
        peak = Math.max(peak, inFlight);
        const shell = await slow.connect(s);
        return { ...shell, run: async (...a) => shell.run(...a).finally(() => (inFlight -= 1)) };
      },
    };
    const { observations } = await collectFleet(servers, counting, { parallelism: 2, runnerChecks: false });
    expect(peak).toBe(2);
    expect(observations.map((o) => o.server)).toEqual(['s0', 's1', 's2', 's3', 's4', 's5']);
  });

  it('a connect that hangs past the deadline is unreachable, not a stuck run', async () => {
    const hanging: Transport = { connect: () => new Promise(() => undefined) };
    const { observations } = await collectFleet([server()], hanging, {
      connectTimeoutMs: 100,
      runnerChecks: false,
    });
    expect(observations[0]).toMatchObject({ reachable: false, error: 'connect timed out after 0 s' });
  });

  it('a probe cut off by the command timeout is a probe error; the sections before it still count', async () => {
    const transport = new ShTransport();
    const srv = server({ checks: [{ name: 'slow', command: 'sleep 3' }] });
    const { observations, shells } = await collectFleet([srv], transport, {
      commandTimeoutMs: 1500,
      runnerChecks: false,
    });
    expect(observations[0]?.reachable).toBe(true);
    expect(observations[0]?.probeErrors.checks).toMatch(/timed out before this probe finished/);
    expect(observations[0]?.probes.disk).toBeDefined();
    for (const shell of shells.values()) await shell.close();
  });

  it('carries log cursors from run to run: the first run sets them, the next counts only new lines', async () => {
    const log = join(dir, "app's.log");
    writeFileSync(log, 'ERROR old line\n');
    const srv = server({ logs: [{ path: log, patterns: ['ERROR'] }] });
    const transport = new ShTransport();
    const first = await collectFleet([srv], transport, { runnerChecks: false });
    const cursors = first.observations[0]?.cursors ?? {};
    expect(cursors[`file:${log}`]).toMatch(/^\d+:15$/);
    appendFileSync(log, 'INFO fine\nERROR new failure\n');
    const second = await collectFleet([srv], transport, { runnerChecks: false, cursorsFor: () => cursors });
    const logs = second.observations[0]?.probes.logs as { logs: { matches: number; excerpt: string[] }[] };
    expect(logs.logs[0]).toMatchObject({ matches: 1, excerpt: ['ERROR new failure'] });
    for (const shell of [...first.shells.values(), ...second.shells.values()]) await shell.close();
  });

  it("connects before the cursors are known; each script waits for its server's cursors", async () => {
    const log = join(dir, 'later.log');
    writeFileSync(log, 'ERROR old line\n');
    const srv = server({ logs: [{ path: log, patterns: ['ERROR'] }] });
    const transport = new ShTransport();
    const first = await collectFleet([srv], transport, { runnerChecks: false });
    appendFileSync(log, 'ERROR new failure\n');
    let answer!: (cursors: Record<string, string>) => void;
    const later = new Promise<Record<string, string>>((r) => {
      answer = r;
    });
    const second = collectFleet([srv], transport, { runnerChecks: false, cursorsFor: () => later });
    await new Promise((r) => setTimeout(r, 50));
    expect([transport.open, transport.runs]).toEqual([2, 1]); // connected, no script yet
    answer(first.observations[0]?.cursors ?? {});
    const done = await second;
    const logs = done.observations[0]?.probes.logs as { logs: { matches: number; excerpt: string[] }[] };
    expect(logs.logs[0]).toMatchObject({ matches: 1, excerpt: ['ERROR new failure'] });
    for (const shell of [...first.shells.values(), ...done.shells.values()]) await shell.close();
  });

  it('cursors that cannot be had close the connection and fail the collection', async () => {
    const transport = new ShTransport();
    const failing = collectFleet([server()], transport, {
      runnerChecks: false,
      cursorsFor: () => Promise.reject(new Error('memory unreadable')),
    });
    await expect(failing).rejects.toThrow('memory unreadable');
    expect([transport.open, transport.runs]).toEqual([0, 0]);
  });

  it('an unreachable server keeps its previous cursors', async () => {
    const srv = server({ host: 'unreachable.invalid' });
    const { observations } = await collectFleet([srv], new ShTransport(), {
      runnerChecks: false,
      cursorsFor: () => ({ 'file:/x': '1:2' }),
    });
    expect(observations[0]?.cursors).toEqual({ 'file:/x': '1:2' });
  });

  it('merges runner checks into the observation', async () => {
    const { observations, shells } = await collectFleet([server()], new ShTransport(), {
      runnerChecks: async () => ({ probes: { 'runner-endpoints': { endpoints: [] } }, errors: {} }),
    });
    expect(observations[0]?.probes['runner-endpoints']).toEqual({ endpoints: [] });
    for (const shell of shells.values()) await shell.close();
  });

  it("http:// endpoints go over the shell's forward, https and `via: curl` stay in the script; a refused forward falls back to curl", async () => {
    const web = createServer((req, res) => res.end(req.url === '/up' ? 'all good\n' : 'nope\n'));
    await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(web.address() as AddressInfo).port}`;
    const srv = server({
      endpoints: [
        { url: `${base}/up`, contains: 'good' },
        { url: `${base}/curl`, via: 'curl' },
        { url: 'https://127.0.0.1:1/tls', timeout: '1s' },
      ],
    });
    const collectWith = async (prohibited: boolean) => {
      const transport = new ForwardingTransport(prohibited);
      const { observations, shells } = await collectFleet([srv], transport, {
        runnerChecks: false,
        channelHttp: httpOverChannel,
        probes: [endpointsProbe],
      });
      for (const shell of shells.values()) await shell.close();
      const data = observations[0]?.probes.endpoints as EndpointsData | undefined;
      return { transport, endpoints: data?.endpoints ?? [] };
    };
    const viaChannel = await collectWith(false);
    expect(viaChannel.transport.forwards).toEqual([`127.0.0.1:${new URL(base).port}`]);
    expect(viaChannel.transport.scripts[0]).not.toContain('/up');
    expect(viaChannel.transport.scripts[0]).toContain(`${base}/curl`);
    expect(viaChannel.endpoints[0]).toMatchObject({
      url: `${base}/up`,
      status: 200,
      contains: true,
      excerpt: 'all good',
    });
    expect(viaChannel.endpoints[1]).toMatchObject({ status: 200, excerpt: 'nope' });
    expect(viaChannel.endpoints[2]).toMatchObject({ error: expect.any(String) });
    const fallback = await collectWith(true);
    expect(fallback.transport.scripts[0]).toContain(`${base}/up`);
    expect(fallback.endpoints[0]).toMatchObject({ status: 200, contains: true, excerpt: 'all good' });
    const apartFromLatency = (list: EndpointsData['endpoints']) => list.map(({ latencyMs: _, ...r }) => r);
    expect(apartFromLatency(fallback.endpoints.slice(1))).toEqual(
      apartFromLatency(viaChannel.endpoints.slice(1)),
    );
    web.close();
  });
});

describe('openEndpointChannels', () => {
  const srv = server({
    endpoints: [
      { url: 'http://127.0.0.1:9/a' },
      { url: 'https://127.0.0.1/b' },
      { url: 'http://127.0.0.1/c', via: 'curl' },
      { url: 'http://[::1]:8080/d', from: 'runner' },
      { url: 'HTTP://[::1]:8081/e' },
    ],
  });
  const never: ChannelHttp = () => new Promise(() => undefined);

  it('one channel per plain-http endpoint checked from the server, none without forward or client', async () => {
    const shell = await new ForwardingTransport(false).connect(srv);
    const asked: string[] = [];
    const forwarding = {
      ...shell,
      forward: (host: string, port: number) => (
        asked.push(`${host} ${port}`), new Promise<never>(() => undefined)
      ),
    };
    expect(openEndpointChannels(srv, forwarding, never).map((c) => c.index)).toEqual([0, 3]);
    expect(asked).toEqual(['127.0.0.1 9', '::1 8081']);
    const { forward: _, ...local } = shell;
    expect(openEndpointChannels(srv, local, never)).toEqual([]);
    expect(openEndpointChannels(srv, forwarding, undefined)).toEqual([]);
  });

  it('a prohibited forward goes back to curl; a failed connect stays (the endpoint is down)', async () => {
    const failing = (kind: 'prohibited' | 'connect-failed') => ({
      server: 'web1',
      run: async () => ({ stdout: '', stderr: '', code: 0, durationMs: 0, timedOut: false }),
      close: async () => undefined,
      forward: () => Promise.reject(new ForwardError('no', kind)),
    });
    const prohibited = openEndpointChannels(srv, failing('prohibited'), never);
    const down = openEndpointChannels(srv, failing('connect-failed'), never);
    await new Promise((r) => setImmediate(r));
    expect([...keptChannels(prohibited)]).toEqual([]);
    expect([...keptChannels(down)]).toEqual([0, 3]);
  });
});

/** A local shell that can forward as sshd does: a loopback connection, or a refusal as AllowTcpForwarding no gives. */
class ForwardingTransport implements Transport {
  readonly forwards: string[] = [];
  readonly scripts: string[] = [];
  constructor(private readonly prohibited: boolean) {}
  async connect(srv: ServerConfig): Promise<RemoteShell> {
    return {
      server: srv.name,
      run: async (script, options) => {
        this.scripts.push(await scriptText(script));
        return runSh(this.scripts.at(-1) ?? '', options?.timeoutMs ?? 60_000);
      },
      forward: (host, port) => {
        this.forwards.push(`${host}:${port}`);
        if (this.prohibited)
          return Promise.reject(new ForwardError('administratively prohibited: open failed', 'prohibited'));
        return new Promise((resolve, reject) => {
          const socket = connect(port, host, () => resolve(socket));
          socket.once('error', reject);
        });
      },
      close: async () => undefined,
    };
  }
}
