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
