/**
 * Timeouts of the slow tests, from measured durations (issue 23: a suite that holds on a busy
 * machine). A timeout only catches a hang; it must never fail a test because the machine is busy,
 * so each is at least four times the test's duration alone and above the worst seen under load.
 */

/**
 * A test that runs the whole pipeline several times: the bundled action or CLI (a Node start,
 * git clones and pushes, GitHub calls per run) or run() in process against git remotes. Measured:
 * the longest (github-scenarios' issue lifecycle, five bundled runs) ~35 s alone on a quiet
 * machine, 355 s at load 40 on 2 cores; a refused-push scenario (eight push attempts, twice)
 * 255 s there; summarize's shards 63 s under load. Twelve times the quiet figure.
 */
export const PIPELINE_RUNS_TIMEOUT = 420_000;
