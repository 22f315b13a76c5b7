/**
 * The small interfaces the pipeline talks through. Adapters implement them with real I/O;
 * unit tests implement them in memory.
 */
import type { ServerConfig } from '../../config/schema.js';

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
  run(script: string, options?: ExecOptions): Promise<ExecResult>;
  close(): Promise<void>;
  /** SSH: the fingerprint of the host key the server presented */
  readonly fingerprint?: string;
}

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
