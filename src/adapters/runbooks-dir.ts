/**
 * Reads the repository's runbooks directory (`runbooks:` in the config, relative to the
 * checkout). A missing directory means no runbooks; a file that is not a runbook is skipped with a
 * warning, never fatal.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseRunbook, type Runbook } from '../agent/runbooks.js';
import { errorMessage } from '../core/util/error-message.js';

/** More than this many files, or a file larger than this, is refused: runbooks are notes, not dumps. */
const MAX_FILES = 200;
const MAX_BYTES = 64 * 1024;

export function loadRunbooks(dir: string, warn: (message: string) => void): Runbook[] {
  let names: string[];
  try {
    names = readdirSync(dir)
      .filter((n) => n.endsWith('.md'))
      .sort();
  } catch {
    return [];
  }
  if (names.length > MAX_FILES) {
    warn(`runbooks: ${names.length} files in ${dir}; only the first ${MAX_FILES} are read`);
    names = names.slice(0, MAX_FILES);
  }
  const books: Runbook[] = [];
  for (const file of names) {
    const path = join(dir, file);
    try {
      const stat = statSync(path);
      if (!stat.isFile()) continue;
      if (stat.size > MAX_BYTES) {
        warn(`runbooks: ${file} is ${stat.size} bytes (more than ${MAX_BYTES}); skipped`);
        continue;
      }
      const parsed = parseRunbook(file.slice(0, -3), readFileSync(path, 'utf8'));
      if ('error' in parsed) warn(`runbooks: ${parsed.error}; skipped`);
      else books.push(parsed);
    } catch (e) {
      warn(`runbooks: ${file} could not be read (${errorMessage(e)}); skipped`);
    }
  }
  return books;
}
