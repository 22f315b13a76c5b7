// Prints the CHANGELOG.md section of one version (Keep a Changelog: `## [1.2.3] - 2026-11-26`), the
// release notes of that tag. Exits 1 with a reason when the section is missing or empty, so a
// release can never go out without its notes.
//   node scripts/changelog-section.mjs 1.2.3 [CHANGELOG.md]
import { readFileSync } from 'node:fs';

const [version, file = 'CHANGELOG.md'] = process.argv.slice(2);
if (!version || !/^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$/.test(version)) {
  console.error(`changelog-section: expected a version like 1.2.3 (got "${version ?? ''}")`);
  process.exit(2);
}
const lines = readFileSync(file, 'utf8').split('\n');
const start = lines.findIndex((l) => l.startsWith(`## [${version}]`));
if (start < 0) {
  console.error(`changelog-section: ${file} has no "## [${version}]" section; move [Unreleased] there first`);
  process.exit(1);
}
const rest = lines.slice(start + 1);
const end = rest.findIndex((l) => /^## \[/.test(l) || /^\[[^\]]+\]: /.test(l));
const body = (end < 0 ? rest : rest.slice(0, end)).join('\n').trim();
if (!body) {
  console.error(`changelog-section: the "## [${version}]" section of ${file} is empty`);
  process.exit(1);
}
process.stdout.write(`${body}\n`);
