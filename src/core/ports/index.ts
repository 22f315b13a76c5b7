/**
 * The small interfaces the pipeline talks through. Adapters implement them with real I/O;
 * unit tests implement them in memory.
 */
import type { Duplex } from 'node:stream';
import type { EndpointConfig, ServerConfig } from '../../config/schema.js';

export interface ExecResult {
  stdout: string;
  stderr: string;
  /** null when the command was killed (timeout) */
  code: number | null;
  durationMs: number;
  timedOut: boolean;
}

export interface ExecOptions {
  timeoutMs?: number;
}

/** An open session to one server: local (execa) or SSH. */
export interface RemoteShell {
  readonly server: string;
  /** runs a POSIX sh script (sent on stdin to `sh -s`); never throws on a non-zero exit */
  run(script: Script, options?: ExecOptions): Promise<ExecResult>;
  close(): Promise<void>;
  /** SSH: the fingerprint of the host key the server presented */
  readonly fingerprint?: string;
  /**
   * SSH: a TCP connection the server itself makes to host:port (a direct-tcpip channel of this
   * session's connection: the server's resolver, source address and routing). Rejects with
   * ForwardError. A refusal of channels asked for before `run` is known by the time `run` asks
   * a lazy Script for its text (the server answers channel opens in order).
   */
  forward?(host: string, port: number): Promise<Duplex>;
}

/** A script's text, or a function giving it once the session is ready to read it. */
export type Script = string | (() => Promise<string>);

export const scriptText = (script: Script): Promise<string> =>
  typeof script === 'string' ? Promise.resolve(script) : script();

/**
 * A forward the server did not open: `prohibited` when its sshd refuses forwarding (the check
 * falls back to curl on the server), `connect-failed` when the server could not reach the target
 * (the endpoint is down or its name does not resolve).
 */
export class ForwardError extends Error {
  constructor(
    message: string,
    readonly kind: 'prohibited' | 'connect-failed',
  ) {
    super(message);
    this.name = 'ForwardError';
  }
}

/** What an HTTP GET over a forwarded connection got, in the terms curl's write-out uses. */
export interface ChannelResponse {
  /** absent when no response came back */
  status?: number;
  /** the whole transfer, from asking for the channel to the end of the body */
  latencyMs: number;
  /** the body as read (up to the reader's cap), decoded as UTF-8 */
  body: string;
  /** why no (whole) response came back */
  failure?:
    | 'refused'
    | 'resolve'
    | 'timeout'
    | 'empty'
    | 'reset'
    | 'partial'
    | 'not-http'
    | 'invalid'
    | 'headers';
}

/** Makes one endpoint's GET over a channel (adapters/http-over-channel.ts); started = performance.now() at the channel's request. */
export type ChannelHttp = (
  endpoint: EndpointConfig,
  channel: Promise<Duplex>,
  started: number,
) => Promise<ChannelResponse>;

export class ConnectError extends Error {
  constructor(
    message: string,
    /** host-key | auth | unreachable | timeout | config */
    readonly kind: 'host-key' | 'auth' | 'unreachable' | 'timeout' | 'config',
  ) {
    super(message);
    this.name = 'ConnectError';
  }
}

export interface Transport {
  /** opens a session; throws ConnectError with a message a human can act on */
  connect(server: ServerConfig): Promise<RemoteShell>;
}

export interface Clock {
  now(): Date;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => new Date(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** Where a run's messages go: core.info/warning in the Action, stderr in the CLI. */
/** How a progress line reads at a glance: a terminal colours it (green, yellow, red). */
export type Tone = 'ok' | 'warning' | 'critical';

export interface Logger {
  info(message: string, tone?: Tone): void;
  warning(message: string): void;
  error(message: string): void;
  group<T>(name: string, fn: () => Promise<T>): Promise<T>;
  /** whether progress lines may carry ANSI colour (a terminal without NO_COLOR) */
  colour?: boolean;
}

/** Where the run writes its human summary and its outputs (the Action's job summary, or stdout). */
export interface ReportSink {
  summary(markdown: string): Promise<void>;
  outputs(values: Record<string, string>): void;
}

/** One HTTP GET with bounded retries (heartbeat pings); never throws. adapters/http-retry.ts. */
export type UrlPing = (
  url: string,
  timeoutMs: number,
) => Promise<{ ok: true } | { ok: false; error: string }>;

// The other ports, one file each, all imported through this module.
export * from './github.js';
export * from './model.js';
export * from './notifier.js';
export * from './runner-checks.js';
export * from './state-access.js';
export * from './state-store.js';

/**
 * No state repository or no state branch where a read command looked: its message is written for
 * the user (the CLI prints it as it is). Here, not in the reader, so the CLI's exit-code module
 * knows it without loading the reader and git.
 */
export class StateBranchNotFound extends Error {}
