/**
 * SSH transport (node-ssh over ssh2): one pinned, key-authenticated connection per server.
 *
 *   const transport = createSshTransport({
 *     privateKey,            // key text (the ssh-private-key input)
 *     passphrase,            // its passphrase, if any (ssh-passphrase)
 *     knownHosts,            // known_hosts text (known-hosts input): the trust anchor
 *     servers,               // every configured server, so `jump: NAME` can be resolved
 *     defaults,              // config `defaults` (user, port) for servers that set none
 *     connectTimeoutMs,      // TCP connect + SSH handshake + auth, per hop (default 15 s)
 *     commandTimeoutMs,      // run() default when the caller passes no timeout (default 10 min)
 *     logger,                // optional: warnings also go to logger.warning as they happen
 *   });
 *   const shell = await transport.connect(server);  // throws ConnectError (kind + actionable text)
 *   const result = await shell.run(script);         // script on stdin of `sh -s`
 *   await shell.close();
 *   transport.warnings();                           // e.g. insecure_ignore_host_key in use
 *
 * Host keys: the key a server presents must be vouched for by its `host_key: SHA256:…` pin or by
 * a known_hosts entry (see core/known-hosts.ts for the rules); otherwise the server is refused
 * with ConnectError('host-key') naming the fingerprint seen and the exact line to pin it with.
 * `insecure_ignore_host_key: true` connects anyway and records a loud warning per connection.
 *
 * Jump hosts: `jump: bastion` connects to the configured server `bastion` first (same key, its
 * own pin), opens a direct-tcpip channel to the target and runs the target's SSH over it.
 *
 * Commands: the script is written to stdin of a fixed command line (`sh -s`, or `sudo -n sh -s`
 * when the server sets `sudo: true`; `sudo: actions` stays `sh -s`), never interpolated. On timeout the channel gets SIGKILL
 * and is closed; the result says `timedOut: true, code: null`.
 */
import { NodeSSH } from 'node-ssh';
import type { ServerConfig } from '../config/schema.js';
import {
  fingerprintOf,
  type HostKeyVerdict,
  type KnownHosts,
  knownKeyTypes,
  parseKnownHosts,
  verifyHostKey,
} from '../core/known-hosts.js';
import {
  ConnectError,
  type ExecOptions,
  type ExecResult,
  type Logger,
  type RemoteShell,
  type Transport,
} from '../core/ports.js';

export interface SshTransportOptions {
  privateKey?: string | undefined;
  passphrase?: string | undefined;
  knownHosts?: string | undefined;
  servers?: readonly ServerConfig[];
  defaults?: { user?: string | undefined; port?: number | undefined };
  connectTimeoutMs?: number | undefined;
  commandTimeoutMs?: number | undefined;
  logger?: Pick<Logger, 'warning'>;
}

export interface SshTransport extends Transport {
  connect(server: ServerConfig): Promise<SshShell>;
  /** warnings raised so far (insecure host key opt-outs, unreadable known_hosts lines) */
  warnings(): readonly string[];
}

export interface SshShell extends RemoteShell {
  /** SHA256 fingerprint of the host key the server presented (after verification or opt-out) */
  readonly fingerprint: string;
}

/** The parts of ssh2's ClientChannel we use. ssh2 ships no type declarations (and @types/ssh2 is
 * not a dependency), so node-ssh's `onChannel` parameter arrives untyped: this names what we call. */
interface KillableChannel {
  signal(name: string): unknown;
  close(): unknown;
}

/** ssh2 (through node-ssh) decorates errors with `level` and socket errors carry `code`. */
interface Ssh2Error {
  message: string;
  level?: string;
  code?: string;
}

function asSsh2Error(error: unknown): Ssh2Error {
  if (error instanceof Error) {
    const { level, code } = error as Error & { level?: unknown; code?: unknown };
    return {
      message: error.message,
      ...(typeof level === 'string' ? { level } : {}),
      ...(typeof code === 'string' ? { code } : {}),
    };
  }
  return { message: String(error) };
}

const DEFAULT_CONNECT_TIMEOUT_MS = 15_000;
const DEFAULT_COMMAND_TIMEOUT_MS = 600_000;

/** Every host key algorithm ssh2 offers by default, strongest first (its own default order). */
const HOST_KEY_ALGORITHMS = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
];

/**
 * Asks the server for the key types we already know for it first, as OpenSSH does: a server
 * with both an RSA and an Ed25519 key, pinned by its RSA key, must not be refused as "changed"
 * just because Ed25519 sorts first.
 */
function hostKeyAlgorithms(known: string[]): string[] {
  const preferred: string[] = [];
  for (const type of known) {
    const algorithms = type === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [type];
    for (const algorithm of algorithms) {
      if (HOST_KEY_ALGORITHMS.includes(algorithm) && !preferred.includes(algorithm))
        preferred.push(algorithm);
    }
  }
  return [...preferred, ...HOST_KEY_ALGORITHMS.filter((a) => !preferred.includes(a))];
}

interface Hop {
  server: ServerConfig;
  host: string;
  port: number;
  user: string;
  who: string;
}

/** What node-ssh/ssh2 accept in connect(); spelled out because their typings resolve to any here. */
interface ConnectConfig {
  host?: string;
  port: number;
  username: string;
  privateKey: string;
  passphrase?: string;
  sock?: unknown;
  readyTimeout: number;
  keepaliveInterval: number;
  keepaliveCountMax: number;
  algorithms: { serverHostKey: string[] };
  hostVerifier: (key: Buffer) => boolean;
}

interface Connection {
  ssh: NodeSSH;
  fingerprint: string;
}

export function createSshTransport(options: SshTransportOptions): SshTransport {
  const warnings: string[] = [];
  const warn = (message: string): void => {
    warnings.push(message);
    options.logger?.warning(message);
  };
  const knownHosts: KnownHosts = parseKnownHosts(options.knownHosts ?? '');
  if (knownHosts.errors.length > 0) {
    warn(
      `known-hosts: ignored ${knownHosts.errors.length} unreadable line(s): ` +
        knownHosts.errors.map((e) => `line ${e.line}: ${e.message}`).join('; '),
    );
  }
  const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const commandTimeoutMs = options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
  const byName = new Map((options.servers ?? []).map((s) => [s.name, s]));

  function hopOf(server: ServerConfig): Hop {
    if (!server.host) {
      throw new ConnectError(`${server.name}: no host configured (set servers[].host)`, 'config');
    }
    const user = server.user ?? options.defaults?.user;
    if (!user) {
      throw new ConnectError(
        `${server.name}: no SSH user configured (set servers[].user or defaults.user)`,
        'config',
      );
    }
    const port = server.port ?? options.defaults?.port ?? 22;
    return { server, host: server.host, port, user, who: `${server.name} (${user}@${server.host}:${port})` };
  }

  /** Turns whatever ssh2/node-ssh threw into a ConnectError a human can act on. */
  function explain(
    hop: Hop,
    error: unknown,
    verdict: HostKeyVerdict | undefined,
    via?: string,
  ): ConnectError {
    if (error instanceof ConnectError) return error;
    if (verdict && !verdict.ok) return new ConnectError(verdict.message, 'host-key');
    const e = asSsh2Error(error);
    const route = via ? ` through jump host ${via}` : '';
    const at = `${hop.who}${route}`;
    if (e.message.startsWith('Cannot parse privateKey') || /passphrase/i.test(e.message)) {
      return new ConnectError(
        `${at}: the SSH private key cannot be used (${e.message}). Check the ssh-private-key input ` +
          '(the whole key text, BEGIN/END lines included) and ssh-passphrase if the key is encrypted.',
        'config',
      );
    }
    switch (e.level) {
      case 'client-authentication':
        return new ConnectError(
          `${at}: authentication failed: the server accepted none of the offered credentials (publickey). ` +
            `Check that the public half of the ssh-private-key input is in ~${hop.user}/.ssh/authorized_keys ` +
            `on that server and that "${hop.user}" is the right user.`,
          'auth',
        );
      case 'client-timeout':
        return new ConnectError(
          `${at}: no SSH handshake within ${connectTimeoutMs} ms. Is the server up, and is port ${hop.port} ` +
            'reachable from the runner (firewall, security group, VPN)?',
          'timeout',
        );
      case 'client-dns':
        return new ConnectError(
          `${at}: host name ${hop.host} does not resolve (${e.message}).`,
          'unreachable',
        );
      case 'client-socket':
        return new ConnectError(`${at}: ${socketReason(e, hop)}`, 'unreachable');
      default:
        if (e.code === 'ETIMEDOUT' && e.message === 'No response from server') {
          return new ConnectError(
            `${at}: the connection closed before the SSH handshake finished. Is ${hop.host}:${hop.port} an SSH ` +
              'server, and does it accept connections from the runner (MaxStartups, fail2ban, TCP wrappers)?',
            'unreachable',
          );
        }
        return new ConnectError(
          `${at}: SSH connection failed (${e.level ?? 'error'}): ${e.message}`,
          'unreachable',
        );
    }
  }

  async function connectHop(hop: Hop, sock: unknown, via: string | undefined): Promise<Connection> {
    if (!options.privateKey) {
      throw new ConnectError(
        `${hop.who}: no SSH private key given (the ssh-private-key input is empty)`,
        'config',
      );
    }
    let verdict: HostKeyVerdict | undefined;
    let fingerprint = '';
    const insecure = hop.server.insecure_ignore_host_key;
    const config: ConnectConfig = {
      ...(sock === undefined ? { host: hop.host } : { sock }),
      port: hop.port,
      username: hop.user,
      privateKey: options.privateKey,
      ...(options.passphrase ? { passphrase: options.passphrase } : {}),
      readyTimeout: connectTimeoutMs,
      keepaliveInterval: 15_000,
      keepaliveCountMax: 4,
      algorithms: { serverHostKey: hostKeyAlgorithms(knownKeyTypes(knownHosts, hop.host, hop.port)) },
      hostVerifier: (key: Buffer) => {
        fingerprint = fingerprintOf(key);
        if (insecure) return true;
        verdict = verifyHostKey({
          knownHosts,
          host: hop.host,
          port: hop.port,
          key,
          pin: hop.server.host_key,
          server: hop.server.name,
        });
        return verdict.ok;
      },
    };
    const ssh = new NodeSSH();
    try {
      await ssh.connect(config);
    } catch (error) {
      ssh.dispose();
      throw explain(hop, error, verdict, via);
    }
    if (insecure) {
      // Loud on purpose: without a pin anyone on the path can impersonate this server.
      warn(
        `INSECURE: the host key of ${hop.who} was NOT verified (insecure_ignore_host_key: true). It presented ` +
          `${fingerprint}; anyone on the network path could impersonate this server and receive its commands. ` +
          `Pin it instead: ${pinAdviceFor(hop, fingerprint)}`,
      );
    }
    return { ssh, fingerprint };
  }

  function pinAdviceFor(hop: Hop, fingerprint: string): string {
    return `put \`host_key: "${fingerprint}"\` on server ${hop.server.name}, or add its line from \`ssh-keyscan -p ${hop.port} ${hop.host}\` to known-hosts.`;
  }

  async function open(
    server: ServerConfig,
    chain: string[],
  ): Promise<{ conn: Connection; jumps: NodeSSH[] }> {
    const hop = hopOf(server);
    if (!server.jump) return { conn: await connectHop(hop, undefined, undefined), jumps: [] };
    if (chain.includes(server.jump) || server.jump === server.name) {
      throw new ConnectError(
        `${server.name}: jump hosts form a loop (${[...chain, server.name, server.jump].join(' -> ')})`,
        'config',
      );
    }
    const jumpServer = byName.get(server.jump);
    if (!jumpServer) {
      throw new ConnectError(
        `${server.name}: jump host "${server.jump}" is not a configured server`,
        'config',
      );
    }
    const outer = await open(jumpServer, [...chain, server.name]);
    const jumps = [...outer.jumps, outer.conn.ssh];
    const closeJumps = (): void => {
      for (const j of [...jumps].reverse()) j.dispose();
    };
    let stream: unknown;
    try {
      stream = await outer.conn.ssh.forwardOut('127.0.0.1', 0, hop.host, hop.port);
    } catch (error) {
      closeJumps();
      const e = asSsh2Error(error);
      throw new ConnectError(
        `${hop.who}: jump host ${server.jump} could not open a connection to ${hop.host}:${hop.port} (${e.message}). ` +
          `Check that ${server.jump} can reach it and that its sshd allows TCP forwarding (AllowTcpForwarding).`,
        'unreachable',
      );
    }
    try {
      return { conn: await connectHop(hop, stream, server.jump), jumps };
    } catch (error) {
      closeJumps();
      throw error;
    }
  }

  return {
    warnings: () => [...warnings],
    async connect(server: ServerConfig): Promise<SshShell> {
      const { conn, jumps } = await open(server, []);
      return new Shell(server, conn, jumps, commandTimeoutMs);
    },
  };
}

function socketReason(e: Ssh2Error, hop: Hop): string {
  switch (e.code) {
    case 'ECONNREFUSED':
      return `connection refused: nothing listens on port ${hop.port} (is sshd running, is the port right?)`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `no route to ${hop.host} (${e.code}): the host is down or not reachable from the runner`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `host name ${hop.host} does not resolve (${e.code})`;
    case 'ECONNRESET':
      return 'the connection was reset during the handshake (sshd MaxStartups, fail2ban or a firewall?)';
    case 'ETIMEDOUT':
      return `TCP connect to port ${hop.port} timed out: is a firewall dropping it?`;
    default:
      return `network error: ${e.message}`;
  }
}

class Shell implements SshShell {
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
  async run(script: string, options: ExecOptions = {}): Promise<ExecResult> {
    if (this.closed) throw new ConnectError(`${this.server}: the SSH session is closed`, 'unreachable');
    const started = performance.now();
    const timeoutMs = options.timeoutMs ?? this.defaultTimeoutMs;
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let channel: KillableChannel | undefined;
    let timedOut = false;
    let timer: NodeJS.Timeout | undefined;
    // Fires at the deadline. We do not wait for the channel to close: sshd keeps it open until
    // every process holding the session's stdout has exited, and a killed `sh` can leave
    // children (`sleep 30`) behind. So: SIGKILL the remote `sh` (OpenSSH honours signal
    // requests), close our side, and return now with what arrived so far.
    const deadline = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => {
        timedOut = true;
        if (channel) {
          try {
            channel.signal('KILL');
            channel.close();
          } catch {
            // the channel may already be half-closed: nothing left to stop
          }
        }
        resolve('timeout');
      }, timeoutMs);
    });
    const execution = this.conn.ssh.execCommand(this.command, {
      stdin: script,
      // LC_ALL travels as an SSH env request (Debian's sshd has AcceptEnv LANG LC_*): stable
      // number formats for the parsers; a server that refuses it just ignores it.
      execOptions: { env: { LC_ALL: 'C' } },
      noTrim: true,
      // node-ssh hands over ssh2's channel, untyped here (see KillableChannel)
      onChannel: (c: KillableChannel) => {
        channel = c;
      },
      onStdout: (chunk: Buffer) => stdout.push(chunk),
      onStderr: (chunk: Buffer) => stderr.push(chunk),
    });
    // After a timeout nobody awaits the execution any more; its late settlement is expected.
    execution.catch(() => undefined);
    const output = (): Pick<ExecResult, 'stdout' | 'stderr' | 'durationMs'> => ({
      // decoded once at the end so a multi-byte character split across chunks stays whole
      stdout: Buffer.concat(stdout).toString('utf8'),
      stderr: Buffer.concat(stderr).toString('utf8'),
      durationMs: performance.now() - started,
    });
    try {
      const result = await Promise.race([execution, deadline]);
      if (result === 'timeout' || timedOut) return { ...output(), code: null, timedOut: true };
      return { ...output(), code: result.code, timedOut: false };
    } catch (error) {
      const e = asSsh2Error(error);
      throw new ConnectError(
        `${this.server}: the SSH connection failed while running a command: ${e.message}`,
        'unreachable',
      );
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.conn.ssh.dispose();
    for (const jump of [...this.jumps].reverse()) jump.dispose();
  }
}
