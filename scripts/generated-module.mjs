// Writes a generated source module, or with `--check` exits 1 when the one on disk is stale (tests
// and CI run the check): shared by gen-prompts.mjs and gen-helper.mjs.
import { readFileSync, writeFileSync } from 'node:fs';

export function writeOrCheck(out, source, { label, regenerate }) {
  if (process.argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(out, 'utf8');
    } catch {}
    if (current !== source) {
      console.error(`${label} is stale: run ${regenerate}`);
      process.exit(1);
    }
  } else {
    writeFileSync(out, source);
    console.log(`wrote ${label}`);
  }
}
