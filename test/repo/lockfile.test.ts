import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

// `npm ci` refuses a lock that lacks an optional dependency of a locked package (Biome ships one
// binary package per platform): a lock regenerated on one platform with a filter would pass here
// with `npm install` and break every other contributor and every release workflow.
interface LockedPackage {
  version?: string;
  optionalDependencies?: Record<string, string>;
  dependencies?: Record<string, string>;
}
interface Lock {
  lockfileVersion: number;
  packages: Record<string, LockedPackage>;
}

const lock = JSON.parse(readFileSync(new URL('../../package-lock.json', import.meta.url), 'utf8')) as Lock;
const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

/** Where npm would resolve `name` required from the package at `from` (node_modules lookup upwards). */
function resolve(from: string, name: string): string | undefined {
  let dir = from;
  for (;;) {
    const candidate = dir === '' ? `node_modules/${name}` : `${dir}/node_modules/${name}`;
    if (lock.packages[candidate]) return candidate;
    if (dir === '') return undefined;
    const at = dir.lastIndexOf('/node_modules/');
    dir = at < 0 ? '' : dir.slice(0, at);
  }
}

describe('package-lock.json', () => {
  it('is a v3 lock that pins exactly what package.json asks for', () => {
    expect(lock.lockfileVersion).toBe(3);
    const wanted = { ...pkg.dependencies, ...pkg.devDependencies };
    for (const [name, version] of Object.entries(wanted)) {
      expect(lock.packages[`node_modules/${name}`]?.version, name).toBe(version);
    }
  });

  it('records every optional (platform) dependency of every locked package', () => {
    const missing: string[] = [];
    let optional = 0;
    for (const [path, entry] of Object.entries(lock.packages)) {
      for (const name of Object.keys(entry.optionalDependencies ?? {})) {
        optional += 1;
        if (!resolve(path, name)) missing.push(`${path || '(root)'} -> ${name}`);
      }
    }
    expect(missing).toEqual([]);
    // Biome alone has one per platform: a lock that records none of them would pass vacuously.
    expect(optional).toBeGreaterThanOrEqual(8);
    expect(lock.packages['node_modules/@biomejs/cli-darwin-arm64']).toBeDefined();
    expect(lock.packages['node_modules/@biomejs/cli-win32-x64']).toBeDefined();
  });
});
