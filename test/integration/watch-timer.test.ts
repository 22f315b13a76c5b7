/**
 * `claudeops watch` and `claudeops timer` through the bundled CLI (dist/cli.js).
 * watch: real signals to the real process — SIGTERM between runs, a terminal's Ctrl-C (SIGINT to
 * the whole process group) in the middle of a run whose record must still land, and a state
 * repository that refuses every push (a real pre-receive hook) ending it after three runs.
 * timer: the unit pair it writes passes the host's `systemd-analyze verify` (files in a temp dir,
 * nothing installed) with no warning, and `systemd-analyze security` rates the service's sandbox.
 * The lab test runs the service under a real systemd (test/e2e/lab/onboarding.test.ts).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { git, ROOT } from '../support/runner.js';

const SYSTEM_NODE = existsSync('/usr/bin/node') ? '/usr/bin/node' : 'node';
const CLI = join(ROOT, 'dist/cli.js');
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function workdir(): string {
  const d = mkdtempSync(join(tmpdir(), 'claudeops-watch-'));
  dirs.push(d);
  return d;
}

/** This machine through the local transport; thresholds out of reach (a busy test machine is not the point). */
function localConfig(dir: string, extra = ''): string {
  const quiet =
    'thresholds: { disk: { warn: 100, crit: 100 }, inodes: { warn: 100, crit: 100 }, memory: { warn: 100, crit: 100 }, swap: { warn: 100, crit: 100 }, load: { warn: 1000, crit: 1000 } }';
  writeFileSync(
    join(dir, 'c.yml'),
    `version: 1\nmode: report\nservers:\n  - name: here\n    transport: local\n    ${quiet}\n${extra}`,
  );
  return join(dir, 'c.yml');
}

interface Watched {
  child: ChildProcess;
  stderr: () => string;
  exited: Promise<number | null>;
  /** resolves once stderr has matched `pattern` (as many times as asked) */
  waitFor(pattern: RegExp, times?: number, ms?: number): Promise<void>;
}

function watch(dir: string, args: string[]): Watched {
  let stderr = '';
  // its own process group, as a shell gives a foreground job: kill(-pid) is a terminal's Ctrl-C
  const child = spawn(SYSTEM_NODE, [CLI, 'watch', ...args], {
    cwd: dir,
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { PATH: process.env.PATH, HOME: dir, ANTHROPIC_API_KEY: '' },
  });
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    stderr: () => stderr,
    exited,
    async waitFor(pattern, times = 1, ms = 150_000) {
      const deadline = Date.now() + ms;
      const global = new RegExp(pattern.source, `${pattern.flags.replace('g', '')}g`);
      while ((stderr.match(global) ?? []).length < times) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern} in:\n${stderr}`);
        if (child.exitCode !== null)
          throw new Error(`watch exited ${child.exitCode} before ${pattern}:\n${stderr}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
  };
}

const commits = async (dir: string) =>
  Number(await git(join(dir, '.claudeops/state'), 'rev-list', '--count', 'claudeops-state'));

describe('claudeops watch: real signals against the real CLI', { timeout: 240_000 }, () => {
  it('SIGTERM between runs stops it at once, with exit 0 and every run recorded', async () => {
    const dir = workdir();
    const w = watch(dir, ['--every', '10s', '--config', localConfig(dir)]);
    try {
      await w.waitFor(/^watch: next run in /m);
      w.child.kill('SIGTERM');
      const started = Date.now();
      expect(await w.exited).toBe(0);
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(w.stderr()).toMatch(/^watch: a check every 10s .*SIGTERM or Ctrl-C stops$/m);
      expect(w.stderr()).toMatch(/^watch: stopped$/m);
      expect(await commits(dir)).toBe(1);
    } finally {
      w.child.kill('SIGKILL');
    }
  });

  it('Ctrl-C (SIGINT to the process group) during a run: the run finishes and its record lands, then it stops', async () => {
    const dir = workdir();
    // a custom check that takes 4 s: the signal arrives while the collector runs it
    const config = localConfig(
      dir,
      '    checks: [{ name: slow, command: "sleep 4; echo 1", crit: "> 5", timeout: 30s }]\n',
    );
    const w = watch(dir, ['--every', '10s', '--config', config]);
    try {
      await w.waitFor(/^▸ Collect$/m);
      // while the check's `sleep 4` runs (not in the instant a child is forked, when a signal to
      // the group can still reach it before it leaves for its own group)
      await new Promise((r) => setTimeout(r, 1_500));
      process.kill(-(w.child.pid ?? 0), 'SIGINT');
      expect(await w.exited).toBe(0);
      const err = w.stderr();
      expect(err).toMatch(/^watch: SIGINT: stopping once this run is recorded \(again to stop now\)$/m);
      expect(err.indexOf('stopping once this run is recorded')).toBeLessThan(err.indexOf('recorded in '));
      expect(err).toMatch(/^watch: stopped$/m);
      expect(await commits(dir)).toBe(1);
      // the run was whole: every probe collected, the slow check too (a killed script would be ✗ or !)
      const took = Number(/^✓ here ok (\d+\.\d)s$/m.exec(err)?.[1]);
      expect(took, err).toBeGreaterThanOrEqual(4);
    } finally {
      w.child.kill('SIGKILL');
    }
  });

  it('a state repository that refuses every push: three runs, then exit 1 saying why', async () => {
    const dir = workdir();
    const state = join(dir, '.claudeops/state');
    mkdirSync(state, { recursive: true });
    await execa('git', ['init', '-q', '-b', 'main', state]);
    await execa('git', ['-C', state, 'config', 'receive.denyCurrentBranch', 'updateInstead']);
    writeFileSync(
      join(state, '.git/hooks/pre-receive'),
      '#!/bin/sh\necho "refused: the branch is protected" >&2\nexit 1\n',
      {
        mode: 0o755,
      },
    );
    const w = watch(dir, ['--every', '10s', '--config', localConfig(dir)]);
    try {
      expect(await w.exited).toBe(1);
      const err = w.stderr();
      expect(err.match(/^error: watch: run \d: its record was not pushed to /gm)).toHaveLength(3);
      expect(err).toMatch(
        /^error: watch: 3 runs in a row could not push their record; stopping \(last reason: .*refused: the branch is protected.*\)\. Fix the state repository, then start watch again\.$/m,
      );
    } finally {
      w.child.kill('SIGKILL');
    }
  });
});

describe('claudeops timer', { timeout: 240_000 }, () => {
  it('writes a service and timer pair that systemd-analyze verify accepts without a warning', async () => {
    const dir = workdir();
    const r = await execa(
      SYSTEM_NODE,
      [CLI, 'timer', '--every', '5m', '--user', 'daemon', '--out', 'units'],
      {
        cwd: dir,
        reject: false,
      },
    );
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const service = readFileSync(join(dir, 'units/claudeops.service'), 'utf8');
    const timer = readFileSync(join(dir, 'units/claudeops.timer'), 'utf8');
    expect(service).toContain(
      `ExecStart=${SYSTEM_NODE} ${CLI} check --config ${dir}/.github/claudeops.yml --state-repo ${dir}/.claudeops/state\n`,
    );
    expect(timer).toContain('OnCalendar=*-*-* *:00/5:00\n');
    expect(timer).toContain('Persistent=true\n');
    expect(timer).toMatch(/^RandomizedDelaySec=30s$/m);
    const verify = spawnSync(
      'systemd-analyze',
      ['verify', 'units/claudeops.timer', 'units/claudeops.service'],
      {
        cwd: dir,
        encoding: 'utf8',
      },
    );
    expect(verify.status, verify.stderr).toBe(0);
    expect(verify.stderr).toBe('');
    const security = spawnSync('systemd-analyze', ['security', '--offline=true', 'units/claudeops.service'], {
      cwd: dir,
      encoding: 'utf8',
    });
    const exposure = Number(
      /Overall exposure level for claudeops\.service: ([\d.]+)/.exec(security.stdout)?.[1],
    );
    expect(exposure).toBeLessThan(2.5);
  });

  it('an interval a calendar cannot keep, and a root service nobody asked for, are refused', async () => {
    const dir = workdir();
    const odd = await execa(SYSTEM_NODE, [CLI, 'timer', '--every', '7m', '--user', 'ops', '--out', 'u'], {
      cwd: dir,
      reject: false,
    });
    expect(odd.exitCode).toBe(2);
    expect(String(odd.stderr)).toMatch(/--every: expected minutes that divide an hour/);
    const root = await execa(SYSTEM_NODE, [CLI, 'timer', '--every', '5m', '--out', 'u'], {
      cwd: dir,
      reject: false,
      env: { USER: 'root' },
    });
    if (process.getuid?.() === 0) {
      expect(root.exitCode).toBe(2);
      expect(String(root.stderr)).toContain('the service would run as root: give --user');
    }
    expect(existsSync(join(dir, 'u'))).toBe(false);
  });
});
