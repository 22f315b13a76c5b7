import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/adapters/config-file.js';
import { ConfigError, parseConfig } from '../../../src/config/parse-config.js';
import { VERIFIABLE_CHECKS } from '../../../src/probes/check-kinds.js';
import { buildCatalog } from '../../../src/remediate/catalog.js';
import { probesFor } from '../../../src/remediate/probe-recheck.js';

function problemsOf(yaml: string): string[] {
  try {
    parseConfig(yaml, 'claudeops.yml');
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected the config to be refused');
}

const BASE = `version: 1
servers:
  - name: web1
    host: 10.0.0.1
`;

describe('parseConfig', () => {
  it('accepts a minimal config and fills defaults', () => {
    const config = parseConfig(BASE, 'c.yml');
    expect(config.mode).toBe('safe');
    expect(config.servers[0]?.transport).toBe('ssh');
    expect(config.claude.max_turns).toBe(8);
    expect(config.github.close_after_ok_runs).toBe(2);
  });

  it('parses durations to milliseconds', () => {
    const config = parseConfig(
      `${BASE}    endpoints: [{ url: "http://127.0.0.1/health", timeout: 1m30s }]\n    heartbeats: [{ path: /var/run/b, max_age: 26h }]\n`,
      'c.yml',
    );
    expect(config.servers[0]?.endpoints[0]?.timeout).toBe(90_000);
    expect(config.servers[0]?.heartbeats[0]?.max_age).toBe(26 * 3_600_000);
  });

  it('accepts http and https endpoint URLs only', () => {
    for (const url of [
      'file:///etc/shadow',
      'FILE:///etc/passwd',
      'ftp://x/y',
      'gopher://x:70/',
      'dict://x:11211/',
    ]) {
      expect(problemsOf(`${BASE}    endpoints: [{ url: "${url}" }]\n`)).toEqual([
        expect.stringMatching(/^servers\[0\]\.endpoints\[0\]\.url: expected an http:\/\/ or https:\/\/ URL/),
      ]);
    }
    const ok = parseConfig(`${BASE}    endpoints: [{ url: "https://x/h" }, { url: "HTTP://x/" }]\n`, 'c.yml');
    expect(ok.servers[0]?.endpoints.map((e) => e.url)).toEqual(['https://x/h', 'HTTP://x/']);
  });

  it('validates schedule as a 5-field cron at load, with its line; a valid one passes', () => {
    for (const bad of ['every 30 minutes', '*/30 * * *', '61 * * * *', '* * * * * *']) {
      expect(problemsOf(`${BASE}schedule: "${bad}"\n`)).toEqual([
        expect.stringMatching(/^schedule: ".*" is not a 5-field cron expression .*\(line 5\)$/),
      ]);
    }
    expect(parseConfig(`${BASE}schedule: "*/30 * * * *"\n`, 'c.yml').schedule).toBe('*/30 * * * *');
  });

  it('refuses over-long strings: names 64, paths 1 024, URLs 2 048, anything else 4 096', () => {
    const problems = problemsOf(`version: 1
servers:
  - name: ${'n'.repeat(65)}
    host: 10.0.0.1
    endpoints:
      - url: https://example.com/${'u'.repeat(2_100)}
    logs:
      - path: /var/log/${'p'.repeat(1_100)}
    checks:
      - name: c
        command: ${'c'.repeat(4_097)}
redact:
  secrets: ["${'s'.repeat(10_000_000)}"]
`);
    expect(problems).toEqual(
      expect.arrayContaining([
        'servers[0].name: 65 characters, more than the 64 allowed for a name (line 3)',
        expect.stringMatching(
          /^servers\[0\]\.endpoints\[0\]\.url: \d+ characters, more than the 2048 allowed for a URL \(line 6\)$/,
        ),
        expect.stringMatching(
          /^servers\[0\]\.logs\[0\]\.path: \d+ characters, more than the 1024 allowed for a path \(line 8\)$/,
        ),
        'servers[0].checks[0].command: 4097 characters, more than the 4096 allowed for a value (line 11)',
        expect.stringMatching(/^redact\.secrets\[0\]: 10000000 characters, more than the 4096 allowed/),
      ]),
    );
    expect(parseConfig(BASE, 'c.yml').servers[0]?.name).toBe('web1');
  });

  it('names the path and line of a bad duration', () => {
    const yaml = `version: 1
servers:
  - name: a
    transport: local
  - name: b
    transport: local
  - name: c
    host: 10.0.0.3
    endpoints:
      - url: https://example.com/health
        timeout: soon
`;
    expect(problemsOf(yaml)).toEqual([
      'servers[2].endpoints[0].timeout: expected a duration like 5s (line 11)',
    ]);
  });

  it('rejects unknown keys with a did-you-mean, pointing at the key line', () => {
    const problems = problemsOf(`${BASE}    servcies: [{ name: nginx }]\n`);
    expect(problems).toEqual(['servers[0].servcies: unknown key; did you mean "services"? (line 5)']);
  });

  it('reports every error at once', () => {
    const yaml = `version: 2
mode: yolo
servers:
  - name: web1
    transport: carrier-pigeon
    thresholds: { disk: { warn: 95, crit: 90 } }
`;
    const problems = problemsOf(yaml);
    expect(problems).toHaveLength(4);
    expect(problems[0]).toBe('version: expected 1 (line 1)');
    expect(problems[1]).toBe('mode: expected one of "report", "safe", "full" (line 2)');
    expect(problems[2]).toBe('servers[0].transport: expected one of "ssh", "local" (line 5)');
    expect(problems[3]).toBe('servers[0].thresholds.disk: warn must not exceed crit (line 6)');
  });

  it('explains a missing required key', () => {
    expect(problemsOf('version: 1\nservers:\n  - transport: local\n')).toEqual([
      'servers[0].name: missing (expected string) (line 3)',
    ]);
  });

  it('reports YAML syntax errors with their line', () => {
    const problems = problemsOf('version: 1\nservers:\n  - name: a\n   bad: [\n');
    expect(problems.length).toBeGreaterThan(0);
    expect(problems[0]).toMatch(/\(line \d+\)$/);
  });

  it('rejects duplicate keys', () => {
    expect(problemsOf('version: 1\nversion: 1\nservers: [{ name: a, transport: local }]\n')[0]).toMatch(
      /Map keys must be unique \(line 2\)/,
    );
  });

  it('checks references between servers and maintenance windows', () => {
    const yaml = `version: 1
servers:
  - name: web1
    host: 10.0.0.1
    jump: bastion
  - name: web1
    transport: local
  - name: nohost
maintenance:
  - servers: [web9]
    from: "2026-12-01T04:00Z"
    to: "2026-12-01T02:00Z"
`;
    expect(problemsOf(yaml)).toEqual([
      'servers[1].name: duplicate server name "web1" (line 6)',
      'servers[2]: host is required for transport ssh (or set transport: local) (line 8)',
      'servers[0].jump: "bastion" is not another configured server (line 5)',
      'maintenance[0].servers[0]: unknown server or tag "web9" (line 10)',
      'maintenance[0].to: must be after from (line 12)',
    ]);
  });

  it('picks the closest alternative of a union (file log vs journal log)', () => {
    const problems = problemsOf(`${BASE}    logs: [{ journal: nginx, priority: loud }]\n`);
    expect(problems).toEqual([
      'servers[0].logs[0].priority: expected one of "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug" (line 5)',
    ]);
  });

  it('expands environment variables in notify settings only', () => {
    const yaml = `${BASE}notify: { slack: { webhook: "\${HOOK}" } }\nremediations:\n  x: { command: "echo \${HOME}" }\n`;
    const config = parseConfig(yaml, 'c.yml', { HOOK: 'https://hooks.example/abc' });
    expect(config.notify?.slack?.webhook).toBe('https://hooks.example/abc');
    expect(config.remediations.x?.command).toBe(`echo $${'{'}HOME}`);
  });
});

it('accepts maintenance windows naming a tag or every server', () => {
  const yaml = `${BASE}    tags: [web]
maintenance:
  - { servers: ["tag:web", "*"], from: "2026-12-01T02:00Z", to: "2026-12-01T04:00Z" }
  - { servers: ["tag:db"], from: "2026-12-01T02:00Z", to: "2026-12-01T04:00Z" }
`;
  expect(problemsOf(yaml)).toEqual(['maintenance[1].servers[0]: unknown server or tag "tag:db" (line 8)']);
});

describe('the shipped examples', () => {
  it.each(['examples/localhost.yml', 'examples/fleet.yml'])('%s is a valid config', async (file) => {
    const config = await loadConfig(file, {
      SLACK_WEBHOOK_URL: 'https://hooks.example/x',
      APP_DB_PASSWORD: 'pw-123456',
    });
    expect(config.servers.length).toBeGreaterThan(0);
  });
});

describe('remediations: verify names check kinds', () => {
  it('refuses a misspelt check at load, with its line and the nearest kind', () => {
    const yaml = `${BASE}remediations:\n  flush-cache:\n    command: "rm -rf /var/cache/app/*"\n    verify: [disk, endpoints]\n`;
    expect(problemsOf(yaml)).toEqual([
      expect.stringMatching(
        /^remediations\.flush-cache\.verify\[1\]: "endpoints" is not a check kind; did you mean "endpoint"\? \(one of certificate, check, database, disk, disk-growth, .*\) \(line 8\)$/,
      ),
    ]);
  });

  it('accepts every kind a probe re-check produces, and the built-in catalog uses only those', () => {
    const kinds = VERIFIABLE_CHECKS.join(', ');
    const config = parseConfig(
      `${BASE}    services: [{ name: nginx, manager: systemd }]\n    clearable: [/var/cache/app]\nremediations:\n  x: { command: "true", verify: [${kinds}] }\n`,
      'c.yml',
    );
    expect(config.remediations.x?.verify).toEqual([...VERIFIABLE_CHECKS]);
    const server = config.servers[0];
    if (!server) throw new Error('no server');
    const named = [...buildCatalog(server, config).actions.values()].flatMap((a) => a.verify);
    expect(named.length).toBeGreaterThan(3);
    for (const check of named) expect(VERIFIABLE_CHECKS).toContain(check);
    // each state check names a probe that re-checks it; trend and event checks are matched, not re-run
    for (const check of VERIFIABLE_CHECKS)
      expect(probesFor([check]).length, check).toBe(/-growth$|^reboot$|^restarts$/.test(check) ? 0 : 1);
  });
});

describe('no config yet (a new user’s first command)', () => {
  it('says how to get one: init, the example, or where to point', async () => {
    const error = await loadConfig('no-such-dir/claudeops.yml', {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      expect.stringMatching(
        /^no such file: `claudeops init --host USER@HOST` writes one .*examples\/localhost\.yml checks this machine .*--config FILE\)$/,
      ),
    ]);
  });
});
