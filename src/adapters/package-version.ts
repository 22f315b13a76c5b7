import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The package version, read from the package.json above this module: the repository's, one level
 * above dist/ (the bundle) or two above src/adapters/ (from source). The file name is built at run
 * time so the bundler leaves it alone rather than copying it.
 */
export function packageVersion(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const name = ['package', 'json'].join('.');
  for (const file of [join(here, '..', name), join(here, '..', '..', name)]) {
    try {
      const pkg: unknown = JSON.parse(readFileSync(file, 'utf8'));
      const { name: pkgName, version } = (pkg ?? {}) as { name?: unknown; version?: unknown };
      if (pkgName === 'claudeops-action' && typeof version === 'string') return version;
    } catch {
      // not there: the next place up
    }
  }
  return 'unknown';
}
