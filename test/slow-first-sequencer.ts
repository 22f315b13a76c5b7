/**
 * File order for vitest: the longest files start first, so no long file starts last and holds the
 * run open alone on one worker while the others sit idle (with 3 workers, a 150 s file that starts
 * late adds up to 150 s to the wall time).
 *
 * vitest does this by itself from its results cache (node_modules/.vite), but a fresh clone (CI)
 * has no cache, and vitest then starts files by size, which says little about their time (the
 * approval refusals are 83rd of 131 by size and take 86 s). So a file without a cached duration
 * takes its duration from KNOWN_SECONDS: files measured at 20 s or more on a quiet 2-core runner
 * (CI of c455bdc, main project, 3 workers). A stale figure only costs wall time, never a result.
 */
import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

export const KNOWN_SECONDS: Record<string, number> = {
  'test/integration/executor-races.test.ts': 148,
  'test/e2e/github-scenarios.test.ts': 113,
  'test/e2e/approval-refusals.test.ts': 86,
  'test/integration/action-bundle.test.ts': 84,
  'test/integration/watch-timer.test.ts': 73,
  'test/integration/state-store.test.ts': 50,
  'test/integration/init-doctor.test.ts': 44,
  'test/integration/state-bounded.test.ts': 40,
  'test/integration/cli-bundle.test.ts': 38,
  'test/integration/status-page.test.ts': 33,
  'test/integration/alerting-loop.test.ts': 29,
  'test/integration/state-fetches.test.ts': 26,
  'test/unit/core/util/secrets-corpus.test.ts': 24,
  'test/integration/state-compaction.test.ts': 20,
};

export class SlowFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    // vitest's own order first (projects, groupOrder, cached durations, size), then the files
    // with a duration move ahead, longest first; the sort is stable, so the rest keep that order.
    const base = await super.sort(files);
    const seconds = (spec: TestSpecification): number => {
      const path = relative(this.ctx.config.root, spec.moduleId);
      const cached = this.ctx.cache.getFileTestResults(`${spec.project.name}:${path}`);
      if (cached?.failed) return Number.POSITIVE_INFINITY; // as vitest: what failed last runs first
      return cached ? cached.duration / 1000 : (KNOWN_SECONDS[path] ?? 0);
    };
    const order = new Map(base.map((spec, i) => [spec, i]));
    return base.sort((a, b) => {
      if (a.project !== b.project) return (order.get(a) ?? 0) - (order.get(b) ?? 0);
      return seconds(b) - seconds(a);
    });
  }
}
