/**
 * free-port in the catalog, the scope rules and sudoers (its behaviour on real processes is
 * test/e2e/lab/free-port.test.ts, on the lab's systemd server).
 */
import { describe, expect, it } from 'vitest';
import { buildCatalog, renderAction } from '../../../src/remediate/catalog.js';
import { freePortScript } from '../../../src/remediate/free-port.js';
import { checkScope } from '../../../src/remediate/scope.js';
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

  it("is one fixed script per service: the service's port, its start command, every configured name", () => {
    const c = cfg();
    const web1 = server(c, 'web1');
    const nginx = web1.services[0];
    if (!nginx) throw new Error('no nginx');
    const script = freePortScript(web1, nginx);
    expect(script).toMatch(/^port=80; svc='nginx'; configured='nginx php-fpm api cron'$/m);
    expect(script).toContain("'systemctl' 'start' '--' 'nginx' || exit $?");
    // never PID 1, sshd, a configured unit, a configured name among the holder and its parents
    expect(script).toContain('[ "$pid" = 1 ] && refuse');
    expect(script).toContain('sshd|systemd|init|dockerd|containerd) refuse');
    expect(script).toContain('[ "$unit" = "$s.service" ] && refuse');
    expect(script).toContain('[ "$c" = "$s" ] && refuse');
    // nothing is stopped before every holder was checked
    expect(script.indexOf('kill -TERM')).toBeGreaterThan(script.lastIndexOf('refuse "PID'));
    const rendered = renderAction(action(), { service: 'nginx' });
    expect(rendered.ok && rendered.value.command).toBe(script);
  });

  it('under sudo: actions runs as one sudo -n /bin/sh -c that the generated sudoers allows exactly', () => {
    const rendered = renderAction(action('actions'), { service: 'php-fpm' });
    if (!rendered.ok) throw new Error(rendered.error);
    expect(rendered.value.command.startsWith("sudo -n /bin/sh -c 'port=9000; svc='\\''php-fpm'\\''")).toBe(
      true,
    );
    const c = cfg('actions');
    const sudoers = generateSudoers({
      config: c,
      servers: [server(c, 'web1')],
      user: 'deploy',
      source: { path: 'claudeops.yml' },
      now: new Date('2026-11-26T00:00:00Z'),
    });
    const lines = sudoers.split('\n').filter((l) => l.includes('/bin/sh -c port='));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain('port=80');
    expect(lines[1]).toContain('port=9000');
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
