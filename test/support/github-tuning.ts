import Bottleneck from 'bottleneck';

/**
 * Octokit tuning for tests: GitHub's recommended 1 s / 3 s spacing of writes and second-based
 * retry waits would make every test slow; the retry and throttling logic under test is the same.
 */
export function fastTuning() {
  return {
    retryAfterBaseMs: 5,
    throttle: {
      write: new Bottleneck.Group({ maxConcurrent: 1, minTime: 0 }),
      notifications: new Bottleneck.Group({ maxConcurrent: 1, minTime: 0 }),
    },
  };
}
