// Prints vitest's JSON results (one file per project run) as the one plain line CI reads:
// "N passed, N failed[, N skipped]".
import { readFileSync } from 'node:fs';

let passed = 0;
let failed = 0;
let skipped = 0;
// --extra-failures=N: failures outside vitest (the lab could not be stopped, the host changed)
const extra = process.argv.find((a) => a.startsWith('--extra-failures='));
failed += Number(extra?.split('=')[1] ?? 0) || 0;
for (const file of process.argv.slice(2).filter((a) => !a.startsWith('--'))) {
  let report;
  try {
    report = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    // no results at all (vitest crashed before writing them): a failure, never a silent pass
    console.error(`no test results in ${file}: ${error.message}`);
    failed += 1;
    continue;
  }
  passed += report.numPassedTests ?? 0;
  skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  // A test file that failed outside its tests (failed to load, a beforeAll or afterAll threw)
  // counts as one failure, even though none of its tests is marked failed.
  const brokenFiles = (report.testResults ?? []).filter(
    (f) => f.status === 'failed' && !f.assertionResults.some((a) => a.status === 'failed'),
  ).length;
  failed += (report.numFailedTests ?? 0) + brokenFiles;
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
