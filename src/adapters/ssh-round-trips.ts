/**
 * Two exchanges ssh2 makes on every connection that a run does not need. ssh2 1.x has no option
 * for either, so they are changed on the one connection's protocol object, reached through the
 * client as ssh2 builds it; when that object is not shaped as expected (another ssh2 version),
 * nothing is changed and the connection proceeds exactly as ssh2 would.
 *
 * - Public key login: ssh2 first asks whether the key would be accepted (a request without a
 *   signature), waits for the answer, and only then sends the signed request. RFC 4252 §7 lets a
 *   client send the signed request at once, and OpenSSH answers it with SUCCESS or FAILURE as it
 *   answers the question. That is one round trip and one authorized_keys pass on the server fewer
 *   per connection (per hop through a jump host).
 * - After login OpenSSH announces all of its host keys (hostkeys-00@openssh.com, for
 *   UpdateHostKeys), and ssh2 answers every announcement with hostkeys-prove, which makes the
 *   server sign once with each of its host keys. The run trusts only the pin checked during the
 *   key exchange and learns nothing from the announcement, so it is left unanswered, as OpenSSH's
 *   own client leaves it when UpdateHostKeys is off.
 */
import type { ParsedKey } from 'ssh2';

type Sign = (data: Buffer, done: (signature: Buffer) => void) => void;
type AuthPK = (username: string, key: unknown, keyAlgo?: string, sign?: Sign) => void;

/** The part of ssh2's client-side protocol object this module changes. */
interface Ssh2Protocol {
  authPK?: AuthPK;
  requestSuccess?: () => void;
  _handlers?: Record<string, unknown>;
}

const HOST_KEYS_ANNOUNCEMENT = 'hostkeys-00@openssh.com';

/** `client`: the ssh2 Client, once it has started connecting (node-ssh's `connection`). */
export function trimRoundTrips(client: unknown, key: ParsedKey): void {
  const protocol = (client as { _protocol?: Ssh2Protocol } | null | undefined)?._protocol;
  if (!protocol || typeof protocol !== 'object') return;
  signAtOnce(protocol, key);
  leaveHostKeysUnproved(protocol);
}

/** Every publickey request for `key` goes out signed; ssh2 signs the same bytes after PK_OK. */
function signAtOnce(protocol: Ssh2Protocol, key: ParsedKey): void {
  const authPK = protocol.authPK;
  if (typeof authPK !== 'function') return;
  protocol.authPK = function (this: Ssh2Protocol, username, pubKey, keyAlgo, sign) {
    if (sign !== undefined || pubKey !== key || typeof keyAlgo === 'function') {
      return authPK.call(this, username, pubKey, keyAlgo, sign);
    }
    authPK.call(this, username, pubKey, keyAlgo, (data, done) => {
      const signature = key.sign(data, hashFor(keyAlgo));
      // a key that cannot sign: ask first, as ssh2 does, and let its own signing report why
      if (signature instanceof Error) authPK.call(this, username, pubKey, keyAlgo);
      else done(signature);
    });
  };
}

/** The hash each public key algorithm signs with (as ssh2 pairs them when it signs itself). */
export function hashFor(keyAlgo: string | undefined): string | undefined {
  switch (keyAlgo) {
    case 'rsa-sha2-256':
      return 'sha256';
    case 'rsa-sha2-512':
      return 'sha512';
    case 'ssh-rsa':
      return 'sha1';
    default:
      return undefined; // Ed25519 and ECDSA keys: the algorithm fixes the hash
  }
}

function leaveHostKeysUnproved(protocol: Ssh2Protocol): void {
  const handlers = protocol._handlers;
  const handle = handlers?.GLOBAL_REQUEST;
  if (!handlers || typeof handle !== 'function') return;
  handlers.GLOBAL_REQUEST = (packet: unknown, name: unknown, wantReply: unknown, data: unknown) => {
    if (name !== HOST_KEYS_ANNOUNCEMENT) return handle(packet, name, wantReply, data);
    if (wantReply) protocol.requestSuccess?.();
  };
}
