import type { ServerConfig, Thresholds } from '../config/schema.js';
import type { Finding } from '../core/types.js';

/** What a probe may know about earlier runs when it builds its command (e.g. log cursors). */
export interface ProbeContext {
  /** opaque per-probe cursors saved by the last run (log offsets, journal cursors) */
  cursors: Record<string, string>;
  /**
   * the run's section-marker nonce, for a probe that frames several results inside its own section
   * (endpoints: one curl call for all URLs); absent only when a snippet is printed on its own
   */
  nonce?: string;
  /**
   * indices (into the server's `from: server` endpoints) the runner fetches itself over the SSH
   * connection: the endpoints snippet leaves them out and the collector adds their blocks
   */
  endpointsOverChannel?: ReadonlySet<number>;
}

export interface EvalContext {
  thresholds: Required<Pick<Thresholds, 'disk' | 'inodes' | 'memory' | 'swap' | 'load'>> & Thresholds;
  now: Date;
}

/**
 * One probe: a pure POSIX sh snippet builder plus a pure parser and evaluator.
 * The collector concatenates every applicable probe's snippet into one script per server
 * (one round trip) and splits the output by section markers before calling parse.
 */
export interface Probe<T = unknown> {
  id: string;
  applies(server: ServerConfig): boolean;
  /** sh snippet; must not `exit`, must write only to stdout, must tolerate missing tools */
  script(server: ServerConfig, context: ProbeContext): string;
  /**
   * true when the snippet leaves the shell as it found it (no cd, export, trap or option left
   * set; every variable assigned before it is read): it then runs in the collector's own shell
   * instead of a subshell, which costs the server a fork. Probes that run the config's own
   * commands or change directory keep their subshell.
   */
  inline?: boolean;
  parse(output: string, server: ServerConfig): T;
  evaluate(data: T, server: ServerConfig, context: EvalContext): Finding[];
  /** cursors to save for the next run, if the probe keeps any */
  cursors?(data: T): Record<string, string>;
}
