/**
 * The host key side of one SSH connection attempt: which key types to ask the server for, and the
 * callback ssh2 calls with the key it presented (rules in core/least-privilege/known-hosts.ts).
 */
import {
  fingerprintOf,
  type HostKeyVerdict,
  type KnownHosts,
  knownKeyTypes,
  verifyHostKey,
} from '../core/least-privilege/known-hosts.js';
import type { Hop } from './ssh-errors.js';

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
export function hostKeyAlgorithms(known: string[]): string[] {
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

/**
 * One attempt's host key check. It keeps what ssh2 does not pass on: the fingerprint the server
 * presented (for the shell and the insecure warning) and the verdict (a refused key surfaces from
 * ssh2 only as a generic handshake error).
 */
export class HostKeyCheck {
  fingerprint = '';
  verdict: HostKeyVerdict | undefined;

  constructor(
    private readonly knownHosts: KnownHosts,
    private readonly hop: Hop,
  ) {}

  /** `insecure_ignore_host_key: true`: any key is accepted (the caller warns loudly) */
  get insecure(): boolean {
    return this.hop.server.insecure_ignore_host_key === true;
  }

  algorithms(): string[] {
    return hostKeyAlgorithms(knownKeyTypes(this.knownHosts, this.hop.host, this.hop.port));
  }

  /** ssh2's hostVerifier: an arrow so it can be handed over detached */
  readonly verify = (key: Buffer): boolean => {
    this.fingerprint = fingerprintOf(key);
    if (this.insecure) return true;
    this.verdict = verifyHostKey({
      knownHosts: this.knownHosts,
      host: this.hop.host,
      port: this.hop.port,
      key,
      pin: this.hop.server.host_key,
      server: this.hop.server.name,
    });
    return this.verdict.ok;
  };

  /** How to pin the key seen, for the insecure warning. */
  pinAdvice(): string {
    const { server, port, host } = this.hop;
    return `put \`host_key: "${this.fingerprint}"\` on server ${server.name}, or add its line from \`ssh-keyscan -p ${port} ${host}\` to known-hosts.`;
  }
}
