/**
 * Memory: what a run knows from earlier runs, read from the state branch (docs/architecture.md#state-branch).
 * The state-branch adapter fills it; the pure core reads it.
 */
import type { Severity } from '../types.js';
import { byName } from '../util/by-name.js';

/** Lifecycle of one fingerprint as stored between runs ('pending' = seen but still debounced). */
export type FindingStatus = 'pending' | 'new' | 'ongoing' | 'resolved' | 'flapping';

/** Per-fingerprint lifecycle kept in state/<server>.json. */
export interface FindingState {
  status: FindingStatus;
  severity: Severity;
  /** start of the current episode (the run it went non-ok) */
  firstSeen: string;
  /** last run it was non-ok */
  lastSeen: string;
  /** consecutive runs non-ok (any non-ok severity) */
  streak: number;
  /** consecutive ok runs since it was last non-ok */
  okStreak: number;
  /** recent [iso, severity] per run, newest last (bounded), for flap detection and merging */
  history: [string, Severity][];
  summary: string;
  /** when it was last resolved: lets a recurrence be told from a first occurrence */
  resolvedAt?: string;
  /** an event finding (log lines, restart, reboot): stays raised through quiet runs until it resolves */
  event?: boolean;
}

export interface RemediationState {
  attempts: string[];
  failures: number;
  breakerOpen: boolean;
  lastOutcome?: string;
  /** when the breaker (last) opened: one half-open trial is allowed after `breaker.cooloff` */
  openedAt?: string;
  /** the finding the last attempt was for: its resolution closes the breaker */
  fingerprint?: string;
}

/** A human's acknowledgement of an incident, from its GitHub issue (docs/alerting.md#acknowledge). */
export interface AckState {
  /** GitHub login */
  by: string;
  /** when it was given (the label event or the comment) */
  at: string;
  /** ISO time it ends by itself (`ack 2h`, `snooze 2h`); absent: until severity change or resolution */
  until?: string;
  /** the incident's severity when it was given: a change ends it */
  severity: Severity;
  via: 'label' | 'comment';
  kind: 'ack' | 'snooze';
}

/**
 * What has been told about one incident (keyed by its root fingerprint), so repeats and escalation
 * are computed from the state branch: a missed or late run neither drops nor doubles one.
 */
export interface AlertState {
  severity: Exclude<Severity, 'ok'>;
  /** when it was first announced at this severity: repeats are counted from here */
  since: string;
  /** the last repeat announced: `floor((announced at − since) / notify.repeat)`; 0 = the first */
  slot: number;
  announcedAt: string;
  /** when `notify.escalate.channels` were told */
  escalatedAt?: string;
  /** paging services holding an open alert for it (told again when it resolves) */
  paged?: ('pagerduty' | 'opsgenie')[];
  ack?: AckState;
  /** the incident's issue comments were read up to here */
  readAt?: string;
}

export interface ServerState {
  server: string;
  /** ISO time of the last run that tried this server */
  lastRun?: string;
  /** ISO time of the last run that reached it (unreachable runs keep everything else as it was) */
  lastChecked?: string;
  /** runs that recorded this server: a counter two concurrent runs must both add to */
  runs: number;
  /** ids of the last runs merged into this file (bounded): makes re-applying a run idempotent */
  recentRuns: string[];
  bootId?: string;
  uptimeSeconds?: number;
  /** ISO times of detected reboots, newest last (bounded) */
  reboots: string[];
  /** probe cursors (log offsets, journal cursors) */
  cursors: Record<string, string>;
  findings: Record<string, FindingState>;
  /** recent numeric samples per metric key (disk:/ → [[iso, value]...]), newest last, for trends */
  samples: Record<string, [string, number][]>;
  /** monotonic counters last seen (restart:nginx → NRestarts) */
  counters: Record<string, number>;
  /** remediation bookkeeping: per action+target */
  remediation: Record<string, RemediationState>;
  /** alerting per incident rooted on this server (its root fingerprint) */
  alerts?: Record<string, AlertState>;
}

export interface MemoryFile {
  path: string;
  content: string;
  /** git's blob id of the file as read from the branch (approvals: compared with the merged PR's) */
  blob?: string;
  /** its front matter, parsed once when memory is loaded (core/state-branch/front-matter.ts) */
  meta?: Record<string, unknown>;
}

export interface Memory {
  /** newest last: the last 3 health reports */
  reports: MemoryFile[];
  /** issue files whose front matter says status: open */
  openIssues: MemoryFile[];
  /** action logs of the last 24 h */
  recentActions: MemoryFile[];
  /** approvals/<id>.md present on the branch */
  approvals: MemoryFile[];
  servers: Record<string, ServerState>;
  /** ISO time of the last recorded run, any shard */
  lastRunAt?: string;
  /** problems met while loading (corrupt state file, ...): warnings, never fatal */
  warnings: string[];
}

export function emptyServerState(server: string): ServerState {
  return {
    server,
    runs: 0,
    recentRuns: [],
    reboots: [],
    cursors: {},
    findings: {},
    samples: {},
    counters: {},
    remediation: {},
  };
}

export function emptyMemory(): Memory {
  return { reports: [], openIssues: [], recentActions: [], approvals: [], servers: byName(), warnings: [] };
}
