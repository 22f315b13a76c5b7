/**
 * `manager: compose`: the config it needs, the restart the catalog renders (and sudoers allows),
 * and how the services probe finds a Compose service's containers. The probe's parsing of real
 * Compose containers is in test/unit/probes/services.test.ts; the restart against a real dockerd
 * in test/e2e/lab/docker-containers.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { serverSchema } from '../../../src/config/schema.js';
import { buildCatalog, renderAction } from '../../../src/remediate/catalog.js';
import { generateSudoers } from '../../../src/remediate/sudoers.js';
import { config, server } from '../../support/agent-fixtures.js';

const stack = (sudo: boolean | 'actions' = false, extra: Record<string, unknown> = {}) =>
  config({
    servers: [
      {
        name: 'app1',
        transport: 'local',
        sudo,
        services: [
          { name: 'web', manager: 'compose', project: 'shop', file: '/srv/shop/compose.yml', ...extra },
          { name: 'cache', manager: 'docker' },
        ],
      },
    ],
  });

const restart = (sudo: boolean | 'actions' = false, extra: Record<string, unknown> = {}) => {
  const c = stack(sudo, extra);
  const action = buildCatalog(server(c, 'app1'), c).actions.get('restart-service');
  if (!action) throw new Error('no restart-service');
  const rendered = renderAction(action, { service: 'web' });
  if (!rendered.ok) throw new Error(rendered.error);
  return rendered.value.command;
};

describe('manager: compose', () => {
  it('needs its project and compose file; those keys are for compose only', () => {
    const parse = (service: Record<string, unknown>) =>
      serverSchema.safeParse({ name: 'x', services: [service] });
    expect(
      parse({ name: 'web', manager: 'compose', project: 'shop', file: '/srv/shop/compose.yml' }).success,
    ).toBe(true);
    expect(
      JSON.stringify(parse({ name: 'web', manager: 'compose', project: 'shop' }).error?.issues),
    ).toContain('manager: compose needs project: (the Compose project) and file: (its compose file)');
    expect(
      JSON.stringify(parse({ name: 'web', manager: 'docker', project: 'shop' }).error?.issues),
    ).toContain('project: only for manager: compose');
    // the file is a plain absolute path: no shell, no options
    for (const file of ['compose.yml', '/srv/a b.yml', '/srv/$(reboot).yml', '-f']) {
      expect(parse({ name: 'web', manager: 'compose', project: 'shop', file }).success).toBe(false);
    }
    expect(parse({ name: 'web', manager: 'compose', project: '-p', file: '/a.yml' }).success).toBe(false);
  });

  it('restarts the Compose service with its project and file (docker compose, or docker-compose)', () => {
    expect(restart()).toBe(
      "docker compose --project-name 'shop' --file '/srv/shop/compose.yml' restart 'web'",
    );
    expect(restart(false, { compose_command: 'docker-compose' })).toBe(
      "docker-compose --project-name 'shop' --file '/srv/shop/compose.yml' restart 'web'",
    );
    expect(restart('actions', { compose_command: 'docker-compose' })).toBe(
      "sudo -n docker-compose --project-name 'shop' --file '/srv/shop/compose.yml' restart 'web'",
    );
  });

  it('sudoers allows exactly that restart', () => {
    const c = stack('actions', { compose_command: 'docker-compose' });
    const sudoers = generateSudoers({
      config: c,
      servers: [server(c, 'app1')],
      user: 'deploy',
      source: { path: 'claudeops.yml' },
      now: new Date('2026-11-26T00:00:00Z'),
    });
    expect(sudoers).toContain(
      '/usr/bin/docker-compose --project-name shop --file /srv/shop/compose.yml restart web',
    );
  });
});
