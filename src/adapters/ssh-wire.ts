/**
 * How a connection's bytes travel, below the SSH protocol: the runner's CPU per server at 50
 * servers and the time to the first byte for one server (measured: CHANGELOG, issue 20).
 *
 * - The TCP connection is opened as soon as the transport knows where to go, before node-ssh and
 *   ssh2 have loaded (the first connection waits for them) and before the key is parsed: the
 *   server accepts, starts its sshd session and sends its banner meanwhile. ssh2 is handed the
 *   socket (its `sock` option) and proceeds exactly as with one it opened itself.
 * - ssh2 writes each encrypted packet in three or four pieces (length, body, tag), each a write
 *   system call and, with Nagle's algorithm on, a piece held back until the server acknowledges
 *   the one before. The socket coalesces everything written in one tick of the event loop into
 *   one write, and sends it at once (TCP_NODELAY, as OpenSSH does for its sessions).
 * - ssh2's AES-GCM without its native binding (the bundle does not carry it) creates a cipher per
 *   packet from the raw key bytes; Node then checks and imports the key every time. The key is
 *   handed over as a KeyObject instead, made once per direction. The cipher, key and nonce are
 *   the same; only the import is done once.
 * - The client key signs the login from a KeyObject made once per run: ssh2 keeps a parsed key's
 *   private half as PEM text and hands that text to Node for every signature, which decodes it
 *   again each time (an Ed25519 login signature: 0.47 of its 0.51 ms; RSA 3072: 0.8 of 2.9 ms).
 *
 * When ssh2's objects are not shaped as expected (another ssh2 version), nothing is changed and
 * the connection proceeds exactly as ssh2 would.
 */
import { createPrivateKey, createSecretKey, type KeyObject } from 'node:crypto';
import { connect, type Socket } from 'node:net';

/** A TCP connection opened early; `usable()` says whether ssh2 can still be given it. */
export interface EarlySocket {
  socket: Socket;
  /** the socket error seen before the hand-over (ssh2 would have reported it as this level) */
  failure(): (Error & { level?: string }) | undefined;
  /** open, or still connecting: not closed or ended by the server before ssh2 took it */
  usable(): boolean;
}

export function openEarly(host: string, port: number): EarlySocket {
  const socket = connect({ host, port, noDelay: true });
  socket.setMaxListeners(0); // as ssh2 sets up a socket of its own
  let failed: (Error & { level?: string }) | undefined;
  // Recorded, not thrown: an error before ssh2 listens would otherwise end the process. ssh2
  // adds its own listener at the hand-over and classifies later errors itself.
  socket.on('error', (error: Error & { level?: string }) => {
    if (failed) return;
    error.level = 'client-socket';
    failed = error;
  });
  writeOncePerTick(socket);
  return {
    socket,
    failure: () => failed,
    usable: () => failed === undefined && !socket.destroyed && !socket.readableEnded,
  };
}

/** Everything written to `socket` within one tick leaves in one write. */
function writeOncePerTick(socket: Socket): void {
  const write = socket.write;
  let corked = false;
  const uncork = () => {
    corked = false;
    socket.uncork();
  };
  socket.write = function (this: Socket, ...args: unknown[]) {
    if (!corked) {
      corked = true;
      socket.cork();
      process.nextTick(uncork);
    }
    return (write as (...a: unknown[]) => boolean).apply(this, args);
  } as Socket['write'];
}

/** The parts of ssh2's AES-GCM (no binding) cipher and decipher objects changed here. */
interface GcmCipher {
  _encSSLName?: unknown;
  _encKey?: unknown;
}
interface GcmDecipher {
  _decipherSSLName?: unknown;
  _decipherKey?: unknown;
}

/**
 * `client`: the ssh2 Client once the key exchange has finished (its authentication handler
 * runs then): the AES-GCM keys of both directions become KeyObjects.
 */
export function gcmKeysOnce(client: unknown): void {
  const protocol = (client as { _protocol?: { _cipher?: unknown; _decipher?: unknown } } | null)?._protocol;
  if (!protocol || typeof protocol !== 'object') return;
  const cipher = protocol._cipher as GcmCipher | undefined;
  if (cipher && isGcm(cipher._encSSLName) && Buffer.isBuffer(cipher._encKey))
    cipher._encKey = keyObject(cipher._encKey);
  const decipher = protocol._decipher as GcmDecipher | undefined;
  if (decipher && isGcm(decipher._decipherSSLName) && Buffer.isBuffer(decipher._decipherKey))
    decipher._decipherKey = keyObject(decipher._decipherKey);
}

function isGcm(name: unknown): boolean {
  return name === 'aes-128-gcm' || name === 'aes-256-gcm';
}

function keyObject(key: Buffer): KeyObject {
  return createSecretKey(key);
}

/** The description of the symbol under which ssh2 (keyParser.js) keeps a parsed key's private PEM. */
const PRIVATE_PEM = 'Private key PEM';

/**
 * `key`: a private key parsed by ssh2's parseKey. Its private half becomes a KeyObject, which
 * ssh2's own sign() hands to Node where it handed the PEM text: the same key, algorithm and
 * signed bytes. (ssh2's getPrivatePEM() then returns that KeyObject; ssh2's client only compares
 * it with null.) A key not shaped as expected (another ssh2 version) is left as it is.
 */
export function signingKeyOnce(key: object): void {
  const symbol = Object.getOwnPropertySymbols(key).find((s) => s.description === PRIVATE_PEM);
  if (symbol === undefined) return;
  const fields = key as Record<symbol, unknown>;
  const pem = fields[symbol];
  if (typeof pem !== 'string') return;
  try {
    fields[symbol] = createPrivateKey(pem);
  } catch {
    // Node cannot read it on its own: ssh2 goes on signing with the text, as before
  }
}
