/**
 * A tiny real Transport for tests: every script goes to `sh -s` on stdin in a chosen working
 * directory, exactly as over SSH. Unlike the lead's LocalShell it lets a test pick the cwd and
 * environment (so supervisorctl finds a test supervisord's config) and kills the whole process
 * group on timeout.
 */
import { spawn } from 'node:child_process';
import type { ServerConfig } from '../../src/config/schema.js';
import type { ExecOptions, ExecResult, RemoteShell, Transport } from '../../src/core/ports/index.js';

export class ShShell implements RemoteShell {
  readonly scripts: string[] = [];
  constructor(
    readonly server: string,
    private readonly cwd: string,
    private readonly env: Record<string, string> = {},
  ) {}

  run(script: string, options: ExecOptions = {}): Promise<ExecResult> {
    this.scripts.push(script);
    const started = performance.now();
    return new Promise((resolve) => {
      const child = spawn('sh', ['-s'], {
        cwd: this.cwd,
        env: { ...process.env, LC_ALL: 'C', ...this.env },
        detached: true,
      });
      let stdout = '';
      let stderr = '';
      let timedOut = false;
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const timer = options.timeoutMs
        ? setTimeout(() => {
            timedOut = true;
            if (child.pid) process.kill(-child.pid, 'SIGKILL');
          }, options.timeoutMs)
        : undefined;
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({
          stdout,
          stderr,
          code: timedOut ? null : code,
          durationMs: performance.now() - started,
          timedOut,
        });
      });
      child.stdin.end(script);
    });
  }

  async close(): Promise<void> {}
}

export function shTransport(
  cwd: string,
  env: Record<string, string> = {},
): Transport & { shells: ShShell[] } {
  const shells: ShShell[] = [];
  return {
    shells,
    async connect(server: ServerConfig) {
      const shell = new ShShell(server.name, cwd, env);
      shells.push(shell);
      return shell;
    },
  };
}
