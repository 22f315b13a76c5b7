/**
 * V8's code cache for the bundle (Node 22.1 and later): a run that finds its chunks compiled by an
 * earlier run skips compiling ~1.8 MB of JavaScript before its first SSH connection. Only in a
 * directory that is this user's own: CLAUDEOPS_CACHE_DIR, or the cache systemd keeps for a service
 * (`CacheDirectory=` sets $CACHE_DIRECTORY). Never the shared temp
 * directory (Node's default): code read from a cache another user can write would run as this user.
 */
import nodeModule from 'node:module';
import { join } from 'node:path';

/** Where the cache goes for this environment; undefined: no cache. */
export function compileCacheDir(env: NodeJS.ProcessEnv): string | undefined {
  const dir = env.CLAUDEOPS_CACHE_DIR || env.CACHE_DIRECTORY?.split(':')[0];
  return dir ? join(dir, 'compile-cache') : undefined;
}

/** Turns the cache on for every module loaded from now on; a Node without it, or a cache that cannot be written, runs without. */
export function enableCompileCache(env: NodeJS.ProcessEnv): void {
  const dir = compileCacheDir(env);
  const enable = (nodeModule as { enableCompileCache?: (dir: string) => unknown }).enableCompileCache;
  if (!dir || !enable) return;
  try {
    enable(dir);
  } catch {
    // a cache is an optimisation: the run goes on compiling as usual
  }
}
