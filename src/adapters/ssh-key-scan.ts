/**
 * The host key a server presents, read from the SSH key exchange as `ssh-keyscan` does: the
 * connection is refused by our own host key callback right after the server proved it holds the
 * key, before any authentication, so nothing is sent to the server and nothing runs there.
 * `claudeops init` shows the fingerprint and asks before trusting it.
 */
import { NodeSSH } from 'node-ssh';
import { serverSchema } from '../config/schema.js';
import { fingerprintOf, hostKeyName, keyTypeOf } from '../core/least-privilege/known-hosts.js';
import { explainConnectFailure } from './ssh-errors.js';
import { hostKeyAlgorithms } from './ssh-host-key.js';

export interface ScannedKey {
  host: string;
  port: number;
  /** the key blob, as a known_hosts line carries it (base64) */
  key: Buffer;
  type: string;
  fingerprint: string;
  /** `host keytype base64` (`[host]:port …` off port 22) */
  knownHostsLine: string;
}

/**
 * Asks for the key types in the order the transport will (so the key pinned is the key a check
 * is shown); throws with a sentence a human can act on when no key arrives.
 */
export async function scanHostKey(
  target: { host: string; port: number; user: string },
  timeoutMs = 15_000,
): Promise<ScannedKey> {
  const { host, port, user } = target;
  let seen: Buffer | undefined;
  const ssh = new NodeSSH();
  try {
    await ssh.connect({
      host,
      port,
      username: 'claudeops-keyscan',
      readyTimeout: timeoutMs,
      algorithms: { serverHostKey: hostKeyAlgorithms([]) },
      hostVerifier: (key: Buffer) => {
        seen = Buffer.from(key);
        return false;
      },
    } as Parameters<NodeSSH['connect']>[0]);
  } catch (error) {
    if (!seen) {
      const server = serverSchema.parse({ name: 'keyscan', host, port, user });
      const hop = { server, host, port, user, who: `${user}@${host}:${port}` };
      throw explainConnectFailure({
        hop,
        error,
        verdict: undefined,
        via: undefined,
        connectTimeoutMs: timeoutMs,
      });
    }
  } finally {
    ssh.dispose();
  }
  if (!seen) throw new Error(`${host}:${port}: the server did not stop at the host key check`);
  const type = keyTypeOf(seen);
  if (!type) throw new Error(`${host}:${port}: presented a malformed host key`);
  return {
    host,
    port,
    key: seen,
    type,
    fingerprint: fingerprintOf(seen),
    knownHostsLine: `${hostKeyName(host, port)} ${type} ${seen.toString('base64')}`,
  };
}
