/** The config's clearable directories, as the catalog offers them and diagnostics may look at them. */
import type { ServerConfig } from '../config/schema.js';
import { normalizeAbsolutePath, protectedReason } from '../core/util/safe-path.js';

export interface ClearableCheck {
  /** normalised, safe to empty: what the catalog offers and the command uses */
  dirs: string[];
  /** config entries left out, with why */
  refused: string[];
}

/**
 * Clearable directories, normalised (core/util/safe-path.ts) and then checked against the
 * protected list: `//etc`, `/etc/.`, `/usr/./lib`, `/var//log/` are the system directories they
 * spell, and are refused as such.
 */
export function checkClearable(server: Pick<ServerConfig, 'clearable'>): ClearableCheck {
  const dirs: string[] = [];
  const refused: string[] = [];
  for (const raw of server.clearable) {
    const normal = normalizeAbsolutePath(raw);
    const why = normal.ok ? protectedReason(normal.path) : normal.error;
    if (why || !normal.ok) refused.push(`clearable ${JSON.stringify(raw)} left out: ${why}`);
    else if (!dirs.includes(normal.path)) dirs.push(normal.path);
  }
  return { dirs, refused };
}

/** Clearable directories that are safe to empty, normalised. */
export function safeClearable(server: Pick<ServerConfig, 'clearable'>): string[] {
  return checkClearable(server).dirs;
}
