import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compileCacheDir } from '../../../src/adapters/compile-cache.js';

const EUID = process.geteuid?.() ?? -1;
const NOBODY = 65534;
const roots: string[] = [];
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

/** A home of this user's own (mode 0700) inside a fresh temp dir: the sticky /tmp is above it. */
function home(): { root: string; home: string } {
  const root = mkdtempSync(join(tmpdir(), 'claudeops-cc-'));
  roots.push(root);
  const home = join(root, 'home');
  mkdirSync(home, { mode: 0o700 });
  return { root, home };
}

describe('the compile cache: CLAUDEOPS_CACHE_DIR, systemd’s CacheDirectory, then a safe default', () => {
  it('an explicit directory wins, systemd’s next; both are taken as given', () => {
    const { home: h } = home();
    expect(compileCacheDir({ HOME: h, CACHE_DIRECTORY: '/var/cache/claudeops' })).toEqual({
      dir: '/var/cache/claudeops/compile-cache',
    });
    expect(compileCacheDir({ HOME: h, CACHE_DIRECTORY: '/var/cache/a:/var/cache/b' })).toEqual({
      dir: '/var/cache/a/compile-cache',
    });
    expect(
      compileCacheDir({ HOME: h, CLAUDEOPS_CACHE_DIR: '/home/ops/.cache/claudeops', CACHE_DIRECTORY: '/x' }),
    ).toEqual({ dir: '/home/ops/.cache/claudeops/compile-cache' });
    // nothing was made in the home for them
    expect(existsSync(join(h, '.cache'))).toBe(false);
  });

  it('by default ~/.cache/claudeops, made for this user alone', () => {
    const { home: h } = home();
    expect(compileCacheDir({ HOME: h }, EUID)).toEqual({ dir: join(h, '.cache/claudeops/compile-cache') });
    expect(statSync(join(h, '.cache')).mode & 0o777).toBe(0o700);
    expect(statSync(join(h, '.cache/claudeops')).mode & 0o777).toBe(0o700);
    // the second run finds it as the first left it
    expect(compileCacheDir({ HOME: h }, EUID)).toEqual({ dir: join(h, '.cache/claudeops/compile-cache') });
  });

  it('$XDG_CACHE_HOME/claudeops when XDG_CACHE_HOME is absolute; a relative one is ignored', () => {
    const { home: h } = home();
    mkdirSync(join(h, 'xdg'), { mode: 0o700 });
    expect(compileCacheDir({ HOME: h, XDG_CACHE_HOME: join(h, 'xdg') }, EUID)).toEqual({
      dir: join(h, 'xdg/claudeops/compile-cache'),
    });
    expect(compileCacheDir({ HOME: h, XDG_CACHE_HOME: 'xdg' }, EUID)).toEqual({
      dir: join(h, '.cache/claudeops/compile-cache'),
    });
  });

  it('off with CLAUDEOPS_CACHE_DIR=off or NODE_DISABLE_COMPILE_CACHE, and under Node’s own NODE_COMPILE_CACHE; nothing made', () => {
    const { home: h } = home();
    expect(compileCacheDir({ HOME: h, CLAUDEOPS_CACHE_DIR: 'off' }, EUID)).toEqual({
      why: 'CLAUDEOPS_CACHE_DIR=off',
    });
    expect(
      compileCacheDir({ HOME: h, NODE_DISABLE_COMPILE_CACHE: '1', CLAUDEOPS_CACHE_DIR: '/c' }, EUID).dir,
    ).toBe(undefined);
    expect(compileCacheDir({ HOME: h, NODE_COMPILE_CACHE: join(h, 'n') }, EUID).dir).toBe(undefined);
    expect(existsSync(join(h, '.cache'))).toBe(false);
  });

  it('never a directory others can write into, or a shared temp directory', () => {
    const a = home();
    chmodSync(a.home, 0o700);
    mkdirSync(join(a.home, '.cache/claudeops'), { recursive: true, mode: 0o700 });
    chmodSync(join(a.home, '.cache/claudeops'), 0o777);
    expect(compileCacheDir({ HOME: a.home }, EUID)).toEqual({
      why: `${join(a.home, '.cache/claudeops')}: ${join(a.home, '.cache/claudeops')} is writable by others`,
    });
    // a parent on the way to the home, group-writable
    const b = home();
    mkdirSync(join(b.home, '.cache'), { mode: 0o700 });
    chmodSync(join(b.home, '.cache'), 0o770);
    expect(compileCacheDir({ HOME: b.home }, EUID).why).toMatch(/\.cache is writable by others$/);
    // the home itself
    const c = home();
    chmodSync(c.home, 0o1777);
    expect(compileCacheDir({ HOME: c.home }, EUID).why).toMatch(/home is writable by others$/);
    // and nothing was made in it: a symlink planted there would have been followed
    expect(existsSync(join(c.home, '.cache'))).toBe(false);
    // a shared temp directory outside the home (world-writable and sticky, like /tmp): refused
    // before anything is made in it
    const d = home();
    expect(compileCacheDir({ HOME: d.home, XDG_CACHE_HOME: tmpdir() }, EUID).why).toBe(
      `${join(tmpdir(), 'claudeops')}: ${tmpdir()} is writable by others`,
    );
    const shared = join(d.root, 'shared-tmp');
    mkdirSync(shared);
    chmodSync(shared, 0o1777);
    expect(compileCacheDir({ HOME: d.home, XDG_CACHE_HOME: shared }, EUID).why).toBe(
      `${join(shared, 'claudeops')}: ${shared} is writable by others`,
    );
    expect(existsSync(join(shared, 'claudeops'))).toBe(false);
  });

  it('never a symlink on the way (the cache directory or a parent up to the home)', () => {
    const a = home();
    mkdirSync(join(a.home, '.cache'), { mode: 0o700 });
    mkdirSync(join(a.home, 'elsewhere'), { mode: 0o700 });
    symlinkSync(join(a.home, 'elsewhere'), join(a.home, '.cache/claudeops'));
    expect(compileCacheDir({ HOME: a.home }, EUID).why).toMatch(/\.cache\/claudeops is a symlink$/);
    const b = home();
    mkdirSync(join(b.home, 'real-cache'), { mode: 0o700 });
    symlinkSync(join(b.home, 'real-cache'), join(b.home, '.cache'));
    expect(compileCacheDir({ HOME: b.home }, EUID).why).toMatch(/\.cache is a symlink$/);
  });

  it('never a directory of another user: a home or cache this user does not own', () => {
    // as a user whose uid owns nothing here (root runs with someone else's HOME the same way)
    const a = home();
    expect(compileCacheDir({ HOME: a.home }, 4242).why).toMatch(/is owned by uid \d+, not 4242$/);
  });

  it.skipIf(EUID !== 0)('never a cache directory (or home) owned by another uid, chowned for real', () => {
    const a = home();
    mkdirSync(join(a.home, '.cache/claudeops'), { recursive: true, mode: 0o700 });
    chownSync(join(a.home, '.cache/claudeops'), NOBODY, NOBODY);
    expect(compileCacheDir({ HOME: a.home }, EUID).why).toMatch(
      new RegExp(`\\.cache/claudeops is owned by uid ${NOBODY}, not 0$`),
    );
    const b = home();
    chownSync(b.home, NOBODY, NOBODY);
    expect(compileCacheDir({ HOME: b.home }, EUID).why).toMatch(
      new RegExp(`is owned by uid ${NOBODY}, not 0$`),
    );
  });

  it('a home that cannot hold it: no cache, no error', () => {
    const a = home();
    expect(compileCacheDir({ HOME: join(a.home, 'missing') }, EUID).why).toMatch(/missing is missing$/);
    expect(compileCacheDir({ HOME: 'relative' }, EUID).why).toBe('the home relative is not an absolute path');
  });
});
