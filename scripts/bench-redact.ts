/**
 * npm run bench:redact — how long redaction takes on 10 MB of server output. Not a test: it prints
 * figures. The text is the real benign lab output in test/fixtures/benign/ (cycled to 10 MB) with
 * one secret-corpus form every ~100 KB, so every detector has work to do. The peer, in the same
 * run and interleaved with it, is the redactor this one replaced (the regex list of release 0.1,
 * read from git), so load from other processes on the machine falls on both alike.
 *
 *   npm run bench:redact            # 5 rounds
 *   BENCH_ROUNDS=9 BENCH_MB=20 npm run bench:redact
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { redact } from '../src/core/util/redact.js';

const ROOT = join(import.meta.dirname, '..');
const MB = Number(process.env.BENCH_MB ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
// the redactor before issue 18: one file, no imports
const PEER_COMMIT = process.env.BENCH_PEER ?? '9402702';

function input(): string {
  const benign = join(ROOT, 'test/fixtures/benign');
  const corpus = join(ROOT, 'test/fixtures/secrets-corpus');
  const logs = readdirSync(benign)
    .filter((f) => !f.endsWith('.md'))
    .map((f) => readFileSync(join(benign, f), 'utf8'));
  const forms = readdirSync(corpus)
    .filter((f) => f.endsWith('.json'))
    .flatMap((f) =>
      (JSON.parse(readFileSync(join(corpus, f), 'utf8')) as { text: string }[]).map((e) => e.text),
    );
  const parts: string[] = [];
  let size = 0;
  let i = 0;
  while (size < MB * 1_000_000) {
    const log = logs[i % logs.length] ?? '';
    const form = forms[i % forms.length] ?? '';
    for (let at = 0; at < log.length && size < MB * 1_000_000; at += 100_000) {
      const chunk = `${log.slice(at, at + 100_000)}\n${form}\n`;
      parts.push(chunk);
      size += chunk.length;
    }
    i++;
  }
  return parts.join('');
}

async function peer(): Promise<(text: string) => string> {
  const dir = mkdtempSync(join(tmpdir(), 'redact-peer-'));
  const source = execFileSync('git', ['show', `${PEER_COMMIT}:src/core/util/redact.ts`], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  writeFileSync(join(dir, 'redact.ts'), source);
  const mod = (await import(pathToFileURL(join(dir, 'redact.ts')).href)) as { redact: (t: string) => string };
  rmSync(dir, { recursive: true, force: true });
  return mod.redact;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
}

const text = input();
const old = await peer();
// wall time, and CPU time of this process (on a shared machine the CPU figure is the steadier one)
const times = { now: [] as number[], old: [] as number[] };
const cpu = { now: [] as number[], old: [] as number[] };
let redactions = 0;
for (let r = 0; r < ROUNDS; r++) {
  for (const [name, fn] of r % 2
    ? ([
        ['old', old],
        ['now', redact],
      ] as const)
    : ([
        ['now', redact],
        ['old', old],
      ] as const)) {
    const t = performance.now();
    const c = process.cpuUsage();
    const out = fn(text);
    const used = process.cpuUsage(c);
    times[name].push(performance.now() - t);
    cpu[name].push((used.user + used.system) / 1000);
    if (name === 'now') redactions = (out.match(/\[REDACTED/g) ?? []).length;
  }
}
const fmt = (xs: number[]) =>
  `${median(xs).toFixed(0)} ms (min ${Math.min(...xs).toFixed(0)}, max ${Math.max(...xs).toFixed(0)})`;
process.stdout.write(
  [
    `redaction of ${(text.length / 1e6).toFixed(1)} MB of server output (${ROUNDS} rounds, interleaved; median)`,
    `  this redactor          wall ${fmt(times.now)}; cpu ${fmt(cpu.now)}   ${redactions} redactions`,
    `  release 0.1 regex list wall ${fmt(times.old)}; cpu ${fmt(cpu.old)}`,
    `  ratio (cpu)            ${(median(cpu.now) / median(cpu.old)).toFixed(2)}x`,
    `  target                 < 1000 ms for 10 MB: ${median(cpu.now) < (1000 * MB) / 10 ? 'met' : 'NOT met'} (cpu), ${median(times.now) < (1000 * MB) / 10 ? 'met' : 'NOT met'} (wall)`,
    '',
  ].join('\n'),
);
