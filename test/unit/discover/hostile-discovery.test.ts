/**
 * Hostile server text through `claudeops init`'s parsers, planner and config renderer
 * (test/fixtures/adversarial/discovery.json): every value goes into every place discovery reads
 * from a server, as the server's `sed 's/^/| /'` would print it. The written config must load,
 * have the structure a benign server gives, carry nothing in its comments, and hold only names
 * the config's own rules accept.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseConfig } from '../../../src/config/parse-config.js';
import { parseDiscovery } from '../../../src/discover/parse-discovery.js';
import { NAME, planServer } from '../../../src/discover/plan-server.js';
import { renderConfig } from '../../../src/discover/render-config.js';
import { endpointCandidates, webSites } from '../../../src/discover/web-sites.js';
import type { Section } from '../../../src/probes/collector-script.js';

const corpus = JSON.parse(readFileSync('test/fixtures/adversarial/discovery.json', 'utf8')) as {
  cases: { name: string; value: string }[];
};

/** Server text as the discovery script prints it: every line behind `| `. */
const q = (text: string) =>
  text
    .split('\n')
    .map((l) => `| ${l}`)
    .join('\n');

const DF = [
  '@space',
  'Filesystem     1024-blocks    Used Available Capacity Mounted on',
  '/dev/vda1         20509264 8391232  11053464      44% /',
  '@inodes',
  'Filesystem      Inodes  IUsed   IFree IUse% Mounted on',
  '/dev/vda1      1310720 181234 1129486   14% /',
].join('\n');

function sections(v: string): Map<string, Section> {
  const texts: Record<string, string> = {
    host: `uid=1000\nsudo=1\ntime=1796577530\n@hostname\n${q(v)}\n@user\n| ops\n@groups\n| ops docker\n@os\n${q(v)}`,
    systemd: `@running\n${q(`${v}.service loaded active running x`)}\n| nginx.service loaded active running nginx\n@files\n${q(`${v}.service enabled enabled`)}\n| nginx.service enabled enabled`,
    sysv: '@none',
    docker: `rc=0\n@ps\n${q([v, 'img', 'running', 'Up 1 hour', v, v, v].join('\t'))}\n${q(['web', 'img', 'running', 'Up', v, 'web', `/srv/${v}/compose.yml`].join('\t'))}`,
    pm2: `@apps\n${q(JSON.stringify({ name: v, status: 'online' }))}`,
    supervisor: `rc=0\n@status\n${q(`${v}   RUNNING   pid 12, uptime 0:01:00`)}`,
    processes: `@ps\n| 10 nginx nginx.service\n${q(`11 ${v} -`)}\n| 12 postgres -`,
    listening: `@ss\n| LISTEN 0 511 0.0.0.0:80 0.0.0.0:* users:(("nginx",pid=10,fd=6))\n${q(`LISTEN 0 5 0.0.0.0:9000 0.0.0.0:* users:(("${v}",pid=11,fd=3))`)}`,
    web: `@file nginx\n${q(`/etc/nginx/sites-enabled/${v}`)}\n${q(`server { listen 80; server_name ${v}; }\nserver { listen 8081; server_name ${v}.example.com; }`)}`,
    logs: `@large\n${q(`409600\t/var/log/${v}`)}\n@errors\n${q(`/var/log/${v}/error.log`)}`,
    disk: DF,
    tools: 'have curl\nhave psql\nhave redis-cli\nhave docker\nhave pm2\nhave supervisorctl',
  };
  return new Map(
    Object.entries(texts).map(([id, output]) => [id, { id, output: `${output}\n`, complete: true }]),
  );
}

function configFor(value: string): string {
  const discovery = parseDiscovery(sections(value));
  const trials = endpointCandidates(webSites(discovery.web)).map((candidate) => ({ candidate, status: 200 }));
  const draft = planServer({
    name: NAME.test(value) ? value : 'server',
    host: '203.0.113.10',
    port: 22,
    user: 'ops',
    hostKey: 'SHA256:uJ5ViQ0wbLLh5VoOdTk8N/cOzkKpqr/0Gu3VDF/ZFv4',
    discovery,
    trials,
  });
  return renderConfig([draft], {
    now: new Date('2026-12-06T12:00:00Z'),
    schedule: '17 * * * *',
    defaults: { user: 'ops', port: 22 },
  });
}

/** Every string anywhere in a parsed document, with the keys that lead to it. */
function strings(value: unknown, path = ''): [string, string][] {
  if (typeof value === 'string') return [[path, value]];
  if (Array.isArray(value)) return value.flatMap((v, i) => strings(v, `${path}[${i}]`));
  if (value && typeof value === 'object')
    return Object.entries(value).flatMap(([k, v]) => strings(v, path ? `${path}.${k}` : k));
  return [];
}

const SERVER_KEYS = new Set([
  'name',
  'host',
  'host_key',
  'sudo',
  'services',
  'ports',
  'endpoints',
  'databases',
  'certificates',
  'security_updates',
]);

describe('hostile server text through init (test/fixtures/adversarial/discovery.json)', () => {
  const benign = parse(configFor('web1')) as { servers: Record<string, unknown>[] };

  it('the corpus is not empty and a benign server gives every kind of entry', () => {
    expect(corpus.cases.length).toBeGreaterThan(25);
    expect(Object.keys(benign.servers[0] ?? {})).toEqual(
      expect.arrayContaining(['name', 'host', 'host_key', 'sudo', 'services', 'ports', 'endpoints']),
    );
    expect((benign.servers[0]?.services as unknown[] | undefined)?.length).toBeGreaterThanOrEqual(4);
  });

  it.each(corpus.cases)(
    '$name: the config loads, keeps its structure and holds no refused name',
    ({ value }) => {
      const yaml = configFor(value);
      const config = parseConfig(yaml, 'init.yml');
      const doc = parse(yaml) as { servers: Record<string, unknown>[] } & Record<string, unknown>;
      // comments carry nothing: the document without them is the same document
      const stripped = yaml
        .split('\n')
        .filter((l) => !/^\s*#/.test(l))
        .join('\n');
      expect(parse(stripped)).toEqual(doc);
      expect(Object.keys(doc).sort()).toEqual(['defaults', 'mode', 'schedule', 'servers', 'version']);
      expect(doc.mode).toBe('safe');
      expect(doc.servers).toHaveLength(1);
      for (const key of Object.keys(doc.servers[0] ?? {})) expect(SERVER_KEYS).toContain(key);
      for (const server of config.servers) {
        expect(server.name).toMatch(NAME);
        for (const s of server.services) expect(s.name).toMatch(NAME);
      }
      for (const [path, text] of strings(doc)) {
        // no control or invisible character, and the hostile text only where a name rule let it through
        expect(text, path).not.toMatch(/[\p{Cc}\p{Cf}\u2028\u2029]/u);
        if (text.includes(value) && value.length > 3) expect(value, path).toMatch(NAME);
      }
      // nor in a comment: every comment line is one printable line
      for (const line of yaml.split('\n').filter((l) => /^\s*#/.test(l)))
        expect(line).not.toMatch(/[\p{Cc}\p{Cf}\u2028\u2029]/u);
      expect(yaml).not.toContain('ghp_0123456789abcdefghijklmnopqrstuvwxyzAB');
    },
  );
});
