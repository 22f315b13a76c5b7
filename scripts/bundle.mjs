// Bundles the program into dist/ with ncc. dist/ is committed and CI checks that it equals a fresh
// run of this script, so the output must be deterministic.
//
// One bundle, not one per entry point: ncc bundles src/claudeops.ts (the Action's main and post
// steps and the CLI as functions, each loading its modules with import()) into dist/claudeops.js
// plus the chunks those imports split off, and the entry points action.yml and package.json name
// (dist/index.js, dist/post.js, dist/cli.js) are src/index.ts, post.ts and cli.ts as tsc compiles
// them: two lines each, importing ./claudeops.js. A command loads only the chunks it needs.
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { transform } from 'esbuild';

const ENTRY_POINTS = ['index.js', 'post.js', 'cli.js'];

/**
 * Whitespace and comments out (names and code as they are: stack traces stay readable): dist/
 * shrinks from 6 MB to under 4 MB, which is what every checkout of the Action downloads.
 */
async function compact(file) {
  const { code } = await transform(readFileSync(file, 'utf8'), { minifyWhitespace: true, format: 'esm' });
  return code;
}
const BUNDLE = 'claudeops.js';

/**
 * ssh2's index module requires its HTTP(S)-over-SSH agents when it loads, and with them Node's
 * http, https and tls: tens of ms of CPU on Node 24 before a check's first key exchange can go out,
 * for classes the program never uses. In the bundle they are required when first read instead
 * (getters on ssh2's exports); everything else in ssh2 is as published. The build fails if ssh2's
 * text no longer matches (another ssh2 version): read its lib/index.js again.
 */
function lazySsh2HttpAgents(dir) {
  const req = String.raw`(__(?:webpack|nccwpck)_require__)`;
  const imported = new RegExp(
    String.raw`const \{\n  SSHTTPAgent: HTTPAgent,\n  SSHTTPSAgent: HTTPSAgent,\n\} = ${req}\((\d+)\);\n`,
  );
  const exported = /\n {2}HTTPAgent,\n {2}HTTPSAgent,\n/;
  const hits = [];
  for (const file of readdirSync(dir).filter((f) => /^(\d+\.)?index\.js$/.test(f))) {
    const text = readFileSync(join(dir, file), 'utf8');
    const match = imported.exec(text);
    if (!match) continue;
    if (!exported.test(text)) throw new Error(`bundle: ssh2's exports in ${file} are not as expected`);
    const [, require, id] = match;
    const patched = text
      .replace(imported, `const httpAgents = () => ${require}(${id});\n`)
      .replace(
        exported,
        '\n  get HTTPAgent() { return httpAgents().SSHTTPAgent; },\n  get HTTPSAgent() { return httpAgents().SSHTTPSAgent; },\n',
      );
    writeFileSync(join(dir, file), patched);
    hits.push(file);
  }
  if (hits.length !== 1)
    throw new Error(`bundle: ssh2's HTTP agents import found in ${hits.length} chunks, expected 1`);
}
const ncc = join('node_modules', '.bin', 'ncc');

// Prompts are markdown in prompts/, compiled into a module so the bundle carries them.
execFileSync(process.execPath, ['scripts/gen-prompts.mjs'], { stdio: 'inherit' });
// The on-server helper (src/remediate/claudeops-helper.sh) likewise.
execFileSync(process.execPath, ['scripts/gen-helper.mjs'], { stdio: 'inherit' });
rmSync('.build', { recursive: true, force: true });
// tsc compiles first (it knows the package is ESM, which ncc's own transpile-only loader does not,
// and @actions/core 3 is ESM-only); ncc then bundles the emitted JavaScript.
// Type errors are reported by `npm run typecheck`; the build emits regardless so it stays usable mid-change.
try {
  execFileSync(join('node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.build.json'], { stdio: 'pipe' });
} catch {}
const out = mkdtempSync(join(tmpdir(), 'claudeops-ncc-'));
try {
  execFileSync(ncc, ['build', `.build/${BUNDLE}`, '-o', out, '--quiet', '--license', 'licenses.txt'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  lazySsh2HttpAgents(out);
  rmSync('dist', { recursive: true, force: true });
  mkdirSync('dist');
  // ncc names its main file index.js; the chunks keep their own names (NNN.index.js), found
  // from the main file by relative import. Other assets (ssh2's Windows-only pagent.exe) stay out.
  for (const file of readdirSync(out).sort()) {
    const target = file === 'index.js' ? BUNDLE : file;
    if (file === 'licenses.txt') copyFileSync(join(out, file), join('dist', file));
    else if (/^(\d+\.)?index\.js$/.test(file))
      writeFileSync(join('dist', target), await compact(join(out, file)));
  }
} finally {
  rmSync(out, { recursive: true, force: true });
}
for (const entry of ENTRY_POINTS) copyFileSync(join('.build', entry), join('dist', entry));
rmSync('.build', { recursive: true, force: true });
// The bundle is ESM; this marks it so for Node wherever dist/ is copied.
writeFileSync('dist/package.json', `${JSON.stringify({ type: 'module' }, null, 2)}\n`);
chmodSync('dist/cli.js', 0o755);
