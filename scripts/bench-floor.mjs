// Where the CPU of a fleet check goes on this machine, and what is left idle: the floor any
// SSH-based tool can reach here. Needs a lab that is up (N light servers, LAB_SYSV=all).
// For each subject, rounds interleaved, it samples /proc/stat every 20 ms (whole machine: user,
// system, softirq, idle) and the runner's process (utime+stime), and it reads, before and after,
// the CPU of every lab server's whole process tree (the SSH sessions as bench-lab.mjs counts them,
// and the server's other processes: web app, heartbeat), broken down by command name, and of the
// runner's reaped children. "rest" is what neither accounts for: the kernel's own threads and
// whatever else runs on the machine.
//
//   subjects: claudeops / baseline (CLI `check`, report mode, local state repo; FLOOR_CLI,
//             FLOOR_BASE_CLI), ssh-true (N OpenSSH `ssh … true` spawned by this process),
//             sh-ssh-true (the same started by one bash), ssh-checks (N `ssh` with the plain
//             checks), idle (3 s of nothing: the lab's background)
//
// Environment: LAB_RUN, FLOOR_N (50), FLOOR_REPEAT (3), FLOOR_CLI, FLOOR_BASE_CLI, FLOOR_NODE
// (node that runs the CLI), FLOOR_SUBJECTS (comma list), FLOOR_PARALLELISM.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labSshdPids, median, sessionCpuMs, sshArgs } from './bench-lab.mjs';

const LAB_RUN = process.env.LAB_RUN ?? '/var/lib/claudeops-lab/run';
const N = Number(process.env.FLOOR_N ?? 50);
const REPEAT = Number(process.env.FLOOR_REPEAT ?? 3);
const CLI = process.env.FLOOR_CLI;
const BASE_CLI = process.env.FLOOR_BASE_CLI;
const NODE = process.env.FLOOR_NODE ?? process.execPath;
const PARALLELISM = process.env.FLOOR_PARALLELISM;
const KEY = join(LAB_RUN, 'client/id_ed25519');
const KNOWN_HOSTS = join(LAB_RUN, 'known_hosts');
const TICK = 10; // ms per USER_HZ tick
const log = (m) => process.stderr.write(`floor: ${m}\n`);

const infos = Array.from({ length: N }, (_, i) =>
  JSON.parse(readFileSync(join(LAB_RUN, 'servers', `s${i + 1}`, 'info.json'), 'utf8')),
);
const sshdPids = labSshdPids(
  LAB_RUN,
  infos.map((s) => s.name),
);
const roots = infos.map(
  (s) =>
    readFileSync(join(LAB_RUN, 'servers', s.name, 'init.pid'), 'utf8')
      .trim()
      .split(' ')[0],
);

function stat(pid) {
  const t = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = t.slice(t.lastIndexOf(')') + 2).split(' ');
  return { own: Number(f[11]) + Number(f[12]), reaped: Number(f[13]) + Number(f[14]) };
}
function kids(pid) {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
  } catch {
    return [];
  }
}
/** CPU ticks of a whole process tree so far: live processes' own + what they reaped. */
function treeTicks(pid) {
  let total = 0;
  const stack = [pid];
  while (stack.length) {
    const p = stack.pop();
    try {
      const s = stat(p);
      total += s.own + s.reaped;
    } catch {
      continue; // exited between listing and reading
    }
    stack.push(...kids(p));
  }
  return total;
}
const labTicks = () => roots.reduce((sum, r) => sum + treeTicks(r), 0);
/** Every live lab process: pid -> { comm, own, reaped } (for the breakdown by command name). */
function labProcs() {
  const out = new Map();
  const stack = [...roots];
  while (stack.length) {
    const p = stack.pop();
    try {
      out.set(p, { comm: readFileSync(`/proc/${p}/comm`, 'utf8').trim(), ...stat(p) });
    } catch {
      continue;
    }
    stack.push(...kids(p));
  }
  return out;
}
/** CPU ticks gained per command name between two snapshots: own time of live processes, and what
 * each live process reaped (put under `reaped by NAME`). */
function byComm(a, b) {
  const out = {};
  const add = (k, v) => {
    if (v) out[k] = (out[k] ?? 0) + v;
  };
  for (const [pid, x] of b) {
    const y = a.get(pid) ?? { own: 0, reaped: 0 };
    add(x.comm, x.own - y.own);
    add(`reaped by ${x.comm}`, x.reaped - y.reaped);
  }
  for (const [pid, y] of a) if (!b.has(pid)) add(`gone: ${y.comm}`, -(y.own + y.reaped));
  return out;
}
function machine() {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].split(/\s+/).slice(1).map(Number);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = f;
  return { user: user + nice, system, idle: idle + iowait, irq, softirq, steal };
}
const diff = (a, b) => Object.fromEntries(Object.keys(a).map((k) => [k, b[k] - a[k]]));
const busy = (m) => m.user + m.system + m.irq + m.softirq + m.steal;

function runnerConfig(dir) {
  const lines = [
    'version: 1',
    'mode: report',
    'defaults:',
    ...(PARALLELISM ? [`  parallelism: ${PARALLELISM}`] : []),
  ];
  lines.push(
    '  thresholds: { load: { warn: 50, crit: 100 }, memory: { warn: 99, crit: 100 }, swap: { warn: 99, crit: 100 } }',
    'github: { issues: false }',
    'servers:',
  );
  for (const s of infos)
    lines.push(
      `  - name: ${s.name}`,
      `    host: ${s.host}`,
      `    port: ${s.port}`,
      `    user: ${s.user}`,
      '    ports: [22, 8080]',
      '    services: [{ name: lab-sysv, manager: sysv }]',
      '    endpoints: [{ url: "http://127.0.0.1:8080/", timeout: 5s }]',
      "    disks: { exclude: ['/etc/init.d', '/usr/local/bin'] }",
    );
  writeFileSync(join(dir, 'claudeops.yml'), `${lines.join('\n')}\n`);
}

const PLAIN = [
  'df -P -k',
  'df -P -i',
  'free -k',
  'uptime',
  'service lab-sysv status',
  `echo "endpoint $(curl -s -o /dev/null -m 5 -w '%{http_code}' http://127.0.0.1:8080/)"`,
  'ss -ltn | grep -c -E ":(22|8080) "',
].join('; ');

/** Spawns the subject's processes; resolves when all have exited. Returns the pids to follow. */
function launch(name, work) {
  const env = { ...process.env, SSH_PRIVATE_KEY_FILE: KEY, KNOWN_HOSTS_FILE: KNOWN_HOSTS, NO_COLOR: '1' };
  const one = (cmd, args, opts = {}) =>
    new Promise((resolve, reject) => {
      const c = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
      let out = '';
      c.stdout.on('data', (d) => {
        out += d;
      });
      c.stderr.on('data', (d) => {
        out += d;
      });
      c.on('close', (code) =>
        code === 0 ? resolve(out) : reject(new Error(`${cmd} exit ${code}: ${out.slice(-600)}`)),
      );
      one.pids.push(c.pid);
    });
  one.pids = [];
  let done;
  if (name === 'claudeops' || name === 'baseline') {
    const dir = join(work, name);
    done = one(
      NODE,
      [
        name === 'claudeops' ? CLI : BASE_CLI,
        'check',
        '--config',
        join(dir, 'claudeops.yml'),
        '--state-repo',
        join(dir, 'state'),
      ],
      { env, cwd: dir },
    );
  } else if (name === 'idle') {
    // the lab's own background over 3 s: nothing connects
    done = one('sleep', ['3']);
  } else if (name === 'sh-ssh-true') {
    const lines = infos.map((s) => `ssh ${sshArgs(KEY, KNOWN_HOSTS, s, 'true').join(' ')} & pids="$pids $!"`);
    done = one('bash', [
      '-c',
      `${lines.join('\n')}\nfail=0; for p in $pids; do wait $p || fail=1; done; exit $fail`,
    ]);
  } else {
    const cmd = name === 'ssh-true' ? 'true' : PLAIN;
    done = Promise.all(infos.map((s) => one('ssh', sshArgs(KEY, KNOWN_HOSTS, s, cmd))));
  }
  return { done, pids: one.pids };
}

const selfReaped = () => stat(process.pid).reaped;

async function measure(name, work) {
  const procs0 = labProcs();
  const m0 = machine(),
    lab0 = labTicks(),
    ses0 = sessionCpuMs(sshdPids),
    kid0 = selfReaped();
  const t0 = performance.now();
  const { done, pids } = launch(name, work);
  const samples = [];
  let prev = { t: 0, m: m0, runner: 0 };
  const timer = setInterval(() => {
    const m = machine();
    let runner = 0;
    if (pids.length === 1)
      try {
        runner = stat(pids[0]).own;
      } catch {
        runner = prev.runner;
      }
    const t = performance.now() - t0;
    const d = diff(prev.m, m);
    samples.push({ t, busy: busy(d), all: busy(d) + d.idle, runner: runner - prev.runner });
    prev = { t, m, runner };
  }, 20);
  let error;
  await done.catch((e) => {
    error = e;
  });
  const wall = performance.now() - t0;
  clearInterval(timer);
  const m1 = machine();
  await new Promise((r) => setTimeout(r, 300)); // sshd reaps its sessions a moment later
  const lab = (labTicks() - lab0) * TICK;
  const sessions = sessionCpuMs(sshdPids) - ses0;
  const runner = (selfReaped() - kid0) * TICK;
  const comms = byComm(procs0, labProcs());
  const d = diff(m0, m1);
  if (error) throw error;
  return { wall, d, lab, sessions, runner, samples, comms };
}

/** The timeline: busy share of both cores, and the runner's share of one core, per 250 ms. */
function timeline(samples, wall) {
  const buckets = [];
  for (let b = 0; b * 250 < wall; b++) {
    const s = samples.filter((x) => x.t > b * 250 && x.t <= (b + 1) * 250);
    const all = s.reduce((a, x) => a + x.all, 0) || 1;
    const busyT = s.reduce((a, x) => a + x.busy, 0);
    const run = s.reduce((a, x) => a + x.runner, 0);
    buckets.push(`${Math.round((100 * busyT) / all)}/${Math.round((100 * run * 2) / all)}`);
  }
  return buckets.join(' ');
}

const subjects = (process.env.FLOOR_SUBJECTS ?? 'claudeops,ssh-true').split(',');
const work = process.env.FLOOR_WORK ?? mkdtempSync(join(tmpdir(), 'fleet-floor-'));
for (const s of subjects)
  if (s === 'claudeops' || s === 'baseline') {
    mkdirSync(join(work, s), { recursive: true });
    runnerConfig(join(work, s));
  }
const load0 = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
for (const s of subjects) await measure(s, work).catch((e) => log(`warm ${s}: ${e.message}`)); // warm: state repo, caches
const res = Object.fromEntries(subjects.map((s) => [s, []]));
for (let r = 0; r < REPEAT; r++)
  for (let i = 0; i < subjects.length; i++) {
    const s = subjects[(i + r) % subjects.length];
    try {
      const m = await measure(s, work);
      res[s].push(m);
      log(`${s} round ${r + 1}: wall ${m.wall.toFixed(0)} ms`);
    } catch (e) {
      log(`${s} round ${r + 1} failed: ${e.message}`);
    }
  }
const load1 = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
if (!process.env.FLOOR_WORK) rmSync(work, { recursive: true, force: true });
const f = (x) => (x / 1000).toFixed(2);
console.log(`\nFloor, ${N} lab servers, ${REPEAT} rounds (medians), load ${load0} -> ${load1}\n`);
console.log(
  '| subject | wall s | machine busy CPU-s (user/sys/softirq+irq) | idle CPU-s | busy % of 2 cores | runner (+children) CPU-s | lab sshd sessions CPU-s | lab other CPU-s | rest (kernel unattributed + others) CPU-s |',
);
console.log('|---|--:|---|--:|--:|--:|--:|--:|--:|');
for (const [s, rs] of Object.entries(res)) {
  if (!rs.length) continue;
  const md = (fn) => median(rs.map(fn));
  const B = md((x) => busy(x.d) * TICK),
    I = md((x) => x.d.idle * TICK);
  console.log(
    `| ${s} | ${f(md((x) => x.wall))} | ${f(B)} (${f(md((x) => x.d.user * TICK))}/${f(md((x) => x.d.system * TICK))}/${f(md((x) => (x.d.softirq + x.d.irq) * TICK))}) | ${f(I)} | ${md((x) => (100 * busy(x.d)) / (busy(x.d) + x.d.idle)).toFixed(0)} | ${f(md((x) => x.runner))} | ${f(md((x) => x.sessions))} | ${f(md((x) => x.lab - x.sessions))} | ${f(md((x) => busy(x.d) * TICK - x.runner - x.lab))} |`,
  );
}
console.log('\nLab CPU by command name (ticks of 10 ms, summed over rounds)\n');
for (const [s, rs] of Object.entries(res)) {
  const sum = {};
  for (const m of rs) for (const [k, v] of Object.entries(m.comms)) sum[k] = (sum[k] ?? 0) + v;
  console.log(
    `- ${s} (${rs.length} rounds): ${Object.entries(sum)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  );
}
console.log(
  '\nTimelines, per 250 ms: machine busy % of 2 cores / runner process % of one core (claudeops only)\n',
);
for (const [s, rs] of Object.entries(res))
  for (const [i, m] of rs.entries())
    console.log(`- ${s} #${i + 1} (${f(m.wall)} s): ${timeline(m.samples, m.wall)}`);
