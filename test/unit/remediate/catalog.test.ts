import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildCatalog, LOCK_FILE_PATTERN, renderAction } from '../../../src/remediate/catalog.js';
import { checkClearable, safeClearable } from '../../../src/remediate/clearable.js';
import { renderFragments } from '../../../src/remediate/command-template.js';
import { helperScript } from '../../../src/remediate/server-helper.js';
import { config, server } from '../../support/agent-fixtures.js';

const cfg = config({
  remediations: {
    'clear-app-cache': {
      command: 'rm -rf /var/cache/app/*',
      risk: 'low',
      verify: ['disk'],
      cooldown: '1h',
      max_per_day: 4,
    },
    'only-db': { command: 'echo db', servers: ['db1'] },
    'restart-service': { command: 'reboot' },
  },
});
const web1 = server(cfg);
const { actions, warnings } = buildCatalog(web1, cfg);

function render(id: string, params: unknown): string {
  const action = actions.get(id);
  if (!action) throw new Error(`no ${id}`);
  const out = renderAction(action, params);
  if (!out.ok) throw new Error(out.error);
  return out.value.command;
}

function error(id: string, params: unknown): string {
  const action = actions.get(id);
  if (!action) throw new Error(`no ${id}`);
  const out = renderAction(action, params);
  if (out.ok) throw new Error(`expected a refusal, rendered ${out.value.command}`);
  return out.error;
}

describe('catalog', () => {
  it('renders restart and start per service manager, names shell-quoted', () => {
    expect(render('restart-service', { service: 'nginx' })).toBe("systemctl restart -- 'nginx'");
    expect(render('restart-service', { service: 'cron' })).toBe("service 'cron' restart");
    expect(render('restart-service', { service: 'worker' })).toBe("supervisorctl restart 'worker'");
    expect(render('restart-service', { service: 'api' })).toBe("pm2 restart 'api'");
    expect(render('restart-service', { service: 'redis' })).toBe("docker restart -- 'redis'");
    expect(render('start-service', { service: 'nginx' })).toBe("systemctl start -- 'nginx'");
    expect(render('start-service', { service: 'cron' })).toBe("service 'cron' start");
  });

  it('accepts only services configured on this server', () => {
    expect(error('restart-service', { service: 'sshd' })).toMatch(
      /expected one of nginx, cron, worker, api, redis/,
    );
    expect(error('restart-service', { service: 'nginx; rm -rf /' })).toMatch(/expected one of/);
    expect(error('restart-service', {})).toMatch(/service: expected a string/);
    expect(error('restart-service', { service: 'nginx', extra: 'x' })).toMatch(
      /unknown parameter\(s\) extra/,
    );
    expect(error('restart-service', 'nginx')).toMatch(/params: expected an object/);
  });

  it('clears only configured, non-system directories, without crossing mounts', () => {
    // the helper resolves and checks the directory as root where it deletes (server-helper.test.ts)
    expect(render('clear-directory', { directory: '/var/cache/app' })).toBe(
      `set -- clear-directory '/var/cache/app'\n${helperScript()}`,
    );
    expect(error('clear-directory', { directory: '/etc' })).toMatch(/expected one of/);
    const risky = server(
      config({
        servers: [
          {
            name: 'x',
            transport: 'local',
            clearable: ['/', '/etc/', '/var/log', '/srv/../etc', '/var/tmp/cache'],
          },
        ],
      }),
      'x',
    );
    expect(safeClearable(risky)).toEqual(['/var/tmp/cache']);
    // spellings of protected directories are the directories they spell; `..` is refused outright
    const tricks = config({
      servers: [
        {
          name: 't',
          transport: 'local',
          clearable: [
            '//etc',
            '/etc/.',
            '/usr/./lib',
            '/var//log/',
            '///',
            '/usr/lib',
            '/boot/grub',
            '/home/',
            '/srv/x/../../etc',
            '/var/cache/./app/',
            '/var/cache/app//',
          ],
        },
      ],
    });
    const t = server(tricks, 't');
    expect(checkClearable(t)).toEqual({
      dirs: ['/var/cache/app'],
      refused: [
        'clearable "//etc" left out: /etc is inside /etc',
        'clearable "/etc/." left out: /etc is inside /etc',
        'clearable "/usr/./lib" left out: /usr/lib is inside /usr',
        'clearable "/var//log/" left out: /var/log is a system directory',
        'clearable "///" left out: / is a system directory',
        'clearable "/usr/lib" left out: /usr/lib is inside /usr',
        'clearable "/boot/grub" left out: /boot/grub is inside /boot',
        'clearable "/home/" left out: /home is a system directory',
        'clearable "/srv/x/../../etc" left out: "/srv/x/../../etc" contains a .. segment',
      ],
    });
    expect(buildCatalog(t, cfg).warnings).toContain('clearable "//etc" left out: /etc is inside /etc');
    const none = server(config({ servers: [{ name: 'y', transport: 'local' }] }), 'y');
    expect(buildCatalog(none, cfg).actions.has('clear-directory')).toBe(false);
    expect(buildCatalog(none, cfg).actions.has('restart-service')).toBe(false);
  });

  it('bounds the stale-lock path and the journal size', () => {
    expect(render('remove-stale-lock', { path: '/var/run/app.pid' })).toBe(
      `set -- remove-stale-lock '/var/run/app.pid'\n${helperScript()}`,
    );
    for (const bad of [
      '/etc/passwd',
      '/var/run/../../etc/shadow.pid',
      '/run/x/../y.pid',
      '/var/run/a b.pid',
      "/tmp/x'.lock",
      '/tmp/a/b/c/d.pid',
      'relative.pid',
    ]) {
      expect(LOCK_FILE_PATTERN.test(bad), bad).toBe(false);
      expect(error('remove-stale-lock', { path: bad })).toMatch(/path: expected/);
    }
    expect(render('vacuum-journal', {})).toBe("journalctl --vacuum-size='500M'");
    expect(render('vacuum-journal', { size: '2G' })).toBe("journalctl --vacuum-size='2G'");
    expect(error('vacuum-journal', { size: '1T; reboot' })).toMatch(/size: expected/);
    expect(render('rotate-logs', {})).toBe('logrotate -f /etc/logrotate.conf');
  });

  it('adds config remediations as written, filtered by server, never shadowing a built-in', () => {
    expect(render('clear-app-cache', {})).toBe('rm -rf /var/cache/app/*');
    expect(actions.get('clear-app-cache')).toMatchObject({
      risk: 'low',
      verify: ['disk'],
      cooldownMs: 3_600_000,
      maxPerDay: 4,
      source: 'config',
    });
    expect(error('clear-app-cache', { cmd: 'reboot' })).toMatch(/unknown parameter/);
    expect(actions.has('only-db')).toBe(false);
    expect(render('restart-service', { service: 'nginx' })).toBe("systemctl restart -- 'nginx'");
    expect(warnings).toEqual([
      'remediations.restart-service: the name of a built-in action; rename it (left out)',
    ]);
  });

  it('keys bookkeeping by action and target', () => {
    const action = actions.get('restart-service');
    if (!action) throw new Error('missing');
    const out = renderAction(action, { service: 'nginx' });
    expect(out.ok && out.value.key).toBe('restart-service:nginx');
    const rotate = actions.get('rotate-logs');
    if (!rotate) throw new Error('missing');
    const r = renderAction(rotate, {});
    expect(r.ok && r.value.key).toBe('rotate-logs:-');
  });

  it('quoting survives a real shell: a hostile value reaches the program as one argument', () => {
    const marker = `/tmp/claudeops-pwned-${process.pid}`;
    const hostile = `it's $(touch ${marker}) \`touch ${marker}\` "; touch ${marker}; echo \\n \n next`;
    const command = renderFragments(['printf %s ', { param: 'x' }], { x: hostile });
    expect(execFileSync('sh', ['-c', command]).toString()).toBe(hostile);
    expect(existsSync(marker)).toBe(false);
    expect(() => renderFragments([{ param: 'undeclared' }], {})).toThrow(/undeclared parameter/);
  });
});
