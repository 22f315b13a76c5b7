import { createHash } from 'node:crypto';
import { isoWeek } from '../util/iso-week.js';

/**
 * State-branch paths (docs/architecture.md#state-branch). Lexical order is time order; the run id (unique per run and
 * attempt) keeps two runs in the same second from ever writing the same path.
 */
function stamp(at: Date): { day: string; time: string } {
  const iso = at.toISOString();
  return { day: iso.slice(0, 10), time: iso.slice(11, 19).replaceAll(':', '') };
}

function safe(part: string): string {
  return part.replace(/[^A-Za-z0-9._-]/g, '-');
}

/** Longest file name written to the state branch (far under the 255 bytes a checkout allows). */
export const MAX_FILE_NAME = 120;

/**
 * A file name within MAX_FILE_NAME: as it is when it fits (existing names do not move), else a
 * readable prefix and a hash of the whole name, so two long names never collide.
 */
function bounded(name: string, ext: string): string {
  if (name.length + ext.length <= MAX_FILE_NAME) return `${name}${ext}`;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 12);
  return `${name.slice(0, MAX_FILE_NAME - ext.length - hash.length - 1)}-${hash}${ext}`;
}

export function healthReportPath(at: Date, runId: string, shard?: string): string {
  const { day, time } = stamp(at);
  return `health/${day}/${bounded(`${time}-${safe(runId)}${shard ? `-${safe(shard)}` : ''}`, '.md')}`;
}

/**
 * The shard reports of one workflow run (any attempt): `health/<day>/<time>-<run id>[-<attempt>]-<i>of<n>.md`.
 * Groups: 1 shard index, 2 shard count.
 */
export function shardReportPattern(workflowRunId: string): RegExp {
  const id = safe(workflowRunId).replace(/[.]/g, '\\.');
  return new RegExp(`^health/\\d{4}-\\d{2}-\\d{2}/\\d{6}-${id}(?:-\\d+)?-(\\d+)of(\\d+)\\.md$`);
}

/** The fleet-wide report `task: summarize` writes for a workflow run: beside its shards' reports. */
export function fleetReportPath(at: Date, runId: string): string {
  return healthReportPath(at, runId, 'fleet');
}

export function actionPath(at: Date, server: string, action: string, runId: string): string {
  const { day, time } = stamp(at);
  return `actions/${day}/${bounded(`${time}-${safe(server)}-${safe(action)}-${safe(runId)}`, '.md')}`;
}

export function bootPath(at: Date, server: string): string {
  const { day, time } = stamp(at);
  return `boot/${bounded(`${day}-${time}-${safe(server)}`, '.md')}`;
}

export function issuePath(fingerprint: string): string {
  return `issues/${bounded(safe(fingerprint.replaceAll('/', '--')), '.md')}`;
}

export function serverStatePath(server: string): string {
  return `state/${bounded(safe(server), '.json')}`;
}

/**
 * The weekly digest (`task: digest`): `digests/<YYYY>-W<WW>.md`, named by the ISO week that holds
 * the middle of the window it covers — a Monday-morning digest of the last 7 days is last week's.
 */
export function digestPath(since: Date, until: Date): string {
  return `digests/${isoWeek(new Date((since.getTime() + until.getTime()) / 2)).label}.md`;
}

/** A report day's or action day's directory, as memory and retention list it. */
export function dayDir(kind: 'health' | 'actions', day: string): string {
  return `${kind}/${day}/`;
}

/** The month's roll-up of reports or action logs older than the retention window. */
export function summaryPath(kind: 'health' | 'actions', month: string): string {
  return `${kind}/${month}/summary.md`;
}

/** A file- and branch-safe id. */
export function safeId(id: string): string {
  return (
    id
      .replace(/[^A-Za-z0-9._-]/g, '-')
      .replace(/^[.-]+/, '')
      .slice(0, 100) || 'plan'
  );
}

export function approvalPath(id: string): string {
  return `approvals/${safeId(id)}.md`;
}

/** A server's directory of history series (the status page, charts): bounded like every name. */
export function historyDir(server: string): string {
  return `history/${bounded(safe(server), '')}`;
}

export function historyMonthPath(server: string, month: string): string {
  return `${historyDir(server)}/${month}.tsv`;
}

export function historyEndpointsPath(server: string): string {
  return `${historyDir(server)}/endpoints.tsv`;
}

export function historyDailyPath(server: string, year: string): string {
  return `${historyDir(server)}/${year}-daily.tsv`;
}

/** `history/<server>/2026-03.tsv` → `history/<server>/2026-daily.tsv`, where its days are kept. */
export function dailyHistoryPath(monthPath: string): string {
  return monthPath.replace(/\/(\d{4})-\d{2}\.tsv$/, '/$1-daily.tsv');
}

/** A file set aside for its size or content: kept for a human, never read as what it was. */
export const SET_ASIDE_FILE = /\.corrupt-[^/]*\.[A-Za-z]+$/;

/** `state/web1.json` → `state/web1.corrupt-<time>.json` (same directory, same extension). */
export function setAsidePath(path: string, at: Date): string {
  const stamp = at.toISOString().replace(/[:.]/g, '-');
  const dot = path.lastIndexOf('.');
  const slash = path.lastIndexOf('/');
  return dot > slash
    ? `${path.slice(0, dot)}.corrupt-${stamp}${path.slice(dot)}`
    : `${path}.corrupt-${stamp}`;
}
