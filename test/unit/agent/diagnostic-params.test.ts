/**
 * Diagnostic path and name parameters are enums built from the config and the collection
 * (issue 10): a model cannot point disk_usage or large_files at a path of its choosing, nor
 * docker_logs at a container the config does not name.
 */
import { describe, expect, it } from 'vitest';
import { buildDiagnostics, diagnosticDirs, renderDiagnostic } from '../../../src/agent/diagnostics.js';
import { config, server } from '../../support/agent-fixtures.js';

const cfg = config({
  servers: [
    {
      name: 'web1',
      transport: 'local',
      services: [
        { name: 'nginx', manager: 'systemd' },
        { name: 'redis', manager: 'docker' },
      ],
      clearable: ['/srv/data/tmp/', '//etc'],
      logs: [{ path: '/var/log/app/error.log' }],
      heartbeats: [{ path: '/var/run/backup/beat', max_age: '1h' }],
    },
  ],
});
const web1 = server(cfg, 'web1');

describe('diagnostic parameters are enums from config and collection', () => {
  it('directories: usual places, mounts seen, clearable (normalised, protected left out), log and heartbeat dirs', () => {
    const dirs = diagnosticDirs(web1, { mounts: ['/', '/srv/data', '/mnt/backup//'] });
    expect(dirs).toEqual(
      expect.arrayContaining([
        '/',
        '/var/log',
        '/srv/data',
        '/mnt/backup',
        '/srv/data/tmp',
        '/var/log/app',
        '/var/run/backup',
      ]),
    );
    expect(dirs).not.toContain('//etc');
    expect(dirs).not.toContain('/etc');
    expect(new Set(dirs).size).toBe(dirs.length);
  });

  it('disk_usage and large_files refuse any path not in the enum, tricks included', () => {
    const diagnostics = buildDiagnostics(web1, { mounts: ['/', '/srv/data'] });
    for (const id of ['disk_usage', 'large_files']) {
      const d = diagnostics.get(id);
      if (!d) throw new Error(id);
      expect(renderDiagnostic(d, { path: '/srv/data' }).ok).toBe(true);
      for (const path of [
        '/etc',
        '/root/.ssh',
        '/srv/data/../../etc',
        '//srv/data',
        '/srv/data/',
        '-delete',
        '/tmp; id',
      ]) {
        const r = renderDiagnostic(d, { path });
        expect(r.ok, `${id} ${path}`).toBe(false);
        if (!r.ok) expect(r.error).toMatch(/path: expected one of /);
      }
    }
  });

  it('docker_logs: only configured containers, after --', () => {
    const d = buildDiagnostics(web1).get('docker_logs');
    if (!d) throw new Error('docker_logs');
    const ok = renderDiagnostic(d, { container: 'redis' });
    expect(ok.ok && ok.value).toContain("docker logs --tail 100 --timestamps -- '\\''redis'\\''");
    expect(renderDiagnostic(d, { container: 'evil' }).ok).toBe(false);
    const none = buildDiagnostics(server(config({ servers: [{ name: 'b', transport: 'local' }] }), 'b'));
    expect(none.has('docker_logs')).toBe(false);
  });
});
