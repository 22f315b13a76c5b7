import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify, stripVTControlCharacters } from 'node:util';
import { describe, expect, it } from 'vitest';
import { displayWidth } from '../../src/core/render/terminal-table.js';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');
const PRINT = [
  'node',
  join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'),
  join(ROOT, 'test/support/tty-print.ts'),
];

/** Runs argv with stdin, stdout and stderr on a real pseudo-terminal of `columns` columns. */
const IN_PTY = `
import fcntl, os, pty, struct, subprocess, sys, termios
master, slave = pty.openpty()
fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack('HHHH', 24, int(sys.argv[1]), 0, 0))
child = subprocess.Popen(sys.argv[2:], stdin=slave, stdout=slave, stderr=slave, close_fds=True)
os.close(slave)
out = b''
while True:
    try:
        chunk = os.read(master, 65536)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
sys.stdout.buffer.write(out)
sys.exit(child.wait())
`;

async function inPty(columns: number, env: NodeJS.ProcessEnv): Promise<string> {
  const { stdout } = await run('python3', ['-c', IN_PTY, String(columns), ...PRINT], {
    env,
    timeout: 120_000,
  });
  return stdout.replace(/\r\n/g, '\n');
}

const baseEnv = () => {
  const env = { ...process.env };
  delete env.NO_COLOR;
  delete env.FORCE_COLOR;
  return env;
};

describe('the CLI on a real terminal (issue 22)', () => {
  it('colours the progress line and the report, fits the tables to the width, and prints no escapes when piped or NO_COLOR', async () => {
    const tty = await inPty(60, baseEnv());
    expect(tty).toContain('\u001b[31m✗ web1 critical: 1 critical 0.4s\u001b[0m');
    expect(tty).toContain('\u001b[31m🔴 critical\u001b[0m');
    expect(tty).not.toMatch(/&#\d+;|&lt;|```mermaid/);
    expect(tty).toContain('images <pulled> at every deploy');
    for (const line of tty.split('\n'))
      expect(displayWidth(stripVTControlCharacters(line)), line).toBeLessThanOrEqual(60);

    const noColour = await inPty(60, { ...baseEnv(), NO_COLOR: '1' });
    expect(noColour).toContain('✗ web1 critical: 1 critical 0.4s');
    expect(noColour).not.toContain('\u001b');

    const [cmd, ...args] = PRINT;
    const piped = await run(cmd as string, args, { env: baseEnv(), timeout: 120_000 });
    expect(piped.stderr).toBe('✗ web1 critical: 1 critical 0.4s\n');
    expect(piped.stdout).not.toContain('\u001b');
    expect(piped.stdout).toContain('images <pulled> at every deploy');
  }, 300_000);
});
