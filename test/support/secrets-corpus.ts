/**
 * The secret corpus of issue 18 (test/fixtures/secrets-corpus/*.json: forms written from vendors'
 * documents, each with its source), loaded once for the tests that push it through the outputs
 * (test/unit/core/util/secrets-corpus.test.ts), and the one check they all make.
 *
 * A held-out corpus in the same format runs through the same test:
 *   HELD_OUT=path/to/file-or-dir.json npx vitest run --project main test/unit/core/util/secrets-corpus.test.ts
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';

export interface Form {
  id: string;
  class: string;
  source: string;
  text: string;
  secrets: string[];
}

export const CLASSES = [
  'assignment',
  'spelling',
  'command-line',
  'encoding',
  'vendor-token',
  'private-key',
  'invisible',
  'other',
];

function load(path: string): Form[] {
  const files = statSync(path).isDirectory()
    ? readdirSync(path)
        .filter((f) => f.endsWith('.json'))
        .map((f) => join(path, f))
    : [path];
  return files.flatMap((f) => JSON.parse(readFileSync(f, 'utf8')) as Form[]);
}

export const OWN = load(join(import.meta.dirname, '../fixtures/secrets-corpus'));
const HELD_OUT = process.env.HELD_OUT ? load(process.env.HELD_OUT) : [];
export const CORPUS = [...OWN, ...HELD_OUT];
/** Each form with its name (`class/id`), for it.each. */
export const named = CORPUS.map((f) => [`${f.class}/${f.id}`, f] as const);

/** Output with the renderers' escapes undone, so an escaped secret (`github\_pat…`) still counts. */
export function unescaped(text: string): string {
  return text
    .replace(/&#8203;|\u200b/g, '')
    .replace(/\\([\\`*_{}[\]!|~$#>+=.()-])/g, '$1')
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&quot;', '"')
    .replaceAll('&#39;', "'")
    .replaceAll('&amp;', '&');
}

/**
 * No secret of the form in the output: as is, unescaped, JSON-escaped, or its first 12 characters.
 * `output` names where the text was shown; with `soft`, a test checking several outputs goes on
 * after a failure and reports every output that leaked, each by name.
 */
export function expectNoSecret(out: string, form: Form, output = '', soft = false): void {
  const check = soft ? expect.soft : expect;
  for (const secret of form.secrets) {
    const where = `${output ? `${output} ← ` : ''}${form.class}/${form.id}: ${JSON.stringify(secret.slice(0, 40))}`;
    check(out, where).not.toContain(secret);
    check(unescaped(out), where).not.toContain(secret);
    check(out, where).not.toContain(JSON.stringify(secret).slice(1, -1));
    if (secret.length >= 20) check(unescaped(out), where).not.toContain(secret.slice(0, 12));
  }
}
