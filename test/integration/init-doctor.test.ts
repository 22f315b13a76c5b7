/**
 * `claudeops init` and `claudeops doctor` through the bundled CLI (dist/cli.js) against a real
 * OpenSSH server on loopback (test/support/loopback-sshd.ts): host keys shown and trusted only
 * when confirmed (a real pseudo-terminal for y/N, --accept-new, a known key), a changed key
 * refused, nothing written unless every host was reached; doctor's failure modes, each with its
 * fix: unknown host key, wrong pinned key, unreachable, key refused, missing curl, a clock an
 * hour ahead, a bad API key (the scripted Messages API). The lab test (test/e2e/lab/onboarding.test.ts)
 * runs the same two commands against three lab servers.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseConfig } from '../../src/config/parse-config.js';
import { FakeAnthropic, reply, text } from '../support/fake-anthropic.js';
import { type LoopbackSshd, loopbackSshdSkipReason, startLoopbackSshd } from '../support/loopback-sshd.js';
import { ROOT } from '../support/runner.js';

const SYSTEM_NODE = existsSync('/usr/bin/node') ? '/usr/bin/node' : 'node';
const CLI = join(ROOT, 'dist/cli.js');
const skip = loopbackSshdSkipReason();
if (skip) console.warn(`init/doctor tests skipped: ${skip}`);

interface Ran {
  code: number | undefined;
  stdout: string;
  stderr: string;
}

async function cli(args: string[], cwd: string, env: Record<string, string> = {}): Promise<Ran> {
  const r = await execa(SYSTEM_NODE, [CLI, ...args], {
    cwd,
    reject: false,
    extendEnv: false,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: cwd, USER: 'root', ...env },
    timeout: 120_000,
  });
  return { code: r.exitCode, stdout: String(r.stdout), stderr: String(r.stderr) };
}

describe.skipIf(skip !== undefined)(
  'init and doctor against a real sshd on loopback',
  { timeout: 240_000 },
  () => {
    let sshd: LoopbackSshd;
    let keyFile: string;
    const dirs: string[] = [];
    const workdir = () => {
      const d = mkdtempSync(join(tmpdir(), 'claudeops-init-'));
      dirs.push(d);
      return d;
    };

    beforeAll(async () => {
      sshd = await startLoopbackSshd();
      keyFile = join(sshd.dir, 'client');
    }, 60_000);

    afterAll(async () => {
      await sshd?.stop();
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    });

    const host = () => `root@127.0.0.1:${sshd.port}`;

    it('without a terminal and without --accept-new, a new host key is shown and refused; nothing is written', async () => {
      const dir = workdir();
      const r = await cli(['init', '--host', host()], dir, { SSH_PRIVATE_KEY_FILE: keyFile });
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toContain(sshd.fingerprint);
      expect(r.stderr).toMatch(
        /is new and nobody confirmed it: run init on a terminal to answer y\/N, or .* pass --accept-new/,
      );
      expect(r.stderr).toContain('nothing written');
      expect(existsSync(join(dir, '.github'))).toBe(false);
    });

    it('--accept-new: a config that loads with the key pinned, the known_hosts line and the workflow', async () => {
      const dir = workdir();
      const r = await cli(['init', '--host', host(), '--accept-new'], dir, { SSH_PRIVATE_KEY_FILE: keyFile });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain(
        `127.0.0.1:${sshd.port}: ssh-ed25519 ${sshd.fingerprint} (new; accepted: --accept-new)`,
      );
      const text = readFileSync(join(dir, '.github/claudeops.yml'), 'utf8');
      const config = parseConfig(text, 'claudeops.yml');
      expect(config.servers).toHaveLength(1);
      // one server: its user and port are the defaults
      expect(config.defaults).toMatchObject({ user: 'root', port: sshd.port });
      expect(config.servers[0]).toMatchObject({ host: '127.0.0.1', host_key: sshd.fingerprint, sudo: false });
      expect(text).toMatch(/^# ClaudeOps configuration, written by `claudeops init`/);
      expect(readFileSync(join(dir, '.github/claudeops.known_hosts'), 'utf8')).toBe(`${sshd.hostKeyLine}\n`);
      const workflow = parse(readFileSync(join(dir, '.github/workflows/claudeops.yml'), 'utf8'));
      expect(workflow.on.schedule[0].cron).toBe(config.schedule);
      expect(workflow.jobs.check.steps[1].with).toMatchObject({
        config: '.github/claudeops.yml',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub expression, not JS
        'ssh-private-key': '${{ secrets.CLAUDEOPS_SSH_KEY }}',
      });
      expect(r.stderr).toContain('next: claudeops doctor --config .github/claudeops.yml');

      // and the second command: doctor with that config, nothing else set, finds nothing wrong
      const doctor = await cli(['doctor'], dir, { SSH_PRIVATE_KEY_FILE: keyFile });
      expect(doctor.stdout, doctor.stderr).toMatch(/^CLAUDEOPS DOCTOR: ALL GOOD$/m);
      expect(doctor.stderr).toMatch(/^✓ \S+ ok \d+\.\ds$/m);
      expect(doctor.code).toBe(0);

      // init never overwrites a config
      const again = await cli(['init', '--host', host(), '--accept-new'], dir, {
        SSH_PRIVATE_KEY_FILE: keyFile,
      });
      expect(again.code).toBe(1);
      expect(again.stderr).toContain('exists: init never overwrites a config');
    });

    it('a key already in known_hosts is trusted without asking; a different one is refused even with --accept-new', async () => {
      const dir = workdir();
      writeFileSync(join(dir, 'known'), `${sshd.hostKeyLine}\n`);
      const known = await cli(['init', '--host', host(), '--out', 'ops/claudeops.yml'], dir, {
        SSH_PRIVATE_KEY_FILE: keyFile,
        KNOWN_HOSTS_FILE: join(dir, 'known'),
      });
      expect(known.code, known.stderr).toBe(0);
      expect(known.stderr).toContain('(already in known_hosts)');
      expect(existsSync(join(dir, 'ops/claudeops.yml'))).toBe(true);

      const other = mkdtempSync(join(tmpdir(), 'claudeops-init-key-'));
      dirs.push(other);
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(other, 'k')]);
      const [type, blob] = readFileSync(join(other, 'k.pub'), 'utf8').split(' ');
      const changed = await cli(['init', '--host', host(), '--accept-new'], workdir(), {
        SSH_PRIVATE_KEY_FILE: keyFile,
        KNOWN_HOSTS: `[127.0.0.1]:${sshd.port} ${type} ${blob}\n`,
      });
      expect(changed.code).toBe(1);
      expect(changed.stderr).toContain('HOST KEY CHANGED');
      expect(changed.stderr).toContain(sshd.fingerprint);
    });

    it('on a terminal (a real pseudo-terminal) it asks y/N: n refuses, y trusts', async () => {
      const run = (answer: string, dir: string) =>
        spawnSync('script', ['-qec', `${SYSTEM_NODE} ${CLI} init --host ${host()}`, '/dev/null'], {
          cwd: dir,
          input: `${answer}\n`,
          encoding: 'utf8',
          timeout: 120_000,
          env: { PATH: process.env.PATH, HOME: dir, SSH_PRIVATE_KEY_FILE: keyFile, TERM: 'dumb' },
        });
      const no = workdir();
      const refused = run('n', no);
      expect(refused.stdout).toContain(`presents host key ssh-ed25519 ${sshd.fingerprint}`);
      expect(refused.stdout).toContain('Trust it and connect? [y/N]');
      expect(refused.stdout).toContain('not confirmed');
      expect(existsSync(join(no, '.github'))).toBe(false);
      const yes = workdir();
      const trusted = run('y', yes);
      expect(trusted.stdout).toContain('Trust it and connect? [y/N]');
      expect(existsSync(join(yes, '.github/claudeops.yml')), trusted.stdout).toBe(true);
    });

    it('an unreachable host and a refused key: nothing written, each said with its reason', async () => {
      const dir = workdir();
      const closed = await cli(['init', '--host', 'root@127.0.0.1:1', '--accept-new'], dir, {
        SSH_PRIVATE_KEY_FILE: keyFile,
      });
      expect(closed.code).toBe(1);
      expect(closed.stderr).toMatch(/connection refused: nothing listens on port 1/);
      writeFileSync(join(dir, 'other'), sshd.otherKey);
      const refused = await cli(['init', '--host', host(), '--accept-new'], dir, {
        SSH_PRIVATE_KEY_FILE: join(dir, 'other'),
      });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/authentication failed/);
      expect(existsSync(join(dir, '.github'))).toBe(false);
      const usage = await cli(['init'], dir);
      expect(usage.code).toBe(2);
      expect(usage.stderr).toContain('give at least one --host');
      // no key yet: said whole (the redactor once took `NAME=/path` in it for a secret)
      const noKey = await cli(['init', '--host', host()], dir);
      expect(noKey.code).toBe(1);
      expect(noKey.stderr).toContain('set SSH_PRIVATE_KEY_FILE to its path (or SSH_PRIVATE_KEY to its text)');
    });
  },
);

describe.skipIf(skip !== undefined)(
  'doctor: every failure mode, one line each with its fix',
  { timeout: 240_000 },
  () => {
    const dirs: string[] = [];
    const servers: LoopbackSshd[] = [];
    afterAll(async () => {
      for (const s of servers) await s.stop();
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    });

    async function sshd(options: Parameters<typeof startLoopbackSshd>[0] = {}): Promise<LoopbackSshd> {
      const s = await startLoopbackSshd(options);
      servers.push(s);
      return s;
    }

    async function doctor(serverYaml: string, env: Record<string, string>): Promise<Ran> {
      const dir = mkdtempSync(join(tmpdir(), 'claudeops-doctor-'));
      dirs.push(dir);
      writeFileSync(join(dir, 'c.yml'), `version: 1\nservers:\n${serverYaml}`);
      return cli(['doctor', '--config', 'c.yml'], dir, env);
    }

    const entry = (s: LoopbackSshd, extra = '') =>
      `  - { name: box, host: 127.0.0.1, port: ${s.port}, user: root, host_key: "${s.fingerprint}"${extra} }\n`;
    /** the problem lines (stderr), each with its fix */
    const problems = (r: Ran) =>
      r.stderr
        .split('\n')
        .filter((l) => l.startsWith('error: ✗ box ') && l.includes('→ fix:'))
        .map((l) => l.slice('error: '.length));

    it('unknown host key, wrong pinned key, unreachable, refused key', async () => {
      const s = await sshd();
      const key = join(s.dir, 'client');
      const unknown = await doctor(`  - { name: box, host: 127.0.0.1, port: ${s.port}, user: root }\n`, {
        SSH_PRIVATE_KEY_FILE: key,
      });
      expect(unknown.code, unknown.stderr + unknown.stdout).toBe(1);
      expect(problems(unknown)).toEqual([
        expect.stringMatching(
          /^✗ box host-key: .*its host key is unknown.*presented ssh-ed25519 key SHA256:.*→ fix: check the fingerprint on the server/,
        ),
      ]);

      const wrong = await doctor(
        `  - { name: box, host: 127.0.0.1, port: ${s.port}, user: root, host_key: "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" }\n`,
        { SSH_PRIVATE_KEY_FILE: key },
      );
      expect(problems(wrong)).toEqual([
        expect.stringMatching(/^✗ box host-key: .*HOST KEY DOES NOT MATCH THE PIN/),
      ]);

      const unreachable = await doctor(
        `  - { name: box, host: 127.0.0.1, port: 1, user: root, host_key: "${s.fingerprint}" }\n`,
        {
          SSH_PRIVATE_KEY_FILE: key,
        },
      );
      expect(problems(unreachable)).toEqual([
        expect.stringMatching(/^✗ box reach: .*connection refused.*→ fix: check host and port/),
      ]);

      writeFileSync(join(s.dir, 'other-file'), s.otherKey);
      const refused = await doctor(entry(s), { SSH_PRIVATE_KEY_FILE: join(s.dir, 'other-file') });
      expect(problems(refused)).toEqual([
        expect.stringMatching(/^✗ box auth: .*authentication failed.*→ fix: add the public half/),
      ]);
      expect(refused.stdout).toMatch(/^CLAUDEOPS DOCTOR: 1 PROBLEM$/m);
    });

    it('missing curl for an endpoint, and a clock an hour ahead', async () => {
      const s = await sshd({ hide: ['/usr/bin/curl'], clockOffsetSeconds: 3600 });
      const r = await doctor(entry(s, ', endpoints: [{ url: "http://127.0.0.1:9/" }]'), {
        SSH_PRIVATE_KEY_FILE: join(s.dir, 'client'),
      });
      expect(r.code).toBe(1);
      expect(problems(r).sort()).toEqual([
        expect.stringMatching(
          /^✗ box clock: the clock is 3[56]\d\d s ahead \(more than 30 s\) → fix: turn on time sync/,
        ),
        expect.stringMatching(
          /^✗ box tools: curl not found on the PATH \(needed for endpoints checked from the server\) → fix: install curl/,
        ),
      ]);
    });

    it('a bad API key, tried with one request to the Messages API', async () => {
      const s = await sshd();
      const fake = await new FakeAnthropic().start();
      try {
        fake.play({ kind: 'error', status: 401, type: 'authentication_error', message: 'invalid x-api-key' });
        const bad = await doctor(entry(s), {
          SSH_PRIVATE_KEY_FILE: join(s.dir, 'client'),
          ANTHROPIC_API_KEY: 'sk-ant-bad',
          ANTHROPIC_BASE_URL: fake.url,
        });
        expect(bad.code).toBe(1);
        expect(bad.stderr).toMatch(
          /^error: ✗ anthropic: the Messages API refused a test request: HTTP 401 authentication_error: invalid x-api-key → fix: create a key/m,
        );
        expect(bad.stdout + bad.stderr).not.toContain('sk-ant-bad');
        expect(fake.requests).toHaveLength(1);
        expect(fake.requests[0]?.body).toMatchObject({ max_tokens: 1 });

        fake.play(reply([text('Yes')]));
        const good = await doctor(entry(s), {
          SSH_PRIVATE_KEY_FILE: join(s.dir, 'client'),
          ANTHROPIC_API_KEY: 'sk-ant-good',
          ANTHROPIC_BASE_URL: fake.url,
        });
        expect(good.stdout, good.stderr).toMatch(/^CLAUDEOPS DOCTOR: ALL GOOD$/m);
        expect(good.stdout).toContain('API key: works');
        expect(good.code).toBe(0);
      } finally {
        await fake.close();
      }
    });

    it('a state repository that is not a git repository', async () => {
      const s = await sshd();
      const dir = mkdtempSync(join(tmpdir(), 'claudeops-doctor-'));
      dirs.push(dir);
      mkdirSync(join(dir, 'records'));
      writeFileSync(join(dir, 'records', 'notes.txt'), 'not a repository\n');
      writeFileSync(join(dir, 'c.yml'), `version: 1\nservers:\n${entry(s)}`);
      const r = await cli(['doctor', '--config', 'c.yml', '--state-repo', 'records'], dir, {
        SSH_PRIVATE_KEY_FILE: join(s.dir, 'client'),
      });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        /^error: ✗ state: state branch \(.*records\): exists but is not a git repository → fix: point --state-repo at a git repository/m,
      );
    });
  },
);
