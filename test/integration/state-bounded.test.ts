/**
 * A state branch that tries to overwhelm a run (issue 19, "state-branch input is unbounded"),
 * built for real in a temp dir: a 2 M-line (≈ 110 MB) monthly history file, hand-edited absurd
 * figures (disk -50 %, memory 99 999 999 %, a 9e+99 ms latency), and a symlink committed as
 * state/evil.json. One parameterised suite runs status, history (per server and per run),
 * status-page and check against it: each finishes, says what it left out, and reads a bounded
 * amount (a window of lines, never the file held whole). check sets the huge file aside under a
 * new name — the same blob, not rewritten — and starts the month afresh. Memory and time figures
 * are the benchmark's, not assertions.
 */
import { once } from 'node:events';
import {
  createWriteStream,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runReadCommand } from '../../src/cli/read-commands.js';
import { runCli } from '../../src/cli-main.js';
import { endpointId, pointLine } from '../../src/core/memory/history-series.js';
import type { Logger } from '../../src/core/ports/index.js';
import { historyMonthPath } from '../../src/core/state-branch/paths.js';
import { MAX_HISTORY_FILE_BYTES, MAX_WINDOW_LINES } from '../../src/core/state-branch/read-limits.js';
import { generateHistory } from '../support/generated-history.js';
import { QUIET_HOST_THRESHOLDS } from '../support/quiet-host.js';
import { git } from '../support/runner.js';

const LINES = 2_000_000;
const NOW = new Date();
const MONTH = NOW.toISOString().slice(0, 7);
const HUGE = historyMonthPath('web1', MONTH);
const EDITED = historyMonthPath('db1', MONTH);

/** 2 M real history lines, one per second (sorted, as runs append them) up to now. */
async function writeHugeSeries(path: string): Promise<void> {
  const out = createWriteStream(path);
  const id = endpointId('https://web1.example.test/health');
  const start = NOW.getTime() - LINES * 1000;
  let chunk: string[] = [];
  for (let i = 0; i < LINES; i++) {
    chunk.push(
      pointLine({
        at: new Date(start + i * 1000).toISOString(),
        run: `r${i}`,
        status: 'ok',
        disk: 40 + (i % 20),
        memory: 50,
        load: 0.2,
        endpoints: { [id]: { up: true, code: 200, latencyMs: 80 } },
      }),
    );
    if (chunk.length === 10_000) {
      if (!out.write(`${chunk.join('\n')}\n`)) await once(out, 'drain');
      chunk = [];
    }
  }
  out.end();
  await once(out, 'finish');
}

interface Outcome {
  code: number;
  out: string;
  warnings: string[];
  /** the length of each write to stdout */
  writes: number[];
}

describe('a state branch with a 2 M-line history file, absurd figures and a symlink', () => {
  const dir = mkdtempSync(join(tmpdir(), 'claudeops-bounded-'));
  const repo = join(dir, 'state');
  let hugeBlob = '';

  beforeAll(async () => {
    await generateHistory(repo, { servers: 3, days: 20, now: NOW, names: ['web1', 'db1', 'cache1'] });
    await writeHugeSeries(join(repo, HUGE));
    // hand edits: the newest line of db1 carries impossible figures
    const id = endpointId('https://db1.example.test/health');
    const edited = readFileSync(join(repo, EDITED), 'utf8');
    const at = NOW.toISOString();
    writeFileSync(join(repo, EDITED), `${edited}${at}\tedit\tok\t-50\t99999999\t0.1\t${id}=u200:9e+99\n`);
    symlinkSync('/etc/passwd', join(repo, 'state', 'evil.json'));
    // a 30 MB health report: history reads its front matter, never the whole file
    const day = NOW.toISOString().slice(0, 10);
    mkdirSync(join(repo, 'health', day), { recursive: true });
    const row = '| web1 | ssh | yes | ok | 0 | 52% | 3% | 41% | 0% | 0.12 | 12d | 80 ms | 0.4s |\n';
    writeFileSync(
      join(repo, 'health', day, '000000-huge.md'),
      `---\nrun: "huge"\nstarted: ${new Date(NOW.getTime() - 3_600_000).toISOString()}\nstatus: ok\nservers: 3\nfindings: []\nactions: []\n---\n\n${row.repeat(400_000)}`,
    );
    await git(repo, 'add', '-A');
    await git(repo, 'commit', '-q', '-m', 'hostile');
    // what the CLI's own state repository is: pushes update its checkout, partial clones allowed
    await git(repo, 'config', 'receive.denyCurrentBranch', 'updateInstead');
    await git(repo, 'config', 'uploadpack.allowFilter', 'true');
    hugeBlob = (await git(repo, 'rev-parse', `claudeops-state:${HUGE}`)).trim();
  }, 300_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function read(argv: string[]): Promise<Outcome> {
    const warnings: string[] = [];
    const logger: Logger = {
      info: () => {},
      warning: (m) => void warnings.push(m),
      error: (m) => void warnings.push(`error: ${m}`),
      group: (_n, fn) => fn(),
    };
    const parts: string[] = [];
    const code = await runReadCommand([...argv, '--state-repo', repo], logger, {
      write: (t) => void parts.push(t),
      now: () => NOW,
    });
    return { code, out: parts.join(''), warnings, writes: parts.map((t) => t.length) };
  }

  const windowWarning = new RegExp(`${HUGE}: \\d+ lines fall in the window, over the ${MAX_WINDOW_LINES}`);
  const symlinkWarning = /state\/evil\.json is a symlink, not a regular file: ignored/;
  // of the 110 MB file only its last 16 MiB are split into lines (the newest)
  const tailWarning = new RegExp(
    `${HUGE} is \\d+ bytes, over the ${MAX_HISTORY_FILE_BYTES} a read takes: only its last ${MAX_HISTORY_FILE_BYTES} bytes read`,
  );
  const figureWarning = new RegExp(
    `${EDITED}: ignored disk -50 %: out of range or malformed \\(3 values in all\\)`,
  );

  it.each([
    {
      command: 'status',
      argv: ['status', '--format', 'json'],
      warns: [tailWarning, windowWarning, symlinkWarning, figureWarning],
      check: (o: Outcome) => {
        const fleet = JSON.parse(o.out);
        expect(fleet.servers.map((s: { server: string }) => s.server)).toEqual(['cache1', 'db1', 'web1']);
        const db1 = fleet.servers.find((s: { server: string }) => s.server === 'db1');
        // the edited line counts as a run, its absurd figures do not exist
        expect(db1.disk).toBeUndefined();
        expect(db1.memory).toBeUndefined();
        expect(fleet.servers.find((s: { server: string }) => s.server === 'web1').disk).toBeGreaterThan(0);
      },
    },
    {
      command: 'history --server web1',
      argv: ['history', '--server', 'web1', '--since', '30d'],
      warns: [tailWarning, windowWarning],
      check: (o: Outcome) => {
        const lines = o.out.trim().split('\n');
        // from the huge file only the newest MAX_WINDOW_LINES; the month before adds its own
        expect(lines.filter((l) => /\sr\d+\s/.test(l))).toHaveLength(MAX_WINDOW_LINES);
        expect(lines.length).toBeLessThan(MAX_WINDOW_LINES + 400);
        // a header, then the newest runs: they are the ones kept
        expect(lines[0]).toMatch(/^time \(UTC\)\s+run\s+status/);
        expect(lines[1]).toMatch(new RegExp(`^\\S+ \\S+\\s+r${LINES - 1}\\s+ok`));
        // the 50 000-row table is written as it is rendered, in batches, never held as one text
        expect(o.writes.length).toBeGreaterThan(10);
        expect(Math.max(...o.writes)).toBeLessThan(70_000);
      },
    },
    {
      command: 'history --server db1',
      argv: ['history', '--server', 'db1', '--format', 'json'],
      warns: [figureWarning],
      check: (o: Outcome) => {
        const runs = JSON.parse(o.out);
        expect(runs[0]).toMatchObject({ run: 'edit', status: 'ok', load: 0.1 });
        expect(runs[0].disk).toBeUndefined();
        expect(o.out).not.toMatch(/99999999|9e\+99|-50/);
        // written an item at a time, the text is still exactly JSON.stringify's
        expect(o.out).toBe(`${JSON.stringify(runs, null, 2)}\n`);
      },
    },
    {
      command: 'history (every run)',
      argv: ['history', '--since', '7d', '--format', 'json'],
      warns: [],
      check: (o: Outcome) => {
        expect(JSON.parse(o.out)).toEqual([
          expect.objectContaining({ run: 'huge', status: 'ok', servers: 3, findings: 0, actions: 0 }),
        ]);
      },
    },
    {
      command: 'status-page',
      argv: ['status-page', '--out', join(dir, 'site'), '--format', 'json'],
      warns: [tailWarning, windowWarning, symlinkWarning, figureWarning],
      check: (o: Outcome) => {
        const summary = JSON.parse(o.out);
        expect(summary.servers).toBe(3);
        // the huge file reaches the process only as its tail, once (the 90-day window; the last
        // check comes from the state files): one pass over the last 16 MiB keeps the newest
        // lines, never the 110 MB before it
        expect(summary.bytesRead).toBeLessThanOrEqual(MAX_HISTORY_FILE_BYTES + 1_000_000);
        const html = readFileSync(join(dir, 'site', 'index.html'), 'utf8');
        expect(html).not.toMatch(/9e\+99|99999999|evil/);
        expect(html).toContain('web1');
      },
    },
  ])(
    '$command finishes, warns, and reads a bounded window',
    async ({ argv, warns, check }) => {
      const outcome = await read(argv);
      expect(outcome.code).toBe(0);
      for (const w of warns) expect(outcome.warnings.join('\n')).toMatch(w);
      check(outcome);
    },
    300_000,
  );

  it('check sets the huge file aside unread (same blob, new name) and starts the month afresh', async () => {
    const config = join(dir, 'claudeops.yml');
    writeFileSync(
      config,
      `version: 1\nmode: report\nservers:\n  - name: web1\n    transport: local\n    thresholds: ${JSON.stringify(QUIET_HOST_THRESHOLDS)}\n`,
    );
    const quiet = process.stdout.write.bind(process.stdout);
    process.stdout.write = () => true;
    try {
      expect(await runCli(['check', '--config', config, '--state-repo', repo])).toBe(0);
    } finally {
      process.stdout.write = quiet;
    }
    const files = (await git(repo, 'ls-tree', '-r', '--name-only', 'claudeops-state')).split('\n');
    const aside = files.filter((f) => f.startsWith(`history/web1/${MONTH}.corrupt-`));
    expect(aside).toHaveLength(1);
    expect((await git(repo, 'rev-parse', `claudeops-state:${aside[0]}`)).trim()).toBe(hugeBlob);
    const fresh = await git(repo, 'show', `claudeops-state:${HUGE}`);
    expect(fresh.trim().split('\n')).toHaveLength(1);
    // the run said so in its report, and ignored the symlink
    const report =
      files
        .filter((f) => f.startsWith('health/'))
        .sort()
        .at(-1) ?? '';
    const text = await git(repo, 'show', `claudeops-state:${report}`);
    expect(text).toMatch(
      /history\/web1\/\d{4}-\d{2}\.tsv is \d+ bytes, over the 16777216-byte limit: set aside as/,
    );
    expect(text).toMatch(symlinkWarning);
    expect(files).toContain('state/evil.json');
    expect(await git(repo, 'cat-file', '-p', 'claudeops-state:state/evil.json')).toBe('/etc/passwd');
    // the next read sees a month of one line: no warning about the window any more
    const status = await read(['status']);
    expect(status.warnings.join('\n')).not.toMatch(windowWarning);
  }, 300_000);
});
