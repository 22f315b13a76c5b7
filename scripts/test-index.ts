/** Writes test/INDEX.md (every src file → its tests) from the tests' imports: `npm run -s test-index`. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../test/repo/import-graph.js';
import { buildTestIndex, INDEX_FILE, renderTestIndex } from '../test/repo/test-index.js';

writeFileSync(join(ROOT, INDEX_FILE), renderTestIndex(buildTestIndex()));
console.log(`wrote ${INDEX_FILE}`);
