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
 * a known_hosts entry (see core/least-privilege/known-hosts.ts for the rules); otherwise the server is refused
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
import { type KnownHosts, parseKnownHosts } from '../core/least-privilege/known-hosts.js';
import { ConnectError, type Logger, type Transport } from '../core/ports/index.js';
import { asSsh2Error, explainConnectFailure, type Hop } from './ssh-errors.js';
import { HostKeyCheck } from './ssh-host-key.js';
import { type Connection, disposeAll, Shell, type SshShell } from './ssh-shell.js';

export type { SshShell } from './ssh-shell.js';

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

const DEFAULT_CONNECT_TIMEOUT_MS = 15_000;
const DEFAULT_COMMAND_TIMEOUT_MS = 600_000;

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

/** An open connection to a server and the jump connections it runs over, outermost first. */
interface Opened {
  conn: Connection;
  jumps: NodeSSH[];
}

export function createSshTransport(options: SshTransportOptions): SshTransport {
  const connector = new Connector(options);
  const commandTimeoutMs = options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
  return {
    warnings: () => connector.warnings(),
    async connect(server: ServerConfig): Promise<SshShell> {
      const { conn, jumps } = await connector.open(server, []);
      return new Shell(server, conn, jumps, commandTimeoutMs);
    },
  };
}

/** Opens verified connections, directly or through `jump:` hosts, and collects the warnings. */
class Connector {
  private readonly warned: string[] = [];
  private readonly knownHosts: KnownHosts;
  private readonly connectTimeoutMs: number;
  private readonly byName: Map<string, ServerConfig>;

  constructor(private readonly options: SshTransportOptions) {
    this.knownHosts = parseKnownHosts(options.knownHosts ?? '');
    if (this.knownHosts.errors.length > 0) {
      this.warn(
        `known-hosts: ignored ${this.knownHosts.errors.length} unreadable line(s): ` +
          this.knownHosts.errors.map((e) => `line ${e.line}: ${e.message}`).join('; '),
      );
    }
    this.connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    this.byName = new Map((options.servers ?? []).map((s) => [s.name, s]));
  }

  warnings(): readonly string[] {
    return [...this.warned];
  }

  /** `chain`: the servers whose jump led here, to refuse loops. */
  async open(server: ServerConfig, chain: string[]): Promise<Opened> {
    const hop = this.hopOf(server);
    if (!server.jump) return { conn: await this.connectHop(hop, undefined, undefined), jumps: [] };
    const outer = await this.open(this.jumpServer(server, server.jump, chain), [...chain, server.name]);
    const jumps = [...outer.jumps, outer.conn.ssh];
    try {
      const stream = await this.forward(outer.conn, hop, server.jump);
      return { conn: await this.connectHop(hop, stream, server.jump), jumps };
    } catch (error) {
      disposeAll(jumps);
      throw error;
    }
  }

  private hopOf(server: ServerConfig): Hop {
    if (!server.host) {
      throw new ConnectError(`${server.name}: no host configured (set servers[].host)`, 'config');
    }
    const user = server.user ?? this.options.defaults?.user;
    if (!user) {
      throw new ConnectError(
        `${server.name}: no SSH user configured (set servers[].user or defaults.user)`,
        'config',
      );
    }
    const port = server.port ?? this.options.defaults?.port ?? 22;
    return { server, host: server.host, port, user, who: `${server.name} (${user}@${server.host}:${port})` };
  }

  private jumpServer(server: ServerConfig, jump: string, chain: string[]): ServerConfig {
    if (chain.includes(jump) || jump === server.name) {
      throw new ConnectError(
        `${server.name}: jump hosts form a loop (${[...chain, server.name, jump].join(' -> ')})`,
        'config',
      );
    }
    const jumpServer = this.byName.get(jump);
    if (!jumpServer) {
      throw new ConnectError(`${server.name}: jump host "${jump}" is not a configured server`, 'config');
    }
    return jumpServer;
  }

  /** A direct-tcpip channel from the jump host to the target, to run the target's SSH over. */
  private async forward(outer: Connection, hop: Hop, jump: string): Promise<unknown> {
    try {
      return await outer.ssh.forwardOut('127.0.0.1', 0, hop.host, hop.port);
    } catch (error) {
      throw new ConnectError(
        `${hop.who}: jump host ${jump} could not open a connection to ${hop.host}:${hop.port} (${asSsh2Error(error).message}). ` +
          `Check that ${jump} can reach it and that its sshd allows TCP forwarding (AllowTcpForwarding).`,
        'unreachable',
      );
    }
  }

  /** One SSH connection, over `sock` when a jump host carries it; `via` names that jump host. */
  private async connectHop(hop: Hop, sock: unknown, via: string | undefined): Promise<Connection> {
    const hostKey = new HostKeyCheck(this.knownHosts, hop);
    const config = this.connectConfig(hop, sock, hostKey);
    const ssh = new NodeSSH();
    try {
      await ssh.connect(config);
    } catch (error) {
      ssh.dispose();
      throw explainConnectFailure({
        hop,
        error,
        verdict: hostKey.verdict,
        via,
        connectTimeoutMs: this.connectTimeoutMs,
      });
    }
    if (hostKey.insecure) {
      // Loud on purpose: without a pin anyone on the path can impersonate this server.
      this.warn(
        `INSECURE: the host key of ${hop.who} was NOT verified (insecure_ignore_host_key: true). It presented ` +
          `${hostKey.fingerprint}; anyone on the network path could impersonate this server and receive its commands. ` +
          `Pin it instead: ${hostKey.pinAdvice()}`,
      );
    }
    return { ssh, fingerprint: hostKey.fingerprint };
  }

  private connectConfig(hop: Hop, sock: unknown, hostKey: HostKeyCheck): ConnectConfig {
    const { privateKey, passphrase } = this.options;
    if (!privateKey) {
      throw new ConnectError(
        `${hop.who}: no SSH private key given (the ssh-private-key input is empty)`,
        'config',
      );
    }
    return {
      ...(sock === undefined ? { host: hop.host } : { sock }),
      port: hop.port,
      username: hop.user,
      privateKey,
      ...(passphrase ? { passphrase } : {}),
      readyTimeout: this.connectTimeoutMs,
      keepaliveInterval: 15_000,
      keepaliveCountMax: 4,
      algorithms: { serverHostKey: hostKey.algorithms() },
      hostVerifier: hostKey.verify,
    };
  }

  private warn(message: string): void {
    this.warned.push(message);
    this.options.logger?.warning(message);
  }
}
