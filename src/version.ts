import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The package version, read from the package.json beside src/ or dist/ (both are one level below
 * it). The file name is built at run time so the bundler leaves it alone rather than copying it.
 */
export function packageVersion(): string {
  try {
    const file = join(dirname(fileURLToPath(import.meta.url)), '..', ['package', 'json'].join('.'));
    const version: unknown = JSON.parse(readFileSync(file, 'utf8')).version;
    return typeof version === 'string' ? version : 'unknown';
  } catch {
    return 'unknown';
  }
}
