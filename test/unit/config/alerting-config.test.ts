/**
 * The alerting keys of the config (docs/alerting.md): what is refused before any server is touched,
 * each problem with its path and line, and what is accepted.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../../src/config/parse-config.js';

const base = [
  'version: 1',
  'servers:',
  '  - name: db1',
  '    transport: local',
  '    services: [{ name: postgresql }]',
  '    endpoints:',
  '      - { url: "http://127.0.0.1:8091/", depends_on: [postgresql] }',
  '  - name: web1',
  '    transport: local',
  '    services: [{ name: api, depends_on: ["db1:postgresql"] }]',
];

function problems(lines: string[]): string[] {
  try {
    parseConfig([...base, ...lines].join('\n'), 'claudeops.yml', { PD: 'R0UTING' });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('alerting config', () => {
  it('accepts repeat, escalate, both paging services, digest and cross-server depends_on', () => {
    expect(
      problems([
        'notify:',
        '  slack: { webhook: "https://hooks.slack.com/services/T/B/x" }',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the config's own ${VAR} syntax
        '  pagerduty: { routing_key: "${PD}", url: "https://events.eu.pagerduty.com/v2/enqueue" }',
        '  opsgenie: { api_key: "k", url: "https://api.eu.opsgenie.com" }',
        '  repeat: 30m',
        '  escalate: { after: 1h, channels: [pagerduty, opsgenie] }',
        '  digest: true',
      ]),
    ).toEqual([]);
  });

  it('refuses an escalation to a channel that is not configured, a zero repeat, an unknown channel', () => {
    expect(
      problems([
        'notify:',
        '  slack: { webhook: "https://x.test/h" }',
        '  escalate: { after: 1h, channels: [pagerduty] }',
      ]),
    ).toEqual(['notify.escalate.channels[0]: "pagerduty" is not configured under notify: (line 13)']);
    expect(problems(['notify:', '  repeat: 0s'])).toEqual([
      'notify.repeat: expected a duration above zero (line 12)',
    ]);
    expect(problems(['notify:', '  escalate: { after: 1h, channels: [pager] }'])[0]).toMatch(
      /^notify\.escalate\.channels\[0\]: expected one of "slack", "telegram", .*"pagerduty", "opsgenie" \(line 12\)$/,
    );
    expect(problems(['notify:', '  pagerduty: { routing_key: x, url: "ftp://x" }'])[0]).toMatch(
      /notify\.pagerduty\.url: expected an http/,
    );
  });

  it('refuses depends_on that names no configured server or service', () => {
    const bad = [
      'servers:',
      '  - name: db1',
      '    transport: local',
      '    services: [{ name: postgresql }, { name: app, depends_on: ["db9:postgresql", "web1:nginx", "db1:app"] }]',
      '    endpoints: [{ url: "http://127.0.0.1:1/", depends_on: [postgres] }]',
      '  - name: web1',
      '    transport: local',
    ];
    let out: string[] = [];
    try {
      parseConfig(['version: 1', ...bad].join('\n'), 'claudeops.yml');
    } catch (error) {
      out = (error as ConfigError).problems;
    }
    expect(out).toEqual([
      'servers[0].services[1].depends_on[0]: "db9:postgresql" names no configured server "db9" (line 5)',
      'servers[0].services[1].depends_on[1]: "web1:nginx": no service "nginx" is configured on web1 (line 5)',
      'servers[0].services[1].depends_on[2]: "db1:app" is this server: write "app" (line 5)',
      'servers[0].endpoints[0].depends_on[0]: "postgres": no service "postgres" is configured on db1 (line 6)',
    ]);
  });
});
