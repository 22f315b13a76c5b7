/**
 * test/INDEX.md (every src file → the tests that exercise it) stays true: it is what the
 * generator makes from today's tests, every file with code is reached by some test, and the files
 * without a test of their own do not grow in number.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './import-graph.js';
import { buildTestIndex, INDEX_FILE, renderTestIndex, typesOnly, valueImports } from './test-index.js';

/**
 * Files with code and no test importing them (reached only through their importers' tests), as
 * counted on the day the index was made. Lower it when you give one its own test; a new module
 * comes with a test.
 */
const WITHOUT_OWN_TEST = 71;

describe('test/INDEX.md', () => {
  const index = buildTestIndex();

  it('is what `npm run -s test-index` writes from the tests of today', () => {
    const written = readFileSync(join(ROOT, INDEX_FILE), 'utf8');
    expect(written, `${INDEX_FILE} is out of date: run \`npm run -s test-index\` and commit it`).toBe(
      renderTestIndex(index),
    );
  });

  it('every file with code is exercised by a test, its own or one of a module importing it', () => {
    const unreached = [...index.untested].filter(([, through]) => through.length === 0).map(([src]) => src);
    expect(unreached).toEqual([]);
    expect(index.tests.size).toBeGreaterThan(100);
  });

  it(`files without a test of their own: at most ${WITHOUT_OWN_TEST}`, () => {
    expect([...index.untested.keys()].length).toBeLessThanOrEqual(WITHOUT_OWN_TEST);
  });

  it('counts what runs: `import type` and type-only names reach no code', () => {
    expect(valueImports("import type { A } from './a.js';\nimport { type B } from './b.js';")).toEqual([]);
    expect(
      valueImports(
        "import { type C, d } from './c.js';\nimport './e.js';\nexport { f } from './f.js';\nexport type { G } from './g.js';\nconst h = await import('./h.js');\nimport x from 'pkg';",
      ),
    ).toEqual(['./c.js', './e.js', './f.js', './h.js']);
    expect(
      typesOnly("import type { A } from './a.js';\nexport interface B { a: A }\nexport type C = B[];"),
    ).toBe(true);
    expect(typesOnly('export interface B { a: string }\nexport const none = 0;')).toBe(false);
  });
});
