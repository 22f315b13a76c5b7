/**
 * Executors that cannot be turned against the server (issue 19), attacked on real processes and
 * real filesystems (test/support/races/races.ts): every catalog action that takes a path runs its
 * rendered command — exactly what the executor sends — 200 times while an unprivileged attacker
 * swaps a directory or file with a symlink to a victim tree (renameat2 RENAME_EXCHANGE), and the
 * victim must lose nothing; free-port meets processes that bind its port in the SIGTERM→SIGKILL
 * window (a process named sshd, an sshd-session's child, a process reusing the PID that just
 * exited) and holders it must never signal (systemd-resolve, an sshd-session's `ssh -R`
 * listener), each in a private PID and network namespace.
 *
 * Run as root (CI is); skipped with the reason otherwise. The lab's systemd server adds
 * `Restart=` (test/e2e/lab/free-port.test.ts) and `sudo: actions` (test/e2e/lab/least-privilege.test.ts).
 */
import { symlinkSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { buildCatalog, renderAction } from '../../src/remediate/catalog.js';
import { config, server } from '../support/agent-fixtures.js';
import {
  ATTACKER,
  attack,
  cleanUp,
  type FreePortRace,
  freePortRace,
  iterate,
  raceSkipReason,
  snapshot,
  subDir,
  supervisorConf,
  tempDir,
  victimTree,
} from '../support/races/races.js';

const skip = raceSkipReason();
if (skip) console.warn(`executor races skipped: ${skip}`);
const RUNS = 200;

afterAll(cleanUp);

function rendered(action: string, params: Record<string, string>, srv: Record<string, unknown> = {}): string {
  const cfg = config({ servers: [{ name: 'web1', transport: 'local', ...srv }] });
  const found = buildCatalog(server(cfg, 'web1'), cfg).actions.get(action);
  if (!found) throw new Error(`no ${action} in the catalog`);
  const r = renderAction(found, params);
  if (!r.ok) throw new Error(r.error);
  return r.value.command;
}

interface PathRace {
  name: string;
  /** builds the trees; returns the command to run, the attack to run beside it (if any) */
  arrange(victim: string): {
    command: string;
    /** exchange.py on dir/real ⇄ dir/link, the link leading to `target` (default: the victim) */
    attack?: { dir: string; real: string; link: string; kind: 'dir' | 'file'; target?: string };
  };
  runs: number;
  /** what every run's outcome must look like */
  outcome: RegExp;
}

const PATH_RACES: PathRace[] = [
  {
    name: 'remove-stale-lock through a symlinked directory /tmp/<svc> → the app’s directory',
    arrange(victim) {
      const base = tempDir('/tmp', 'claudeops-race-');
      symlinkSync(victim, `${base}/svc`);
      return { command: rendered('remove-stale-lock', { path: `${base}/svc/app.lock` }) };
    },
    runs: 1,
    outcome: /^exit 2: refusing: PATH resolves to PATH, outside the lock directories$/,
  },
  {
    name: 'remove-stale-lock while the directory above the lock is swapped with a symlink',
    arrange() {
      const base = tempDir('/tmp', 'claudeops-race-', ATTACKER);
      return {
        command: rendered('remove-stale-lock', { path: `${base}/svc/a.lock` }),
        attack: { dir: base, real: 'svc', link: 'swap', kind: 'dir' },
      };
    },
    runs: RUNS,
    outcome:
      /^exit (2: refusing: PATH (belongs to uid N inside PATH, which others may write|resolves to PATH, outside the lock directories)|0: already gone)/,
  },
  {
    name: 'remove-stale-lock while the lock itself is swapped with a symlink to another lock',
    arrange(victim) {
      const base = tempDir('/tmp', 'claudeops-race-');
      const app = subDir(base, 'app', ATTACKER);
      return {
        command: rendered('remove-stale-lock', { path: `${app}/app.lock` }),
        attack: {
          dir: app,
          real: 'app.lock',
          link: 'other.lock',
          kind: 'file',
          target: `${victim}/app.lock`,
        },
      };
    },
    runs: RUNS,
    // dd's O_NOFOLLOW catches a swap after the symlink test: "cannot read", exit 4; a swap after
    // the lock was judged: another inode at its name, "replaced", exit 2
    outcome:
      /^exit (0: (removed|already gone)|2: refusing: PATH (is not a regular file|was replaced while it was judged)|4: refusing: cannot read PATH)/,
  },
  {
    name: 'clear-directory while a parent of the directory is swapped with a symlink',
    arrange() {
      const base = tempDir('/tmp', 'claudeops-race-');
      const att = subDir(base, 'att', ATTACKER);
      const dir = `${att}/p/cache`;
      return {
        command: rendered('clear-directory', { directory: dir }, { clearable: [dir] }),
        attack: { dir: att, real: 'p', link: 'swap', kind: 'dir' },
      };
    },
    runs: RUNS,
    outcome:
      /^exit 2: refusing: PATH (belongs to uid N, not root|resolves to PATH \(a symlink on the way\)|is not a directory)/,
  },
  {
    name: 'clear-directory while a directory inside it is swapped with a symlink',
    arrange() {
      const base = tempDir('/tmp', 'claudeops-race-');
      const cache = subDir(base, 'cache', ATTACKER);
      return {
        command: rendered('clear-directory', { directory: cache }, { clearable: [cache] }),
        attack: { dir: cache, real: 'sub', link: 'swap', kind: 'dir' },
      };
    },
    runs: RUNS,
    outcome: /^exit 0: cleared PATH: N entries removed$/,
  },
];

describe.skipIf(skip !== undefined)('path-taking actions under a renameat2 exchange attack', () => {
  for (const race of PATH_RACES) {
    it(`${race.name}: the victim loses nothing in ${race.runs} run(s)`, async () => {
      const victim = victimTree();
      const before = snapshot(victim);
      const { command, attack: spec } = race.arrange(victim);
      const attacker = spec
        ? attack(spec.dir, spec.real, spec.link, spec.kind, spec.target ?? victim)
        : undefined;
      let result: ReturnType<typeof iterate>;
      let swaps = 0;
      try {
        result = iterate(command, race.runs, victim);
      } finally {
        swaps = (await attacker?.stop()) ?? 0;
      }
      console.log(
        `${race.name}: ${result.runs} runs, ${swaps} swaps, outcomes ${JSON.stringify(result.outcomes)}`,
      );
      expect(result.lost, JSON.stringify(result.lost)).toBeUndefined();
      expect(snapshot(victim)).toEqual(before);
      expect(result.runs).toBe(race.runs);
      if (spec) expect(swaps).toBeGreaterThan(race.runs);
      for (const outcome of Object.keys(result.outcomes)) expect(outcome).toMatch(race.outcome);
    }, 600_000);
  }
});

/** A port in the race's private network namespace (nothing else listens there). */
const PORT = 18080;

function freePortCommand(): string {
  return rendered(
    'free-port',
    { service: 'web' },
    { services: [{ name: 'web', manager: 'supervisor', port: PORT }] },
  );
}

interface ProcessRace {
  name: string;
  race: Omit<FreePortRace, 'port' | 'command'>;
  check(r: ReturnType<typeof freePortRace>): void;
}

const SQUATTER = { id: 'squatter', name: 'squatter', ignore_term: true };
/** two holders of one socket: `first` exits on SIGTERM (its PID comes free), `second` stays */
const SHARING = [
  { id: 'first', name: 'squatter', shared: true },
  { id: 'second', name: 'squatter', ignore_term: true, shared: true },
];

const PROCESS_RACES: ProcessRace[] = [
  {
    name: 'a process named sshd binds the port after the SIGTERM: it is judged, not killed',
    race: { holders: [SQUATTER], onTermOf: 'squatter', newcomer: { id: 'sshd', name: 'sshd' } },
    check(r) {
      expect(r.processes.sshd).toBe('alive');
      expect(r.exit).toBe(3);
      expect(r.output).toContain(`refusing: PID ${r.pids.sshd} on port ${PORT}: it (sshd) is sshd`);
    },
  },
  {
    name: 'the child of an sshd-session binds the port after the SIGTERM (an ssh -R listener)',
    race: {
      holders: [SQUATTER],
      onTermOf: 'squatter',
      newcomer: { id: 'forward', name: 'forwarder', parent_name: 'sshd-session' },
    },
    check(r) {
      expect(r.processes.forward).toBe('alive');
      expect(r.exit).toBe(3);
      expect(r.output).toMatch(/refusing: PID \d+ on port \d+: PID \d+ \(sshd-session\) is sshd-\*/);
    },
  },
  {
    name: 'a process named sshd takes the PID of the holder that just exited (PID reuse)',
    race: {
      holders: SHARING,
      onTermOf: 'first',
      newcomer: { id: 'sshd', name: 'sshd', reuse_pid: true },
    },
    check(r) {
      expect(r.pids.sshd).toBe(r.pids.first);
      expect(r.processes.sshd).toBe('alive');
      expect(r.exit).toBe(3);
      expect(r.output).toContain(`refusing: PID ${r.pids.sshd} on port ${PORT}: it (sshd) is sshd`);
    },
  },
  {
    name: 'an unprotected process reuses the PID: judged again and sent SIGTERM, never SIGKILL blind',
    race: {
      holders: SHARING,
      onTermOf: 'first',
      newcomer: { id: 'reuser', name: 'reuser', reuse_pid: true },
    },
    check(r) {
      expect(r.pids.reuser).toBe(r.pids.first);
      expect(r.caught).toContain('reuser TERM');
      expect(r.processes.reuser).toBe('exited 0');
      expect(r.processes.second).toBe('killed by SIGKILL');
      expect(r.output).toContain(`PID ${r.pids.reuser} is another process now`);
    },
  },
  {
    name: 'systemd-resolve holds the port: nothing is signalled',
    race: { holders: [{ id: 'resolved', name: 'systemd-resolve' }] },
    check(r) {
      expect(r.processes.resolved).toBe('alive');
      expect(r.caught).toEqual([]);
      expect(r.exit).toBe(3);
      expect(r.output).toMatch(/it \(systemd-resolve\) is systemd-\*/);
    },
  },
  {
    name: 'an sshd-session’s child holds the port from the start: nothing is signalled',
    race: { holders: [{ id: 'forward', name: 'forwarder', parent_name: 'sshd-session' }] },
    check(r) {
      expect(r.processes.forward).toBe('alive');
      expect(r.caught).toEqual([]);
      expect(r.exit).toBe(3);
    },
  },
  {
    name: 'control: a squatter that ignores SIGTERM is killed a round later and the service starts',
    race: { holders: [SQUATTER] },
    check(r) {
      expect(r.caught).toEqual(['squatter TERM']);
      expect(r.processes.squatter).toBe('killed by SIGKILL');
      expect(r.output).toContain(`PID ${r.pids.squatter} still holds port ${PORT} after 5 s: SIGKILL`);
      expect(r.output).toContain(`web is listening on port ${PORT}`);
      expect(r.exit).toBe(0);
    },
  },
];

describe.skipIf(skip !== undefined)('free-port: every signal goes to a process judged at that moment', () => {
  for (const c of PROCESS_RACES) {
    it(c.name, () => {
      const dir = tempDir('/tmp', 'claudeops-port-');
      const r = freePortRace(
        { ...c.race, port: PORT, command: freePortCommand(), supervisord: supervisorConf(dir, 'web', PORT) },
        dir,
      );
      console.log(`${c.name}: exit ${r.exit}, ${JSON.stringify(r.processes)}\n${r.output}`);
      c.check(r);
    }, 180_000);
  }
});
