/**
 * The wider diagnostics as commands: every one renders for a server that configures everything,
 * runs under timeout and nice, takes only values from the config (enum) for its parameters, and
 * appears only when the config gives it something to look at.
 */
import { describe, expect, it } from 'vitest';
import { buildDiagnostics, renderDiagnostic } from '../../../src/agent/diagnostics.js';
import { config, server } from '../../support/agent-fixtures.js';

const full = server(
  config({
    servers: [
      {
        name: 'db1',
        transport: 'local',
        services: [
          { name: 'nginx', manager: 'systemd' },
          { name: 'postgresql', manager: 'systemd' },
          { name: 'ssh', manager: 'systemd' },
          { name: 'redis', manager: 'docker' },
          { name: 'worker', manager: 'supervisor' },
        ],
        databases: [{ kind: 'postgres' }],
        logs: [{ path: '/var/log/app/error.log', patterns: ['ERROR', 'FATAL|panic'] }],
      },
    ],
  }),
  'db1',
);

const WIDE = [
  'log_tail',
  'log_grep',
  'unit_show',
  'unit_cat',
  'config_test',
  'docker_inspect',
  'docker_events',
  'postgres_locks',
  'postgres_connections',
  'journal_window',
  'journal_previous_boot',
  'oom_events',
  'deleted_open_files',
  'socket_states',
  'package_changes',
  'time_sync',
  'pressure',
];

const ARGS: Record<string, Record<string, string>> = {
  log_tail: { log: '/var/log/app/error.log' },
  log_grep: { log: '/var/log/app/error.log', pattern: 'FATAL|panic' },
  unit_show: { service: 'nginx' },
  unit_cat: { service: 'postgresql' },
  config_test: { service: 'nginx' },
  docker_inspect: { container: 'redis' },
  docker_events: { container: 'redis' },
  journal_window: { since: '1 hour ago', priority: 'warning' },
};

describe('wider read-only diagnostics', () => {
  const diagnostics = buildDiagnostics(full);

  it('offers every one for a server that configures what they look at, each under timeout and nice', () => {
    for (const id of WIDE) {
      const d = diagnostics.get(id);
      expect(d, id).toBeDefined();
      const command = renderDiagnostic(d as NonNullable<typeof d>, ARGS[id] ?? {});
      expect(command.ok, id).toBe(true);
      expect(command.ok && command.value, id).toMatch(/^timeout -k 5 20 nice -n 10 sh -c '/);
    }
  });

  it('takes parameter values only from the config', () => {
    const reject = (id: string, args: Record<string, string>) => {
      const d = diagnostics.get(id);
      return d ? renderDiagnostic(d, args) : { ok: true };
    };
    expect(reject('log_tail', { log: '/etc/shadow' }).ok).toBe(false);
    expect(reject('log_grep', { log: '/var/log/app/error.log', pattern: '.*' }).ok).toBe(false);
    expect(reject('unit_show', { service: 'worker' }).ok).toBe(false); // supervisor, not a systemd unit
    expect(reject('config_test', { service: 'redis' }).ok).toBe(false); // no known config test
    expect(reject('docker_inspect', { container: "redis'; rm -rf /" }).ok).toBe(false);
    expect(reject('journal_window', { since: 'yesterday; reboot', priority: 'err' }).ok).toBe(false);
  });

  it('picks the configuration test by service', () => {
    const render = (service: string) => {
      const d = diagnostics.get('config_test');
      const r = d ? renderDiagnostic(d, { service }) : undefined;
      return r?.ok ? r.value : '';
    };
    expect(render('nginx')).toContain('nginx -t');
    expect(render('ssh')).toContain('sshd -t');
    expect(render('postgresql')).toContain('pg_file_settings');
  });

  it('offers only the fixed ones on a server that configures nothing', () => {
    const bare = buildDiagnostics(server(config({ servers: [{ name: 'b', transport: 'local' }] }), 'b'));
    for (const id of ['log_tail', 'unit_show', 'config_test', 'docker_inspect', 'postgres_locks'])
      expect(bare.has(id), id).toBe(false);
    for (const id of ['journal_window', 'oom_events', 'socket_states', 'pressure', 'time_sync'])
      expect(bare.has(id), id).toBe(true);
  });
});
