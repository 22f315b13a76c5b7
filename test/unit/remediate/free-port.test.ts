/**
 * free-port in the catalog, the scope rules and sudoers (its behaviour on real processes:
 * test/integration/executor-races.test.ts in private namespaces, test/e2e/lab/free-port.test.ts on
 * the lab's systemd server).
 */
import { describe, expect, it } from 'vitest';
import { buildCatalog, renderAction } from '../../../src/remediate/catalog.js';
import { wordsToArgv } from '../../../src/remediate/command-template.js';
import { freePortWords } from '../../../src/remediate/free-port.js';
import { checkScope } from '../../../src/remediate/scope.js';
import { HELPER_PATH, helperScript } from '../../../src/remediate/server-helper.js';
import { generateSudoers } from '../../../src/remediate/sudoers.js';
import { config, server } from '../../support/agent-fixtures.js';

const cfg = (sudo: boolean | 'actions' = false) =>
  config({
    servers: [
      {
        name: 'web1',
        transport: 'local',
        sudo,
        services: [
          { name: 'nginx', manager: 'systemd', port: 80, depends_on: ['php-fpm'] },
          { name: 'php-fpm', manager: 'systemd', port: 9000 },
          { name: 'api', manager: 'pm2', port: 3000 },
          { name: 'cron', manager: 'sysv' },
        ],
      },
    ],
  });

const action = (sudo: boolean | 'actions' = false) => {
  const c = cfg(sudo);
  const found = buildCatalog(server(c, 'web1'), c).actions.get('free-port');
  if (!found) throw new Error('no free-port');
  return found;
};

describe('free-port', () => {
  it('is offered for services with a port under a root manager, at risk medium', () => {
    const a = action();
    expect(a.risk).toBe('medium');
    expect(a.params.service).toMatchObject({ kind: 'enum', values: ['nginx', 'php-fpm'] });
    expect(a.verify).toEqual(['service', 'port']);
    expect(renderAction(a, { service: 'api' }).ok).toBe(false);
    expect(renderAction(a, { service: 'nginx; reboot' }).ok).toBe(false);
    const none = config({ servers: [{ name: 'x', transport: 'local', services: [{ name: 'cron' }] }] });
    expect(buildCatalog(server(none, 'x'), none).actions.has('free-port')).toBe(false);
  });

  it("is one fixed helper call per service: the service's port, every configured name, its start command", () => {
    const c = cfg();
    const web1 = server(c, 'web1');
    const nginx = web1.services[0];
    if (!nginx) throw new Error('no nginx');
    const argv = wordsToArgv(freePortWords(web1, nginx), { service: 'nginx' });
    expect(argv).toEqual([
      HELPER_PATH,
      'free-port',
      '80',
      'nginx',
      'nginx,php-fpm,api,cron',
      'systemctl',
      'start',
      '--',
      'nginx',
    ]);
    // without sudo: actions the helper's own text runs inline, with the same arguments
    const rendered = renderAction(action(), { service: 'nginx' });
    expect(rendered.ok && rendered.value.command).toBe(
      `set -- free-port 80 'nginx' 'nginx,php-fpm,api,cron' systemctl start -- 'nginx'\n${helperScript()}`,
    );
  });

  it('under sudo: actions runs the installed helper through sudo -n, exactly as the generated sudoers allows', () => {
    const rendered = renderAction(action('actions'), { service: 'php-fpm' });
    if (!rendered.ok) throw new Error(rendered.error);
    expect(rendered.value.command).toContain(
      `\nsudo -n ${HELPER_PATH} free-port 9000 'php-fpm' 'nginx,php-fpm,api,cron' systemctl start -- 'php-fpm'`,
    );
    expect(rendered.value.command).toContain('sha256sum');
    const c = cfg('actions');
    const sudoers = generateSudoers({
      config: c,
      servers: [server(c, 'web1')],
      user: 'deploy',
      source: { path: 'claudeops.yml' },
      now: new Date('2026-11-26T00:00:00Z'),
    });
    const lines = sudoers.split('\n').filter((l) => l.includes(' free-port '));
    expect(lines).toEqual([
      `deploy ALL=(root) NOPASSWD: ${HELPER_PATH} free-port 80 nginx nginx\\,php-fpm\\,api\\,cron systemctl start -- nginx`,
      `deploy ALL=(root) NOPASSWD: ${HELPER_PATH} free-port 9000 php-fpm nginx\\,php-fpm\\,api\\,cron systemctl start -- php-fpm`,
    ]);
  });

  it("fits only the finding of the very service it frees, not a dependency's", () => {
    const c = cfg();
    const web1 = server(c, 'web1');
    const facts = { services: web1.services, mounts: ['/'] };
    const verdict = (service: string, check: string, target: string) => {
      const rendered = renderAction(action(), { service });
      if (!rendered.ok) throw new Error(rendered.error);
      const f = { fingerprint: `web1/${check}/${target}`, server: 'web1', check, target };
      return checkScope(rendered.value, f, f.fingerprint, facts);
    };
    expect(verdict('nginx', 'service', 'nginx')).toBeUndefined();
    expect(verdict('nginx', 'port', '80')).toBeUndefined();
    expect(verdict('php-fpm', 'service', 'nginx')).toMatch(/php-fpm is not nginx/);
    expect(verdict('nginx', 'disk', '/')).toMatch(/does not address disk findings/);
  });
});
