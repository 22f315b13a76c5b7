// Helpers the benchmarks share: the lab servers' sshd processes, the CPU their connections cost,
// medians and markdown tables.
import { readFileSync } from 'node:fs';
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
 * CPU time (ms) of every finished connection to these sshd daemons so far: cutime + cstime
 * (fields 16 and 17 of /proc/PID/stat) grow by the CPU of each child a process reaps. sshd reaps
 * each connection's process, but a session's own processes (the login shell and what it ran) are
 * not all reaped inside that chain: part of a session's CPU reaches the server's PID 1 (the lab's
 * reaper.py, sshd's parent) instead, so PID 1's counters are added too. Measured 2026-12-07 on the
 * lab (50 servers, loaded): sshd's counters alone saw 66 ms of a collection's ~158 ms and 75 ms of
 * an `ssh … true` session's ~107 ms; PID 1 reaped nothing while the lab was idle.
 */
export function sessionCpuMs(pids) {
  let ticks = 0;
  for (const pid of pids) {
    const f = statFields(pid);
    // after the name: f[0] is field 3 (state), so field N is f[N - 3]; f[1] is the parent
    const pid1 = statFields(f[1]);
    ticks += Number(f[13]) + Number(f[14]) + Number(pid1[13]) + Number(pid1[14]);
  }
  return (ticks * 1000) / TICKS_PER_SECOND;
}

/** A markdown table; the first column left-aligned, the others right-aligned. */
export function table(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (c) =>
    `| ${c.map((x, i) => (i === 0 ? x.padEnd(widths[i]) : x.padStart(widths[i]))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}
