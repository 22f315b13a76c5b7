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

export function healthReportPath(at: Date, runId: string, shard?: string): string {
  const { day, time } = stamp(at);
  return `health/${day}/${time}-${safe(runId)}${shard ? `-${safe(shard)}` : ''}.md`;
}

export function actionPath(at: Date, server: string, action: string, runId: string): string {
  const { day, time } = stamp(at);
  return `actions/${day}/${time}-${safe(server)}-${safe(action)}-${safe(runId)}.md`;
}

export function bootPath(at: Date, server: string): string {
  const { day, time } = stamp(at);
  return `boot/${day}-${time}-${safe(server)}.md`;
}

export function issuePath(fingerprint: string): string {
  return `issues/${safe(fingerprint.replaceAll('/', '--'))}.md`;
}

export function serverStatePath(server: string): string {
  return `state/${safe(server)}.json`;
}
