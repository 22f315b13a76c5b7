/**
 * The wider read-only diagnostics run on the lab's real systemd server `sys` (real systemd, nginx,
 * PostgreSQL, journald), exactly as rendered for the model (under timeout and nice): each answers
 * something meaningful, bounded, and the configuration test tells a broken nginx config from a
 * good one.
 */
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDiagnostics, renderDiagnostic } from '../../../src/agent/diagnostics.js';
import type { ServerConfig } from '../../../src/config/schema.js';
import { LAB_RUN, type Lab, labSkipReason, startLab } from '../../lab/lab.js';

const skip = labSkipReason();
const BROKEN = '/etc/nginx/conf.d/zz-claudeops-diag-broken.conf';

describe.skipIf(skip !== undefined)('wider diagnostics on a real systemd server', () => {
  let lab: Lab;
  let sys: ServerConfig;

  beforeAll(async () => {
    lab = await startLab({ light: 3, nspawn: true });
    sys = lab.serverConfig('sys', {
      sudo: true,
      services: [
        { name: 'nginx', manager: 'systemd', port: 80 },
        { name: 'postgresql', manager: 'systemd', port: 5432 },
      ],
      databases: [{ kind: 'postgres' }],
      logs: [{ path: '/var/log/app/error.log', patterns: ['ERROR'] }],
    });
  }, 300_000);

  afterAll(async () => {
    await lab?.exec('sys', `rm -f ${BROKEN}`);
  });

  async function run(id: string, args: Record<string, string> = {}): Promise<{ out: string; code: number }> {
    const diagnostic = buildDiagnostics(sys).get(id);
    if (!diagnostic) throw new Error(`no diagnostic ${id}`);
    const command = renderDiagnostic(diagnostic, args);
    if (!command.ok) throw new Error(command.error);
    const r = await lab.exec('sys', command.value);
    return { out: `${r.stdout}${r.stderr}`, code: r.code };
  }

  it('answers each one with real, bounded output', async () => {
    const checks: [string, Record<string, string>, RegExp][] = [
      ['unit_show', { service: 'nginx' }, /^NRestarts=\d+$/m],
      ['unit_show', { service: 'nginx' }, /^ActiveState=active$/m],
      ['unit_cat', { service: 'nginx' }, /\[Service\]/],
      ['config_test', { service: 'nginx' }, /syntax is ok/],
      ['config_test', { service: 'postgresql' }, /sourcefile \| sourceline \| name \| error/],
      [
        'postgres_connections',
        {},
        /state \| usename \| sessions \| max_connections \| reserved\n[\s\S]*\| \d+ \| \d+/,
      ],
      ['postgres_locks', {}, /blocked_pid \| usename/],
      ['journal_window', { since: '24 hours ago', priority: 'info' }, /\S/],
      ['socket_states', {}, /\d+ (LISTEN|ESTAB)/],
      ['time_sync', {}, /\d{4}/],
      ['pressure', {}, /^cpu: (some avg10=|not available)/m],
      ['package_changes', {}, /\S/],
      ['log_tail', { log: '/var/log/app/error.log' }, /^/],
      ['oom_events', {}, /^/],
      ['deleted_open_files', {}, /^/],
    ];
    for (const [id, args, expected] of checks) {
      const { out, code } = await run(id, args);
      expect(out, `${id}: ${out}`).toMatch(expected);
      expect(code, `${id} exit`).not.toBe(124); // not cut by timeout
      expect(out.length, id).toBeLessThan(20_000);
    }
  });

  it('the nginx configuration test reports a broken config with file and line', async () => {
    await lab.exec('sys', `printf 'server { listen 8099; bogus_directive on; }\\n' > ${BROKEN}`);
    const { out, code } = await run('config_test', { service: 'nginx' });
    expect(code).not.toBe(0);
    expect(out).toMatch(
      /\[emerg\] \d+#\d+: unknown directive "bogus_directive" in \/etc\/nginx\/conf\.d\/zz-claudeops-diag-broken\.conf:1/,
    );
    await lab.exec('sys', `rm -f ${BROKEN}`);
    expect((await run('config_test', { service: 'nginx' })).out).toMatch(/test is successful/);
  });

  it('a light server sees none of the disks the host mounted for the labs (sys here, another lab)', async () => {
    // fields of /proc/PID/mountinfo: the fifth is the mount point
    const under = (text: string, root: string) =>
      text
        .split('\n')
        .map((l) => l.split(' ')[4] ?? '')
        .filter((m) => m.startsWith(`${root}/`));
    const root = dirname(LAB_RUN);
    // the host holds at least sys's disk there, mounted before the light servers started
    expect(under(readFileSync('/proc/self/mountinfo', 'utf8'), root)).toContain(
      `${LAB_RUN}/servers/sys/data`,
    );
    const inside = await lab.exec('s1', 'cat /proc/self/mountinfo');
    expect(inside.code).toBe(0);
    expect(under(inside.stdout, root)).toEqual([]);
  });
});
