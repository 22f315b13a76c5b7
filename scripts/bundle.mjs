// Bundles the Action (main + post) and the CLI into dist/ with ncc. dist/ is committed and CI
// checks that it equals a fresh run of this script, so the output must be deterministic.
import { execFile, execFileSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

// tsc compiles first (it knows the package is ESM, which ncc's own transpile-only loader does not,
// and @actions/core 3 is ESM-only); ncc then bundles the emitted JavaScript.
const entries = [
  ['.build/index.js', 'index.js'],
  ['.build/post.js', 'post.js'],
  ['.build/cli.js', 'cli.js'],
];
const ncc = join('node_modules', '.bin', 'ncc');

// Prompts are markdown in prompts/, compiled into a module so the bundle carries them.
execFileSync(process.execPath, ['scripts/gen-prompts.mjs'], { stdio: 'inherit' });
// The on-server helper (src/remediate/claudeops-helper.sh) likewise.
execFileSync(process.execPath, ['scripts/gen-helper.mjs'], { stdio: 'inherit' });
rmSync('.build', { recursive: true, force: true });
// Type errors are reported by `npm run typecheck`; the build emits regardless so it stays usable mid-change.
try {
  execFileSync(join('node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.build.json'], { stdio: 'pipe' });
} catch {}
rmSync('dist', { recursive: true, force: true });
mkdirSync('dist');
// The three bundles are independent: built at once (each ncc is one busy core for seconds), then
// copied in a fixed order so dist/ is the same whichever finished first.
const built = await Promise.all(
  entries.map(async ([entry, name]) => {
    const out = mkdtempSync(join(tmpdir(), 'claudeops-ncc-'));
    await execFileAsync(ncc, ['build', entry, '-o', out, '--quiet', '--license', 'licenses.txt']).catch(
      (error) => {
        process.stderr.write(`${error.stdout ?? ''}${error.stderr ?? ''}`);
        throw new Error(`ncc build ${entry} failed`);
      },
    );
    return { out, name };
  }),
);
for (const { out, name } of built) {
  copyFileSync(join(out, 'index.js'), join('dist', name));
  copyFileSync(join(out, 'licenses.txt'), join('dist', 'licenses.txt'));
  rmSync(out, { recursive: true, force: true });
}
// The bundle is ESM; this marks it so for Node wherever dist/ is copied.
rmSync('.build', { recursive: true, force: true });
writeFileSync('dist/package.json', `${JSON.stringify({ type: 'module' }, null, 2)}\n`);
const cli = readFileSync('dist/cli.js', 'utf8');
if (!cli.startsWith('#!')) writeFileSync('dist/cli.js', `#!/usr/bin/env node\n${cli}`);
chmodSync('dist/cli.js', 0o755);
