/** Writes a static site (the status page) to a directory: the one place its files touch the disk. */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/**
 * Writes `files` (relative path → content) under `dir`, creating it; with `replace` whatever the
 * directory held before is removed first. Returns the paths written.
 */
export async function writeSiteFiles(
  dir: string,
  files: readonly (readonly [string, string])[],
  options: { replace?: boolean } = {},
): Promise<string[]> {
  if (options.replace) await rm(dir, { recursive: true, force: true });
  for (const [name, content] of files) {
    await mkdir(dirname(join(dir, name)), { recursive: true });
    await writeFile(join(dir, name), content);
  }
  return files.map(([name]) => name);
}
