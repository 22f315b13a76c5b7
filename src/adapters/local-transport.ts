import type { ServerConfig } from '../config/schema.js';
import {
  type ExecOptions,
  type ExecResult,
  type RemoteShell,
  type Script,
  scriptText,
  type Transport,
} from '../core/ports/index.js';

/**
 * `transport: local`: the server is this machine, checked through execa. The zero-setup quick
 * start, and self-hosted runners checking themselves. Scripts go to `sh -s` on stdin, exactly as
 * over SSH, so every probe behaves the same on both transports.
 */
export class LocalShell implements RemoteShell {
  constructor(
    readonly server: string,
    private readonly sudo: boolean,
  ) {}

  async run(script: Script, options: ExecOptions = {}): Promise<ExecResult> {
    const started = performance.now();
    const input = await scriptText(script);
    const [file, args] = this.sudo ? ['sudo', ['-n', 'sh', '-s']] : ['sh', ['-s']];
    // loaded by the first local script: a run of SSH servers only never loads execa (0.2 of the
    // 1.8 MB of bundled code a check loaded, all of it before the collection could start:
    // compose.ts imports this module)
    const { execa } = await import('execa');
    const result = await execa(file, args, {
      input,
      reject: false,
      timeout: options.timeoutMs,
      killSignal: 'SIGKILL',
      stripFinalNewline: false,
      env: { LC_ALL: 'C', LANG: 'C' },
      extendEnv: true,
      // its own process group: a terminal's Ctrl-C meant for `claudeops watch` must not kill a script in flight
      detached: true,
    });
    return {
      stdout: result.stdout,
      stderr: result.stderr,
      code: result.timedOut ? null : (result.exitCode ?? null),
      durationMs: performance.now() - started,
      timedOut: Boolean(result.timedOut),
    };
  }

  async close(): Promise<void> {}
}

export const localTransport: Transport = {
  async connect(server: ServerConfig): Promise<RemoteShell> {
    return new LocalShell(server.name, server.sudo === true);
  },
};

/** Routes each server to its transport by `transport:`; SSH is built only when a config uses it. */
export function transportBySetting(ssh: () => Transport): Transport {
  let sshTransport: Transport | undefined;
  return {
    connect(server) {
      if (server.transport === 'local') return localTransport.connect(server);
      sshTransport ??= ssh();
      return sshTransport.connect(server);
    },
  };
}
