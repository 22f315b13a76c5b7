/**
 * watch's loop with a scripted check and scripted signals (the real CLI with real signals is in
 * test/integration/watch-timer.test.ts): one run at a time, a stop between runs and inside one,
 * three unpushed records in a row end it.
 */
import { describe, expect, it } from 'vitest';
import { withExitCode } from '../../../src/cli/exit-codes.js';
import {
  type CheckOutcome,
  nextDelay,
  runWatch,
  type WatchIo,
  watchRunId,
} from '../../../src/cli/watch-command.js';
import type { Logger } from '../../../src/core/ports/index.js';

function logger(lines: string[]): Logger {
  return {
    info: (m) => lines.push(m),
    warning: (m) => lines.push(`warning: ${m}`),
    error: (m) => lines.push(`error: ${m}`),
    group: (_name, fn) => fn(),
  };
}

function io(): WatchIo & { signal(name: string): void; exits: number[] } {
  let handler: ((s: string) => void) | undefined;
  const exits: number[] = [];
  return {
    onSignal(h) {
      handler = h;
      return () => {
        handler = undefined;
      };
    },
    exitNow(code) {
      exits.push(code);
      throw new Error(`exit ${code}`);
    },
    now: () => Date.now(),
    random: () => 0,
    signal: (name) => handler?.(name),
    exits,
  };
}

const pushed: CheckOutcome = { exitCode: 0, pushed: true, location: '/state' };

describe('watch', () => {
  it('waits what is left of the interval, plus up to a tenth of it (at most a minute) of jitter', () => {
    expect(nextDelay(60_000, 10_000, 0)).toBe(50_000);
    expect(nextDelay(60_000, 10_000, 1)).toBe(56_000);
    expect(nextDelay(60_000, 90_000, 0.5)).toBe(3_000);
    expect(nextDelay(3_600_000, 0, 1)).toBe(3_660_000);
  });

  it('run ids: fresh per run, and inside a workflow job the job id with the run number', () => {
    expect(watchRunId({}, 1)).toMatch(/^local-[0-9a-f]{8}$/);
    expect(watchRunId({}, 1)).not.toBe(watchRunId({}, 1));
    expect(watchRunId({ GITHUB_RUN_ID: '77' }, 3)).toBe('77-w3');
  });

  it('a signal between runs stops at once; runs never overlap', async () => {
    const lines: string[] = [];
    const sig = io();
    let running = 0;
    let runs = 0;
    const code = await runWatch(
      ['watch', '--every', '10s'],
      {},
      logger(lines),
      async () => {
        running += 1;
        expect(running).toBe(1);
        runs += 1;
        await new Promise((r) => setTimeout(r, 5));
        running -= 1;
        if (runs === 2) setTimeout(() => sig.signal('SIGTERM'), 20);
        return pushed;
      },
      { ...sig, now: () => 0 },
    );
    expect(code).toBe(0);
    expect(runs).toBe(2);
    expect(lines).toContain('watch: stopped');
  });

  it('a signal during a run lets it record, then stops; a second one exits at once', async () => {
    const lines: string[] = [];
    const sig = io();
    const code = await runWatch(
      ['watch', '--every', '10s'],
      {},
      logger(lines),
      async () => {
        sig.signal('SIGINT');
        return pushed;
      },
      sig,
    );
    expect(code).toBe(0);
    expect(lines).toContain('watch: SIGINT: stopping once this run is recorded (again to stop now)');

    const twice = io();
    await expect(
      runWatch(
        ['watch', '--every', '10s'],
        {},
        logger([]),
        async () => {
          twice.signal('SIGINT');
          twice.signal('SIGINT');
          return pushed;
        },
        twice,
      ),
    ).rejects.toThrow('exit 130');
    expect(twice.exits).toEqual([130]);
  });

  it('three runs in a row whose record was not pushed stop it with exit 1 and the reason', async () => {
    const lines: string[] = [];
    let runs = 0;
    const log = logger(lines);
    const code = await withExitCode(log, () =>
      runWatch(
        ['watch', '--every', '10s'],
        {},
        log,
        async () => {
          runs += 1;
          return { exitCode: 1, pushed: false, location: '/state', error: 'refused:\n  protected   ' };
        },
        { ...io(), now: () => runs * 10_000 },
      ),
    );
    expect(code).toBe(1);
    expect(lines.filter((l) => l.startsWith('error: watch: run '))).toEqual([
      'error: watch: run 1: its record was not pushed to /state: refused: protected',
      'error: watch: run 2: its record was not pushed to /state: refused: protected',
      'error: watch: run 3: its record was not pushed to /state: refused: protected',
    ]);
    expect(runs).toBe(3);
    expect(lines.at(-1)).toBe(
      'error: watch: 3 runs in a row could not push their record; stopping (last reason: refused: protected). Fix the state repository, then start watch again.',
    );
  });

  it('a usage error is exit 2', async () => {
    const lines: string[] = [];
    const log = logger(lines);
    expect(await withExitCode(log, () => runWatch(['watch'], {}, log, async () => pushed, io()))).toBe(2);
    expect(lines[0]).toMatch(/--every DURATION is required/);
  });
});
