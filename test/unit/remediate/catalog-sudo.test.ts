/**
 * The catalog under a server's `sudo: actions`: each root command rendered as `sudo -n <argv>`
 * (never `sudo sh -s`), pm2 and `sudo: false` remediations as the SSH user, and the CLI commands
 * that print the server-side files.
 */
import { describe, expect, it } from 'vitest';
import { runSetupCommand, type SetupIo } from '../../../src/cli/server-setup.js';
import { parseSetupArgs, UsageError } from '../../../src/config/cli-args.js';
import { configSchema } from '../../../src/config/schema.js';
import { buildCatalog, renderAction } from '../../../src/remediate/catalog.js';
import { HELPER_PATH, helperDigest } from '../../../src/remediate/server-helper.js';
import { config, NOW, server } from '../../support/agent-fixtures.js';

const cfg = config({
  servers: [
    {
      name: 'web1',
      transport: 'local',
      sudo: 'actions',
      services: [
        { name: 'nginx', manager: 'systemd' },
        { name: 'cron', manager: 'sysv' },
        { name: 'worker', manager: 'supervisor' },
        { name: 'api', manager: 'pm2' },
        { name: 'redis', manager: 'docker' },
      ],
      clearable: ['/var/cache/app'],
    },
  ],
  remediations: {
    'clear-app-cache': { command: "rm -rf /var/cache/app/* && echo 'done'" },
    'reload-pm2': { command: 'pm2 reload all', sudo: false },
  },
});
const { actions } = buildCatalog(server(cfg), cfg);

function render(id: string, params: Record<string, string> = {}): string {
  const action = actions.get(id);
  if (!action) throw new Error(`no ${id}`);
  const out = renderAction(action, params);
  if (!out.ok) throw new Error(out.error);
  return out.value.command;
}

describe('catalog with sudo: actions', () => {
  it('puts sudo -n before exactly the root command, parameters still quoted', () => {
    expect(render('restart-service', { service: 'nginx' })).toBe("sudo -n systemctl restart -- 'nginx'");
    expect(render('start-service', { service: 'cron' })).toBe("sudo -n service 'cron' start");
    expect(render('restart-service', { service: 'worker' })).toBe("sudo -n supervisorctl restart 'worker'");
    expect(render('restart-service', { service: 'redis' })).toBe("sudo -n docker restart -- 'redis'");
    expect(render('restart-service', { service: 'api' })).toBe("pm2 restart 'api'");
    expect(render('clear-directory', { directory: '/var/cache/app' }).split('\n').at(-1)).toBe(
      `sudo -n ${HELPER_PATH} clear-directory '/var/cache/app'`,
    );
    expect(render('vacuum-journal')).toBe("sudo -n journalctl --vacuum-size='500M'");
    expect(render('rotate-logs')).toBe('sudo -n logrotate -f /etc/logrotate.conf');
    expect(render('clear-app-cache')).toBe(
      `sudo -n /bin/sh -c 'rm -rf /var/cache/app/* && echo '\\''done'\\'''`,
    );
    expect(render('reload-pm2')).toBe('pm2 reload all');
  });

  it('removes a stale lock only through the installed helper, after checking it is this version', () => {
    const script = render('remove-stale-lock', { path: '/run/app/app.pid' });
    const lines = script.split('\n');
    expect(lines[0]).toBe(`h=${HELPER_PATH}`);
    // root-owned, writable by nobody else, exactly this version's text: else exit 4 with what to do
    expect(script).toContain(`!= ${helperDigest()} ]; then`);
    expect(script).toContain("install the output of 'claudeops helper' there");
    expect(lines.at(-1)).toBe(`sudo -n ${HELPER_PATH} remove-stale-lock '/run/app/app.pid'`);
    expect(script.match(/sudo -n/g)).toHaveLength(1);
  });

  it('never runs a shell through sudo for built-ins, and keeps literal words shell-plain', () => {
    for (const action of actions.values()) {
      if (action.source !== 'builtin' || !action.rootCommand) continue;
      const params = Object.fromEntries(
        Object.entries(action.params).map(([k, spec]) => [
          k,
          spec.kind === 'enum' ? (spec.values[0] ?? '') : (spec.default ?? '/run/x.pid'),
        ]),
      );
      const words = action.rootCommand(params);
      if (!words) continue;
      expect(words[0], action.id).not.toEqual(['/bin/sh']);
      for (const word of words) {
        for (const fragment of word) {
          if (typeof fragment === 'string') expect(fragment, action.id).toMatch(/^[A-Za-z0-9_./=-]+$/);
        }
      }
    }
  });

  it('leaves sudo: true and false rendering as it was, and validates the setting', () => {
    const plain = config();
    const { actions: p } = buildCatalog(server(plain), plain);
    const restart = p.get('restart-service');
    if (!restart) throw new Error('missing');
    const out = renderAction(restart, { service: 'nginx' });
    expect(out.ok && out.value.command).toBe("systemctl restart -- 'nginx'");
    const bad = configSchema.safeParse({ version: 1, servers: [{ name: 'x', sudo: 'yes' }] });
    expect(bad.success).toBe(false);
    expect(JSON.stringify(bad.error?.issues)).toContain('expected true, false or actions');
  });
});

describe('claudeops sudoers | authorized-keys | forced-command', () => {
  const files: Record<string, string> = {
    'c.yml': [
      'version: 1',
      'defaults: { user: ops }',
      'servers:',
      '  - { name: web1, host: 10.0.0.4, sudo: actions, services: [{ name: nginx }] }',
      '  - { name: db1, host: 10.0.0.5, user: dba, sudo: true }',
    ].join('\n'),
    'key.pub': 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIM0bwjVoQRtXUnEFOG2sA4K8rA8VnBFMtQ5PpJzbvdiC ops@ci\n',
    'bad.yml': 'version: 1\nservers: []\n',
  };
  function cli(argv: string[]): { code: number; out: string; err: string } {
    let out = '';
    const errors: string[] = [];
    const io: SetupIo = {
      readFile: (path) => {
        const text = files[path];
        if (text === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
        return text;
      },
      write: (text) => {
        out += text;
      },
      now: () => NOW,
    };
    const code = runSetupCommand(argv, {}, { error: (m) => errors.push(m) }, io);
    return { code, out, err: errors.join('\n') };
  }

  it('prints a sudoers file for one server, its user from the config', () => {
    const r = cli(['sudoers', '--config', 'c.yml', '--server', 'web1']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('ops ALL=(root) NOPASSWD: /usr/bin/systemctl restart -- nginx\n');
    expect(r.out).toMatch(
      /# From config c\.yml \(sha256 [0-9a-f]{16}…\), server web1, at 2026-11-21T08:00:00.000Z\./,
    );
    expect(cli(['sudoers', '--config', 'c.yml', '--server', 'web1', '--user', 'deploy']).out).toContain(
      'deploy ALL=(root) NOPASSWD: /usr/bin/systemctl start -- nginx\n',
    );
  });

  it('prints the authorized_keys line and the wrapper', () => {
    const web = cli(['authorized-keys', '--config', 'c.yml', '--server', 'web1', '--public-key', 'key.pub']);
    expect(web.code).toBe(0);
    expect(web.out).toMatch(
      /\nrestrict,command="\/usr\/local\/sbin\/claudeops-forced-command" ssh-ed25519 AAAA\S+ ops@ci\n$/,
    );
    const db = cli(['authorized-keys', '--config', 'c.yml', '--server', 'db1', '--public-key', 'key.pub']);
    expect(db.out).toContain('command="/usr/local/sbin/claudeops-forced-command --sudo"');
    const wrapper = cli(['forced-command']);
    expect(wrapper.code).toBe(0);
    expect(wrapper.out).toMatch(/^#!\/bin\/sh\n# claudeops-forced-command/);
  });

  it('explains usage and config problems with exit codes 2 and 1', () => {
    const several = cli(['sudoers', '--config', 'c.yml']);
    expect(several.code).toBe(2);
    expect(several.err).toContain('the servers use different SSH users (ops, dba)');
    expect(cli(['sudoers', '--config', 'c.yml', '--server', 'nope']).err).toContain('no server "nope"');
    expect(cli(['authorized-keys', '--config', 'c.yml']).err).toContain('--public-key FILE.pub is required');
    expect(cli(['authorized-keys', '--config', 'c.yml', '--public-key', 'c.yml']).code).toBe(2);
    expect(cli(['sudoers', '--config', 'bad.yml']).code).toBe(1);
    expect(cli(['sudoers', '--config', 'missing.yml']).err).toContain('no such file');
    expect(cli(['sudoers', '--bogus']).code).toBe(2);
    expect(() => parseSetupArgs(['sudoers', '--path', 'docker'])).toThrow(UsageError);
    expect(parseSetupArgs(['sudoers', '--path', 'docker=/usr/local/bin/docker']).paths).toEqual({
      docker: '/usr/local/bin/docker',
    });
  });
});
