import type { Config, ServerConfig } from '../../config/schema.js';

/**
 * Applies the `servers` input (names and tag:NAME, comma separated) and then the shard
 * (every n-th server starting at i, 1-based) so matrix jobs split a fleet without overlap.
 * An entry that matches nothing is an error: a typo must not silently check zero servers.
 */
export function selectServers(
  config: Config,
  filter: string | undefined,
  shard: { index: number; count: number } | undefined,
): ServerConfig[] {
  let chosen = config.servers;
  const wanted = (filter ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (wanted.length > 0) {
    for (const entry of wanted) {
      if (!config.servers.some((s) => matches(s, entry))) {
        const names = config.servers.map((s) => s.name).join(', ');
        throw new Error(`servers: "${entry}" matches no configured server (configured: ${names})`);
      }
    }
    chosen = config.servers.filter((s) => wanted.some((entry) => matches(s, entry)));
  }
  if (shard) chosen = chosen.filter((_, i) => i % shard.count === shard.index - 1);
  return chosen;
}

function matches(server: ServerConfig, entry: string): boolean {
  return entry.startsWith('tag:') ? server.tags.includes(entry.slice(4)) : server.name === entry;
}
