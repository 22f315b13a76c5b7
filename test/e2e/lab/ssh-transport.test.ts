import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSshTransport, type SshTransportOptions } from '../../../src/adapters/ssh.js';
import type { ServerConfig } from '../../../src/config/schema.js';
import { fingerprintOf } from '../../../src/core/least-privilege/known-hosts.js';
import { ConnectError } from '../../../src/core/ports/index.js';
import { type Lab, labIsUp, labSkipReason, startLab, stopLab, UNUSED_ADDRESS } from '../../lab/lab.js';

const skip = labSkipReason();
if (skip) console.warn(`ssh-transport integration tests skipped: ${skip}`);

describe.skipIf(skip !== undefined)('SSH transport against the lab sshd', () => {
  let lab: Lab;
  let startedHere = false;

  beforeAll(async () => {
    startedHere = !labIsUp();
    lab = await startLab({ light: 3, nspawn: true });
  }, 300_000);

  afterAll(async () => {
    // Leave a lab someone else started (or LAB_KEEP=1) for them; tear down our own.
    if (startedHere && process.env.LAB_KEEP !== '1') await stopLab();
  }, 120_000);

  const fp = (server: string, type = 'ssh-ed25519'): string => {
    const blob = lab.server(server).hostKeys[type];
    if (!blob) throw new Error(`no ${type} key for ${server}`);
    return fingerprintOf(Buffer.from(blob, 'base64'));
  };

  const transport = (options: Partial<SshTransportOptions> = {}) =>
    createSshTransport({
      privateKey: lab.clientKey,
      knownHosts: lab.knownHosts,
      connectTimeoutMs: 5_000,
      ...options,
    });

  async function refusal(promise: Promise<unknown>): Promise<ConnectError> {
    try {
      await promise;
    } catch (error) {
      if (error instanceof ConnectError) return error;
      throw error;
    }
    throw new Error('expected the connection to be refused');
  }

  it('connects with a pinned key, runs scripts on stdin, reuses the connection', async () => {
    const shell = await transport().connect(lab.serverConfig('s1'));
    try {
      expect(shell.fingerprint).toMatch(/^SHA256:/);
      // quotes, $, backticks and newlines reach sh untouched: the script is never on the command line
      const tricky = await shell.run(
        `x='a "b" $HOME \`c\`'\nprintf '%s\\n' "$x"\nhostname\nid -un\necho err >&2\nexit 3\n`,
      );
      expect(tricky.stdout).toBe('a "b" $HOME `c`\ns1\nlabops\n');
      expect(tricky.stderr).toBe('err\n');
      expect(tricky.code).toBe(3);
      expect(tricky.timedOut).toBe(false);
      const again = await shell.run('echo "$LC_ALL"; echo ünïcödé');
      expect(again.stdout).toBe('C\nünïcödé\n');
      expect(again.code).toBe(0);
      const [a, b] = await Promise.all([shell.run('echo a'), shell.run('echo b')]);
      expect([a.stdout, b.stdout]).toEqual(['a\n', 'b\n']);
    } finally {
      await shell.close();
    }
  });

  it('runs through sudo -n when the server sets sudo: true', async () => {
    const shell = await transport().connect(lab.serverConfig('s1', { sudo: true }));
    try {
      expect((await shell.run('id -un')).stdout).toBe('root\n');
    } finally {
      await shell.close();
    }
  });

  it('refuses an unknown host key, showing the fingerprint and how to pin it', async () => {
    const s1 = lab.server('s1');
    const error = await refusal(transport({ knownHosts: '' }).connect(lab.serverConfig('s1')));
    expect(error.kind).toBe('host-key');
    expect(error.message).toContain(fp('s1'));
    expect(error.message).toContain(`${s1.host} ssh-ed25519 ${s1.hostKeys['ssh-ed25519']}`);
    expect(error.message).toContain(`host_key: "${fp('s1')}"`);
    expect(error.message).toContain(`ssh-keyscan ${s1.host}`);
  });

  it('refuses a changed host key (another server’s key recorded for this address)', async () => {
    const s1 = lab.server('s1');
    const s2 = lab.server('s2');
    const wrong = `${s1.host} ssh-ed25519 ${s2.hostKeys['ssh-ed25519']}\n`;
    const error = await refusal(transport({ knownHosts: wrong }).connect(lab.serverConfig('s1')));
    expect(error.kind).toBe('host-key');
    expect(error.message).toContain('HOST KEY CHANGED');
    expect(error.message).toContain(fp('s1'));
    expect(error.message).toContain(fp('s2'));
  });

  it('refuses a key marked @revoked', async () => {
    const revoked = `${lab.knownHosts}@revoked * ssh-ed25519 ${lab.server('s1').hostKeys['ssh-ed25519']}\n`;
    const error = await refusal(transport({ knownHosts: revoked }).connect(lab.serverConfig('s1')));
    expect(error.kind).toBe('host-key');
    expect(error.message).toContain('@revoked');
  });

  it('accepts a hashed known_hosts entry made by ssh-keygen -H', async () => {
    const s2 = lab.server('s2');
    const dir = mkdtempSync(join(tmpdir(), 'claudeops-kh-'));
    try {
      const file = join(dir, 'known_hosts');
      writeFileSync(file, `${s2.host} ssh-ed25519 ${s2.hostKeys['ssh-ed25519']}\n`);
      execFileSync('ssh-keygen', ['-H', '-f', file], { stdio: 'ignore' });
      const hashed = readFileSync(file, 'utf8');
      expect(hashed).toMatch(/^\|1\|/);
      expect(hashed).not.toContain(s2.host);
      const shell = await transport({ knownHosts: hashed }).connect(lab.serverConfig('s2'));
      expect((await shell.run('hostname')).stdout).toBe('s2\n');
      await shell.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('matches [host]:port entries on that port only', async () => {
    const s3 = lab.server('s3');
    const onAlt = `[${s3.host}]:${s3.altPort} ssh-ed25519 ${s3.hostKeys['ssh-ed25519']}\n`;
    const shell = await transport({ knownHosts: onAlt }).connect(
      lab.serverConfig('s3', { port: s3.altPort }),
    );
    expect((await shell.run('hostname')).stdout).toBe('s3\n');
    await shell.close();
    const error = await refusal(transport({ knownHosts: onAlt }).connect(lab.serverConfig('s3')));
    expect(error.kind).toBe('host-key');
    const onDefault = `${s3.host} ssh-ed25519 ${s3.hostKeys['ssh-ed25519']}\n`;
    const other = await refusal(
      transport({ knownHosts: onDefault }).connect(lab.serverConfig('s3', { port: s3.altPort })),
    );
    expect(other.message).toContain(`ssh-keyscan -p ${s3.altPort} ${s3.host}`);
  });

  it('asks for the key type that is pinned (ECDSA entry, server also has Ed25519)', async () => {
    const s1 = lab.server('s1');
    const ecdsaOnly = `${s1.host} ecdsa-sha2-nistp256 ${s1.hostKeys['ecdsa-sha2-nistp256']}\n`;
    const shell = await transport({ knownHosts: ecdsaOnly }).connect(lab.serverConfig('s1'));
    expect(shell.fingerprint).toBe(fp('s1', 'ecdsa-sha2-nistp256'));
    await shell.close();
  });

  it('accepts a host_key pin from the config and refuses a wrong one', async () => {
    const shell = await transport({ knownHosts: '' }).connect(lab.serverConfig('s2', { host_key: fp('s2') }));
    expect((await shell.run('hostname')).stdout).toBe('s2\n');
    await shell.close();
    const error = await refusal(
      transport({ knownHosts: '' }).connect(lab.serverConfig('s2', { host_key: fp('s1') })),
    );
    expect(error.kind).toBe('host-key');
    expect(error.message).toContain('DOES NOT MATCH THE PIN');
    expect(error.message).toContain(fp('s2'));
  });

  it('connects with insecure_ignore_host_key and warns loudly', async () => {
    const logged: string[] = [];
    const t = transport({ knownHosts: '', logger: { warning: (m) => logged.push(m) } });
    const shell = await t.connect(lab.serverConfig('s3', { insecure_ignore_host_key: true }));
    expect((await shell.run('hostname')).stdout).toBe('s3\n');
    await shell.close();
    expect(t.warnings()).toHaveLength(1);
    expect(t.warnings()[0]).toContain('INSECURE');
    expect(t.warnings()[0]).toContain(fp('s3'));
    expect(logged).toEqual(t.warnings());
  });

  it('reports a closed port as unreachable, quickly, with host:port', async () => {
    const s1 = lab.server('s1');
    const started = Date.now();
    const error = await refusal(transport().connect(lab.serverConfig('s1', { port: 23 })));
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(error.kind).toBe('unreachable');
    expect(error.message).toContain(`${s1.host}:23`);
    expect(error.message).toContain('connection refused');
  });

  it('reports an address with no host as unreachable within the connect timeout', async () => {
    const started = Date.now();
    const server = { ...lab.serverConfig('s1'), name: 'ghost', host: UNUSED_ADDRESS };
    const error = await refusal(transport({ connectTimeoutMs: 4_000 }).connect(server));
    expect(Date.now() - started).toBeLessThan(6_000);
    // ARP gives up (EHOSTUNREACH) or the handshake timer fires first: both say where
    expect(['unreachable', 'timeout']).toContain(error.kind);
    expect(error.message).toContain(`${UNUSED_ADDRESS}:22`);
  });

  it('reports a key the server does not accept as an auth failure', async () => {
    const error = await refusal(
      transport({ privateKey: lab.unauthorizedKey }).connect(lab.serverConfig('s1')),
    );
    expect(error.kind).toBe('auth');
    expect(error.message).toContain('labops@');
    expect(error.message).toContain('authorized_keys');
  });

  it('kills a command at its timeout and keeps the connection usable', async () => {
    const shell = await transport().connect(lab.serverConfig('s2'));
    try {
      const started = Date.now();
      const result = await shell.run('echo started; sleep 30; echo never', { timeoutMs: 1_000 });
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(result.timedOut).toBe(true);
      expect(result.code).toBeNull();
      expect(result.stdout).toBe('started\n');
      expect((await shell.run('echo still here')).stdout).toBe('still here\n');
    } finally {
      await shell.close();
    }
  });

  it('connects through a jump host (both pinned)', async () => {
    const servers: ServerConfig[] = [lab.serverConfig('s1'), lab.serverConfig('s2', { jump: 's1' })];
    const target = servers[1];
    if (!target) throw new Error('fixture');
    const shell = await transport({ servers }).connect(target);
    try {
      const result = await shell.run('hostname; echo "$SSH_CONNECTION" | cut -d" " -f1');
      // the target sees the connection coming from the jump host's address, not the runner's
      expect(result.stdout).toBe(`s2\n${lab.server('s1').host}\n`);
    } finally {
      await shell.close();
    }
  });

  it('refuses a jump host whose own key is not pinned, and explains jump config errors', async () => {
    const s1 = lab.server('s1');
    const s2 = lab.server('s2');
    const onlyTarget = `${s2.host} ssh-ed25519 ${s2.hostKeys['ssh-ed25519']}\n`;
    const servers = [lab.serverConfig('s1'), lab.serverConfig('s2', { jump: 's1' })];
    const error = await refusal(
      transport({ servers, knownHosts: onlyTarget }).connect(servers[1] as ServerConfig),
    );
    expect(error.kind).toBe('host-key');
    expect(error.message).toContain(s1.host);
    const missing = await refusal(transport().connect(lab.serverConfig('s2', { jump: 'nope' })));
    expect(missing.kind).toBe('config');
    const loop = [lab.serverConfig('s1', { jump: 's2' }), lab.serverConfig('s2', { jump: 's1' })];
    const looped = await refusal(transport({ servers: loop }).connect(loop[0] as ServerConfig));
    expect(looped.kind).toBe('config');
    expect(looped.message).toContain('loop');
  });

  it('uses a passphrase-protected key, and says so when the passphrase is missing', async () => {
    const shell = await transport({ privateKey: lab.passphraseKey, passphrase: lab.passphrase }).connect(
      lab.serverConfig('s1'),
    );
    expect((await shell.run('id -un')).stdout).toBe('labops\n');
    await shell.close();
    const error = await refusal(transport({ privateKey: lab.passphraseKey }).connect(lab.serverConfig('s1')));
    expect(error.kind).toBe('config');
    expect(error.message).toContain('ssh-passphrase');
  });

  it('decrypts a passphrase-protected key once for every connection of the run', async () => {
    const ssh2 = (await import('ssh2')) as unknown as {
      default?: typeof import('ssh2');
    } & typeof import('ssh2');
    const utils = (ssh2.utils ? ssh2 : (ssh2.default as typeof import('ssh2'))).utils;
    const parse = utils.parseKey;
    let parses = 0;
    utils.parseKey = (...args: Parameters<typeof parse>) => {
      parses += 1;
      return parse(...args);
    };
    try {
      const t = transport({ privateKey: lab.passphraseKey, passphrase: lab.passphrase });
      const shells = await Promise.all(['s1', 's2', 's3', 's1'].map((s) => t.connect(lab.serverConfig(s))));
      const names = await Promise.all(shells.map(async (shell) => (await shell.run('hostname')).stdout));
      expect(names).toEqual(['s1\n', 's2\n', 's3\n', 's1\n']);
      await Promise.all(shells.map((shell) => shell.close()));
      expect(parses).toBe(1);
    } finally {
      utils.parseKey = parse;
    }
  });

  it('negotiates curve25519, AES-GCM and the pinned Ed25519 host key, and offers only what it chose', async () => {
    const lines: string[] = [];
    const shell = await transport({ debug: (line) => lines.push(line) }).connect(lab.serverConfig('s2'));
    await shell.close();
    expect(lines).toContain('Handshake: KEX algorithm: curve25519-sha256');
    expect(lines).toContain('Handshake: Host key format: ssh-ed25519');
    expect(lines).toContain('Handshake: C->S Cipher: aes128-gcm@openssh.com');
    expect(lines).toContain('Handshake: S->C cipher: aes128-gcm@openssh.com'); // ssh2 spells it so
    const offered = lines.find((l) => l.startsWith('Handshake: (local) KEX method:'));
    expect(offered).toBe(
      'Handshake: (local) KEX method: curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,diffie-hellman-group14-sha256,ext-info-c,kex-strict-c-v00@openssh.com',
    );
  });

  it('reaches the systemd server with real services', async () => {
    const shell = await transport().connect(lab.serverConfig('sys'));
    try {
      const result = await shell.run(
        'systemctl is-active nginx postgresql redis-server supervisor lab-heartbeat; sudo -n supervisorctl status lab-app',
      );
      expect(result.stdout).toMatch(/^(active\n){5}lab-app\s+RUNNING/);
    } finally {
      await shell.close();
    }
  });
});
