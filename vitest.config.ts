import { defineConfig } from 'vitest/config';

// Two projects: everything that runs in parallel, and the lab (real servers in network namespaces
// and a systemd-nspawn machine), whose files share one lab and inject faults into it, so they run
// one at a time.
const LAB_FILES = ['test/e2e/lab/**/*.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 240_000,
    pool: 'forks',
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
          // after the main project when both run in one `vitest run`, never beside it
          sequence: { groupOrder: 1 },
          globalSetup: ['test/lab/global-setup.ts'],
          testTimeout: 180_000,
        },
      },
    ],
  },
});
