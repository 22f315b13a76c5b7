/**
 * Which finding an action may fix (issue 10): the allowlist says what may run on a server, these
 * rules say what may run FOR A FINDING. A planner (Claude or the rules) must name the fingerprint
 * of a finding this run is deciding on, and the action must fit it; otherwise the gate answers
 * `deny(out of scope: …)`. Written as data, one entry per built-in action, beside the catalog;
 * config remediations fit the checks in their own `verify`. Pure: the facts (mounts, journal size)
 * are gathered by the caller.
 */
import { posix } from 'node:path';
import type { CatalogAction, RenderedAction } from './catalog-action.js';

export interface ScopeFinding {
  fingerprint: string;
  server: string;
  check: string;
  /** mount point, service name, port, path… (`-` when the check has one target) */
  target: string;
}

export interface ScopeService {
  name: string;
  port?: number;
  /** services this one needs (config `depends_on`): restarting one of them may fix it */
  depends_on?: readonly string[];
}

export interface ScopeFacts {
  services: readonly ScopeService[];
  /** mount points measured on the server this run (df); `/` is assumed when empty */
  mounts: readonly string[];
  /** the systemd journal: where it lives and how big it is now (bytes), when known */
  journal?: { dir: string; bytes?: number };
}

/** undefined: fits. A string: why not, completing "out of scope: …". */
type Fit = (
  finding: ScopeFinding,
  params: Readonly<Record<string, string>>,
  facts: ScopeFacts,
) => string | undefined;

export interface ScopeRule {
  /** the finding checks the action can address at all */
  checks: readonly string[];
  /** the finer test: target, mount, size */
  fits: Fit;
}

/** The smallest size vacuum-journal may shrink the journal to, whatever its size. */
export const JOURNAL_FLOOR_BYTES = 256 * 1024 * 1024;

const serviceFits: Fit = (finding, params, facts) => {
  const service = params.service ?? '';
  const byTarget = facts.services.filter(
    (s) => s.name === finding.target || (s.port !== undefined && String(s.port) === finding.target),
  );
  if (byTarget.some((s) => s.name === service)) return undefined;
  if (byTarget.some((s) => s.depends_on?.includes(service))) return undefined;
  return `service ${service} is neither ${finding.target} nor a configured dependency (depends_on) of it`;
};

/** free-port stops a process for exactly the service the finding is about, never a dependency. */
const ownServiceFits: Fit = (finding, params, facts) => {
  const service = params.service ?? '';
  const byTarget = facts.services.filter(
    (s) => s.name === finding.target || (s.port !== undefined && String(s.port) === finding.target),
  );
  return byTarget.some((s) => s.name === service)
    ? undefined
    : `service ${service} is not ${finding.target} (free-port only frees the port of the service a finding is about)`;
};

const clearFits: Fit = (finding, params, facts) => {
  const dir = params.directory ?? '';
  const holder = mountOf(dir, facts.mounts);
  return holder === mountTarget(finding)
    ? undefined
    : `${dir} is on ${holder}, not on ${mountTarget(finding)} (the mount the finding is about)`;
};

const vacuumFits: Fit = (finding, params, facts) => {
  const journal = facts.journal;
  if (!journal) return 'the journal was not found on this server';
  const holder = mountOf(journal.dir, facts.mounts);
  if (holder !== mountTarget(finding))
    return `the journal (${journal.dir}) is on ${holder}, not on ${mountTarget(finding)}`;
  const size = sizeBytes(params.size ?? '');
  const floor = journalFloor(journal.bytes);
  if (floor === undefined) return 'the journal size could not be read, so no safe floor is known';
  if (size === undefined || size < floor)
    return `size ${params.size} is below the floor ${formatSize(floor)} (half the journal's ${formatSize(journal.bytes ?? 0)}, at least 256M)`;
  return undefined;
};

const lockFits: Fit = (finding, params, facts) => {
  const path = params.path ?? '';
  if (finding.target === path) return undefined;
  const services = facts.services.filter(
    (s) => s.name === finding.target || (s.port !== undefined && String(s.port) === finding.target),
  );
  if (services.some((s) => lockNames(path).includes(s.name))) return undefined;
  return `${path} is not the finding's lock file (target ${finding.target})`;
};

const logsFits: Fit = (finding, _params, facts) => {
  const holder = mountOf('/var/log', facts.mounts);
  return holder === mountTarget(finding)
    ? undefined
    : `/var/log is on ${holder}, not on ${mountTarget(finding)}`;
};

/** The rules, one per built-in action (config remediations: the checks in their `verify`). */
export const SCOPE_RULES: Readonly<Record<string, ScopeRule>> = Object.assign(Object.create(null), {
  'restart-service': { checks: ['service', 'port'], fits: serviceFits },
  'start-service': { checks: ['service', 'port'], fits: serviceFits },
  'clear-directory': { checks: ['disk', 'inodes'], fits: clearFits },
  'vacuum-journal': { checks: ['disk'], fits: vacuumFits },
  'remove-stale-lock': { checks: ['service', 'port', 'lock'], fits: lockFits },
  'rotate-logs': { checks: ['disk', 'inodes'], fits: logsFits },
  'free-port': { checks: ['service', 'port'], fits: ownServiceFits },
});

/**
 * Whether a rendered action fits the finding it claims to fix: undefined when it does, else the
 * reason (without the "out of scope: " prefix).
 */
export function checkScope(
  rendered: RenderedAction,
  finding: ScopeFinding | undefined,
  fingerprint: string | undefined,
  facts: ScopeFacts,
): string | undefined {
  const { action } = rendered;
  if (!fingerprint) return `${action.id} must name the fingerprint of the finding it fixes`;
  if (!finding) return `"${fingerprint.slice(0, 200)}" is not a finding this run is deciding on`;
  const rule = ruleOf(action);
  if (!rule) return `${action.id} has no scope rule`;
  if (!rule.checks.includes(finding.check))
    return `${action.id} does not address ${finding.check} findings (it fits: ${rule.checks.join(', ') || 'none'})`;
  return rule.fits(finding, rendered.params, facts);
}

function ruleOf(action: Pick<CatalogAction, 'id' | 'source' | 'verify'>): ScopeRule | undefined {
  if (action.source === 'config') return { checks: action.verify, fits: () => undefined };
  return SCOPE_RULES[action.id];
}

/** The mount a disk finding is about (`-` is the root filesystem). */
function mountTarget(finding: ScopeFinding): string {
  return finding.target === '-' ? '/' : normalizeDir(finding.target);
}

function normalizeDir(path: string): string {
  const normal = posix.normalize(path);
  return normal.length > 1 ? normal.replace(/\/+$/, '') : normal;
}

/** The mount point holding a path: the longest measured mount that is it or one of its parents. */
export function mountOf(path: string, mounts: readonly string[]): string {
  const dir = normalizeDir(path);
  let best = '/';
  for (const raw of mounts) {
    const mount = normalizeDir(raw);
    const holds = mount === '/' || dir === mount || dir.startsWith(`${mount}/`);
    if (holds && mount.length > best.length) best = mount;
  }
  return best;
}

/** Names a lock path may carry its service's name as: every directory, and the file's stem. */
function lockNames(path: string): string[] {
  const parts = path.split('/').filter(Boolean);
  const file = parts.pop() ?? '';
  return [...parts, file.replace(/\.(pid|lock|lck)$/, '')];
}

/** `500M`, `2G` → bytes (journalctl's units are powers of 1024). */
export function sizeBytes(text: string): number | undefined {
  const m = /^(\d+)([KMG])$/.exec(text);
  if (!m) return undefined;
  const unit = { K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[m[2] as 'K' | 'M' | 'G'];
  return Number(m[1]) * unit;
}

/** max(half the current size, 256M); undefined when the size is unknown. */
export function journalFloor(bytes: number | undefined): number | undefined {
  if (bytes === undefined || !Number.isFinite(bytes)) return undefined;
  return Math.max(Math.ceil(bytes / 2), JOURNAL_FLOOR_BYTES);
}

function formatSize(bytes: number): string {
  return `${Math.ceil(bytes / 1024 ** 2)}M`;
}

/** `journalctl --disk-usage`: "Archived and active journals take up 1.4G in the file system." */
export function parseJournalUsage(text: string): number | undefined {
  const m = /take up ([\d.]+)([BKMGT])/.exec(text);
  if (!m) return undefined;
  const unit = { B: 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 }[m[2] as 'B'];
  return Math.round(Number(m[1]) * unit);
}
