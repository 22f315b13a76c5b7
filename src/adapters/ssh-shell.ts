/**
 * A RemoteShell over one open SSH connection (and the jump connections under it): each script is
 * the stdin of a fixed command line, never interpolated; a deadline kills the remote `sh`.
 */
import { type Duplex, Readable } from 'node:stream';
import type { NodeSSH } from 'node-ssh';
import type { ServerConfig } from '../config/schema.js';
import {
  ConnectError,
  type ExecOptions,
  type ExecResult,
  ForwardError,
  type RemoteShell,
  type Script,
  scriptText,
} from '../core/ports/index.js';
import { asSsh2Error } from './ssh-errors.js';

export interface SshShell extends RemoteShell {
  /** SHA256 fingerprint of the host key the server presented (after verification or opt-out) */
  readonly fingerprint: string;
}

export interface Connection {
  ssh: NodeSSH;
  fingerprint: string;
}

/** The parts of ssh2's ClientChannel we use. ssh2 ships no type declarations (and @types/ssh2 is
 * not a dependency), so node-ssh's `onChannel` parameter arrives untyped: this names what we call. */
interface KillableChannel {
  signal(name: string): unknown;
  close(): unknown;
}

/** ssh2's Client as far as forwarding goes (see KillableChannel for why it is named here). */
interface ForwardingClient {
  forwardOut(
    srcIP: string,
    srcPort: number,
    dstIP: string,
    dstPort: number,
    callback: (error: (Error & { reason?: number | string }) | undefined, channel: Duplex) => void,
  ): unknown;
}

/** RFC 4254 §5.1: SSH_OPEN_CONNECT_FAILED. Every other reason (administratively prohibited,
 * unknown channel type, resource shortage) means this server will not forward for us. */
const OPEN_CONNECT_FAILED = 2;

/** Disposes connections innermost first (the target, then the jump hosts it went through). */
export function disposeAll(connections: readonly NodeSSH[]): void {
  for (const ssh of [...connections].reverse()) ssh.dispose();
}

/**
 * Fires at the deadline. We do not wait for the channel to close: sshd keeps it open until
 * every process holding the session's stdout has exited, and a killed `sh` can leave
 * children (`sleep 30`) behind. So: SIGKILL the remote `sh` (OpenSSH honours signal
 * requests), close our side, and resolve now; the caller returns with what arrived so far.
 */
class Deadline {
  channel: KillableChannel | undefined;
  timedOut = false;
  /** the output went over OUTPUT_CAP_BYTES: stopped the same way as at the deadline */
  cut = false;
  readonly reached: Promise<'timeout' | 'cut'>;
  private timer: NodeJS.Timeout | undefined;
  private stop: ((why: 'cut') => void) | undefined;

  constructor(timeoutMs: number) {
    this.reached = new Promise<'timeout' | 'cut'>((resolve) => {
      this.stop = resolve;
      this.timer = setTimeout(() => {
        this.timedOut = true;
        this.killChannel();
        resolve('timeout');
      }, timeoutMs);
    });
  }

  cancel(): void {
    clearTimeout(this.timer);
  }

  /** Too much output: the command is killed now, and the caller returns with what it kept. */
  cutShort(): void {
    if (this.cut) return;
    this.cut = true;
    this.cancel();
    this.killChannel();
    this.stop?.('cut');
  }

  private killChannel(): void {
    if (!this.channel) return;
    try {
      this.channel.signal('KILL');
      this.channel.close();
    } catch {
      // the channel may already be half-closed: nothing left to stop
    }
  }
}

/**
 * Most of one script's output (stdout and stderr together) the runner keeps. A server's own answer
 * is bounded by the scripts (a collection is tens of kilobytes; bodies, logs and diagnostics are cut
 * on the server), but a compromised or broken server can print without end at wire speed: without
 * a cap, a run held all of it (and node-ssh a second copy) until the timeout, and died of memory.
 */
export const OUTPUT_CAP_BYTES = 16 * 1_048_576;

/** stdout and stderr as they arrive, decoded once at the end so a multi-byte character split
 * across chunks stays whole; at most OUTPUT_CAP_BYTES of them. */
class Captured {
  readonly stdout: Buffer[] = [];
  readonly stderr: Buffer[] = [];
  private bytes = 0;
  private readonly started = performance.now();

  constructor(private readonly deadline: Deadline) {}

  take(into: Buffer[], chunk: Buffer): void {
    if (this.deadline.cut) return;
    const room = OUTPUT_CAP_BYTES - this.bytes;
    into.push(chunk.byteLength <= room ? chunk : chunk.subarray(0, room));
    this.bytes += Math.min(chunk.byteLength, room);
    if (chunk.byteLength > room) this.deadline.cutShort();
  }

  output(): Pick<ExecResult, 'stdout' | 'stderr' | 'durationMs'> {
    // first, so an error that quotes the start of stderr says it
    const note = this.deadline.cut
      ? `claudeops: output cut at ${OUTPUT_CAP_BYTES} bytes: the command was killed\n`
      : '';
    return {
      stdout: Buffer.concat(this.stdout).toString('utf8'),
      stderr: note + Buffer.concat(this.stderr).toString('utf8'),
      durationMs: performance.now() - this.started,
    };
  }
}

export class Shell implements SshShell {
  readonly server: string;
  readonly fingerprint: string;
  private readonly command: string;
  private closed = false;

  constructor(
    server: ServerConfig,
    private readonly conn: Connection,
    private readonly jumps: NodeSSH[],
    private readonly defaultTimeoutMs: number,
  ) {
    this.server = server.name;
    this.fingerprint = conn.fingerprint;
    // `sudo: actions` runs the script unprivileged; the catalog puts `sudo -n` on each root command
    this.command = server.sudo === true ? 'sudo -n sh -s' : 'sh -s';
  }

  /**
   * Runs a POSIX sh script: the script is the stdin of `sh -s`. `options.stdin` is not used
   * (stdin already carries the script). Never throws on a non-zero exit; throws ConnectError
   * when the connection itself is gone.
   */
  async run(script: Script, options: ExecOptions = {}): Promise<ExecResult> {
    if (this.closed) throw new ConnectError(`${this.server}: the SSH session is closed`, 'unreachable');
    const deadline = new Deadline(options.timeoutMs ?? this.defaultTimeoutMs);
    const captured = new Captured(deadline);
    const execution = this.exec(script, captured, deadline);
    try {
      const result = await Promise.race([execution, deadline.reached]);
      if (result === 'cut' || deadline.cut) return { ...captured.output(), code: null, timedOut: false };
      if (result === 'timeout' || deadline.timedOut)
        return { ...captured.output(), code: null, timedOut: true };
      return { ...captured.output(), code: result.code, timedOut: false };
    } catch (error) {
      throw new ConnectError(
        `${this.server}: the SSH connection failed while running a command: ${asSsh2Error(error).message}`,
        'unreachable',
      );
    } finally {
      deadline.cancel();
    }
  }

  private exec(script: Script, captured: Captured, deadline: Deadline) {
    const execution = this.conn.ssh.execCommand(this.command, {
      // A lazy script is asked for its text only when the exec request has succeeded (node-ssh
      // pipes stdin then): every channel opened before it has been answered or is connecting.
      stdin: typeof script === 'string' ? script : Readable.from(lazyText(script)),
      // LC_ALL travels as an SSH env request (Debian's sshd has AcceptEnv LANG LC_*): stable
      // number formats for the parsers; a server that refuses it just ignores it.
      execOptions: { env: { LC_ALL: 'C' } },
      noTrim: true,
      // node-ssh hands over ssh2's channel, untyped here (see KillableChannel)
      onChannel: (c: KillableChannel) => {
        deadline.channel = c;
      },
      onStdout: (chunk: Buffer) => captured.take(captured.stdout, chunk),
      onStderr: (chunk: Buffer) => captured.take(captured.stderr, chunk),
    });
    // After a timeout nobody awaits the execution any more; its late settlement is expected.
    execution.catch(() => undefined);
    return execution;
  }

  /**
   * A direct-tcpip channel: the target's sshd connects to host:port itself, and answers channel
   * opens in order, so a refusal arrives before the confirmation of any session opened after.
   */
  forward(host: string, port: number): Promise<Duplex> {
    const client = this.conn.ssh.connection as unknown as ForwardingClient | null;
    return new Promise((resolve, reject) => {
      if (this.closed || !client) {
        reject(new ForwardError(`${this.server}: the SSH session is closed`, 'prohibited'));
        return;
      }
      try {
        client.forwardOut('127.0.0.1', 0, host, port, (error, channel) => {
          if (!error) return resolve(channel);
          const kind = error.reason === OPEN_CONNECT_FAILED ? 'connect-failed' : 'prohibited';
          reject(new ForwardError(error.message.replace(/^\(SSH\) Channel open failure: /, ''), kind));
        });
      } catch (error) {
        // ssh2 throws when the connection is no longer writable
        reject(new ForwardError(asSsh2Error(error).message, 'prohibited'));
      }
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    disposeAll([...this.jumps, this.conn.ssh]);
  }
}

/** One chunk, the script's text, produced when stdin is first read; on failure an empty script
 * (the collector then reports that it printed no sections) rather than a channel left open. */
async function* lazyText(script: Script): AsyncGenerator<string> {
  // a turn of the event loop: replies that arrived with the exec's are handled first
  await new Promise((resolve) => setImmediate(resolve));
  yield await scriptText(script).catch(() => '');
}
