import type { ServerConfig } from '../config/schema.js';

export type Severity = 'ok' | 'warning' | 'critical';
export type RunStatus = 'ok' | 'warning' | 'critical' | 'error';
export type { Task } from './tasks.js';

const ORDER: Record<RunStatus, number> = { ok: 0, warning: 1, critical: 2, error: 3 };

/** The worse of two statuses. */
export function worst<T extends RunStatus>(a: T, b: T): T {
  return ORDER[a] >= ORDER[b] ? a : b;
}

/**
 * One evaluated fact about one target on one server. The fingerprint (server + check + target)
 * is what memory, issue files and GitHub issues are keyed on, so it must stay stable across runs.
 */
export interface Finding {
  fingerprint: string;
  server: string;
  /** probe-level check id: disk, inodes, memory, swap, load, service, endpoint, port, unreachable, ... */
  check: string;
  /** what was checked: a mount point, a service name, a URL; `-` when the check has one target */
  target: string;
  severity: Severity;
  /** one line a human reads first */
  summary: string;
  /** raw supporting output (server text: untrusted, redacted before it leaves the run) */
  evidence?: string;
  /** the measured number, when the check has one (percent used, latency ms, ...) */
  value?: number;
  /**
   * an event (matching log lines, a restart, a reboot) rather than a state: raised in the run that
   * sees it without debounce, resolved after `close_after_ok_runs` runs without a new one
   */
  event?: boolean;
}

export function fingerprintOf(server: string, check: string, target: string): string {
  return `${server}/${check}/${target}`;
}

/**
 * A finding whose texts went through `clean` (redaction, control characters): its fingerprint is
 * made from the cleaned target, so a secret in a URL never reaches a state key, a file name or an
 * issue marker, and the same finding has the same fingerprint on every run.
 */
export function cleanFinding(f: Finding, clean: (text: string) => string): Finding {
  const target = clean(f.target);
  return {
    ...f,
    target,
    summary: clean(f.summary),
    ...(f.evidence !== undefined ? { evidence: clean(f.evidence) } : {}),
    fingerprint: fingerprintOf(f.server, f.check, target),
  };
}

/** Builds a finding with its fingerprint. */
export function finding(
  server: string,
  check: string,
  target: string,
  severity: Severity,
  summary: string,
  extra: Pick<Finding, 'evidence' | 'value' | 'event'> = {},
): Finding {
  return {
    fingerprint: fingerprintOf(server, check, target),
    server,
    check,
    target,
    severity,
    summary,
    ...extra,
  };
}

/** What the collector brought back from one server, before evaluation. */
export interface ServerObservation {
  server: string;
  reachable: boolean;
  /** why the server could not be checked (unreachable, host key refused, timeout) */
  error?: string;
  startedAt: string;
  durationMs: number;
  /** bytes of collector output moved back */
  bytes: number;
  /** round trips spent on collection (1 when healthy) */
  roundTrips: number;
  /** parsed result per probe id */
  probes: Record<string, unknown>;
  /** probe ids whose section was missing or failed to parse, with the reason */
  probeErrors: Record<string, string>;
  /**
   * Where this run's reading stopped (log offsets, journal cursors): the previous run's cursors
   * updated with this run's, computed once by collect; the lifecycle saves them for the next run.
   * Absent: the previous ones stand.
   */
  cursors?: Record<string, string>;
}

export interface ServerReport {
  server: ServerConfig;
  observation: ServerObservation;
  findings: Finding[];
  /** the measured figures with their thresholds (set by evaluate; absent when unreachable) */
  figures?: ServerFigures;
}

/** A file to add, replace or delete on the state branch, relative to its root. */
export interface FileChange {
  path: string;
  /** undefined deletes the file (unless `blob` names the content) */
  content?: string;
  /** (state store) an existing blob written under this path, for a file set aside unread */
  blob?: string;
  /**
   * true: `content` is lines to add to the file as the branch holds it (history series); the
   * store reads the file at the tip and keeps every line once, so concurrent runs both count
   */
  append?: boolean;
}

/** The measured figures of one server in one run (made by probes/server-figures.ts from probe data). */
export interface Level {
  warn: number;
  crit: number;
}

export interface MountFigure {
  mount: string;
  usedPercent: number;
}

export interface EndpointFigure {
  url: string;
  /** HTTP status; absent when no response came back */
  status?: number;
  latencyMs?: number;
  /** whether the answer was the configured status (and text) */
  up: boolean;
}

export interface ServerFigures {
  /** mounts by space used, fullest first (pseudo and excluded mounts never get here) */
  disks: MountFigure[];
  inodes: MountFigure[];
  memoryPercent?: number;
  /** undefined when the server has no swap */
  swapPercent?: number;
  loadPerCpu?: number;
  cpus?: number;
  uptimeSeconds?: number;
  endpoints: EndpointFigure[];
  thresholds: { disk: Level; inodes: Level; memory: Level; swap: Level; load: Level; latency: Level };
}
