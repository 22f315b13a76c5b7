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
 * These and LAB_SECONDS balance the shards of a sharded run (`--shard`, see balancedShards).
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
  'test/unit/core/redact/long-lines.test.ts': 12,
};

/**
 * The lab project's files: seconds each took in its lab lane beside the main project and the other
 * lane (quiet fresh-clone `.ci/run` of dd7b2a9, two labs, 14 min 18 s), only for balancing shards,
 * so the lab's order in one lane stays vitest's own. Beside the main project a file takes 1.5-3x
 * its time alone, and not by one factor for all (recover-scenario 97 s alone, 294 s there), so
 * figures from a lab run alone split the lanes 648 s | 733 s; these split them 689 s | 692 s.
 */
export const LAB_SECONDS: Record<string, number> = {
  'test/e2e/lab/recover-scenario.test.ts': 294,
  'test/e2e/lab/efficacy.test.ts': 246,
  'test/e2e/lab/remediation-scenarios.test.ts': 222,
  'test/e2e/lab/detection.test.ts': 141,
  'test/e2e/lab/eval-agent.test.ts': 133,
  'test/e2e/lab/probes-coverage.test.ts': 130,
  'test/e2e/lab/onboarding.test.ts': 68,
  'test/e2e/lab/least-privilege.test.ts': 47,
  'test/e2e/lab/docker-containers.test.ts': 44,
  'test/e2e/lab/alerting.test.ts': 18,
  'test/e2e/lab/free-port.test.ts': 16,
  'test/e2e/lab/ssh-transport.test.ts': 12,
  'test/e2e/lab/reinstall-deps.test.ts': 10,
  'test/e2e/lab/rpm-updates.test.ts': 7,
  'test/e2e/lab/diagnostics-wide.test.ts': 5,
};

/** What a file in neither table counts for when shards are balanced. */
const UNKNOWN_SECONDS = 5;

/**
 * `count` shards of `paths` with about the same known seconds each: longest first, each to the
 * shard with the fewest seconds so far (ties: the lower shard). Only the two tables and the paths
 * decide, never vitest's cache, so every process of a sharded run (scripts/test.sh runs the lab
 * in two, one per lab) computes the same split, and every path is in exactly one shard.
 */
export function balancedShards(paths: readonly string[], count: number): string[][] {
  const secondsOf = (path: string): number => LAB_SECONDS[path] ?? KNOWN_SECONDS[path] ?? UNKNOWN_SECONDS;
  const shards = Array.from({ length: count }, () => ({ paths: [] as string[], seconds: 0 }));
  const longestFirst = [...paths].sort((a, b) => secondsOf(b) - secondsOf(a) || a.localeCompare(b));
  for (const path of longestFirst) {
    const lightest = shards.reduce((min, shard) => (shard.seconds < min.seconds ? shard : min));
    lightest.paths.push(path);
    lightest.seconds += secondsOf(path);
  }
  return shards.map((shard) => shard.paths);
}

export class SlowFirstSequencer extends BaseSequencer {
  /** `--shard=i/n`: the i-th of balancedShards (vitest's own split is by a hash of the path). */
  override async shard(files: TestSpecification[]): Promise<TestSpecification[]> {
    const { root, shard } = this.ctx.config;
    if (!shard) return files;
    const path = (spec: TestSpecification): string => relative(root, spec.moduleId);
    const mine = new Set(balancedShards(files.map(path), shard.count)[shard.index - 1]);
    return files.filter((spec) => mine.has(path(spec)));
  }

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
