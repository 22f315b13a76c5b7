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
        test: { name: 'main', include: ['test/**/*.test.ts'], exclude: ['**/node_modules/**', ...LAB_FILES] },
      },
      {
        extends: true,
        test: {
          name: 'lab',
          include: LAB_FILES,
          fileParallelism: false,
          globalSetup: ['test/lab/global-setup.ts'],
          testTimeout: 180_000,
        },
      },
    ],
  },
});
