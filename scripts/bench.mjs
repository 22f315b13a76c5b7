// The benchmark behind `npm run bench` (run through scripts/bench.sh, which checks root, that no
// lab is up, and ansible). For each fleet size N it checks lab servers s1..sN with the bundled
// CLI and with Ansible doing the equivalent work, and prints one table.
//
// ClaudeOps: `node dist/cli.js check --config <generated> --state-repo <tmp>` — disk, memory,
//   load, uptime/boot id, ports 22+8080, the sshd process, the app endpoint, the heartbeat age —
//   in one SSH round trip per server. Round trips and bytes come from the health report's front
//   matter (round_trips, bytes), i.e. from what the product itself measured.
// Ansible: one playbook with gather_facts (the setup module) plus one shell task doing the same
//   checks (df, free, pgrep sshd as the "service" — light servers have no service manager —,
//   curl the endpoint, heartbeat age), forks = N, SSH pipelining and ControlPersist on (its
//   fastest usual settings), the same key and known_hosts, host keys checked.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const LAB_SH = join(ROOT, 'test/lab/lab.sh');
const LAB_RUN = process.env.LAB_RUN ?? '/var/lib/claudeops-lab/run';
const SIZES = (process.env.BENCH_SIZES ?? '1,10,50').split(',').map(Number);
const REPEAT = Number(process.env.BENCH_REPEAT ?? 3);
const ANSIBLE_REPEAT = Number(process.env.BENCH_ANSIBLE_REPEAT ?? 1);
const KEY = join(LAB_RUN, 'client/id_ed25519');
const KNOWN_HOSTS = join(LAB_RUN, 'known_hosts');
const APP = 'http://127.0.0.1:8080/';
const HEARTBEAT = '/run/lab/heartbeat';

const log = (message) => process.stderr.write(`bench: ${message}\n`);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const seconds = (ms) => `${(ms / 1000).toFixed(2)} s`;

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

function claudeopsConfig(servers) {
  const lines = [
    'version: 1',
    'mode: report',
    'defaults:',
    `  parallelism: ${Math.min(servers.length, 50)}`,
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
      '    processes: [sshd]',
      `    endpoints: [{ url: "${APP}", timeout: 5s }]`,
      `    heartbeats: [{ path: ${HEARTBEAT}, max_age: 10m }]`,
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

function benchClaudeops(dir, servers) {
  const config = join(dir, 'claudeops.yml');
  writeFileSync(config, claudeopsConfig(servers));
  const state = join(dir, 'state');
  const env = { ...process.env, SSH_PRIVATE_KEY_FILE: KEY, KNOWN_HOSTS_FILE: KNOWN_HOSTS, NO_COLOR: '1' };
  const runs = [];
  for (let i = 0; i < REPEAT; i++) {
    const r = run('node', [join(ROOT, 'dist/cli.js'), 'check', '--config', config, '--state-repo', state], {
      env,
      cwd: dir,
    });
    const report = /^report=(.+)$/m.exec(r.stdout)?.[1];
    if (!report) throw new Error(`no report= line in the CLI output:\n${r.stdout}`);
    const meta = frontMatter(readFileSync(join(state, report), 'utf8'));
    if (meta.status !== 'ok') throw new Error(`claudeops run not ok (${meta.status}):\n${r.stdout}`);
    if (meta.roundTrips !== servers.length)
      throw new Error(`expected ${servers.length} round trips, got ${meta.roundTrips}`);
    runs.push({ ms: r.ms, ...meta });
  }
  const ms = median(runs.map((r) => r.ms));
  return { ms, roundTrips: runs[0].roundTrips, bytes: median(runs.map((r) => r.bytes)) };
}

function benchAnsible(dir, servers) {
  const inventory = join(dir, 'inventory.ini');
  writeFileSync(
    inventory,
    `[lab]\n${servers.map((s) => `${s.name} ansible_host=${s.host} ansible_port=${s.port} ansible_user=${s.user}`).join('\n')}\n`,
  );
  const checks = [
    'df -P',
    'free -k',
    'pgrep -x sshd >/dev/null && echo sshd running',
    `echo "endpoint $(curl -s -o /dev/null -m 5 -w '%{http_code}' ${APP})"`,
    `echo "heartbeat age $(( $(date +%s) - $(stat -c %Y ${HEARTBEAT}) ))"`,
    '(ss -ltn || cat /proc/net/tcp) | grep -c -E ":(22|8080|0016|1F90) "',
  ].join('; ');
  const playbook = join(dir, 'check.yml');
  writeFileSync(
    playbook,
    [
      '- hosts: lab',
      '  gather_facts: true',
      '  tasks:',
      '    - name: health checks',
      `      shell: ${JSON.stringify(checks)}`,
      '      changed_when: false',
      '',
    ].join('\n'),
  );
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
  const times = [];
  try {
    for (let i = 0; i < ANSIBLE_REPEAT; i++) {
      const r = run('ansible-playbook', ['-i', inventory, '-f', String(servers.length), playbook], {
        env,
        cwd: dir,
      });
      const recap = r.stdout.split('PLAY RECAP')[1] ?? '';
      const okHosts = recap.split('\n').filter((l) => /unreachable=0\s+failed=0/.test(l)).length;
      if (okHosts !== servers.length)
        throw new Error(`ansible: ${okHosts}/${servers.length} hosts ok:\n${r.stdout}`);
      times.push(r.ms);
      stopControlMasters(control);
    }
  } finally {
    stopControlMasters(control);
    rmSync(control, { recursive: true, force: true });
  }
  return { ms: median(times) };
}

/** Ends the ControlPersist masters this run's ansible left behind (ours only: our socket dir). */
function stopControlMasters(dir) {
  for (const socket of readdirSync(dir)) {
    spawnSync('ssh', ['-o', `ControlPath=${join(dir, socket)}`, '-O', 'exit', 'bench'], { stdio: 'ignore' });
  }
}

function table(rows) {
  const header = [
    'servers',
    'claudeops wall',
    'per server',
    'SSH round trips',
    'bytes moved',
    'ansible wall',
    'ansible/claudeops',
  ];
  const cells = rows.map((r) => [
    String(r.n),
    seconds(r.claudeops.ms),
    `${Math.round(r.claudeops.ms / r.n)} ms`,
    String(r.claudeops.roundTrips),
    `${(r.claudeops.bytes / 1024).toFixed(1)} KiB`,
    seconds(r.ansible.ms),
    `${(r.ansible.ms / r.claudeops.ms).toFixed(1)}×`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c) =>
    `| ${c.map((x, i) => (i === 0 ? x.padEnd(widths[i]) : x.padStart(widths[i]))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [line(header), rule, ...cells.map(line)].join('\n');
}

const max = Math.max(...SIZES);
log(`bringing up ${max} light lab servers`);
const up = run('bash', [LAB_SH, 'up', String(max), '--no-nspawn']);
log(`lab up in ${seconds(up.ms)}`);
const work = mkdtempSync(join(tmpdir(), 'claudeops-bench-'));
const rows = [];
try {
  for (const n of SIZES) {
    const dir = join(work, `n${n}`);
    mkdirSync(dir);
    const servers = labServers(n);
    log(`${n} server(s): claudeops ×${REPEAT}`);
    const claudeops = benchClaudeops(dir, servers);
    log(`${n} server(s): ansible ×${ANSIBLE_REPEAT}`);
    const ansible = benchAnsible(dir, servers);
    rows.push({ n, claudeops, ansible });
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
const ansibleVersion = execFileSync('ansible', ['--version'], { encoding: 'utf8' }).split('\n')[0];
const nodeVersion = process.version;
console.log(
  `\nClaudeOps check (bundled CLI, ${nodeVersion}, median of ${REPEAT}) vs ${ansibleVersion} ` +
    `(setup + shell checks, median of ${ANSIBLE_REPEAT}); ${cpus().length} vCPU, ${new Date().toISOString().slice(0, 10)}\n`,
);
console.log(table(rows));
