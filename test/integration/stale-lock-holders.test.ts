/**
 * remove-stale-lock judges the lock as it is (red team, session 8): a lock is stale only when no
 * living process owns it, and that is read from the kernel, not guessed from the file's digits.
 * Real processes hold real locks (flock(2), POSIX fcntl) on real files, or are named by a lock file
 * whose first line is their PID followed by more numbers (PostgreSQL's socket lock file: PID, data
 * directory, start time, port…). The rendered command — exactly what the executor sends — must
 * refuse every one of them (exit 3) and leave the file; a lock whose PID is dead and that nobody
 * holds is removed (the control).
 *
 * Run as root (CI is): the helper checks that every directory above the lock is root's.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { buildCatalog, renderAction } from '../../src/remediate/catalog.js';
import { config, server } from '../support/agent-fixtures.js';
import { cleanUp, PYTHON, raceSkipReason, tempDir } from '../support/races/races.js';

const skip = raceSkipReason();
if (skip) console.warn(`stale-lock holders skipped: ${skip}`);

afterAll(cleanUp);

function command(path: string): string {
  const cfg = config({ servers: [{ name: 'web1', transport: 'local' }] });
  const action = buildCatalog(server(cfg, 'web1'), cfg).actions.get('remove-stale-lock');
  if (!action) throw new Error('no remove-stale-lock in the catalog');
  const r = renderAction(action, { path });
  if (!r.ok) throw new Error(r.error);
  return r.value.command;
}

function runHelper(path: string): { exit: number | null; output: string } {
  const r = spawnSync('sh', ['-s'], { input: `${command(path)}\n`, encoding: 'utf8', timeout: 60_000 });
  return { exit: r.status, output: `${r.stdout}${r.stderr}` };
}

const children: ChildProcess[] = [];
afterEach(() => {
  // each holder leads its own process group: flock's child goes with it
  for (const child of children.splice(0)) if (child.pid) process.kill(-child.pid, 'SIGKILL');
});

/** Starts a process and waits until it prints a line (it holds what it holds from then on). */
async function holder(argv: string[]): Promise<number> {
  const child = spawn(argv[0] ?? '', argv.slice(1), {
    stdio: ['ignore', 'pipe', 'inherit'],
    detached: true,
  });
  children.push(child);
  await new Promise<void>((resolve, reject) => {
    child.stdout?.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`${argv.join(' ')} exited ${code}`)));
  });
  if (!child.pid) throw new Error('no pid');
  return child.pid;
}

const sleeper = () => holder(['sh', '-c', 'echo up; exec sleep 120']);
/** a PID no process has (beyond pid_max) */
const DEAD = '4999999';

interface LockCase {
  name: string;
  file: string;
  /** returns the lock file's text, after starting whatever holds it */
  arrange(path: string): Promise<string>;
  /** a live lock: refused, kept; otherwise removed */
  live: boolean;
}

const CASES: LockCase[] = [
  {
    name: 'a dead PID, nobody holds it (control: removed)',
    file: 'app.pid',
    arrange: async () => `${DEAD}\n`,
    live: false,
  },
  {
    name: "PostgreSQL's socket lock: the live postmaster's PID, then the data directory, start time and port",
    file: '.s.PGSQL.5432.lock',
    arrange: async () =>
      `${await sleeper()}\n/var/lib/postgresql/15/main\n1765094400\n5432\n/run/postgresql\n`,
    live: true,
  },
  {
    name: 'an empty lock file held with flock(2) by a live process (iptables’ xtables.lock)',
    file: 'xtables.lock',
    arrange: async (path) => {
      writeFileSync(path, '');
      await holder(['flock', path, 'sh', '-c', 'echo locked; exec sleep 120']);
      return '';
    },
    live: true,
  },
  {
    name: 'a lock file naming a dead PID, held with a POSIX fcntl lock by a live process',
    file: 'worker.lock',
    arrange: async (path) => {
      writeFileSync(path, `${DEAD}\n`);
      const script = [
        'import fcntl, os, sys, time',
        'fd = os.open(sys.argv[1], os.O_RDWR)',
        'fcntl.lockf(fd, fcntl.LOCK_EX)',
        'print("locked", flush=True)',
        'time.sleep(120)',
      ].join('\n');
      await holder([PYTHON, '-c', script, path]);
      return `${DEAD}\n`;
    },
    live: true,
  },
];

describe.skipIf(skip !== undefined)('remove-stale-lock: a lock a living process owns is not stale', () => {
  for (const c of CASES) {
    it(`${c.name}: ${c.live ? 'refused, kept' : 'removed'}`, async () => {
      const dir = tempDir('/tmp', 'claudeops-lock-');
      const path = join(dir, c.file);
      const text = await c.arrange(path);
      if (text !== '' || !existsSync(path)) writeFileSync(path, text);
      const r = runHelper(path);
      if (c.live) {
        expect(r.output).toMatch(/^refusing: /m);
        expect(r.exit, r.output).toBe(3);
        expect(existsSync(path)).toBe(true);
      } else {
        expect(r.output).toContain(`removed ${path}`);
        expect(r.exit, r.output).toBe(0);
        expect(existsSync(path)).toBe(false);
      }
    }, 60_000);
  }
});
