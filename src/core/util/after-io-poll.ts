/**
 * Resolves after the event loop has polled for I/O at least once: what has arrived on a socket by
 * now (a connect completing, a server's first packets) is handled before the caller goes on.
 *
 * One setImmediate is not enough: queued during the poll phase (from a socket's or a child's
 * callback, or what its promises run) it runs in that same iteration's check phase, with no poll in
 * between. The second one is queued from the check phase and so runs in the next iteration, after
 * its poll. It matters where a run goes on synchronously for long: on Node 24 `import()` of a file
 * reads, compiles and runs it without a turn of the event loop.
 */
export function afterIoPoll(): Promise<void> {
  return new Promise((resolve) => setImmediate(() => setImmediate(resolve)));
}
