import { type HeartbeatSettings, type PingKind, pingUrl } from '../core/util/heartbeat-url.js';
import type { RunContext } from '../run-context.js';

/** The heartbeat settings of this run: the input's URL over the config's; undefined without a URL. */
export function heartbeatSettings(ctx: Pick<RunContext, 'config' | 'inputs'>): HeartbeatSettings | undefined {
  const configured = ctx.config.heartbeat;
  const url = ctx.inputs.heartbeatUrl || configured?.url;
  if (!url) return undefined;
  return {
    url,
    start: configured?.start ?? '/start',
    success: configured?.success ?? '',
    fail: configured?.fail ?? '/fail',
  };
}

/**
 * Pings the dead man's switch. Returns a warning when the ping did not get through (never throws:
 * a monitoring service being down must not fail the run it watches). The URL is a secret: the
 * warning names the kind of ping and the reason, never the URL.
 */
export async function pingHeartbeat(
  ctx: Pick<RunContext, 'config' | 'inputs' | 'adapters'>,
  kind: PingKind,
): Promise<string | undefined> {
  // The HTTP goes through the UrlPing port (adapters/http-retry.ts, wired in compose.ts).
  const settings = heartbeatSettings(ctx);
  if (!settings) return undefined;
  let url: string | undefined;
  try {
    url = pingUrl(settings, kind);
  } catch {
    return `heartbeat: the ping URL is not a valid URL; no ${kind} ping sent`;
  }
  if (!url) return undefined;
  const ping = ctx.adapters.ping;
  if (!ping) return undefined;
  const result = await ping(url, ctx.config.heartbeat?.timeout ?? 10_000);
  return result.ok ? undefined : `heartbeat: the ${kind} ping failed (${result.error})`;
}
