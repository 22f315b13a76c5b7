/**
 * Which issue each raised finding goes to (docs/architecture.md#github): one issue per fingerprint,
 * or one fleet issue per check and target when it fails on enough servers, across matrix shards.
 */
import type { ServerState } from '../memory/memory.js';
import type { IssueSnapshot } from '../ports/index.js';
import type { TrackedFinding } from '../run-record.js';
import type { Severity } from '../types.js';
import { keyOf } from './issue-markers.js';

export interface IssueGroup {
  key: string;
  fleet: boolean;
  /** the root finding first, then (incidents) the dependants it causes */
  findings: TrackedFinding[];
  /** (incident) fingerprints of the findings caused by the root, `key` */
  dependants?: string[];
  /** (fleet) servers failing it in other shards, by their state files */
  elsewhere?: string[];
}

/** One key per check and target for the whole fleet, whichever shard sees it. */
export function fleetKey(check: string, target: string): string {
  return `fleet/${check}/${target}`;
}

/** How long another shard's record of a raised finding counts (a removed server stops counting). */
const ELSEWHERE_FRESH_MS = 36 * 3_600_000;

/**
 * Fleet keys → servers raising that finding according to the state files of servers this run did
 * not check (the other shards'), recorded recently.
 */
export function raisedElsewhere(
  states: Record<string, ServerState>,
  checked: ReadonlySet<string>,
  now: Date,
): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const [server, state] of Object.entries(states)) {
    if (checked.has(server)) continue;
    for (const [fp, f] of Object.entries(state.findings)) {
      if (f.severity === 'ok' || f.status === 'pending' || f.status === 'resolved') continue;
      if (now.getTime() - Date.parse(f.lastSeen) > ELSEWHERE_FRESH_MS) continue;
      if (!fp.startsWith(`${server}/`)) continue;
      const [check = '', ...rest] = fp.slice(server.length + 1).split('/');
      const key = fleetKey(check, rest.join('/'));
      out.set(key, (out.get(key) ?? new Set()).add(server));
    }
  }
  return out;
}

/** Indexes issues by key: the open one wins; else the most recently closed. */
export function indexIssues(issues: IssueSnapshot[]): Map<string, IssueSnapshot> {
  const byKey = new Map<string, IssueSnapshot>();
  const rank = (i: IssueSnapshot) =>
    i.state === 'open' ? `2${String(1e9 - i.number).padStart(10, '0')}` : `1${i.closedAt ?? ''}`;
  for (const issue of issues) {
    const key = keyOf(issue.body);
    if (!key) continue;
    const known = byKey.get(key);
    if (!known || rank(issue) > rank(known)) byKey.set(key, issue);
  }
  return byKey;
}

/**
 * Each raised finding goes to exactly one issue: an open fleet issue for its check, else a new
 * fleet issue when the check fails on at least `fleet_issue_min_servers` servers (in this run or,
 * per `elsewhere`, in other shards), else its own.
 */
export function groupFindings(
  findings: TrackedFinding[],
  issues: Map<string, IssueSnapshot>,
  minServers: number,
  elsewhere: Map<string, Set<string>> = new Map(),
  rootOf: ReadonlyMap<string, string> = new Map(),
): IssueGroup[] {
  const groups = new Map<string, IssueGroup>();
  const add = (key: string, fleet: boolean, f: TrackedFinding) => {
    const others = [...(elsewhere.get(key) ?? [])].sort();
    const group: IssueGroup = groups.get(key) ?? {
      key,
      fleet,
      findings: [],
      ...(fleet && others.length ? { elsewhere: others } : {}),
    };
    group.findings.push(f);
    groups.set(key, group);
  };
  const serversPerCheck = new Map<string, Set<string>>();
  for (const [k, servers] of elsewhere) serversPerCheck.set(k, new Set(servers));
  for (const f of findings) {
    const k = fleetKey(f.check, f.target);
    serversPerCheck.set(k, (serversPerCheck.get(k) ?? new Set()).add(f.server));
  }
  const keyOf = (f: TrackedFinding) => {
    const fleet = fleetKey(f.check, f.target);
    return issues.get(fleet)?.state === 'open' || (serversPerCheck.get(fleet)?.size ?? 0) >= minServers
      ? fleet
      : f.fingerprint;
  };
  const byFingerprint = new Map(findings.map((f) => [f.fingerprint, f]));
  // a dependant goes to its root's own issue (docs/alerting.md#one-incident-per-root-cause); when
  // the root is part of a fleet-wide issue, the dependant keeps its own
  const folded = (f: TrackedFinding) => {
    const root = rootOf.get(f.fingerprint);
    const rootFinding = root && root !== f.fingerprint ? byFingerprint.get(root) : undefined;
    return rootFinding && keyOf(rootFinding) === rootFinding.fingerprint
      ? rootFinding.fingerprint
      : undefined;
  };
  for (const f of [...findings].sort((a, b) => Number(!!folded(a)) - Number(!!folded(b)))) {
    const root = folded(f);
    if (root) {
      add(root, false, f);
      const group = groups.get(root);
      if (group) group.dependants = [...(group.dependants ?? []), f.fingerprint];
      continue;
    }
    const key = keyOf(f);
    add(key, key !== f.fingerprint, f);
  }
  return [...groups.values()];
}

export function worstSeverity(findings: TrackedFinding[]): Severity {
  return findings.some((f) => f.severity === 'critical') ? 'critical' : 'warning';
}

/** Every server a group is about: this run's, and (fleet) the other shards'. */
export function serversOf(group: IssueGroup): string[] {
  return [...new Set([...group.findings.map((f) => f.server), ...(group.elsewhere ?? [])])].sort();
}

/** The server a fingerprint belongs to: the fingerprint starts with one of these server names. */
export function serverOf(servers: readonly string[], fingerprint: string): string | undefined {
  const names = [...servers].sort((a, b) => b.length - a.length);
  return names.find((n) => fingerprint.startsWith(`${n}/`));
}
