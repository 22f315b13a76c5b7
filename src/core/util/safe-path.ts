/**
 * One meaning per path (issue 10): a path from the config is normalised before any guard looks at
 * it, and the normalised form is what is compared and what runs. `//etc`, `/etc/.`, `/usr/./lib`
 * and `/var//log/` are `/etc`, `/etc`, `/usr/lib` and `/var/log`; a `..` segment is refused
 * outright (its meaning depends on symlinks the runner cannot see). Pure.
 */
import { posix } from 'node:path';

export type NormalPath = { ok: true; path: string } | { ok: false; error: string };

export function normalizeAbsolutePath(raw: string): NormalPath {
  if (!raw.startsWith('/')) return { ok: false, error: `${JSON.stringify(raw)} is not an absolute path` };
  if (/[\0\n\r]/.test(raw))
    return { ok: false, error: `${JSON.stringify(raw)} contains a control character` };
  if (raw.split('/').includes('..'))
    return { ok: false, error: `${JSON.stringify(raw)} contains a .. segment` };
  // posix.normalize keeps a leading `//` (POSIX leaves its meaning to the system): collapse it too
  const normal = posix.normalize(raw).replace(/^\/+/, '/');
  return { ok: true, path: normal.length > 1 ? normal.replace(/\/+$/, '') : normal };
}

/** Whole trees where nothing is a cache: no directory in them (or they themselves) may be emptied. */
export const PROTECTED_TREES = [
  '/bin',
  '/boot',
  '/dev',
  '/etc',
  '/lib',
  '/lib32',
  '/lib64',
  '/libx32',
  '/proc',
  '/root',
  '/sbin',
  '/sys',
  '/usr',
];

/** Directories that hold others' data: they may not be emptied themselves (a subdirectory may). */
export const PROTECTED_DIRS: ReadonlySet<string> = new Set([
  '/',
  '/home',
  '/media',
  '/mnt',
  '/opt',
  '/run',
  '/srv',
  '/tmp',
  '/var',
  '/var/cache',
  '/var/lib',
  '/var/log',
  '/var/spool',
  '/var/tmp',
]);

/** Why a normalised directory must never be emptied, or undefined when it may be. */
export function protectedReason(path: string): string | undefined {
  if (PROTECTED_DIRS.has(path)) return `${path} is a system directory`;
  const tree = PROTECTED_TREES.find((t) => path === t || path.startsWith(`${t}/`));
  return tree ? `${path} is inside ${tree}` : undefined;
}
