/**
 * The SSH transport's login against a real OpenSSH server on loopback (test/support/loopback-sshd.ts),
 * read from ssh2's own protocol trace: the public key goes out signed in the first request (no
 * "would you accept this key?" round trip), OpenSSH's host key announcement is not answered with
 * hostkeys-prove, and every way a login ends stays as before (an RSA key with its SHA-2
 * signature, a key the server refuses as an `auth` failure). src/adapters/ssh-round-trips.ts.
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSshTransport, type SshTransportOptions } from '../../src/adapters/ssh.js';
import { hashFor, trimRoundTrips } from '../../src/adapters/ssh-round-trips.js';
import { serverSchema } from '../../src/config/schema.js';
import { ConnectError } from '../../src/core/ports/index.js';
import { type LoopbackSshd, loopbackSshdSkipReason, startLoopbackSshd } from '../support/loopback-sshd.js';

const skip = loopbackSshdSkipReason();
if (skip) console.warn(`SSH round-trip tests skipped: ${skip}`);

describe.skipIf(skip !== undefined)(
  'SSH login round trips against a real sshd on loopback',
  { timeout: 120_000 },
  () => {
    let sshd: LoopbackSshd;
    let rsaKey: string;

    beforeAll(async () => {
      sshd = await startLoopbackSshd();
      const rsa = join(sshd.dir, 'rsa');
      execFileSync('ssh-keygen', [
        '-q',
        '-t',
        'rsa',
        '-b',
        '3072',
        '-N',
        '',
        '-C',
        'claudeops-rsa',
        '-f',
        rsa,
      ]);
      appendFileSync(join(sshd.dir, 'authorized_keys'), readFileSync(`${rsa}.pub`));
      rsaKey = readFileSync(rsa, 'utf8');
    }, 60_000);

    afterAll(async () => {
      await sshd?.stop();
    });

    const server = () =>
      serverSchema.parse({ name: 'loop', host: '127.0.0.1', port: sshd.port, user: 'root' });

    /** Connects, runs one script, closes; returns the protocol trace and the script's output. */
    async function session(
      options: Partial<SshTransportOptions> = {},
    ): Promise<{ lines: string[]; stdout: string }> {
      const lines: string[] = [];
      const transport = createSshTransport({
        privateKey: sshd.clientKey,
        knownHosts: `${sshd.hostKeyLine}\n`,
        debug: (line) => lines.push(line),
        ...options,
      });
      const shell = await transport.connect(server());
      try {
        const result = await shell.run('echo "logged in as $(id -un)"');
        // the announcement comes right after login; the session outlives it
        await new Promise((r) => setTimeout(r, 200));
        return { lines, stdout: result.stdout };
      } finally {
        await shell.close();
      }
    }

    const authRequests = (lines: string[]) =>
      lines.filter((l) => l.startsWith('Outbound: Sending USERAUTH_REQUEST'));

    it('logs in with one signed publickey request: no query, no PK_OK', async () => {
      const { lines, stdout } = await session();
      expect(stdout.trim()).toBe('logged in as root');
      expect(authRequests(lines)).toEqual(['Outbound: Sending USERAUTH_REQUEST (publickey)']);
      expect(lines).not.toContain('Inbound: Received USERAUTH_PK_OK');
      expect(lines).toContain('Inbound: Received USERAUTH_SUCCESS');
    });

    it('hears the host key announcement and does not ask the server to prove its keys', async () => {
      const { lines } = await session();
      expect(lines).toContain('Inbound: GLOBAL_REQUEST (hostkeys-00@openssh.com)');
      expect(lines.filter((l) => l.includes('hostkeys-prove'))).toEqual([]);
    });

    it('signs an RSA key with SHA-2 in its first request', async () => {
      const { lines, stdout } = await session({ privateKey: rsaKey });
      expect(stdout.trim()).toBe('logged in as root');
      expect(authRequests(lines)).toEqual(['Outbound: Sending USERAUTH_REQUEST (publickey)']);
      expect(lines).toContain('Inbound: Received USERAUTH_SUCCESS');
    });

    it('reports a key the server refuses as an auth failure after one signed attempt', async () => {
      const lines: string[] = [];
      const transport = createSshTransport({
        privateKey: sshd.otherKey,
        knownHosts: `${sshd.hostKeyLine}\n`,
        debug: (line) => lines.push(line),
      });
      const error = await transport.connect(server()).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ConnectError);
      expect((error as ConnectError).kind).toBe('auth');
      expect((error as ConnectError).message).toContain(`root@127.0.0.1:${sshd.port}`);
      expect(authRequests(lines)).toEqual(['Outbound: Sending USERAUTH_REQUEST (publickey)']);
    });
  },
);

describe('trimRoundTrips on a client it does not recognise', () => {
  it('changes nothing when ssh2 keeps no protocol object where expected', () => {
    const key = {} as Parameters<typeof trimRoundTrips>[1];
    const authPK = () => undefined;
    const odd = { _protocol: { authPK: 'not a function', _handlers: null } };
    expect(() => trimRoundTrips(null, key)).not.toThrow();
    expect(() => trimRoundTrips({}, key)).not.toThrow();
    trimRoundTrips(odd, key);
    expect(odd._protocol).toEqual({ authPK: 'not a function', _handlers: null });
    const plain = { _protocol: { authPK } };
    trimRoundTrips(plain, key);
    expect(plain._protocol.authPK).not.toBe(authPK);
  });

  it('pairs each public key algorithm with the hash ssh2 signs it with', () => {
    expect(hashFor('rsa-sha2-256')).toBe('sha256');
    expect(hashFor('rsa-sha2-512')).toBe('sha512');
    expect(hashFor('ssh-rsa')).toBe('sha1');
    expect(hashFor('ssh-ed25519')).toBeUndefined();
    expect(hashFor(undefined)).toBeUndefined();
  });
});
