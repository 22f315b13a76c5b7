/**
 * V8's code cache for the bundle (Node 22.1 and later): a run that finds its chunks compiled by an
 * earlier run skips compiling ~1.8 MB of JavaScript before its first SSH connection. On by default,
 * but only in a directory that is this user's own: CLAUDEOPS_CACHE_DIR (`off` turns the cache
 * off), else the cache systemd keeps for a service (`CacheDirectory=` sets $CACHE_DIRECTORY), else
 * `$XDG_CACHE_HOME/claudeops` or `~/.cache/claudeops` when that directory and every directory up to
 * the home are owned by this user, are no symlinks and are writable by nobody else. Never the
 * shared temp directory (Node's default): code read from a cache another user can write would run
 * as this user, often root holding the SSH keys. Why the cache is off: `NODE_DEBUG=claudeops`.
 */
import { lstatSync, mkdirSync, realpathSync, type Stats, statSync } from 'node:fs';
import nodeModule from 'node:module';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { debuglog } from 'node:util';

export type CacheChoice = { dir: string; why?: undefined } | { dir?: undefined; why: string };

/** Where the cache goes for this environment, creating the default directory; no dir: why not. */
export function compileCacheDir(env: NodeJS.ProcessEnv, euid = process.geteuid?.() ?? -1): CacheChoice {
  if (env.NODE_DISABLE_COMPILE_CACHE) return { why: 'NODE_DISABLE_COMPILE_CACHE is set' };
  // Node's own setting already enabled a cache at start-up: a second one is refused anyway
  if (env.NODE_COMPILE_CACHE) return { why: 'NODE_COMPILE_CACHE is set' };
  if (env.CLAUDEOPS_CACHE_DIR === 'off') return { why: 'CLAUDEOPS_CACHE_DIR=off' };
  // chosen by the user, or made by systemd for this service's user alone: taken as given
  const chosen = env.CLAUDEOPS_CACHE_DIR || env.CACHE_DIRECTORY?.split(':')[0];
  if (chosen) return { dir: join(chosen, 'compile-cache') };
  const given = env.HOME || homedir();
  if (!isAbsolute(given)) return { why: `the home ${given} is not an absolute path` };
  const home = resolve(given);
  const base =
    env.XDG_CACHE_HOME && isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : join(home, '.cache');
  const dir = join(base, 'claudeops');
  // nothing is made where someone else could have put a symlink or could write
  const made = lstatSync(base, { throwIfNoEntry: false }) ? base : dirname(base);
  const before = unsafeReason(made, home, euid, false);
  if (before) return { why: `${dir}: ${before}` };
  try {
    makeOwnDir(base);
    makeOwnDir(dir);
  } catch (error) {
    return { why: `${dir} cannot be created (${(error as NodeJS.ErrnoException).code ?? error})` };
  }
  const unsafe = unsafeReason(dir, home, euid);
  return unsafe ? { why: `${dir}: ${unsafe}` } : { dir: join(dir, 'compile-cache') };
}

/** mkdir for this user only; an existing directory is left as it is (and judged by unsafeReason). */
function makeOwnDir(path: string): void {
  try {
    mkdirSync(path, { mode: 0o700 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
}

const inside = (path: string, dir: string) => path === dir || path.startsWith(dir === '/' ? '/' : `${dir}/`);

/**
 * Why code in `dir` could be written by someone other than `euid` (or root), or undefined when it
 * cannot. From `dir` up to the home: no symlink, owned by euid, writable by nobody else. Above the
 * home (its real path): owned by root or euid, and writable by others only with the sticky bit
 * (/tmp, /home on some systems), which keeps them from replacing what is ours. A directory outside
 * the home gets no such exception: every directory up to / must be writable by nobody else.
 */
export function unsafeReason(dir: string, home: string, euid: number, leafOwn = true): string | undefined {
  const inHome = inside(dir, home);
  for (let path = dir; ; path = dirname(path)) {
    const own = inHome || (leafOwn && path === dir);
    const problem = judge(path, lstatSync(path, { throwIfNoEntry: false }), euid, own, false);
    if (problem) return problem;
    if (path === '/' || (inHome && path === home)) break;
  }
  if (!inHome || home === '/') return undefined;
  let above: string;
  try {
    above = dirname(realpathSync(home));
  } catch {
    return `${home} cannot be resolved`;
  }
  for (let path = above; ; path = dirname(path)) {
    const problem = judge(path, statSync(path, { throwIfNoEntry: false }), euid, false, true);
    if (problem) return problem;
    if (path === '/') return undefined;
  }
}

function judge(path: string, st: Stats | undefined, euid: number, own: boolean, sticky: boolean) {
  if (!st) return `${path} is missing`;
  if (st.isSymbolicLink()) return `${path} is a symlink`;
  if (!st.isDirectory()) return `${path} is not a directory`;
  if (st.uid !== euid && (own || st.uid !== 0)) return `${path} is owned by uid ${st.uid}, not ${euid}`;
  if (st.mode & 0o022 && !(sticky && st.mode & 0o1000)) return `${path} is writable by others`;
  return undefined;
}

/** Turns the cache on for every module loaded from now on; a Node without it, or a cache that cannot be written, runs without. */
export function enableCompileCache(env: NodeJS.ProcessEnv): void {
  const enable = (nodeModule as { enableCompileCache?: (dir: string) => unknown }).enableCompileCache;
  if (!enable) return;
  const debug = debuglog('claudeops');
  try {
    const choice = compileCacheDir(env);
    if (choice.dir) enable(choice.dir);
    else debug('compile cache off: %s', choice.why);
  } catch (error) {
    // a cache is an optimisation: the run goes on compiling as usual
    debug('compile cache off: %s', error);
  }
}
