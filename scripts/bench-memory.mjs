#!/usr/bin/env node
// Memory load time vs history length: builds state branches of 10 and 10 000 past runs with
// `git fast-import` (seconds, not hours), then times GitStateStore.load() against each (a fresh
// private clone every time, as a real run does), and 5 runs committing at once.
//
//   node scripts/bench-memory.mjs [runs=10000] [repeats=5]
//
// Only installed tools: the TypeScript store is bundled on the fly with ncc (transpile-only).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const RUNS = Number(process.argv[2] ?? 10_000);
const REPEATS = Number(process.argv[3] ?? 5);
const SERVERS = ['web1', 'web2', 'db1'];
const root = mkdtempSync(join(tmpdir(), 'claudeops-bench-'));

async function bundleStore() {
  const entry = join(root, 'entry.ts');
  const src = resolve('src');
  writeFileSync(
    entry,
    `export { GitStateStore } from '${src}/adapters/git-state-store.js';\n` +
      `export { serializeServerState } from '${src}/core/memory/server-state.js';\n` +
      `export { emptyServerState } from '${src}/core/memory/memory.js';\n`,
  );
  // ncc reads the tsconfig next to the entry
  const compilerOptions = {
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    target: 'ES2023',
    skipLibCheck: true,
    rootDir: '/',
  };
  writeFileSync(join(root, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['entry.ts'] }));
  const out = join(root, 'bundle');
  execFileSync(
    join('node_modules', '.bin', 'ncc'),
    ['build', entry, '-o', out, '--transpile-only', '--quiet'],
    {
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  // the entry sits outside any "type": "module" package, so ncc emits CommonJS: load it as such
  const bundle = join(out, 'index.cjs');
  renameSync(join(out, 'index.js'), bundle);
  const mod = await import(pathToFileURL(bundle).href);
  return mod.default ?? mod;
}

/** A fast-import stream: one commit per run, like the action makes (report, state, sometimes an action). */
function history(runs, lib) {
  const chunks = [];
  const data = (text) => `data ${Buffer.byteLength(text)}\n${text}\n`;
  const start = Date.parse('2024-01-01T00:00:00Z');
  const states = Object.fromEntries(SERVERS.map((s) => [s, lib.emptyServerState(s)]));
  for (let i = 0; i < runs; i++) {
    const at = new Date(start + i * 7_200_000);
    const iso = at.toISOString();
    const day = iso.slice(0, 10);
    const time = iso.slice(11, 19).replaceAll(':', '');
    const report = `---\nrun: "${i}"\nstarted: ${iso}\nstatus: ok\nservers: 3\nfindings: []\n---\n# Health report ${iso}\n\n${'| web1 | ssh | yes | ok |\n'.repeat(40)}`;
    chunks.push(
      `commit refs/heads/claudeops-state\ncommitter claudeops[bot] <bot@example.com> ${Math.floor(at / 1000)} +0000\n`,
    );
    chunks.push(data(`claudeops check: ${i}`));
    if (i === 0) chunks.push(`M 100644 inline README.md\n${data('# state branch\n')}`);
    chunks.push(`M 100644 inline health/${day}/${time}-${i}.md\n${data(report)}`);
    for (const s of SERVERS) {
      const st = states[s];
      st.runs += 1;
      st.lastRun = iso;
      st.recentRuns = [...st.recentRuns, String(i)].slice(-50);
      st.samples['disk:/'] = [...(st.samples['disk:/'] ?? []), [iso, 40 + (i % 20)]].slice(-48);
      chunks.push(`M 100644 inline state/${s}.json\n${data(lib.serializeServerState(st))}`);
    }
    if (i % 10 === 0)
      chunks.push(`M 100644 inline actions/${day}/${time}-web1-restart-${i}.md\n${data('restarted\n')}`);
    if (i % 500 === 0) chunks.push(`M 100644 inline issues/web1--check-${i}---.md\n${data(issue(i, iso))}`);
    chunks.push('\n');
  }
  return chunks.join('');
}

function issue(i, iso) {
  const status = i % 1000 === 0 ? 'resolved' : 'open';
  return `---\nfingerprint: web1/check-${i}/-\nstatus: ${status}\nseverity: warning\nservers: [web1]\nfirst_seen: ${iso}\nlast_seen: ${iso}\nupdated: ${iso}\n---\n# issue\n\n## History\n\n- ${iso} — opened\n`;
}

function makeRemote(name, runs, lib) {
  const remote = join(root, `${name}.git`);
  execFileSync('git', ['init', '-q', '--bare', remote]);
  execFileSync('git', ['-C', remote, 'config', 'uploadpack.allowFilter', 'true']);
  const started = performance.now();
  const r = spawnSync('git', ['-C', remote, 'fast-import', '--quiet'], {
    input: history(runs, lib),
    maxBuffer: 1 << 30,
  });
  if (r.status !== 0) throw new Error(`fast-import failed: ${r.stderr}`);
  const files = execFileSync('git', [
    '-C',
    remote,
    'ls-tree',
    '-r',
    '--name-only',
    'claudeops-state',
  ]).toString();
  const size = execFileSync('git', ['-C', remote, 'count-objects', '-vH'])
    .toString()
    .match(/size-pack: (.*)/)?.[1];
  return {
    remote,
    files: files.split('\n').filter(Boolean).length,
    buildMs: performance.now() - started,
    size,
  };
}

const clockAt = (iso) => ({ now: () => new Date(iso), sleep: (ms) => new Promise((r) => setTimeout(r, ms)) });

async function timeLoad(lib, remote, now) {
  const times = [];
  let memory;
  for (let i = 0; i < REPEATS; i++) {
    const store = new lib.GitStateStore({
      remoteUrl: remote,
      workDir: join(root, 'work'),
      clock: clockAt(now),
    });
    const t = performance.now();
    memory = await store.load();
    times.push(performance.now() - t);
    await store.dispose();
  }
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(times.length / 2)], min: times[0], max: times.at(-1), memory };
}

async function concurrent(lib, remote, n, round) {
  const at = Date.parse('2030-01-01T00:00:00Z') + round * 1000;
  const results = await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const store = new lib.GitStateStore({
        remoteUrl: remote,
        workDir: join(root, 'work'),
        retryBaseMs: 50,
      });
      const memory = await store.load();
      const st = memory.servers.web1 ?? lib.emptyServerState('web1');
      const next = {
        ...st,
        runs: st.runs + 1,
        recentRuns: [...st.recentRuns, `c${round}-${i}`],
        lastRun: new Date(at + i).toISOString(),
      };
      const result = await store.commit(
        [
          { path: `health/2030-01-01/00000${round}-c${i}.md`, content: `# c${i}\n` },
          { path: 'state/web1.json', content: lib.serializeServerState(next) },
        ],
        `concurrent ${i}`,
      );
      await store.dispose();
      return result;
    }),
  );
  return results;
}

const lib = await bundleStore();
const lastIso = (runs) =>
  new Date(Date.parse('2024-01-01T00:00:00Z') + (runs - 1) * 7_200_000 + 3_600_000).toISOString();
console.log(`building branches (fast-import)…`);
const small = makeRemote('small', 10, lib);
const large = makeRemote('large', RUNS, lib);
console.log(
  `  10 runs: ${small.files} files at the tip, pack ${small.size}, built in ${small.buildMs.toFixed(0)} ms`,
);
console.log(
  `  ${RUNS} runs: ${large.files} files at the tip, pack ${large.size}, built in ${large.buildMs.toFixed(0)} ms`,
);
const a = await timeLoad(lib, small.remote, lastIso(10));
const b = await timeLoad(lib, large.remote, lastIso(RUNS));
const fmt = (r) => `median ${r.median.toFixed(0)} ms (min ${r.min.toFixed(0)}, max ${r.max.toFixed(0)})`;
const shape = (m) =>
  `${m.reports.length} reports, ${m.recentActions.length} actions, ${m.openIssues.length} open issues, ${Object.keys(m.servers).length} servers`;
console.log(`load(), ${REPEATS} fresh clones each:`);
console.log(`  10-run branch:     ${fmt(a)}; memory: ${shape(a.memory)}`);
console.log(
  `  ${RUNS}-run branch: ${fmt(b)}; memory: ${shape(b.memory)}; runs counted in state: ${b.memory.servers.web1?.runs}`,
);
for (const [round, n] of [2, 5].entries()) {
  const results = await concurrent(lib, small.remote, n, round);
  const attempts = results.map((r) => r.attempts);
  console.log(
    `${n} concurrent runs: all pushed=${results.every((r) => r.pushed)}, push attempts ${attempts.join(',')} (total ${attempts.reduce((x, y) => x + y, 0)})`,
  );
}
// retention on the long branch, through the real commit path: the first run with it enabled rolls
// every old report and action log into monthly summaries in one commit
const retain = new lib.GitStateStore({
  remoteUrl: large.remote,
  workDir: join(root, 'work'),
  clock: clockAt(lastIso(RUNS)),
  retentionDays: 90,
});
await retain.load();
let t = performance.now();
const rolled = await retain.commit(
  [{ path: 'README.md', content: '# state branch (retention)\n' }],
  'retention',
);
const rollMs = performance.now() - t;
await retain.dispose();
const tipFiles = execFileSync('git', ['-C', large.remote, 'ls-tree', '-r', '--name-only', 'claudeops-state'])
  .toString()
  .split('\n')
  .filter(Boolean).length;
const c = await timeLoad(lib, large.remote, lastIso(RUNS));
console.log(
  `retention (90 days) on the ${RUNS}-run branch: one commit in ${rollMs.toFixed(0)} ms (pushed=${rolled.pushed}), ${tipFiles} files left at the tip`,
);
console.log(`  ${RUNS}-run branch after retention: ${fmt(c)}; memory: ${shape(c.memory)}`);
t = 0;
const final = await timeLoad(lib, small.remote, '2030-01-01T01:00:00Z');
console.log(
  `  web1 runs after the concurrent rounds: ${final.memory.servers.web1?.runs} (10 + 2 + 5 = 17 expected)`,
);
rmSync(root, { recursive: true, force: true });
