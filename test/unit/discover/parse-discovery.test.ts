/**
 * init's discovery parsers on what real systems printed (test/fixtures/discovery/, README there):
 * this Debian 12 host as root (no systemd as PID 1, docker and supervisor installed but not
 * running, nginx's default configuration), Apache's Debian default sites, and the lab's servers.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDiscovery } from '../../../src/discover/parse-discovery.js';
import { endpointCandidates, webSites } from '../../../src/discover/web-sites.js';
import type { Section } from '../../../src/probes/collector-script.js';

const DIR = 'test/fixtures/discovery';

/** A captured server: every section file of its directory, as splitSections gives them. */
function sections(server: string): Map<string, Section> {
  return new Map(
    readdirSync(join(DIR, server))
      .filter((f) => f.endsWith('.txt'))
      .map((f) => {
        const id = f.replace(/\.txt$/, '');
        return [id, { id, output: readFileSync(join(DIR, server, f), 'utf8'), complete: true }];
      }),
  );
}

describe('discovery on this host (Debian 12, root, no systemd as PID 1)', () => {
  const d = parseDiscovery(sections('host'));

  it('host facts: root, no sudo needed, the OS', () => {
    expect(d.host).toMatchObject({ uid: 0, sudo: false, user: 'root', os: 'Debian GNU/Linux 12 (bookworm)' });
    expect(d.host.hostname).toMatch(/^\S+$/);
  });

  it('no systemd; SysV scripts that say stopped or nothing are not services', () => {
    expect(d.systemd).toBeUndefined();
    expect(d.sysv).toEqual([]);
  });

  it('docker and supervisor installed but not running: said, not mistaken for empty', () => {
    expect(d.docker).toEqual({
      containers: [],
      error: expect.stringContaining('Cannot connect to the Docker daemon'),
    });
    expect(d.supervisor).toEqual({
      programs: [],
      error: expect.stringContaining('supervisor.sock no such file'),
    });
    expect(d.pm2).toBeUndefined();
  });

  it('listening sockets with their owners where ss shows them', () => {
    expect(d.listening?.length).toBeGreaterThan(0);
    for (const l of d.listening ?? []) {
      expect(l.port).toBeGreaterThan(0);
      expect(l.address).toMatch(/^[\d.:*[\]a-f]+$/);
    }
    expect(d.listening?.some((l) => l.pids.length > 0 && l.names.length > 0)).toBe(true);
  });

  it('tools on the PATH', () => {
    expect([...d.tools]).toEqual(expect.arrayContaining(['curl', 'psql', 'ss', 'apt-get']));
    expect(d.tools.has('pm2')).toBe(false);
  });

  it("nginx's Debian default: one site on port 80 (IPv4 and IPv6), asked as http://127.0.0.1/", () => {
    const sites = webSites(d.web);
    expect(sites).toEqual([
      {
        kind: 'nginx',
        file: '/etc/nginx/sites-enabled/default',
        names: ['_'],
        listens: [
          { address: '', port: 80, tls: false },
          { address: '[::]', port: 80, tls: false },
        ],
      },
    ]);
    expect(endpointCandidates(sites).map((c) => c.url)).toEqual(['http://127.0.0.1/']);
  });
});

describe("Apache's Debian default sites (000-default.conf, default-ssl.conf)", () => {
  const d = parseDiscovery(sections('apache'));

  it('a plain site on 80 and a TLS one on 443 (SSLEngine on); the commented ServerName is no name', () => {
    const sites = webSites(d.web);
    expect(sites.map((s) => ({ file: s.file, names: s.names, listens: s.listens }))).toEqual([
      {
        file: '/etc/apache2/sites-enabled/000-default.conf',
        names: [],
        listens: [{ address: '*', port: 80, tls: false }],
      },
      {
        file: '/etc/apache2/sites-enabled/default-ssl.conf',
        names: [],
        listens: [{ address: '*', port: 443, tls: true }],
      },
    ]);
    expect(endpointCandidates(sites).map((c) => c.url)).toEqual(['http://127.0.0.1/', 'https://127.0.0.1/']);
  });
});

describe('nginx server blocks the parser must not take for sites', () => {
  const file = (text: string) => [{ kind: 'nginx' as const, path: '/etc/nginx/conf.d/x.conf', text }];

  it('stream and mail proxies, upstream servers and unix sockets are not HTTP sites; names win over addresses', () => {
    const sites = webSites(
      file(`
        upstream app { server 127.0.0.1:8080; }
        stream { server { listen 5433; proxy_pass db; } }
        server {
          listen 443 ssl http2; listen unix:/run/app.sock;
          server_name shop.example.com www.shop.example.com;   # the shop
          location / { proxy_pass http://app; }
        }
        server { listen 127.0.0.1:8081; server_name "~^(?<x>.+)$" *.internal; }
        server { server_name default.example.org; }
      `),
    );
    expect(sites.map((s) => [s.names, s.listens])).toEqual([
      [['shop.example.com', 'www.shop.example.com'], [{ address: '', port: 443, tls: true }]],
      [['~^(?<x>.+)$', '*.internal'], [{ address: '127.0.0.1', port: 8081, tls: false }]],
      [['default.example.org'], [{ address: '', port: 80, tls: false }]],
    ]);
    expect(endpointCandidates(sites).map((c) => c.url)).toEqual([
      'https://shop.example.com/',
      'http://127.0.0.1:8081/',
      'http://default.example.org/',
    ]);
  });
});
