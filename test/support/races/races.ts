/**
 * The race and fault harness (issue 19) for executors that delete paths or signal processes, on
 * real processes and real filesystems of this machine, as root, touching only temporary
 * directories the harness makes (under /tmp, and a victim tree under /dev/shm) and namespaces it
 * creates:
 *
 *   - `attack(...)` runs exchange.py as an unprivileged user (uid 65534) swapping a real entry and
 *     a symlink to the victim with renameat2(RENAME_EXCHANGE) while `iterate(...)` runs an action's
 *     rendered command (exactly what the executor sends) N times through `sh -s`;
 *   - `victimTree()` makes the tree nothing may ever delete and `snapshot()` lists it;
 *   - `freePortRace(...)` runs free_port_scenario.py as PID 1 of a private PID, network and
 *     cgroup namespace: holders of a port, a newcomer binding it in the SIGTERM→SIGKILL window,
 *     PID reuse through the namespace's ns_last_pid.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = fileURLToPath(new URL('.', import.meta.url));
export const PYTHON = '/usr/bin/python3';
/** The attacker: nobody, who owns only what the harness gives it. */
export const ATTACKER = 65534;

/** Why the harness cannot run here (not root, no unshare or python3), or undefined. */
export function raceSkipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (root-owned trees, an unprivileged attacker, namespaces)';
  for (const tool of [PYTHON, 'unshare', 'setpriv', 'ss']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `needs ${tool}`;
  }
  return undefined;
}

const made: string[] = [];

/** A fresh directory under `parent`, owned by `uid`, mode 0755; removed by `cleanUp`. */
export function tempDir(parent: string, prefix: string, uid = 0): string {
  const dir = mkdtempSync(join(parent, prefix));
  chmodSync(dir, 0o755);
  if (uid !== 0) chownSync(dir, uid, uid);
  made.push(dir);
  return dir;
}

export function subDir(parent: string, name: string, uid = 0): string {
  const dir = join(parent, name);
  mkdirSync(dir, { mode: 0o755 });
  chmodSync(dir, 0o755);
  if (uid !== 0) chownSync(dir, uid, uid);
  return dir;
}

export function cleanUp(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** The tree nothing may delete: outside /tmp and /run (so outside every lock directory too). */
export function victimTree(): string {
  const dir = tempDir('/dev/shm', 'claudeops-victim-');
  writeFileSync(join(dir, 'app.lock'), '999999\n');
  writeFileSync(join(dir, 'a.lock'), '999999\n');
  writeFileSync(join(dir, 'b.pid'), '999999\n');
  writeFileSync(join(dir, 'data'), 'keep me\n');
  mkdirSync(join(dir, 'nested'));
  writeFileSync(join(dir, 'nested', 'more'), 'keep me too\n');
  mkdirSync(join(dir, 'cache'));
  writeFileSync(join(dir, 'cache', 'file'), 'a cache of another tree\n');
  return dir;
}

/** Every path under `dir` (relative, sorted). */
export function snapshot(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).sort();
}

export interface Attack {
  stop(): Promise<number>;
}

/** exchange.py as the attacker on DIR/REAL ⇄ DIR/LINK (→ target), until stopped. */
export function attack(
  dir: string,
  real: string,
  link: string,
  kind: 'dir' | 'file',
  target: string,
): Attack {
  const child = spawn(
    'setpriv',
    [
      `--reuid=${ATTACKER}`,
      `--regid=${ATTACKER}`,
      '--clear-groups',
      PYTHON,
      join(HERE, 'exchange.py'),
      dir,
      real,
      link,
      kind,
      target,
      '3600',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  return {
    async stop() {
      child.kill('SIGTERM');
      const code = await exited;
      if (code !== 0) throw new Error(`the attacker failed (${code}): ${err}`);
      return Number(out.trim());
    },
  };
}

export interface Iterations {
  /** first output line of each run (its outcome), counted */
  outcomes: Record<string, number>;
  runs: number;
  /** the victim tree lost something: at which run, with what output */
  lost?: { run: number; output: string; missing: string[] };
}

/**
 * Runs `command` (a rendered catalog command) `runs` times with `sh -s`, as the executor does,
 * stopping at the first run after which the victim tree lost an entry.
 */
export function iterate(command: string, runs: number, victim: string): Iterations {
  const before = snapshot(victim);
  const outcomes: Record<string, number> = {};
  for (let run = 1; run <= runs; run += 1) {
    const result = spawnSync('sh', ['-s'], { input: `${command}\n`, encoding: 'utf8', timeout: 60_000 });
    const output = `${result.stdout}${result.stderr}`;
    const outcome = outcomeOf(output, result.status);
    outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    const missing = before.filter((p) => !snapshot(victim).includes(p));
    if (missing.length > 0) return { outcomes, runs: run, lost: { run, output, missing } };
  }
  return { outcomes, runs };
}

/** A run's outcome in a few words: its first line without paths and numbers (for the tally). */
function outcomeOf(output: string, status: number | null): string {
  const first = output.split('\n').find((l) => l.trim() !== '') ?? '(no output)';
  const words = first
    .replace(/\/[^\s:,)]*/g, 'PATH')
    .replace(/\d+/g, 'N')
    .slice(0, 90);
  return `exit ${status}: ${words}`;
}

export interface HolderSpec {
  id: string;
  /** the process's name (its comm, what ps and /proc show) */
  name: string;
  /** survives SIGTERM (only SIGKILL ends it) */
  ignore_term?: boolean;
  /** holds one socket shared with the other `shared` holders (one inode, several processes) */
  shared?: boolean;
  /** runs as the child of a process with this name (an sshd-session) */
  parent_name?: string;
  /** takes the PID of the holder that just exited */
  reuse_pid?: boolean;
}

export interface FreePortRace {
  port: number;
  command: string;
  holders: HolderSpec[];
  /** when this holder catches SIGTERM, the newcomer binds the port */
  onTermOf?: string;
  newcomer?: HolderSpec;
  /** a supervisord config to run in the namespace (the service to start) */
  supervisord?: string;
}

export interface FreePortResult {
  exit: number;
  output: string;
  pids: Record<string, number>;
  /** per process: `alive`, `exited N`, `killed by SIGKILL` … */
  processes: Record<string, string>;
  /** `<id> TERM` for each SIGTERM a holder caught, in order */
  caught: string[];
}

/** One free-port race in its own namespaces; `cwd` is where the command runs (supervisord.conf). */
export function freePortRace(spec: FreePortRace, cwd: string): FreePortResult {
  const file = join(cwd, 'spec.json');
  writeFileSync(
    file,
    JSON.stringify({
      port: spec.port,
      command: spec.command,
      cwd,
      holders: spec.holders,
      on_term_of: spec.onTermOf,
      newcomer: spec.newcomer,
      supervisord: spec.supervisord,
    }),
  );
  const out = execFileSync(
    'unshare',
    [
      '--pid',
      '--fork',
      '--mount-proc',
      '--net',
      '--cgroup',
      PYTHON,
      join(HERE, 'free_port_scenario.py'),
      file,
    ],
    { encoding: 'utf8', timeout: 150_000 },
  );
  const line = out
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('{"exit"'));
  if (!line) throw new Error(`free_port_scenario.py printed no result:\n${out}`);
  return JSON.parse(line) as FreePortResult;
}

/** A supervisord config in `dir` whose program `name` serves HTTP on the port when started. */
export function supervisorConf(dir: string, name: string, port: number): string {
  const conf = join(dir, 'supervisord.conf');
  writeFileSync(
    conf,
    [
      '[unix_http_server]',
      `file=${dir}/supervisor.sock`,
      '[supervisord]',
      `logfile=${dir}/supervisord.log`,
      `pidfile=${dir}/supervisord.pid`,
      `childlogdir=${dir}`,
      '[rpcinterface:supervisor]',
      'supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface',
      '[supervisorctl]',
      `serverurl=unix://${dir}/supervisor.sock`,
      `[program:${name}]`,
      `command=${PYTHON} -m http.server ${port} --bind 127.0.0.1`,
      'autostart=false',
      'startsecs=1',
      '',
    ].join('\n'),
  );
  return conf;
}

export function readText(path: string): string {
  return readFileSync(path, 'utf8');
}
