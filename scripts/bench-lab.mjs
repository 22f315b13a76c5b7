// Helpers the benchmarks share: the lab servers' sshd processes, the CPU their connections cost,
// medians and markdown tables.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const TICKS_PER_SECOND = 100; // USER_HZ: what /proc/PID/stat counts in on Linux

export const median = (xs) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted.length === 0 ? Number.NaN : sorted[Math.floor(sorted.length / 2)];
};
export const seconds = (ms) => `${(ms / 1000).toFixed(2)} s`;

/** OpenSSH's arguments for one lab server as the peers run it: key only, pinned host keys. */
export const sshArgs = (key, knownHosts, s, command) => [
  '-i',
  key,
  '-p',
  String(s.port),
  '-o',
  'BatchMode=yes',
  '-o',
  `UserKnownHostsFile=${knownHosts}`,
  '-o',
  'StrictHostKeyChecking=yes',
  `${s.user}@${s.host}`,
  command,
];

/** The fields of /proc/PID/stat after the command name (which may hold spaces). */
function statFields(pid) {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return text.slice(text.lastIndexOf(')') + 2).split(' ');
}

function children(pid) {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
  } catch {
    return [];
  }
}

const commOf = (pid) => readFileSync(`/proc/${pid}/comm`, 'utf8').trim();

/**
 * The host PID of each light server's sshd: lab.sh records the `unshare` process, whose one child
 * is the server's PID 1; sshd (started by server-init.sh before it became the reaper) is a child
 * of that.
 */
export function labSshdPids(labRun, names) {
  return names.map((name) => {
    const [unshare] = readFileSync(join(labRun, 'servers', name, 'init.pid'), 'utf8')
      .trim()
      .split(' ');
    const leader = children(unshare)[0];
    const sshd = leader && children(leader).find((pid) => commOf(pid) === 'sshd');
    if (!sshd) throw new Error(`no sshd found for lab server ${name}`);
    return sshd;
  });
}

/**
 * CPU time (ms) of every SSH session of these sshd daemons since the first call, exact: each daemon
 * is moved into one accounting cgroup of this process (see sessionCgroup); what it forks after the
 * move stays in that cgroup wherever it is reparented, and the cgroup's usage counter is in
 * nanoseconds. Where no cgroup can be made, the older estimate in 10 ms ticks (ticksCpuMs).
 */
export function sessionCpuMs(pids) {
  const cgroup = sessionCgroup(pids);
  return cgroup ? cgroup.usageMs() : ticksCpuMs(pids);
}

/**
 * The estimate in clock ticks: cutime + cstime (fields 16 and 17 of /proc/PID/stat) grow by the CPU
 * of each child a process reaps. sshd reaps each connection's process, but a session's own
 * processes are not all reaped inside that chain: part of a session's CPU reaches the server's
 * PID 1 (the lab's reaper.py, sshd's parent) instead, so PID 1's counters are added too. Measured
 * 2026-12-07 on the lab (50 servers, loaded): sshd's counters alone saw 66 ms of a collection's
 * ~158 ms and 75 ms of an `ssh … true` session's ~107 ms; PID 1 reaped nothing while the lab was idle.
 */
export function ticksCpuMs(pids) {
  let ticks = 0;
  for (const pid of pids) {
    const f = statFields(pid);
    // after the name: f[0] is field 3 (state), so field N is f[N - 3]; f[1] is the parent
    const pid1 = statFields(f[1]);
    ticks += Number(f[13]) + Number(f[14]) + Number(pid1[13]) + Number(pid1[14]);
  }
  return (ticks * 1000) / TICKS_PER_SECOND;
}

const CGROUP_PREFIX = 'claudeops-bench-';
/** cgroup v2 (unified, or its hybrid mount) reports usage_usec in cpu.stat; v1's cpuacct, ns. */
const HIERARCHIES = [
  { root: '/sys/fs/cgroup', probe: 'cgroup.controllers', procs: 'cgroup.procs', v2: true },
  { root: '/sys/fs/cgroup/unified', probe: 'cgroup.controllers', procs: 'cgroup.procs', v2: true },
  { root: '/sys/fs/cgroup/cpuacct', probe: 'cpuacct.usage', procs: 'cgroup.procs', v2: false },
];
const cgroups = new Map();

/**
 * The accounting cgroup of these daemons, made on first use (null when none can be: no writable
 * hierarchy, not root). It is removed when this process exits, its daemons moved back to the
 * hierarchy's root; one left by a killed benchmark is removed by the next.
 */
function sessionCgroup(pids) {
  const key = pids.join(',');
  if (!cgroups.has(key)) cgroups.set(key, makeCgroup(pids, cgroups.size));
  return cgroups.get(key);
}

function makeCgroup(pids, index) {
  const h = HIERARCHIES.find((x) => existsSync(join(x.root, x.probe)));
  if (!h) return null;
  removeStaleCgroups(h);
  const dir = join(h.root, `${CGROUP_PREFIX}${process.pid}-${index}`);
  try {
    mkdirSync(dir);
    for (const pid of pids) writeFileSync(join(dir, h.procs), String(pid));
  } catch {
    removeCgroup(h, dir);
    return null;
  }
  process.once('exit', () => removeCgroup(h, dir));
  const usageMs = h.v2
    ? () => Number(/^usage_usec (\d+)$/m.exec(readFileSync(join(dir, 'cpu.stat'), 'utf8'))?.[1]) / 1000
    : () => Number(readFileSync(join(dir, 'cpuacct.usage'), 'utf8')) / 1e6;
  return { usageMs };
}

function removeCgroup(h, dir) {
  try {
    for (const pid of readFileSync(join(dir, h.procs), 'utf8').split('\n').filter(Boolean)) {
      try {
        writeFileSync(join(h.root, h.procs), pid);
      } catch {
        // it ended meanwhile
      }
    }
    rmdirSync(dir);
  } catch {
    // already gone
  }
}

function removeStaleCgroups(h) {
  for (const name of readdirSync(h.root)) {
    const owner = name.startsWith(CGROUP_PREFIX) ? Number.parseInt(name.slice(CGROUP_PREFIX.length), 10) : 0;
    if (owner > 0 && !existsSync(`/proc/${owner}`)) removeCgroup(h, join(h.root, name));
  }
}

/** A markdown table; the first column left-aligned, the others right-aligned. */
export function table(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (c) =>
    `| ${c.map((x, i) => (i === 0 ? x.padEnd(widths[i]) : x.padStart(widths[i]))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}
