/**
 * Memory: what a run knows from earlier runs, read from the state branch (DESIGN §7).
 * The state-branch adapter fills it; the pure core reads it.
 */

/** Per-fingerprint lifecycle kept in state/<server>.json. */
export interface FindingState {
  status: 'new' | 'ongoing' | 'resolved' | 'flapping';
  severity: 'ok' | 'warning' | 'critical';
  firstSeen: string;
  lastSeen: string;
  /** consecutive runs at the current non-ok severity */
  streak: number;
  /** consecutive ok runs since it was last non-ok */
  okStreak: number;
  /** recent severities, newest last (bounded), for flap detection */
  history: string[];
  summary: string;
}

export interface ServerState {
  server: string;
  lastRun?: string;
  bootId?: string;
  uptimeSeconds?: number;
  /** probe cursors (log offsets, journal cursors) */
  cursors: Record<string, string>;
  findings: Record<string, FindingState>;
  /** recent numeric samples per metric key (disk:/ → [[iso, value]...]) for trends */
  samples: Record<string, [string, number][]>;
  /** monotonic counters (restarts) last seen */
  counters: Record<string, number>;
  /** remediation bookkeeping: per action+target */
  remediation: Record<string, { attempts: string[]; failures: number; breakerOpen: boolean; lastOutcome?: string }>;
}

export interface MemoryFile {
  path: string;
  content: string;
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
  return { server, cursors: {}, findings: {}, samples: {}, counters: {}, remediation: {} };
}

export function emptyMemory(): Memory {
  return { reports: [], openIssues: [], recentActions: [], approvals: [], servers: {}, warnings: [] };
}
