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
import type { Config, NodeSSH } from 'node-ssh';
import type {
  AuthenticationType,
  AuthHandlerMiddleware,
  ConnectConfig,
  ParsedKey,
  PublicKeyAuthMethod,
} from 'ssh2';
import type { RunInputs } from '../config/run-inputs.js';
import type { Config as RunConfig, ServerConfig } from '../config/schema.js';
import { type KnownHosts, parseKnownHosts } from '../core/least-privilege/known-hosts.js';
import { ConnectError, type Logger, type Transport } from '../core/ports/index.js';
import { afterIoPoll } from '../core/util/after-io-poll.js';
import { Slots } from '../core/util/slots.js';
import { asSsh2Error, explainConnectFailure, type Hop } from './ssh-errors.js';
import { HostKeyCheck } from './ssh-host-key.js';
import { trimRoundTrips } from './ssh-round-trips.js';
import { type Connection, disposeAll, Shell, type SshShell } from './ssh-shell.js';
import { type EarlySocket, gcmKeysOnce, openEarly, signingKeyOnce } from './ssh-wire.js';

export type { SshShell } from './ssh-shell.js';

export interface SshTransportOptions {
  privateKey?: string | undefined;
  passphrase?: string | undefined;
  knownHosts?: string | undefined;
  servers?: readonly ServerConfig[];
  defaults?: { user?: string | undefined; port?: number | undefined };
  connectTimeoutMs?: number | undefined;
  commandTimeoutMs?: number | undefined;
  /** SSH handshakes in flight at once (default HANDSHAKES); connections beyond it wait their turn */
  handshakes?: number | undefined;
  /** of those, to one address (host and port; default HANDSHAKES_PER_ADDRESS) */
  handshakesPerAddress?: number | undefined;
  /** ssh2's own protocol trace, line by line (negotiated algorithms, auth steps): for tests and troubleshooting */
  debug?: ((line: string) => void) | undefined;
  logger?: Pick<Logger, 'warning'>;
}

export interface SshTransport extends Transport {
  connect(server: ServerConfig): Promise<SshShell>;
  /** warnings raised so far (insecure host key opt-outs, unreadable known_hosts lines) */
  warnings(): readonly string[];
  /**
   * Starts opening these servers' connections now, before the rest of the run has loaded: the
   * server's side of the handshake (sshd's start, its key exchange, authentication) then runs
   * while the runner compiles the pipeline. connect() of the same server object takes it, with
   * its outcome (a failure is reported by that connect(), as it would have been). Resolves once
   * their handshakes have started (the key parsed, the SSH client loaded, the first packets out),
   * so what the caller does next overlaps the servers' answers; never rejects.
   */
  warm(servers: readonly ServerConfig[]): Promise<void>;
  /** Closes the warmed connections that no connect() took (a run that ended before collecting). */
  release(): void;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 15_000;
const DEFAULT_COMMAND_TIMEOUT_MS = 600_000;

/**
 * The algorithms offered, in order: the cheapest handshake that current OpenSSH accepts, with
 * fallbacks for older servers (measured with `npm run bench`, README "Performance"). Key exchange:
 * curve25519 (one X25519 operation each side, native in Node), then the NIST curve, then the
 * 2048-bit DH group for servers older than OpenSSH 5.7 (group exchange and the larger groups cost
 * the server a big modular exponentiation per connection). Ciphers: AES-GCM, hardware AES through
 * Node's OpenSSL; chacha20-poly1305 is left out: without ssh2's native binding, which the bundle
 * does not carry, it runs in JavaScript. No compression: a collection is a few KiB.
 * Host key types come from what is pinned (ssh-host-key.ts), Ed25519 first otherwise.
 */
export const ALGORITHMS = {
  kex: [
    'curve25519-sha256',
    'curve25519-sha256@libssh.org',
    'ecdh-sha2-nistp256',
    'diffie-hellman-group14-sha256',
  ],
  cipher: ['aes128-gcm@openssh.com', 'aes256-gcm@openssh.com', 'aes128-ctr', 'aes256-ctr'],
  hmac: ['hmac-sha2-256-etm@openssh.com', 'hmac-sha2-256', 'hmac-sha2-512-etm@openssh.com', 'hmac-sha2-512'],
  compress: ['none'],
} as const;

/**
 * Handshakes in flight at once, whatever the parallelism (measured: README "Performance"). On 2
 * cores, 50 lab servers at once cost the runner less CPU with every handshake in flight than with
 * 8 (0.94x, 10 paired rounds): more of them move on in each turn of the event loop.
 */
export const HANDSHAKES = 50;

/**
 * Handshakes in flight to one address (host and port), below OpenSSH's MaxStartups (default
 * 10:30:100: beyond 10 connections not yet logged in, sshd drops 30 % of new ones). Only a jump
 * host sees more than one: every server behind it opens a connection of its own to it.
 */
export const HANDSHAKES_PER_ADDRESS = 8;

/** An open connection to a server and the jump connections it runs over, outermost first. */
interface Opened {
  conn: Connection;
  jumps: NodeSSH[];
}

export function createSshTransport(options: SshTransportOptions): SshTransport {
  const connector = new Connector(options);
  const commandTimeoutMs = options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
  const warmed = new Map<ServerConfig, Promise<Opened>>();
  return {
    warnings: () => connector.warnings(),
    async connect(server: ServerConfig): Promise<SshShell> {
      const early = warmed.get(server);
      warmed.delete(server);
      const { conn, jumps } = await (early ?? connector.open(server, []));
      return new Shell(server, conn, jumps, commandTimeoutMs);
    },
    async warm(servers) {
      if (servers.length === 0) return;
      for (const server of servers) {
        if (warmed.has(server)) continue;
        const opening = connector.open(server, []);
        // reported by the connect() that takes it; until then an early failure is no crash
        opening.catch(() => undefined);
        warmed.set(server, opening);
      }
      await connector.ready();
      // the handshakes go on from the same awaits: a turn of the event loop that polls takes each
      // TCP connect and sends the client's version line (the server sends its key exchange offer
      // only after reading it) before the caller loads the rest of the pipeline, which holds the
      // loop (after-io-poll.ts)
      await afterIoPoll();
    },
    release() {
      for (const opening of warmed.values()) {
        opening.then(
          ({ conn, jumps }) => disposeAll([...jumps, conn.ssh]),
          () => undefined,
        );
      }
      warmed.clear();
    },
  };
}

/** The SSH transport of a run (or of doctor): the key and known hosts from the inputs, the fleet from the config. */
export function sshTransportFor(config: RunConfig, inputs: RunInputs, logger: Logger): SshTransport {
  return createSshTransport({
    privateKey: inputs.sshPrivateKey,
    passphrase: inputs.sshPassphrase,
    knownHosts: inputs.knownHosts,
    servers: config.servers,
    defaults: config.defaults,
    connectTimeoutMs: config.defaults.connect_timeout,
    commandTimeoutMs: config.defaults.command_timeout,
    logger,
  });
}

/** Opens verified connections, directly or through `jump:` hosts, and collects the warnings. */
class Connector {
  private readonly warned: string[] = [];
  private readonly knownHosts: KnownHosts;
  private readonly connectTimeoutMs: number;
  private readonly byName: Map<string, ServerConfig>;
  private readonly handshakes: Slots;
  /** handshakes in flight per `host:port` (HANDSHAKES_PER_ADDRESS) */
  private readonly perAddress = new Map<string, Slots>();
  /** the private key, parsed once for every connection (or why it cannot be used) */
  private key: Promise<ParsedKey | Error> | undefined;

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
    this.handshakes = new Slots(options.handshakes ?? HANDSHAKES);
  }

  warnings(): readonly string[] {
    return [...this.warned];
  }

  /** Once the key is parsed and the SSH client loaded: what every handshake waits for first. Never rejects. */
  async ready(): Promise<void> {
    const { privateKey, passphrase } = this.options;
    if (privateKey) this.key ??= parseClientKey(privateKey, passphrase);
    await Promise.allSettled([this.key, import('node-ssh')]);
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
    const failed = (error: unknown) =>
      explainConnectFailure({
        hop,
        error,
        verdict: hostKey.verdict,
        via,
        connectTimeoutMs: this.connectTimeoutMs,
      });
    // the address's turn first, then one of the run's: a connection waiting on a busy jump host
    // holds none of the slots the other servers' handshakes need
    const ssh = await this.addressSlots(hop).run(() =>
      this.handshakes.run(async () => {
        // TCP first: the server answers while the key is parsed and ssh2 loads (ssh-wire.ts)
        const early = sock === undefined ? openEarly(hop.host, hop.port) : undefined;
        try {
          return await this.handshake(hop, sock, early, hostKey);
        } catch (error) {
          early?.socket.destroy();
          throw failed(error);
        }
      }),
    );
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

  private addressSlots(hop: Hop): Slots {
    const address = `${hop.host}:${hop.port}`;
    let slots = this.perAddress.get(address);
    if (!slots) {
      slots = new Slots(this.options.handshakesPerAddress ?? HANDSHAKES_PER_ADDRESS);
      this.perAddress.set(address, slots);
    }
    return slots;
  }

  /** Key, client, and ssh2's handshake over `sock`, the early socket, or (it failed) a new one. */
  private async handshake(
    hop: Hop,
    sock: unknown,
    early: EarlySocket | undefined,
    hostKey: HostKeyCheck,
  ): Promise<NodeSSH> {
    const key = await this.clientKey(hop);
    if (key instanceof Error) throw key;
    // node-ssh, and ssh2 under it (the largest module a check loads), load at the first SSH
    // connection: a run of `transport: local` servers only never pays for them
    const { NodeSSH: Client } = await import('node-ssh');
    const failure = early?.failure();
    if (failure) throw failure;
    // closed by the server before ssh2 could read it (sshd's MaxStartups): ssh2 connects anew
    const carrier = early?.usable() ? early.socket : sock;
    if (early && carrier !== early.socket) early.socket.destroy();
    const ssh = new Client();
    try {
      await ssh.connect(this.connectConfig(hop, carrier, hostKey, signIn(ssh, hop, key)));
    } catch (error) {
      ssh.dispose();
      throw error;
    }
    return ssh;
  }

  /**
   * The private key, parsed once per transport. ssh2 would parse the key text again for every
   * connection, and an encrypted key's bcrypt derivation runs in JavaScript: a quarter of a second
   * of the runner's one JavaScript thread per connection (measured for an ssh-keygen ed25519 key),
   * twelve seconds for 50 servers before any of them had answered.
   */
  private clientKey(hop: Hop): Promise<ParsedKey | Error> {
    const { privateKey, passphrase } = this.options;
    if (!privateKey) {
      throw new ConnectError(
        `${hop.who}: no SSH private key given (the Action: the ssh-private-key input; the CLI: SSH_PRIVATE_KEY_FILE or SSH_PRIVATE_KEY)`,
        'config',
      );
    }
    this.key ??= parseClientKey(privateKey, passphrase);
    return this.key;
  }

  private connectConfig(
    hop: Hop,
    sock: unknown,
    hostKey: HostKeyCheck,
    authHandler: AuthHandlerMiddleware,
  ): Config {
    return {
      ...(sock === undefined ? { host: hop.host } : { sock: sock as ConnectConfig['sock'] }),
      port: hop.port,
      username: hop.user,
      authHandler,
      readyTimeout: this.connectTimeoutMs,
      keepaliveInterval: 15_000,
      keepaliveCountMax: 4,
      algorithms: {
        kex: [...ALGORITHMS.kex],
        cipher: [...ALGORITHMS.cipher],
        hmac: [...ALGORITHMS.hmac],
        compress: [...ALGORITHMS.compress],
        serverHostKey: hostKey.algorithms() as NonNullable<ConnectConfig['algorithms']>['serverHostKey'],
      },
      hostVerifier: hostKey.verify,
      ...(this.options.debug ? { debug: this.options.debug } : {}),
    };
  }

  private warn(message: string): void {
    this.warned.push(message);
    this.options.logger?.warning(message);
  }
}

/** ssh2 ends authentication when its auth handler passes `false` (its types leave that out). */
const NO_MORE_METHODS = false as unknown as AuthenticationType;

/**
 * The one login method: the parsed key (a key text would be parsed again), offered once, signed
 * at once (ssh-round-trips.ts). ssh2 calls this when the server is ready for authentication, so
 * the connection's protocol object exists by then.
 */
function signIn(ssh: NodeSSH, hop: Hop, key: ParsedKey): AuthHandlerMiddleware {
  const publickey: PublicKeyAuthMethod = { type: 'publickey', username: hop.user, key };
  let offered = false;
  return (_methodsLeft, _partialSuccess, next) => {
    if (offered) return next(NO_MORE_METHODS);
    offered = true;
    trimRoundTrips(ssh.connection, key);
    gcmKeysOnce(ssh.connection);
    next(publickey);
  };
}

/** ssh2's parser, as its client would call it; an Error when the key cannot be used. */
async function parseClientKey(text: string, passphrase: string | undefined): Promise<ParsedKey | Error> {
  // ssh2 is CommonJS: Node's ESM loader offers its exports on `default` only
  const ssh2 = await import('ssh2');
  const { utils } = ssh2.utils ? ssh2 : (ssh2 as unknown as { default: typeof ssh2 }).default;
  const parsed = utils.parseKey(text, passphrase);
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (key instanceof Error) return new Error(`Cannot parse privateKey: ${key.message}`);
  if (!key || key.getPrivatePEM() === null)
    return new Error('Cannot parse privateKey: privateKey value does not contain a (valid) private key');
  // parsed once per run, so its PEM is decoded once too, not at every login (ssh-wire.ts)
  signingKeyOnce(key);
  return key;
}
