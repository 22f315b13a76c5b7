/**
 * Heartbeat ("dead man's switch") URLs in the healthchecks.io convention, also understood by
 * Cronitor and Uptime Kuma push monitors: `URL/start` when a run starts, `URL` when it has recorded
 * its report, `URL/fail` when the run itself failed. The suffix goes at the end of the path, before
 * any query string (`…/push/abc?status=up` stays a valid push URL).
 */
export type PingKind = 'start' | 'success' | 'fail';

export interface HeartbeatSettings {
  url: string;
  /** suffix per kind; false skips that ping */
  start: string | false;
  success: string | false;
  fail: string | false;
}

export function pingUrl(settings: HeartbeatSettings, kind: PingKind): string | undefined {
  const suffix = settings[kind];
  if (suffix === false) return undefined;
  const url = new URL(settings.url);
  if (suffix) url.pathname = `${url.pathname.replace(/\/+$/, '')}/${suffix.replace(/^\/+/, '')}`;
  return url.toString();
}
