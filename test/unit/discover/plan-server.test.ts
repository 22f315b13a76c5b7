/**
 * What init writes for a server, from what discovery really saw there (test/fixtures/discovery/):
 * the lab's systemd machine `sys` and light server `s1`, asked as `labops` (passwordless sudo).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/parse-config.js';
import { parseDiscovery } from '../../../src/discover/parse-discovery.js';
import { planServer } from '../../../src/discover/plan-server.js';
import { renderConfig } from '../../../src/discover/render-config.js';
import { endpointCandidates, webSites } from '../../../src/discover/web-sites.js';
import type { Section } from '../../../src/probes/collector-script.js';

const DIR = 'test/fixtures/discovery';

function discovered(server: string) {
  const sections = new Map<string, Section>(
    readdirSync(join(DIR, server)).map((f) => {
      const id = f.replace(/\.txt$/, '');
      return [id, { id, output: readFileSync(join(DIR, server, f), 'utf8'), complete: true }];
    }),
  );
  return parseDiscovery(sections);
}

describe('sys: the lab systemd machine', () => {
  const d = discovered('sys');
  const candidates = endpointCandidates(webSites(d.web));
  // as the lab's nginx answered init: :80 200, :443 a self-signed certificate curl does not trust
  const trials = candidates.map((candidate) =>
    candidate.tls ? { candidate, error: 'TLS certificate not trusted' } : { candidate, status: 200 },
  );
  const draft = planServer({
    name: 'sys',
    host: '10.77.0.10',
    port: 22,
    user: 'labops',
    discovery: d,
    trials,
  });

  it('parses what systemd, supervisor, ss and ps said', () => {
    expect(d.host).toMatchObject({ uid: 4077, sudo: true, user: 'labops', hostname: 'sys' });
    expect(d.systemd?.running).toEqual(
      expect.arrayContaining([
        'nginx',
        'postgresql@15-main',
        'redis-server',
        'mariadb',
        'supervisor',
        'lab-heartbeat',
      ]),
    );
    expect(d.systemd?.files.get('postgresql@')).toBeDefined();
    expect(d.supervisor?.programs).toEqual([{ name: 'lab-app', state: 'RUNNING' }]);
    expect(d.listening?.find((l) => l.port === 80)).toMatchObject({ names: ['nginx'], pids: [66, 63, 61] });
    expect(d.processes.find((p) => p.comm === 'nginx')?.unit).toBe('nginx.service');
  });

  it('its services (the OS plumbing left out), each one’s own port, the rest of what listens', () => {
    expect(draft.services).toEqual([
      { name: 'lab-heartbeat', manager: 'systemd' },
      { name: 'mariadb', manager: 'systemd', port: 3306 },
      { name: 'nginx', manager: 'systemd', port: 80 },
      { name: 'postgresql@15-main', manager: 'systemd', port: 5432 },
      { name: 'redis-server', manager: 'systemd', port: 6379 },
      { name: 'supervisor', manager: 'systemd' },
      { name: 'lab-app', manager: 'supervisor' },
    ]);
    expect(draft.ports).toEqual([
      { port: 443, owner: 'nginx' },
      { port: 2222, owner: 'sshd' },
      { port: 8080, owner: 'python3' },
    ]);
    expect(draft.databases).toEqual(['postgres', 'mysql', 'redis']);
    expect(draft.sudo).toBe(true);
    expect(draft.endpoints).toEqual([
      { url: 'http://127.0.0.1/', status: 200, source: 'nginx /etc/nginx/sites-enabled/default' },
    ]);
    expect(draft.comments).toContain(
      'endpoint https://127.0.0.1/ (nginx /etc/nginx/sites-enabled/default) left out: TLS certificate not trusted when init asked',
    );
  });

  it('renders a config that loads with exactly that', () => {
    const yaml = renderConfig([draft], {
      now: new Date('2026-12-06T12:00:00Z'),
      schedule: '7 * * * *',
      defaults: { user: 'labops', port: 22 },
    });
    const [server] = parseConfig(yaml, 'init.yml').servers;
    expect(server?.services.map((s) => s.name)).toEqual(draft.services.map((s) => s.name));
    expect(server?.ports).toEqual([443, 2222, 8080]);
    expect(server?.security_updates).toBe(true);
  });
});

describe('s1: a light server with a SysV service and pm2 (its daemon not up yet when captured)', () => {
  const d = discovered('s1');
  const draft = planServer({
    name: 's1',
    host: '10.77.1.1',
    port: 22,
    user: 'labops',
    discovery: d,
    trials: [],
  });

  it('no systemd: running init scripts are its services (ssh left out); nothing pm2 could say', () => {
    expect(d.systemd).toBeUndefined();
    expect(d.sysv).toEqual(['lab-sysv', 'ssh']);
    expect(d.pm2).toBeUndefined();
    expect(draft.services).toEqual([{ name: 'lab-sysv', manager: 'sysv' }]);
    expect(draft.sudo).toBe(true);
  });

  it('with pm2 apps online the scripts stay the SSH user’s (sudo: actions): pm2 keeps a daemon per user', () => {
    const withApps = { ...d, pm2: { apps: [{ name: 'lab-worker', status: 'online' }] } };
    const plan = planServer({
      name: 's1',
      host: '10.77.1.1',
      port: 22,
      user: 'labops',
      discovery: withApps,
      trials: [],
    });
    expect(plan.sudo).toBe('actions');
    expect(plan.services).toContainEqual({ name: 'lab-worker', manager: 'pm2' });
  });
});
