import { describe, expect, it } from 'vitest';
import { planRules } from '../../../src/agent/rules-planner.js';
import { buildCatalog } from '../../../src/remediate/catalog.js';
import { config, tracked } from '../../support/agent-fixtures.js';

const cfg = config({
  servers: [
    {
      name: 'web1',
      transport: 'local',
      services: [{ name: 'nginx', manager: 'systemd' }],
      clearable: ['/var/cache/app', '/srv/data/tmp', '/tmp/uploads'],
    },
    { name: 'bare', transport: 'local' },
  ],
  remediations: {
    'prune-images': { command: 'docker image prune -f', risk: 'low', verify: ['disk'] },
    'drop-caches': { command: 'sync', risk: 'medium', verify: ['memory'] },
  },
});
const plan = (findings: Parameters<typeof planRules>[0]) =>
  planRules(findings, cfg.servers, (s) => buildCatalog(s, cfg).actions);

describe('rule-based planner', () => {
  it('service down → restart it (then the repo playbooks for that check)', () => {
    const [p] = plan([tracked('web1', 'service', 'nginx', 'critical', 'nginx is inactive')]);
    expect(p?.steps).toEqual([{ action: 'restart-service', params: { service: 'nginx' } }]);
    expect(p?.diagnosis).toMatchObject({ fingerprint: 'web1/service/nginx', confidence: 'low' });
  });

  it('disk critical → clear the configured directories on that filesystem, then repo playbooks', () => {
    const [root] = plan([tracked('web1', 'disk', '/', 'critical', '/ 95%')]);
    expect(root?.steps).toEqual([
      { action: 'clear-directory', params: { directory: '/var/cache/app' } },
      { action: 'clear-directory', params: { directory: '/srv/data/tmp' } },
      { action: 'clear-directory', params: { directory: '/tmp/uploads' } },
      { action: 'prune-images', params: {} },
    ]);
    const [srv] = plan([tracked('web1', 'disk', '/srv', 'critical', '/srv 95%')]);
    expect(srv?.steps.map((s) => s.params.directory ?? s.action)).toEqual(['/srv/data/tmp', 'prune-images']);
  });

  it('escalates what it has no playbook for, and warnings, and unknown services', () => {
    const plans = plan([
      tracked('web1', 'disk', '/', 'warning', '/ 85%'),
      tracked('web1', 'certificate', 'example.com:443', 'critical', 'expires in 2 days'),
      tracked('web1', 'service', 'ghost', 'critical', 'not configured'),
      tracked('bare', 'disk', '/', 'critical', '/ 99%'),
      tracked('bare', 'unreachable', '-', 'critical', 'timeout'),
      tracked('web1', 'memory', '-', 'critical', 'memory 97%'),
    ]);
    expect(plans.map((p) => p.steps.length)).toEqual([0, 0, 0, 1, 0, 1]);
    expect(plans[3]?.steps).toEqual([{ action: 'prune-images', params: {} }]);
    expect(plans[4]?.diagnosis.nextStep).toMatch(/network path and the SSH credentials/);
    expect(plans[5]?.steps).toEqual([{ action: 'drop-caches', params: {} }]);
    expect(plans[1]?.diagnosis.rootCause).toBe('no playbook for certificate findings (rule-based planner)');
  });
});
