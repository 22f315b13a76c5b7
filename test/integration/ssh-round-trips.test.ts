/**
 * The SSH transport's login against a real OpenSSH server on loopback (test/support/loopback-sshd.ts),
 * read from ssh2's own protocol trace: the public key goes out signed in the first request (no
 * "would you accept this key?" round trip), OpenSSH's host key announcement is not answered with
 * hostkeys-prove, and every way a login ends stays as before (an RSA key with its SHA-2
 * signature, a key the server refuses as an `auth` failure). src/adapters/ssh-round-trips.ts.
 * Below the protocol (src/adapters/ssh-wire.ts): the AES-GCM keys are KeyObjects once logged in
 * and a large exchange still round-trips byte for byte, the client key signs from a KeyObject
 * (the same signature bytes as from its PEM, for ssh-keygen's Ed25519, RSA and ECDSA keys), the packets of one tick leave in one
 * socket write, and a TCP connection opened early that fails or is closed still ends in the
 * ConnectError ssh2's own socket gave. Handshakes to one address (a jump host) are paced below
 * sshd's MaxStartups whatever the run's own limit. A connection warmed before the run needs it is the one
 * connect() takes, and closed on release() when nothing took it.
 */
import { execFileSync } from 'node:child_process';
import { createPublicKey, KeyObject, verify } from 'node:crypto';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { type AddressInfo, createServer, Socket, connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  createSshTransport,
  HANDSHAKES,
  HANDSHAKES_PER_ADDRESS,
  type SshTransportOptions,
} from '../../src/adapters/ssh.js';
import { hashFor, trimRoundTrips } from '../../src/adapters/ssh-round-trips.js';
import { gcmKeysOnce, signingKeyOnce } from '../../src/adapters/ssh-wire.js';
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

    /** The ssh2 protocol object under a shell (the transport keeps it private). */
    const protocolOf = (shell: unknown) =>
      (shell as { conn: { ssh: { connection: { _protocol: Record<string, Record<string, unknown>> } } } })
        .conn.ssh.connection._protocol;

    it('keeps the AES-GCM keys as KeyObjects and moves 1 MiB each way intact', async () => {
      const lines: string[] = [];
      const transport = createSshTransport({
        privateKey: sshd.clientKey,
        knownHosts: `${sshd.hostKeyLine}\n`,
        debug: (line) => lines.push(line),
      });
      const shell = await transport.connect(server());
      try {
        const protocol = protocolOf(shell);
        expect(protocol._cipher?._encKey).toBeInstanceOf(KeyObject);
        expect(protocol._decipher?._decipherKey).toBeInstanceOf(KeyObject);
        expect(lines.some((l) => /cipher.*aes128-gcm@openssh\.com/.test(l))).toBe(true);
        // the script goes out on stdin (encrypted here) and comes back (decrypted here)
        const blob = Array.from({ length: 16_384 }, (_, i) => `line ${i} ${'x'.repeat(i % 50)}`).join('\n');
        const result = await shell.run(`cat <<'EOF'\n${blob}\nEOF\nhead -c 1048576 /dev/zero | tr '\\0' 'z'`);
        expect(result.code).toBe(0);
        expect(result.stdout).toBe(`${blob}\n${'z'.repeat(1_048_576)}`);
      } finally {
        await shell.close();
      }
    });

    it('sends the packets of one tick in one socket write', async () => {
      const lines: string[] = [];
      const writev = vi.spyOn(Socket.prototype, '_writev');
      const write = vi.spyOn(Socket.prototype, '_write');
      let writes: number;
      try {
        await session({ debug: (line) => lines.push(line) });
      } finally {
        writes = writev.mock.calls.length + write.mock.calls.length;
        writev.mockRestore();
        write.mockRestore();
      }
      const packets = lines.filter((l) => l.startsWith('Outbound: ')).length;
      expect(packets).toBeGreaterThan(5);
      // ssh2 writes every encrypted packet in three or more pieces
      expect(writes).toBeGreaterThan(0);
      expect(writes).toBeLessThanOrEqual(packets);
    });

    /** Resolves once `lines` holds `line` (ssh2's trace arrives as the protocol runs). */
    async function traced(lines: string[], line: string): Promise<void> {
      const deadline = Date.now() + 60_000;
      while (!lines.includes(line)) {
        if (Date.now() > deadline) throw new Error(`no "${line}" in the trace:\n${lines.join('\n')}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    }

    it('has at most HANDSHAKES_PER_ADDRESS handshakes to one address in flight, the next as one logs in', async () => {
      // below OpenSSH's default MaxStartups (10:30:100), within the run's own limit
      expect(HANDSHAKES_PER_ADDRESS).toBeLessThan(10);
      expect(HANDSHAKES_PER_ADDRESS).toBeLessThan(HANDSHAKES);
      // a TCP relay in front of sshd notes when each connection arrives: the transport opens a
      // server's TCP connection when its handshake's turn comes
      const arrived: number[] = [];
      const relay = createServer((client) => {
        arrived.push(performance.now());
        const upstream = tcpConnect(sshd.port, '127.0.0.1');
        client.pipe(upstream).pipe(client);
        client.on('error', () => upstream.destroy());
        upstream.on('error', () => client.destroy());
      });
      await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
      const port = (relay.address() as AddressInfo).port;
      const transport = createSshTransport({
        privateKey: sshd.clientKey,
        knownHosts: `${sshd.hostKeyLine.replace(/^\[127\.0\.0\.1\]:\d+/, `[127.0.0.1]:${port}`)}\n`,
        handshakesPerAddress: 3,
      });
      const servers = Array.from({ length: 9 }, (_, i) =>
        serverSchema.parse({ name: `via${i}`, host: '127.0.0.1', port, user: 'root' }),
      );
      const loggedIn: number[] = [];
      const shells = await Promise.all(
        servers.map(async (s) => {
          const shell = await transport.connect(s);
          loggedIn.push(performance.now());
          return shell;
        }),
      );
      try {
        expect(arrived).toHaveLength(9);
        const firstLogin = Math.min(...loggedIn);
        // three at once; the fourth only once one of them had logged in
        expect(arrived.filter((t) => t < firstLogin)).toHaveLength(3);
        expect((await shells[8]?.run('echo last'))?.stdout.trim()).toBe('last');
      } finally {
        await Promise.all(shells.map((shell) => shell.close()));
        await new Promise((resolve) => relay.close(resolve));
      }
    });

    it('logs in when warmed, before connect(); connect() then takes that login, not a second one', async () => {
      const lines: string[] = [];
      const transport = createSshTransport({
        privateKey: sshd.clientKey,
        knownHosts: `${sshd.hostKeyLine}\n`,
        debug: (line) => lines.push(line),
      });
      const loop = server();
      await transport.warm([loop]);
      // resolved once the handshake started: ssh2 has the socket and its identification is out
      expect(lines.filter((l) => l.startsWith('Local ident:'))).toHaveLength(1);
      await traced(lines, 'Inbound: Received USERAUTH_SUCCESS');
      const shell = await transport.connect(loop);
      try {
        expect((await shell.run('echo warmed')).stdout.trim()).toBe('warmed');
      } finally {
        await shell.close();
      }
      expect(lines.filter((l) => l === 'Inbound: Received USERAUTH_SUCCESS')).toHaveLength(1);
      expect(lines.filter((l) => l === 'Socket connected')).toHaveLength(1);
      // taken once: a second connect() of the same server logs in anew
      transport.release();
      const again = await transport.connect(loop);
      await again.close();
      expect(lines.filter((l) => l === 'Inbound: Received USERAUTH_SUCCESS')).toHaveLength(2);
    });

    it('closes a warmed connection nobody took on release(), and reports a warmed failure at connect()', async () => {
      const lines: string[] = [];
      const transport = createSshTransport({
        privateKey: sshd.clientKey,
        knownHosts: `${sshd.hostKeyLine}\n`,
        debug: (line) => lines.push(line),
      });
      await transport.warm([server()]);
      await traced(lines, 'Inbound: Received USERAUTH_SUCCESS');
      transport.release();
      await traced(lines, 'Socket closed');
      const refused = createSshTransport({ privateKey: sshd.otherKey, knownHosts: `${sshd.hostKeyLine}\n` });
      const loop = server();
      await refused.warm([loop]);
      // the failure waits for the connect() that takes it: no unhandled rejection meanwhile
      await new Promise((r) => setTimeout(r, 1_000));
      const error = await refused.connect(loop).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ConnectError);
      expect((error as ConnectError).kind).toBe('auth');
    });

    it('reports a refused port as unreachable (the TCP connection opened before ssh2 loads)', async () => {
      const closed = createServer();
      await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
      const port = (closed.address() as { port: number }).port;
      await new Promise((r) => closed.close(r));
      const transport = createSshTransport({
        privateKey: sshd.clientKey,
        knownHosts: `${sshd.hostKeyLine}\n`,
      });
      const error = await transport
        .connect(serverSchema.parse({ name: 'gone', host: '127.0.0.1', port, user: 'root' }))
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(error).toBeInstanceOf(ConnectError);
      expect((error as ConnectError).kind).toBe('unreachable');
      expect((error as ConnectError).message).toContain('connection refused');
    });

    it('reports a server that closes at once as unreachable, without waiting for the timeout', async () => {
      const rude = createServer((socket) => socket.destroy());
      await new Promise<void>((r) => rude.listen(0, '127.0.0.1', r));
      const port = (rude.address() as { port: number }).port;
      try {
        const transport = createSshTransport({
          privateKey: sshd.clientKey,
          knownHosts: `${sshd.hostKeyLine}\n`,
          connectTimeoutMs: 60_000,
        });
        const started = performance.now();
        const error = await transport
          .connect(serverSchema.parse({ name: 'rude', host: '127.0.0.1', port, user: 'root' }))
          .then(
            () => undefined,
            (e: unknown) => e,
          );
        expect(error).toBeInstanceOf(ConnectError);
        expect((error as ConnectError).kind).toBe('unreachable');
        expect(performance.now() - started).toBeLessThan(30_000);
      } finally {
        await new Promise((r) => rude.close(r));
      }
    });
  },
);

describe('gcmKeysOnce on a client it does not recognise', () => {
  it('changes only a GCM cipher and decipher holding key bytes', () => {
    const key = Buffer.alloc(16, 7);
    expect(() => gcmKeysOnce(null)).not.toThrow();
    expect(() => gcmKeysOnce({})).not.toThrow();
    expect(() => gcmKeysOnce({ _protocol: {} })).not.toThrow();
    const ctr = {
      _protocol: { _cipher: { _encSSLName: 'aes-128-ctr', _encKey: key }, _decipher: undefined },
    };
    gcmKeysOnce(ctr);
    expect(ctr._protocol._cipher._encKey).toBe(key);
    const gcm = {
      _protocol: {
        _cipher: { _encSSLName: 'aes-128-gcm', _encKey: key },
        _decipher: { _decipherSSLName: 'aes-256-gcm', _decipherKey: 'not bytes' },
      },
    };
    gcmKeysOnce(gcm);
    const made = gcm._protocol._cipher._encKey as unknown as KeyObject;
    expect(made).toBeInstanceOf(KeyObject);
    expect(made.export().equals(key)).toBe(true);
    expect(gcm._protocol._decipher._decipherKey).toBe('not bytes');
  });
});

describe('signingKeyOnce', () => {
  /** ssh2's own parser (the transport's parseClientKey calls it the same way). */
  async function parse(text: string) {
    const ssh2 = await import('ssh2');
    const { utils } = ssh2.utils ? ssh2 : (ssh2 as unknown as { default: typeof ssh2 }).default;
    const parsed = utils.parseKey(text);
    if (parsed instanceof Error || Array.isArray(parsed)) throw new Error('unexpected parse result');
    return parsed;
  }
  const pemOf = (key: object) => {
    const symbol = Object.getOwnPropertySymbols(key).find((s) => s.description === 'Private key PEM');
    return symbol ? (key as Record<symbol, unknown>)[symbol] : undefined;
  };

  it.each([
    ['ed25519', [], undefined],
    ['rsa', ['-b', '3072'], 'sha512'],
    ['ecdsa', ['-b', '256'], undefined],
  ] as const)(
    'signs with a KeyObject an ssh-keygen %s key, giving signatures its public key verifies',
    async (type, bits, hash) => {
      const dir = mkdtempSync(join(tmpdir(), 'claudeops-signing-'));
      try {
        execFileSync('ssh-keygen', ['-q', '-t', type, ...bits, '-N', '', '-f', join(dir, 'key')]);
        const text = readFileSync(join(dir, 'key'), 'utf8');
        const data = Buffer.from('session id and the USERAUTH_REQUEST it signs');
        const before = await parse(text);
        const expected = before.sign(data, hash);
        const key = await parse(text);
        signingKeyOnce(key);
        expect(pemOf(key)).toBeInstanceOf(KeyObject);
        expect(key.isPrivateKey()).toBe(true);
        const signature = key.sign(data, hash);
        if (!(signature instanceof Buffer) || !(expected instanceof Buffer)) throw new Error('no signature');
        const publicKey = createPublicKey(key.getPublicPEM());
        expect(verify(hash ?? null, data, publicKey, signature)).toBe(true);
        // Ed25519 and RSA PKCS#1 v1.5 signatures are deterministic: the very bytes ssh2 made from the PEM
        if (type !== 'ecdsa') expect(signature.equals(expected)).toBe(true);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  it('leaves a key it does not recognise as it is', () => {
    const odd = { [Symbol('Private key PEM')]: null, other: 'x' };
    expect(() => signingKeyOnce({})).not.toThrow();
    signingKeyOnce(odd);
    expect(pemOf(odd)).toBeNull();
    const unreadable = { [Symbol('Private key PEM')]: 'not a PEM' };
    signingKeyOnce(unreadable);
    expect(pemOf(unreadable)).toBe('not a PEM');
  });
});

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
