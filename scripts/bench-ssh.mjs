// SSH handshake and fleet pacing, measured on a running lab (scripts/bench.sh runs it after the
// fleet benchmark, with the lab still up). Run by Node 24 with --experimental-transform-types: it
// drives the product's own modules from src/ (the SSH transport and the collector), so what it
// measures is the code that ships.
//
//  1. Algorithms: N connections (one per lab server, all at once) that each run `true`, for the
//     product's algorithm list, ssh2's defaults and single alternatives (key exchange, cipher,
//     host key type): wall, the runner's CPU (this process) and the servers' CPU (the sshd trees).
//  2. Pacing: the whole collection (collectFleet with every probe of the bench's check set) of N
//     servers at several `parallelism` settings and limits of handshakes in flight: wall, runner
//     CPU, server CPU. The product's defaults come from this table.
//
// Environment: LAB_RUN, BENCH_SSH_SERVERS (default 50), BENCH_SSH_REPEAT (default 5).
import { readFileSync } from 'node:fs';
import { registerHooks } from 'node:module';
import { join } from 'node:path';
import { labSshdPids, median, seconds, sessionCpuMs, table } from './bench-lab.mjs';

// The sources import './x.js' (NodeNext style) while the files on disk are .ts.
registerHooks({
  resolve(specifier, context, next) {
    try {
      return next(specifier, context);
    } catch (error) {
      if (specifier.endsWith('.js')) return next(specifier.replace(/\.js$/, '.ts'), context);
      throw error;
    }
  },
});

const LAB_RUN = process.env.LAB_RUN ?? '/var/lib/claudeops-lab/run';
const N = Number(process.env.BENCH_SSH_SERVERS ?? 50);
const REPEAT = Number(process.env.BENCH_SSH_REPEAT ?? 5);
const log = (message) => process.stderr.write(`bench-ssh: ${message}\n`);

const { ALGORITHMS, HANDSHAKES, HANDSHAKES_PER_ADDRESS, createSshTransport } = await import(
  '../src/adapters/ssh.ts'
);
const { DEFAULT_PARALLELISM } = await import('../src/config/defaults.ts');
const { collectFleet } = await import('../src/collect.ts');
const { serverSchema } = await import('../src/config/schema.ts');
const { NodeSSH } = await import('node-ssh');
const ssh2 = await import('ssh2');
const { utils } = ssh2.utils ? ssh2 : ssh2.default;

const privateKey = readFileSync(join(LAB_RUN, 'client/id_ed25519'), 'utf8');
const knownHosts = readFileSync(join(LAB_RUN, 'known_hosts'), 'utf8');
const infos = Array.from({ length: N }, (_, i) =>
  JSON.parse(readFileSync(join(LAB_RUN, 'servers', `s${i + 1}`, 'info.json'), 'utf8')),
);
const pids = labSshdPids(
  LAB_RUN,
  infos.map((s) => s.name),
);
const settle = () => new Promise((resolve) => setTimeout(resolve, 300));

/** Runs fn, returning its wall ms, this process's CPU ms and the servers' CPU ms per server. */
async function measured(fn) {
  const server0 = sessionCpuMs(pids);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await fn();
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  await settle();
  return { wall, runnerMs: (cpu.user + cpu.system) / 1000, serverMs: (sessionCpuMs(pids) - server0) / N };
}

// ---------------------------------------------------------------- 1. algorithms

const key = utils.parseKey(privateKey);
const base = {
  kex: ALGORITHMS.kex,
  cipher: ALGORITHMS.cipher,
  hmac: ALGORITHMS.hmac,
  compress: ALGORITHMS.compress,
};
const VARIANTS = [
  ['ClaudeOps (curve25519, aes128-gcm, ed25519)', { ...base, serverHostKey: ['ssh-ed25519'] }],
  ["ssh2's defaults", undefined],
  ['kex ecdh-sha2-nistp256', { ...base, kex: ['ecdh-sha2-nistp256'], serverHostKey: ['ssh-ed25519'] }],
  [
    'kex diffie-hellman-group14-sha256',
    { ...base, kex: ['diffie-hellman-group14-sha256'], serverHostKey: ['ssh-ed25519'] },
  ],
  [
    'kex diffie-hellman-group16-sha512',
    { ...base, kex: ['diffie-hellman-group16-sha512'], serverHostKey: ['ssh-ed25519'] },
  ],
  [
    'kex diffie-hellman-group-exchange-sha256',
    { ...base, kex: ['diffie-hellman-group-exchange-sha256'], serverHostKey: ['ssh-ed25519'] },
  ],
  [
    'cipher chacha20-poly1305 (JavaScript)',
    { ...base, cipher: ['chacha20-poly1305@openssh.com'], serverHostKey: ['ssh-ed25519'] },
  ],
  [
    'cipher aes128-ctr + hmac-sha2-256',
    { ...base, cipher: ['aes128-ctr'], hmac: ['hmac-sha2-256'], serverHostKey: ['ssh-ed25519'] },
  ],
  ['host key ecdsa-sha2-nistp256', { ...base, serverHostKey: ['ecdsa-sha2-nistp256'] }],
];

async function connectAll(algorithms) {
  await Promise.all(
    infos.map(async (s) => {
      const ssh = new NodeSSH();
      await ssh.connect({
        host: s.host,
        port: s.port,
        username: s.user,
        authHandler: [{ type: 'publickey', username: s.user, key }],
        ...(algorithms ? { algorithms } : {}),
        // its own lab, on the lab bridge: the pinned check is the transport test's business, not this table's
        hostVerifier: () => true,
        readyTimeout: 60_000,
      });
      await ssh.execCommand('true');
      ssh.dispose();
    }),
  );
}

const algorithmRows = [];
for (const [name, algorithms] of VARIANTS) {
  log(`algorithms: ${name}`);
  const runs = [];
  try {
    await connectAll(algorithms); // warm: JIT, caches
    for (let i = 0; i < REPEAT; i++) runs.push(await measured(() => connectAll(algorithms)));
  } catch (error) {
    // a choice too costly for N handshakes at once (group exchange on a loaded 2-core lab times
    // out) is a result of this table, not the end of the benchmark
    log(`algorithms: ${name}: ${error.message}`);
    algorithmRows.push([name, `failed: ${error.message}`, '', '']);
    await settle();
    continue;
  }
  algorithmRows.push([
    name,
    seconds(median(runs.map((r) => r.wall))),
    `${(median(runs.map((r) => r.runnerMs)) / N).toFixed(1)} ms`,
    `${median(runs.map((r) => r.serverMs)).toFixed(1)} ms`,
  ]);
}

// ---------------------------------------------------------------- 2. pacing

const servers = infos.map((s) =>
  serverSchema.parse({
    name: s.name,
    host: s.host,
    port: s.port,
    user: s.user,
    ports: [22, 8080],
    services: [{ name: 'lab-sysv', manager: 'sysv' }],
    endpoints: [{ url: 'http://127.0.0.1:8080/', timeout: '5s' }],
  }),
);

async function collect(parallelism, handshakes) {
  const transport = createSshTransport({ privateKey, knownHosts, servers, handshakes });
  const { observations, shells } = await collectFleet(servers, transport, {
    parallelism,
    runnerChecks: false,
  });
  await Promise.all([...shells.values()].map((s) => s.close()));
  const bad = observations.filter((o) => !o.reachable || Object.keys(o.probeErrors).length > 0);
  if (bad.length > 0)
    throw new Error(
      `collection failed on ${bad.map((o) => `${o.server}: ${o.error ?? JSON.stringify(o.probeErrors)}`).join('; ')}`,
    );
}

const pacingRows = [];
const settings = [];
for (const parallelism of [5, 10, 20, 50]) {
  for (const handshakes of [4, 8, 16, 50])
    if (handshakes <= parallelism || handshakes === 4) settings.push([parallelism, handshakes]);
}
await collect(10, HANDSHAKES); // warm
const rounds = settings.map(() => []);
for (let round = 0; round < REPEAT; round++) {
  log(`pacing: round ${round + 1}/${REPEAT}`);
  // every setting once per round, in a rotated order: paired against the same moment
  for (let i = 0; i < settings.length; i++) {
    const k = (i + round) % settings.length;
    const [parallelism, handshakes] = settings[k];
    rounds[k].push(await measured(() => collect(parallelism, handshakes)));
  }
}
settings.forEach(([parallelism, handshakes], k) => {
  const runs = rounds[k];
  pacingRows.push([
    `${parallelism}`,
    handshakes >= parallelism ? `${handshakes} (no limit)` : `${handshakes}`,
    seconds(median(runs.map((r) => r.wall))),
    `${(median(runs.map((r) => r.runnerMs)) / N).toFixed(1)} ms`,
    `${median(runs.map((r) => r.serverMs)).toFixed(1)} ms`,
  ]);
});

console.log(`\n## SSH handshake: ${N} connections at once, each running \`true\` (median of ${REPEAT})\n`);
console.log(
  table(['algorithms', 'wall', 'runner CPU per connection', 'server CPU per connection'], algorithmRows),
);
console.log(
  `\n## Collection of ${N} servers by parallelism and handshakes in flight (median of ${REPEAT} paired rounds)\n`,
);
console.log(
  `Product defaults: parallelism ${DEFAULT_PARALLELISM}, handshakes ${HANDSHAKES} (${HANDSHAKES_PER_ADDRESS} to one address).\n`,
);
console.log(
  table(['parallelism', 'handshakes', 'wall', 'runner CPU per server', 'server CPU per server'], pacingRows),
);
