import { join } from 'node:path';
import { defineConfig } from 'vitest/config';
import { SlowFirstSequencer } from './test/slow-first-sequencer.js';
import { PIPELINE_RUNS_TIMEOUT } from './test/support/timeouts.js';

// Two projects: everything that runs in parallel, and the lab (real servers in network namespaces
// and a systemd-nspawn machine), whose files share one lab and inject faults into it, so they run
// one at a time.
const LAB_FILES = ['test/e2e/lab/**/*.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 240_000,
    pool: 'forks',
    // The CLI keeps its compiled code in ~/.cache/claudeops by default (Node 22.1+): a test that
    // runs it keeps it inside the repository instead, never in the home of whoever runs the tests.
    env: { XDG_CACHE_HOME: join(import.meta.dirname, 'node_modules/.cache') },
    // longest files first, also on a fresh clone (no vitest cache): see the sequencer
    sequence: { sequencer: SlowFirstSequencer },
    projects: [
      {
        extends: true,
        test: {
          name: 'main',
          include: ['test/**/*.test.ts'],
          exclude: ['**/node_modules/**', ...LAB_FILES],
          // Most main files wait on child processes (the bundle, git, sshd, chromium), not on the
          // CPU: vitest's default (CPUs - 1 = one worker on a 2-core runner) left a core idle.
          maxWorkers: 3,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'lab',
          include: LAB_FILES,
          fileParallelism: false,
          // after the main project when both run in one `vitest run`; scripts/test.sh runs it as a
          // process of its own beside the main project (see there why that is safe)
          sequence: { groupOrder: 1 },
          globalSetup: ['test/lab/global-setup.ts'],
          // A lab test runs the bundled pipeline several times against real servers, beside the
          // main project (scripts/test.sh): up to 36 s alone on a quiet runner, and a test took
          // 10x its quiet time with the main project beside it at load 13 (5.5 s -> 58 s).
          testTimeout: PIPELINE_RUNS_TIMEOUT,
        },
      },
    ],
  },
});
