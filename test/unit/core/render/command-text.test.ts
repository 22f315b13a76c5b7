/**
 * How records show a command (core/render/command-text.ts): the inline helper as its call and
 * version, everything else exactly as it runs — in the action log and the approval file alike.
 */
import { describe, expect, it } from 'vitest';
import { commandForPeople } from '../../../../src/core/render/command-text.js';
import { buildCatalog, renderAction } from '../../../../src/remediate/catalog.js';
import { HELPER_VERSION } from '../../../../src/remediate/server-helper.js';
import { config, server } from '../../../support/agent-fixtures.js';

function command(sudo: boolean | 'actions', id: string, params: Record<string, string>): string {
  const cfg = config({
    servers: [
      {
        name: 'web1',
        transport: 'local',
        sudo,
        clearable: ['/var/cache/app'],
        services: [{ name: 'nginx', manager: 'systemd', port: 80 }],
      },
    ],
  });
  const action = buildCatalog(server(cfg, 'web1'), cfg).actions.get(id);
  if (!action) throw new Error(`no ${id}`);
  const r = renderAction(action, params);
  if (!r.ok) throw new Error(r.error);
  return r.value.command;
}

describe('commands as people read them', () => {
  it('shows the inline helper as its call and version, not its few hundred lines', () => {
    const inline = command(true, 'clear-directory', { directory: '/var/cache/app' });
    expect(inline.split('\n').length).toBeGreaterThan(200);
    expect(commandForPeople(inline)).toBe(
      [
        "claudeops-helper clear-directory '/var/cache/app'",
        `# claudeops-helper ${HELPER_VERSION}, sent inline (\`claudeops helper\` prints its text)`,
      ].join('\n'),
    );
    expect(commandForPeople(command(false, 'free-port', { service: 'nginx' })).split('\n')[0]).toBe(
      "claudeops-helper free-port 80 'nginx' 'nginx' systemctl start -- 'nginx'",
    );
  });

  it('shows every other command as it runs: sudo: actions, restarts, text that only looks like it', () => {
    for (const c of [
      command('actions', 'clear-directory', { directory: '/var/cache/app' }),
      command(false, 'restart-service', { service: 'nginx' }),
      'echo hi\n#!/bin/sh\n# claudeops-helper 1: not a call',
    ]) {
      expect(commandForPeople(c)).toBe(c);
    }
  });
});
