// The benchmark behind `npm run bench` (run through scripts/bench.sh, which checks root, that no
// lab is up, and ansible). It brings up light lab servers (test/lab/README.md) and prints, in one
// run, markdown tables of:
//
//  1. Fleet wall time for 1, 10 and 50 servers: ClaudeOps (the bundled CLI, `check`, report mode,
//     recorded to a local state repository) against Ansible without facts on cold connections
//     (as on a fresh runner), Ansible with facts, and the same commands through plain parallel
//     `ssh`. The four run in turn within each round (paired: a busy moment slows all of them), and
//     each figure is the median of BENCH_REPEAT rounds.
//  2. Server-side CPU per collection: the CPU time of the SSH session's whole process tree on the
//     server (sshd's own work for the connection, the login shell, the collector and everything it
//     starts), read from the server's sshd: a parent's cutime/cstime (/proc/PID/stat) grows by the
//     CPU of every child it reaps, and sshd reaps each connection's processes. A bare `ssh true`
//     says what the SSH session alone costs.
//  3. Runner CPU per run: user + system time of the measured command and everything it waited
//     for (the CLI's git processes), paired like the wall times; on a shared machine the figure
//     other work does not stretch.
//  4. Start-up: `claudeops --version` against bare `node`, and the size of dist/.
//
// The check set is the one issue 20 measured: disk, inodes, memory, load, uptime, a SysV service
// (lab-sysv, on every server with LAB_SYSV=all), an HTTP endpoint and two ports. The peers run the
// commands an operator would type for it (df, free, uptime, service … status, curl, ss).
//
// Environment: BENCH_SIZES (default 1,10,50), BENCH_REPEAT (rounds, default 5), BENCH_PEERS
// (default ansible,ansible-facts,ssh), BENCH_CLI (the CLI to measure, default dist/cli.js),
// BENCH_BASELINE_CLI (another build of the CLI, measured in the same rounds: before/after pairs),
// BENCH_PARALLELISM (defaults.parallelism for ClaudeOps; default: the product's own default),
// BENCH_FLEET=0 (bring the lab up for the SSH tables and measure start-up only).
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { labSshdPids, median, seconds, sessionCpuMs, sshArgs, table } from './bench-lab.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const LAB_SH = join(ROOT, 'test/lab/lab.sh');
const LAB_RUN = process.env.LAB_RUN ?? '/var/lib/claudeops-lab/run';
const SIZES = (process.env.BENCH_SIZES ?? '1,10,50').split(',').map(Number);
const REPEAT = Number(process.env.BENCH_REPEAT ?? 5);
const PEERS = (process.env.BENCH_PEERS ?? 'ansible,ansible-facts,ssh').split(',').filter(Boolean);
const CLI = process.env.BENCH_CLI ?? join(ROOT, 'dist/cli.js');
const BASELINE_CLI = process.env.BENCH_BASELINE_CLI;
const PARALLELISM = process.env.BENCH_PARALLELISM;
const FLEET = process.env.BENCH_FLEET !== '0';
const KEY = join(LAB_RUN, 'client/id_ed25519');
const KNOWN_HOSTS = join(LAB_RUN, 'known_hosts');
const APP = 'http://127.0.0.1:8080/';
const SERVICE = 'lab-sysv';

const log = (message) => process.stderr.write(`bench: ${message}\n`);

function run(command, args, options = {}) {
  const t0 = performance.now();
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...options });
  const ms = performance.now() - t0;
  if (result.status !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} exited ${result.status}:\n${result.stdout}\n${result.stderr}`,
    );
  }
  return { ms, stdout: result.stdout, stderr: result.stderr };
}

function labServers(n) {
  return Array.from({ length: n }, (_, i) => {
    const info = JSON.parse(readFileSync(join(LAB_RUN, 'servers', `s${i + 1}`, 'info.json'), 'utf8'));
    return { name: info.name, host: info.host, port: info.port, user: info.user };
  });
}

// ---------------------------------------------------------------- ClaudeOps

function claudeopsConfig(servers) {
  const lines = [
    'version: 1',
    'mode: report',
    'defaults:',
    ...(PARALLELISM ? [`  parallelism: ${PARALLELISM}`] : []),
    // host-wide metrics: every light server is a namespace of this one machine
    '  thresholds: { load: { warn: 50, crit: 100 }, memory: { warn: 99, crit: 100 }, swap: { warn: 99, crit: 100 } }',
    'github: { issues: false }',
    'servers:',
  ];
  for (const s of servers) {
    lines.push(
      `  - name: ${s.name}`,
      `    host: ${s.host}`,
      `    port: ${s.port}`,
      `    user: ${s.user}`,
      '    ports: [22, 8080]',
      `    services: [{ name: ${SERVICE}, manager: sysv }]`,
      `    endpoints: [{ url: "${APP}", timeout: 5s }]`,
      // the lab's read-only overlays, not disks
      "    disks: { exclude: ['/etc/init.d', '/usr/local/bin'] }",
    );
  }
  return `${lines.join('\n')}\n`;
}

function frontMatter(text) {
  const block = /^---\n([\s\S]*?)\n---/.exec(text)?.[1] ?? '';
  const value = (key) => Number(new RegExp(`^${key}: (\\d+)$`, 'm').exec(block)?.[1]);
  const status = /^status: (\S+)/m.exec(block)?.[1];
  return { roundTrips: value('round_trips'), bytes: value('bytes'), status };
}

/** One `claudeops check` of these servers with the CLI at `cli`; throws unless every check was ok. */
function claudeops(cli, dir, servers) {
  const config = join(dir, 'claudeops.yml');
  writeFileSync(config, claudeopsConfig(servers));
  const env = { ...process.env, SSH_PRIVATE_KEY_FILE: KEY, KNOWN_HOSTS_FILE: KNOWN_HOSTS, NO_COLOR: '1' };
  // the Node that runs the bench (Node 24 under bench.sh, as on the runners), not whatever `node` is on PATH
  const r = run(process.execPath, [cli, 'check', '--config', config, '--state-repo', join(dir, 'state')], {
    env,
    cwd: dir,
  });
  const report = /^report=(.+)$/m.exec(r.stdout)?.[1];
  if (!report) throw new Error(`no report= line in the CLI output:\n${r.stdout}\n${r.stderr}`);
  const text = readFileSync(join(dir, 'state', report), 'utf8');
  const meta = frontMatter(text);
  // Every server reached and every probe parsed; a warning is fine (this machine's own disk grows
  // while the bench runs, and the trend says so).
  if (!['ok', 'warning'].includes(meta.status) || /\| (unreachable|probe-error)\b/.test(text))
    throw new Error(`claudeops run not clean (${meta.status}):\n${r.stdout}`);
  if (meta.roundTrips !== servers.length)
    throw new Error(`expected ${servers.length} round trips, got ${meta.roundTrips}`);
  return { ms: r.ms, bytes: meta.bytes, roundTrips: meta.roundTrips };
}

// ---------------------------------------------------------------- the peers

/** What an operator would type for the same checks: one shell script per server. */
const PLAIN_CHECKS = [
  'df -P -k',
  'df -P -i',
  'free -k',
  'uptime',
  `service ${SERVICE} status`,
  `echo "endpoint $(curl -s -o /dev/null -m 5 -w '%{http_code}' ${APP})"`,
  'ss -ltn | grep -c -E ":(22|8080) "',
].join('; ');

function ansible(dir, servers, facts) {
  const inventory = join(dir, 'inventory.ini');
  writeFileSync(
    inventory,
    `[lab]\n${servers.map((s) => `${s.name} ansible_host=${s.host} ansible_port=${s.port} ansible_user=${s.user}`).join('\n')}\n`,
  );
  const playbook = join(dir, `check-${facts ? 'facts' : 'nofacts'}.yml`);
  writeFileSync(
    playbook,
    [
      '- hosts: lab',
      `  gather_facts: ${facts}`,
      '  tasks:',
      '    - name: health checks',
      `      shell: ${JSON.stringify(PLAIN_CHECKS)}`,
      '      changed_when: false',
      '',
    ].join('\n'),
  );
  // Cold: a fresh control-socket directory every run, so no connection survives from the last
  // one (a fresh runner has none); within the run Ansible's usual ControlPersist and pipelining.
  const control = mkdtempSync(join(tmpdir(), 'bench-cp-'));
  const home = join(dir, 'home');
  mkdirSync(home, { recursive: true });
  const env = {
    ...process.env,
    HOME: home,
    ANSIBLE_HOST_KEY_CHECKING: 'True',
    ANSIBLE_PIPELINING: 'True',
    ANSIBLE_PRIVATE_KEY_FILE: KEY,
    ANSIBLE_PYTHON_INTERPRETER: '/usr/bin/python3',
    ANSIBLE_SSH_ARGS: `-o ControlMaster=auto -o ControlPersist=60s -o UserKnownHostsFile=${KNOWN_HOSTS} -o StrictHostKeyChecking=yes`,
    ANSIBLE_CONTROL_PATH_DIR: control,
    ANSIBLE_LOCAL_TEMP: join(dir, 'ansible-tmp'),
    ANSIBLE_RETRY_FILES_ENABLED: 'False',
    ANSIBLE_NOCOLOR: '1',
  };
  try {
    const r = run('ansible-playbook', ['-i', inventory, '-f', String(servers.length), playbook], {
      env,
      cwd: dir,
    });
    const recap = r.stdout.split('PLAY RECAP')[1] ?? '';
    const okHosts = recap.split('\n').filter((l) => /unreachable=0\s+failed=0/.test(l)).length;
    if (okHosts !== servers.length)
      throw new Error(`ansible: ${okHosts}/${servers.length} hosts ok:\n${r.stdout}`);
    return { ms: r.ms };
  } finally {
    stopControlMasters(control);
    rmSync(control, { recursive: true, force: true });
  }
}

/** Ends the ControlPersist masters this run's ansible left behind (ours only: our socket dir). */
function stopControlMasters(dir) {
  for (const socket of readdirSync(dir)) {
    spawnSync('ssh', ['-o', `ControlPath=${join(dir, socket)}`, '-O', 'exit', 'bench'], { stdio: 'ignore' });
  }
}

/** One `ssh` per server, all at once, each running the plain checks. */
async function parallelSsh(servers, command = PLAIN_CHECKS) {
  const t0 = performance.now();
  const codes = await Promise.all(
    servers.map(
      (s) =>
        new Promise((resolve) => {
          const child = spawn('ssh', sshArgs(KEY, KNOWN_HOSTS, s, command), {
            stdio: ['ignore', 'ignore', 'ignore'],
          });
          child.on('close', resolve);
        }),
    ),
  );
  const failed = codes.filter((c) => c !== 0).length;
  if (failed > 0) throw new Error(`parallel ssh: ${failed} of ${servers.length} failed`);
  return { ms: performance.now() - t0 };
}

// ---------------------------------------------------------------- the rounds

/**
 * Runs `measure` and returns its result with the mean server-side CPU per server it caused
 * (the sshd process trees of these servers, before and after).
 */
async function withServerCpu(servers, measure) {
  const pids = labSshdPids(
    LAB_RUN,
    servers.map((s) => s.name),
  );
  const before = sessionCpuMs(pids);
  const reaped = reapedCpuMs();
  const result = await measure();
  const runnerCpuMs = reapedCpuMs() - reaped;
  // sshd reaps a connection's processes a moment after the client saw it close
  await new Promise((resolve) => setTimeout(resolve, 300));
  const after = sessionCpuMs(pids);
  return { ...result, serverCpuMs: (after - before) / servers.length, runnerCpuMs };
}

/**
 * The CPU (user + system, 10 ms ticks) of every child process this bench has waited for so far:
 * the measured command and all it started that it waited for itself (the CLI's git processes,
 * ssh's). On a shared machine this is the figure load does not stretch. Ansible's ControlPersist
 * masters outlive the run and are not counted.
 */
function reapedCpuMs() {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[13]) + Number(fields[14])) * 10;
}

async function benchSize(work, n) {
  const servers = labServers(n);
  const dir = join(work, `n${n}`);
  mkdirSync(dir);
  const subjects = [
    ['claudeops', () => claudeops(CLI, join(dir, 'claudeops'), servers)],
    ...(BASELINE_CLI ? [['baseline', () => claudeops(BASELINE_CLI, join(dir, 'baseline'), servers)]] : []),
    ...PEERS.map((peer) => [
      peer,
      peer === 'ssh' ? () => parallelSsh(servers) : () => ansible(dir, servers, peer === 'ansible-facts'),
    ]),
    ['ssh true', () => parallelSsh(servers, 'true')],
  ];
  for (const [name] of subjects) mkdirSync(join(dir, name), { recursive: true });
  const rounds = [];
  for (let round = 0; round < REPEAT; round++) {
    log(`${n} server(s), round ${round + 1}/${REPEAT}`);
    const results = {};
    // rotate the order so no subject always runs right after the heaviest one
    for (let i = 0; i < subjects.length; i++) {
      const [name, measure] = subjects[(i + round) % subjects.length];
      try {
        results[name] = await withServerCpu(servers, measure);
      } catch (error) {
        // one failed run loses its figure, not the bench: it is left out of the medians
        log(`${name} failed in round ${round + 1}: ${String(error.message ?? error).slice(0, 2000)}`);
      }
    }
    rounds.push(results);
  }
  const of = (name, key) => rounds.map((r) => r[name]?.[key]).filter((v) => v !== undefined);
  const summary = {};
  for (const [name] of subjects) {
    summary[name] = {
      ms: median(of(name, 'ms')),
      serverCpuMs: median(of(name, 'serverCpuMs')),
      runnerCpuMs: median(of(name, 'runnerCpuMs')),
      cpuRatio: median(
        rounds
          .filter((r) => r[name] && r.claudeops)
          .map((r) => r[name].runnerCpuMs / r.claudeops.runnerCpuMs),
      ),
      bytes: median(of(name, 'bytes')),
      // paired: each round's ratio to ClaudeOps in that same round, then the median
      ratio: median(rounds.filter((r) => r[name] && r.claudeops).map((r) => r[name].ms / r.claudeops.ms)),
      runs: of(name, 'ms').length,
    };
  }
  log(`${n} server(s): ${JSON.stringify(summary)}`);
  return { n, summary };
}

function fleetTable(rows) {
  const peerNames = [...(BASELINE_CLI ? ['baseline'] : []), ...PEERS];
  const header = [
    'servers',
    'ClaudeOps',
    'per server',
    'bytes moved',
    ...peerNames.flatMap((p) => [p, `${p} / ClaudeOps`]),
  ];
  const cells = rows.map(({ n, summary }) => [
    String(n),
    seconds(summary.claudeops.ms),
    `${Math.round(summary.claudeops.ms / n)} ms`,
    `${(summary.claudeops.bytes / 1024).toFixed(1)} KiB`,
    ...peerNames.flatMap((p) => [seconds(summary[p].ms), `${summary[p].ratio.toFixed(1)}×`]),
  ]);
  return table(header, cells);
}

function cpuTable(rows) {
  const names = ['claudeops', ...(BASELINE_CLI ? ['baseline'] : []), ...PEERS, 'ssh true'];
  const header = ['servers', ...names.map((n) => `${n} (ms)`)];
  const cells = rows.map(({ n, summary }) => [
    String(n),
    ...names.map((name) => summary[name].serverCpuMs.toFixed(1)),
  ]);
  return table(header, cells);
}

function runnerCpuTable(rows) {
  const names = ['claudeops', ...(BASELINE_CLI ? ['baseline'] : []), ...PEERS, 'ssh true'];
  const header = ['servers', ...names.flatMap((n) => (n === 'claudeops' ? [n] : [n, `${n} / claudeops`]))];
  const cells = rows.map(({ n, summary }) => [
    String(n),
    ...names.flatMap((name) => {
      const cpu = seconds(summary[name].runnerCpuMs);
      return name === 'claudeops' ? [cpu] : [cpu, `${summary[name].cpuRatio.toFixed(2)}×`];
    }),
  ]);
  return table(header, cells);
}

function startupTable() {
  const version = [];
  const bare = [];
  for (let i = 0; i < 11; i++) {
    bare.push(run(process.execPath, ['-e', '0']).ms);
    version.push(run(process.execPath, [CLI, '--version']).ms);
  }
  const pairs = version.map((v, i) => v - bare[i]);
  const dist = readdirSync(dirname(CLI)).reduce((sum, f) => sum + statSync(join(dirname(CLI), f)).size, 0);
  return table(
    ['bare node', 'claudeops --version', 'difference (paired)', 'dist/'],
    [
      [
        seconds(median(bare)),
        seconds(median(version)),
        seconds(median(pairs)),
        `${(dist / 1048576).toFixed(2)} MB`,
      ],
    ],
  );
}

const max = Math.max(...SIZES);
const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
log(`bringing up ${max} light lab servers (load average ${load()})`);
const up = run('bash', [LAB_SH, 'up', String(max), '--no-nspawn'], {
  env: { ...process.env, LAB_SYSV: 'all' },
});
log(`lab up in ${seconds(up.ms)}`);
const work = mkdtempSync(join(tmpdir(), 'claudeops-bench-'));
const rows = [];
try {
  if (FLEET) for (const n of SIZES) rows.push(await benchSize(work, n));
} finally {
  rmSync(work, { recursive: true, force: true });
}
const ansibleVersion = run('ansible', ['--version']).stdout.split('\n')[0];
const when = new Date().toISOString().slice(0, 16).replace('T', ' ');
if (FLEET) printFleet();
console.log('\n## Start-up (median of 11, paired with bare node)\n');
console.log(startupTable());

function printFleet() {
  console.log(
    `\n## Fleet check, wall time (median of ${REPEAT} paired rounds; ${cpus().length} vCPU; ${when} UTC; load average at the end ${load()})\n`,
  );
  console.log(
    `ClaudeOps: ${CLI} check on Node ${process.version}${PARALLELISM ? `, parallelism ${PARALLELISM}` : ''}; ` +
      `${ansibleVersion}: forks = servers, pipelining, a fresh ControlPath per run (cold); ssh: OpenSSH, one process per server at once.\n`,
  );
  console.log(fleetTable(rows));
  console.log('\n## Server-side CPU per collection (median per server, ms: sshd + shell + what it runs)\n');
  console.log(cpuTable(rows));
  console.log(
    '\n## Runner CPU per run (user + system of the command and the processes it waited for; ratio: paired, median of per-round ratios)\n',
  );
  console.log(runnerCpuTable(rows));
}
