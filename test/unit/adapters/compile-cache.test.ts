import { describe, expect, it } from 'vitest';
import { compileCacheDir } from '../../../src/adapters/compile-cache.js';

describe('the compile cache', () => {
  it('lives only in a directory of this user: CLAUDEOPS_CACHE_DIR, else systemd’s CacheDirectory', () => {
    expect(compileCacheDir({})).toBeUndefined();
    // Node's own default would be the shared temp directory: never used
    expect(compileCacheDir({ TMPDIR: '/tmp', NODE_COMPILE_CACHE: '' })).toBeUndefined();
    expect(compileCacheDir({ CACHE_DIRECTORY: '/var/cache/claudeops' })).toBe(
      '/var/cache/claudeops/compile-cache',
    );
    expect(compileCacheDir({ CACHE_DIRECTORY: '/var/cache/a:/var/cache/b' })).toBe(
      '/var/cache/a/compile-cache',
    );
    expect(
      compileCacheDir({ CLAUDEOPS_CACHE_DIR: '/home/ops/.cache/claudeops', CACHE_DIRECTORY: '/x' }),
    ).toBe('/home/ops/.cache/claudeops/compile-cache');
  });
});
