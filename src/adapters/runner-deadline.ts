/**
 * Deadlines for what the runner times on a server's behalf (an endpoint's transfer), counted in
 * the time the runner could watch. A plain timer also counts the time the runner itself did not
 * run — a long synchronous step (compiling the later phases, parsing another server's output,
 * key exchanges) or a starved CPU — and a timer runs before the I/O that arrived meanwhile, so a
 * server that answered at once was judged "timed out" (CI, 2 busy cores: both endpoints of a
 * healthy server, each with a 2 s limit). A ticker notes every turn of the event loop that came
 * much later than due; that time is not counted against the server, up to MAX_FORGIVEN times the
 * limit (a runner that never gets the CPU still ends every wait).
 */

const TICK_MS = 50;
/** a turn this much later than due is the runner not running, not a busy loop's usual jitter */
const LATE_MS = 50;
/** the most stalled time forgiven, as a multiple of the limit: the wall-clock bound of every wait */
const MAX_FORGIVEN = 2;

export interface RunnerDeadline {
  /** aborts with a TimeoutError once the limit is reached in watched time */
  readonly signal: AbortSignal;
  /** milliseconds since the start, less the time the runner could not watch */
  elapsedMs(): number;
  /** stops the deadline (always call it: a live deadline keeps the ticker running) */
  cancel(): void;
}

let stalledMs = 0;
let lastTurn = 0;
let ticker: NodeJS.Timeout | undefined;
const live = new Set<() => void>();

/** Stalled time so far, including a stall still in progress (asked from an I/O callback after one). */
function stalledAt(now: number): number {
  const late = now - lastTurn - TICK_MS;
  return stalledMs + (ticker && late > LATE_MS ? late : 0);
}

function turn(): void {
  const now = performance.now();
  stalledMs = stalledAt(now);
  lastTurn = now;
  for (const check of live) check();
}

/** `started`: when the timed operation began (performance.now()), if before this call. */
export function runnerDeadline(limitMs: number, started = performance.now()): RunnerDeadline {
  const controller = new AbortController();
  if (!ticker) {
    lastTurn = performance.now();
    ticker = setInterval(turn, TICK_MS);
  }
  const stalledBefore = stalledAt(started);
  const elapsedMs = () => {
    const now = performance.now();
    return Math.max(0, Math.round(now - started - (stalledAt(now) - stalledBefore)));
  };
  const cancel = () => {
    live.delete(check);
    if (live.size === 0 && ticker) {
      clearInterval(ticker);
      ticker = undefined;
    }
  };
  function check(): void {
    const wall = performance.now() - started;
    if (elapsedMs() < limitMs && wall < limitMs * (1 + MAX_FORGIVEN)) return;
    cancel();
    controller.abort(new DOMException(`timed out after ${limitMs} ms`, 'TimeoutError'));
  }
  live.add(check);
  return { signal: controller.signal, elapsedMs, cancel };
}
