/**
 * `claudeops sudoers`: generation and escaping, checked with the real `visudo -cf`, and matched by
 * the real sudo (`sudo -l -U nobody <argv>`, as root, with the generated file bind-mounted over
 * /etc/sudoers in a private mount namespace: nothing on this machine changes) against the argv the
 * catalog's rendered commands produce when a real sh parses them.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Config } from '../../../src/config/schema.js';
import { shellQuote } from '../../../src/core/util/shell-quote.js';
import { buildCatalog, renderAction } from '../../../src/remediate/catalog.js';
import { generateSudoers, sudoersArg, sudoersCommand } from '../../../src/remediate/sudoers.js';
import { config, NOW, server } from '../../support/agent-fixtures.js';

const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const hasVisudo = has('visudo');
const canMatch =
  hasVisudo &&
  has('sudo') &&
  has('unshare') &&
  typeof process.getuid === 'function' &&
  process.getuid() === 0;

const dir = mkdtempSync(join(tmpdir(), 'claudeops-sudoers-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cfg: Config = config({
  servers: [
    {
      name: 'web1',
      transport: 'local',
      sudo: 'actions',
      services: [
        { name: 'nginx', manager: 'systemd' },
        { name: 'app@blue:1', manager: 'systemd' },
        { name: 'cron', manager: 'sysv' },
        { name: 'worker', manager: 'supervisor' },
        { name: 'api', manager: 'pm2' },
        { name: 'redis', manager: 'docker' },
      ],
      clearable: ['/var/cache/app', '/srv/a,b=c#d', '/srv/my cache', '/etc'],
    },
    { name: 'db1', transport: 'local', sudo: true, services: [{ name: 'postgresql' }] },
  ],
  remediations: {
    'clear-app-cache': { command: 'rm -rf /var/cache/app/*', risk: 'low' },
    tricky: { command: String.raw`printf '%s\n' "a,b" x=1 \# [z]? 'two  spaces'` },
    multiline: { command: 'echo one\necho two' },
    'as-user': { command: 'pm2 reload all', sudo: false },
    'db-only': { command: 'echo db', servers: ['db1'] },
  },
});
const web1 = server(cfg, 'web1');

/** remove-stale-lock: the helper checks the path itself, so sudoers holds one wildcard per lock directory */
const LOCK_RULES = ['/run/*', '/var/run/*', '/var/lock/*', '/tmp/*', '/var/tmp/*'].map(
  (glob) => `ALL=(root) NOPASSWD: /usr/local/sbin/claudeops-helper remove-stale-lock ${glob}`,
);

function sudoers(overrides: Partial<Parameters<typeof generateSudoers>[0]> = {}): string {
  return generateSudoers({
    config: cfg,
    servers: [web1],
    user: 'nobody',
    source: { path: '.github/claudeops.yml', sha256: 'ab'.repeat(32) },
    now: NOW,
    ...overrides,
  });
}

function visudo(text: string): { ok: boolean; output: string } {
  const file = join(dir, `check-${Math.random().toString(36).slice(2)}`);
  writeFileSync(file, text, { mode: 0o440 });
  const r = spawnSync('visudo', ['-cf', file], { encoding: 'utf8' });
  return { ok: r.status === 0, output: `${r.stdout}${r.stderr}` };
}

describe('sudoersArg', () => {
  it('escapes sudoers syntax, wildcards and whitespace; refuses what sudoers cannot match', () => {
    expect(sudoersArg('nginx')).toBe('nginx');
    expect(sudoersArg('app@blue:1')).toBe('app@blue\\:1');
    expect(sudoersArg('a,b=c#d')).toBe('a\\,b\\=c\\#d');
    expect(sudoersArg('/var/cache/app/*')).toBe('/var/cache/app/\\*');
    expect(sudoersArg('[x]?')).toBe('\\[x\\]\\?');
    expect(sudoersArg('!x')).toBe('\\!x');
    expect(sudoersArg('a  b\tc')).toBe('a\\ \\ b\\\tc');
    expect(sudoersArg('back\\slash')).toBe('back\\\\\\\\slash');
    expect(sudoersArg(`'"$;|&()<>\`{}%@~^`)).toBe(`'"$;|&()<>\`{}%@~^`);
    expect(sudoersArg('')).toBeUndefined();
    expect(sudoersArg('a\nb')).toBeUndefined();
    expect(sudoersArg('a\u0007b')).toBeUndefined();
  });

  it('needs an absolute program path and refuses sudoers-regex and no-argument forms', () => {
    const paths = { systemctl: '/usr/bin/systemctl' };
    expect(sudoersCommand(['systemctl', 'restart', 'nginx'], paths)).toEqual({
      ok: true,
      line: '/usr/bin/systemctl restart nginx',
    });
    expect(sudoersCommand(['/bin/true'], paths)).toEqual({ ok: true, line: '/bin/true ""' });
    expect(sudoersCommand(['pm2', 'restart', 'x'], paths)).toMatchObject({
      ok: false,
      reason: /--path pm2=/,
    });
    expect(sudoersCommand(['/bin/echo', '^a', 'b$'], paths)).toMatchObject({ ok: false, reason: /regular/ });
    expect(sudoersCommand(['/bin/echo', '""'], paths)).toMatchObject({ ok: false, reason: /no arguments/ });
  });
});

describe('generateSudoers', () => {
  const text = sudoers();

  it('says where it came from, when to regenerate and how to install', () => {
    expect(text).toMatch(/^# \/etc\/sudoers.d\/claudeops: generated by `claudeops sudoers`/);
    expect(text).toContain(
      '# From config .github/claudeops.yml (sha256 abababababababab…), server web1, at 2026-11-21T08:00:00.000Z.',
    );
    expect(text).toContain(
      '# Regenerate and reinstall whenever services, clearable directories or remediations change',
    );
    expect(text).toContain(
      'visudo -cf FILE && install -o root -g root -m 0440 FILE /etc/sudoers.d/claudeops',
    );
  });

  it('allows exactly the catalog root commands, parameters enumerated from the config', () => {
    const rules = text.split('\n').filter((l) => l.startsWith('nobody '));
    expect(rules).toEqual([
      'nobody ALL=(root) NOPASSWD: /usr/bin/systemctl restart -- nginx',
      'nobody ALL=(root) NOPASSWD: /usr/bin/systemctl restart -- app@blue\\:1',
      'nobody ALL=(root) NOPASSWD: /usr/sbin/service cron restart',
      'nobody ALL=(root) NOPASSWD: /usr/bin/supervisorctl restart worker',
      'nobody ALL=(root) NOPASSWD: /usr/bin/docker restart -- redis',
      'nobody ALL=(root) NOPASSWD: /usr/bin/systemctl start -- nginx',
      'nobody ALL=(root) NOPASSWD: /usr/bin/systemctl start -- app@blue\\:1',
      'nobody ALL=(root) NOPASSWD: /usr/sbin/service cron start',
      'nobody ALL=(root) NOPASSWD: /usr/bin/supervisorctl start worker',
      'nobody ALL=(root) NOPASSWD: /usr/bin/docker start -- redis',
      'nobody ALL=(root) NOPASSWD: /usr/local/sbin/claudeops-helper clear-directory /var/cache/app',
      'nobody ALL=(root) NOPASSWD: /usr/local/sbin/claudeops-helper clear-directory /srv/a\\,b\\=c\\#d',
      'nobody ALL=(root) NOPASSWD: /usr/bin/journalctl --vacuum-size\\=500M',
      ...LOCK_RULES.map((l) => `nobody ${l}`),
      'nobody ALL=(root) NOPASSWD: /usr/sbin/logrotate -f /etc/logrotate.conf',
      'nobody ALL=(root) NOPASSWD: /bin/sh -c rm\\ -rf\\ /var/cache/app/\\*',
      String.raw`nobody ALL=(root) NOPASSWD: /bin/sh -c printf\ '%s\\\\n'\ "a\,b"\ x\=1\ \\\\\#\ \[z\]\?\ 'two\ \ spaces'`,
    ]);
    // pm2 runs as the SSH user; `as-user` has sudo: false; db-only is another server's
    expect(text).not.toMatch(/pm2|db-only|echo db/);
    expect(text).toContain('Defaults:nobody !requiretty');
    expect(text).toContain('# vacuum-journal: only size=500M (the default); other values are not allowed');
    // deletes only through the helper, which checks the path where it deletes: no find, no rm
    expect(text).not.toMatch(/\/find |\/rm /);
    expect(text).toContain('claudeops-helper checks the value itself and refuses the rest');
    expect(text).toContain('# `claudeops helper` there (install -o root -g root -m 0755)');
  });

  it('leaves out what sudoers cannot bound, and says why', () => {
    expect(text).toContain(
      '# Not allowed (these actions need sudo: true on the server, or they fail with a sudo error):',
    );
    expect(text).toMatch(
      /# {3}clear-directory on web1 \(\/usr\/local\/sbin\/claudeops-helper clear-directory \/srv\/my ca.*\): an argument with a space/,
    );
    expect(text).toMatch(
      /# {3}multiline on web1 \(\/bin\/sh -c echo one echo two\): an argument with a newline/,
    );
    // /etc is never clearable, so it is not even a candidate
    expect(text).not.toMatch(/clear-directory \/etc/);
    // the note about prefixes of shell text with spaces
    expect(text).toContain('# sudo compares the space-joined arguments, so the user can also run any prefix');
  });

  it('notes servers not on sudo: actions, unions several servers, refuses odd user names', () => {
    const both = sudoers({ servers: cfg.servers });
    expect(both).toContain('# NOTE: server db1 has sudo: true');
    expect(both).toContain('union of their commands');
    expect(both).toContain('nobody ALL=(root) NOPASSWD: /usr/bin/systemctl restart -- postgresql');
    expect(both).toContain('nobody ALL=(root) NOPASSWD: /bin/sh -c echo\\ db');
    expect(() => sudoers({ user: '%sudo' })).toThrow(/plain user name/);
    expect(() => sudoers({ user: 'a,b' })).toThrow(/plain user name/);
    const paths = sudoers({ paths: { docker: '/usr/local/bin/docker' } });
    expect(paths).toContain('nobody ALL=(root) NOPASSWD: /usr/local/bin/docker restart -- redis');
    const none = generateSudoers({
      config: config({ servers: [{ name: 'x', transport: 'local', sudo: 'actions' }] }),
      servers: [server(config({ servers: [{ name: 'x', transport: 'local' }] }), 'x')],
      user: 'ops',
      source: { path: 'c.yml' },
      now: NOW,
    });
    // no services, no clearable: only the housekeeping commands
    expect(none.split('\n').filter((l) => l.startsWith('ops '))).toEqual([
      'ops ALL=(root) NOPASSWD: /usr/bin/journalctl --vacuum-size\\=500M',
      ...LOCK_RULES.map((l) => `ops ${l}`),
      'ops ALL=(root) NOPASSWD: /usr/sbin/logrotate -f /etc/logrotate.conf',
    ]);
  });

  it.skipIf(!hasVisudo)('passes the real visudo -cf (and visudo rejects an unescaped file)', () => {
    for (const t of [text, sudoers({ servers: cfg.servers })]) {
      const r = visudo(t);
      expect(r.output).toMatch(/parsed OK/);
      expect(r.ok).toBe(true);
    }
    // the same colon unescaped is a syntax error: the escaping is what makes the file valid
    expect(visudo('nobody ALL=(root) NOPASSWD: /usr/bin/systemctl restart -- app@blue:1\n').ok).toBe(false);
  });
});

/**
 * Runs each rendered command with `sudo` replaced by `sudo -l -U nobody` (list, never execute),
 * against the generated sudoers bind-mounted over /etc/sudoers. Program paths point at stub
 * executables so every program exists here; secure_path finds them as a server's sudo would.
 */
describe.skipIf(!canMatch)('the real sudo matches the rendered commands against the generated file', () => {
  const bin = join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  const programs = [
    'systemctl',
    'service',
    'supervisorctl',
    'docker',
    'find',
    'journalctl',
    'rm',
    'logrotate',
  ];
  for (const p of programs) {
    writeFileSync(join(bin, p), '#!/bin/sh\nexit 0\n');
    chmodSync(join(bin, p), 0o755);
  }
  const paths = Object.fromEntries(programs.map((p) => [p, join(bin, p)]));
  const file = join(dir, 'sudoers-under-test');
  writeFileSync(file, `Defaults secure_path="${bin}:/usr/sbin:/usr/bin:/sbin:/bin"\n${sudoers({ paths })}`, {
    mode: 0o440,
  });

  /** true when sudo would run the command the shell line starts (as `sudo -n …`) for nobody */
  function allowed(commandLine: string): boolean {
    const script = [
      'mount --bind "$0" /etc/sudoers || exit 99',
      // the helper at its real path, in this private mount namespace only
      'mount -t tmpfs tmpfs /usr/local/sbin || exit 99',
      `cp "${join(bin, 'systemctl')}" /usr/local/sbin/claudeops-helper || exit 99`,
      'sudo() { [ "$1" = -n ] && shift; command sudo -l -U nobody "$@" >/dev/null 2>&1; }',
      commandLine,
    ].join('\n');
    const r = spawnSync('unshare', ['-m', 'sh', '-c', script, file], { encoding: 'utf8' });
    if (r.status === 99) throw new Error(`bind mount failed: ${r.stderr}`);
    return r.status === 0;
  }

  const { actions } = buildCatalog(web1, cfg);
  function rendered(id: string, params: Record<string, string> = {}): string {
    const action = actions.get(id);
    if (!action) throw new Error(`no ${id}`);
    const out = renderAction(action, params);
    if (!out.ok) throw new Error(out.error);
    return out.value.command;
  }

  it('allows every rendered root command, escaped names and shell text included', () => {
    const commands = [
      rendered('restart-service', { service: 'nginx' }),
      rendered('restart-service', { service: 'app@blue:1' }),
      rendered('start-service', { service: 'cron' }),
      rendered('restart-service', { service: 'worker' }),
      rendered('restart-service', { service: 'redis' }),
      rendered('clear-directory', { directory: '/var/cache/app' }),
      rendered('clear-directory', { directory: '/srv/a,b=c#d' }),
      rendered('remove-stale-lock', { path: '/run/app/app.pid' }),
      rendered('remove-stale-lock', { path: '/var/lock/x.lck' }),
      rendered('vacuum-journal'),
      rendered('rotate-logs'),
      rendered('clear-app-cache'),
      rendered('tricky'),
    ];
    expect(commands[0]).toBe("sudo -n systemctl restart -- 'nginx'");
    expect(commands[11]).toBe("sudo -n /bin/sh -c 'rm -rf /var/cache/app/*'");
    // the root command is the last line (the helper's version check before it runs as the SSH user)
    for (const c of commands) expect(allowed(c.split('\n').at(-1) ?? ''), c).toBe(true);
  });

  it('refuses everything else: other values, extra arguments, other text, a shell', () => {
    for (const c of [
      "sudo -n systemctl restart -- 'sshd'",
      // the name without the `--` the catalog puts before it: not the allowed command line
      "sudo -n systemctl restart 'nginx'",
      "sudo -n docker restart 'redis'",
      "sudo -n systemctl stop 'nginx'",
      "sudo -n systemctl restart -- 'nginx' 'sshd'",
      "sudo -n systemctl restart -- 'app@blue:2'",
      "sudo -n find '/var/cache/app' -xdev -mindepth 1 -delete -o -name x",
      "sudo -n find '/' -xdev -mindepth 1 -delete",
      "sudo -n journalctl --vacuum-size='1M'",
      "sudo -n /bin/sh -c 'rm -rf /var/cache/app/../../etc'",
      "sudo -n /bin/sh -c 'rm -rf /var/cache/app/*; id'",
      'sudo -n /bin/sh -s',
      'sudo -n sh',
      "sudo -n rm -f -- '/run/app.pid'",
      "sudo -n /usr/local/sbin/claudeops-helper clear-directory '/etc'",
      "sudo -n /usr/local/sbin/claudeops-helper clear-directory '/var/cache/app' '/etc'",
      "sudo -n /usr/local/sbin/claudeops-helper remove-stale-lock '/etc/app.pid'",
      'sudo -n /usr/local/sbin/claudeops-helper free-port 22 sshd sshd systemctl start -- sshd',
      "sudo -n /bin/sh -c 'echo one\necho two'",
      // the tricky text with one space less, and with the backslash dropped
      `sudo -n /bin/sh -c ${shellQuote(String.raw`printf '%s\n' "a,b" x=1 \# [z]? 'two spaces'`)}`,
      `sudo -n /bin/sh -c ${shellQuote(`printf '%s\n' "a,b" x=1 # [z]? 'two  spaces'`)}`,
    ]) {
      expect(allowed(c), c).toBe(false);
    }
  });
});
