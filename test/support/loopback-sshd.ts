/**
 * A real OpenSSH server on 127.0.0.1 for tests that need one without the lab: its own host key,
 * its own authorized_keys, key-only login as root, in a private mount namespace whose /run is a
 * fresh tmpfs (sshd's privilege separation directory lives there, not on the host). Needs root
 * and Linux (`unshare`); `loopbackSshdSkipReason()` says why it cannot run.
 *
 *   const sshd = await startLoopbackSshd();
 *   sshd.port, sshd.clientKey (private key text), sshd.hostKeyLine (`[127.0.0.1]:port ssh-ed25519 …`)
 *   await sshd.stop();
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface LoopbackSshd {
  port: number;
  dir: string;
  clientKey: string;
  /** a second key the server does not accept */
  otherKey: string;
  /** `[127.0.0.1]:PORT ssh-ed25519 BASE64` */
  hostKeyLine: string;
  /** SHA256:… of the host key */
  fingerprint: string;
  stop(): Promise<void>;
}

export function loopbackSshdSkipReason(): string | undefined {
  if (process.platform !== 'linux') return 'needs Linux';
  if (process.getuid?.() !== 0) return 'needs root (sshd, unshare)';
  try {
    execFileSync('sh', ['-c', 'command -v unshare && test -x /usr/sbin/sshd'], { stdio: 'ignore' });
  } catch {
    return 'needs /usr/sbin/sshd and unshare (openssh-server, util-linux)';
  }
  return undefined;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

function keygen(path: string): void {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'claudeops-test', '-f', path]);
}

async function listening(port: number, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`sshd exited ${child.exitCode}: ${log()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`sshd did not listen on ${port}: ${log()}`);
}

export interface SshdOptions {
  /** programs that are not there for the server's sessions (/dev/null bound over them) */
  hide?: string[];
  /** the sessions' `date` runs this many seconds ahead (a fake bound over /usr/bin/date) */
  clockOffsetSeconds?: number;
  /** sshd's `ForceCommand`: every session runs this instead of what the client asked (a hostile server) */
  forceCommand?: string;
}

export async function startLoopbackSshd(options: SshdOptions = {}): Promise<LoopbackSshd> {
  const dir = mkdtempSync(join(tmpdir(), 'claudeops-sshd-'));
  keygen(join(dir, 'host_ed25519'));
  keygen(join(dir, 'client'));
  keygen(join(dir, 'other'));
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'client.pub')));
  const port = await freePort();
  writeFileSync(
    join(dir, 'sshd_config'),
    [
      `ListenAddress 127.0.0.1:${port}`,
      `HostKey ${join(dir, 'host_ed25519')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      `PidFile ${join(dir, 'sshd.pid')}`,
      'LogLevel ERROR',
      ...(options.forceCommand ? [`ForceCommand ${options.forceCommand}`] : []),
      '',
    ].join('\n'),
  );
  // Everything below happens in sshd's own mount namespace, never on the host: a fresh /run
  // (privilege separation directory /run/sshd), hidden programs, a fake clock.
  const setup = ['mount -t tmpfs claudeops-sshd-run /run', 'mkdir -m 0755 /run/sshd'];
  for (const program of options.hide ?? []) setup.push(`mount --bind /dev/null ${program}`);
  if (options.clockOffsetSeconds !== undefined) {
    writeFileSync(join(dir, 'real-date'), '');
    writeFileSync(
      join(dir, 'fake-date'),
      `#!/bin/sh\ncase "$1" in +%s) echo $(( $(${join(dir, 'real-date')} +%s) + ${options.clockOffsetSeconds} )) ;; *) exec ${join(dir, 'real-date')} "$@" ;; esac\n`,
      { mode: 0o755 },
    );
    setup.push(
      `mount --bind /usr/bin/date ${join(dir, 'real-date')}`,
      `mount --bind ${join(dir, 'fake-date')} /usr/bin/date`,
    );
  }
  let stderr = '';
  const child = spawn(
    'unshare',
    [
      '--mount',
      '--propagation',
      'private',
      'sh',
      '-c',
      `${setup.join(' && ')} && exec /usr/sbin/sshd -D -e -f "$1"`,
      'sh',
      join(dir, 'sshd_config'),
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  await listening(port, child, () => stderr);
  const hostPub = readFileSync(join(dir, 'host_ed25519.pub'), 'utf8').trim().split(/\s+/);
  const fingerprint = execFileSync('ssh-keygen', ['-lf', join(dir, 'host_ed25519.pub')], {
    encoding: 'utf8',
  }).split(' ')[1];
  return {
    port,
    dir,
    clientKey: readFileSync(join(dir, 'client'), 'utf8'),
    otherKey: readFileSync(join(dir, 'other'), 'utf8'),
    hostKeyLine: `[127.0.0.1]:${port} ${hostPub[0]} ${hostPub[1]}`,
    fingerprint: fingerprint ?? '',
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
