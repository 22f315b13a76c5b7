/**
 * Parameters that mean one thing (issue 10), run by the real programs on this machine: the
 * rendered clear-directory command against real directories and symlinks (in a temporary
 * directory only); the database and journal probes' scripts with config values that start with
 * `-` (each must stay a value: no version banner, no help, no file written by `--tee`); the
 * restart/start commands of systemctl and docker with a service named like an option.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ServiceConfig } from '../../src/config/schema.js';
import { serverSchema } from '../../src/config/schema.js';
import { PRELUDE } from '../../src/probes/collector-script.js';
import { databasesProbe, pgConninfo } from '../../src/probes/databases.js';
import { logsProbe } from '../../src/probes/log-scan.js';
import { buildCatalog, renderAction } from '../../src/remediate/catalog.js';
import { generateSudoers } from '../../src/remediate/sudoers.js';
import { config, server } from '../support/agent-fixtures.js';

const root = mkdtempSync(join(tmpdir(), 'claudeops-params-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function fill(dir: string): void {
  mkdirSync(join(dir, 'sub'), { recursive: true });
  writeFileSync(join(dir, 'a.tmp'), 'a');
  writeFileSync(join(dir, 'sub', 'b.tmp'), 'b');
}

/** The clear-directory command the catalog renders for a clearable directory, run by sh. */
function clear(clearable: string): { code: number | null; out: string; offered: readonly string[] } {
  const cfg = config({ servers: [{ name: 'x', transport: 'local', clearable: [clearable] }] });
  const action = buildCatalog(server(cfg, 'x'), cfg).actions.get('clear-directory');
  const spec = action?.params.directory;
  const offered = spec?.kind === 'enum' ? spec.values : [];
  if (!action || !offered[0]) return { code: null, out: 'not offered', offered };
  const rendered = renderAction(action, { directory: offered[0] });
  if (!rendered.ok) throw new Error(rendered.error);
  const r = spawnSync('sh', ['-c', rendered.value.command], { encoding: 'utf8' });
  return { code: r.status, out: `${r.stdout}${r.stderr}`, offered };
}

describe('clear-directory, run for real', () => {
  it('empties a real directory and keeps it', () => {
    const dir = join(root, 'cache');
    fill(dir);
    const r = clear(`${dir}/`);
    expect(r.offered).toEqual([dir]);
    expect(r.code, r.out).toBe(0);
    expect(existsSync(dir)).toBe(true);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('refuses a clearable that is a symlink, with or without a trailing slash; the target is untouched', () => {
    const target = join(root, 'precious');
    fill(target);
    const link = join(root, 'link-to-precious');
    symlinkSync(target, link);
    for (const spelling of [link, `${link}/`, `${link}//`, `${link}/.`]) {
      const r = clear(spelling);
      expect(r.offered).toEqual([link]);
      expect(r.code, r.out).toBe(2);
      expect(r.out).toContain(`refusing: ${link} resolves to ${target} (a symlink on the way)`);
      expect(readdirSync(target).sort()).toEqual(['a.tmp', 'sub']);
    }
  });

  it('refuses a directory under a symlinked parent', () => {
    const real = join(root, 'real-parent');
    fill(join(real, 'cache'));
    const parent = join(root, 'linked-parent');
    symlinkSync(real, parent);
    const r = clear(join(parent, 'cache'));
    expect(r.code, r.out).toBe(2);
    expect(r.out).toMatch(/resolves to .*real-parent\/cache \(a symlink on the way\)/);
    expect(readdirSync(join(real, 'cache')).sort()).toEqual(['a.tmp', 'sub']);
  });

  it('refuses a path that does not exist (nothing to clear, nothing guessed)', () => {
    const r = clear(join(root, 'missing'));
    expect(r.code, r.out).toBe(2);
    expect(r.out).toMatch(/is not a directory/);
  });
});

const has = (program: string) => spawnSync('sh', ['-c', `command -v ${program}`]).status === 0;

/** A probe's script for a server with these settings, run by sh as the collector would. */
function probeRun(
  probe: typeof databasesProbe | typeof logsProbe,
  settings: Record<string, unknown>,
): string {
  const srv = serverSchema.parse({ name: 'x', transport: 'local', ...settings });
  const script = `${PRELUDE}\n${probe.script(srv, { cursors: {} })}\n`;
  const r = spawnSync('sh', ['-s'], { input: script, encoding: 'utf8', timeout: 60_000, cwd: root });
  return `${r.stdout}${r.stderr}`;
}

describe('config values starting with - stay values (real clients)', () => {
  it.skipIf(!has('mysql') && !has('mariadb'))(
    'mysql/mariadb: a database or user like --tee=FILE or --version',
    () => {
      const tee = join(root, 'tee-out');
      const out = probeRun(databasesProbe, {
        databases: [
          { kind: 'mysql', host: '127.0.0.1', port: 1, database: `--tee=${tee}` },
          { kind: 'mysql', host: '127.0.0.1', port: 1, user: '--version', database: '--help' },
        ],
      });
      expect(existsSync(tee)).toBe(false);
      expect(out).not.toMatch(/Distrib|Ver \d|Usage:/);
      // the client ran and could not connect: the values were connection settings, not options
      expect(out).toMatch(/Can't connect|ERROR 2002|ERROR 2003/);
    },
  );

  it.skipIf(!has('psql'))('psql: a database, user or host like --version, -l, or host=… conninfo', () => {
    const out = probeRun(databasesProbe, {
      databases: [
        { kind: 'postgres', host: '127.0.0.1', port: 1, database: '--version' },
        { kind: 'postgres', host: '127.0.0.1', port: 1, user: '-l', database: 'host=evil.example port=5' },
        { kind: 'postgres', host: '--help', port: 1 },
      ],
    });
    expect(out).not.toMatch(/psql \(PostgreSQL\)|Usage:|evil\.example/);
    expect(out).toMatch(/connection to server at "127\.0\.0\.1", port 1 failed|could not connect/);
    expect(pgConninfo({ host: "a'b", database: 'x\\y' })).toBe("host='a\\'b' dbname='x\\\\y'");
  });

  it.skipIf(!has('redis-cli'))('redis-cli: a host like --version', () => {
    const out = probeRun(databasesProbe, { databases: [{ kind: 'redis', host: '--version', port: 1 }] });
    expect(out).not.toMatch(/redis-cli \d/);
    expect(out).toMatch(/Could not connect|Name or service not known|failed/i);
  });

  it.skipIf(!has('journalctl'))('journalctl: a journal unit like --version or --flush', () => {
    const out = probeRun(logsProbe, {
      logs: [{ journal: '--version' }, { journal: '--flush' }],
    });
    expect(out).not.toMatch(/systemd \d{3}|\+PAM/);
    expect(out).toMatch(/state=ok/);
  });
});

/**
 * A service whose name starts with `-`: the schema refuses it, so the catalog is built from a
 * parsed server with the name swapped in afterwards (what `--` must hold against if the schema
 * ever let one through).
 */
function serviceCommand(
  manager: ServiceConfig['manager'],
  name: string,
  verb: 'restart-service' | 'start-service',
  sudo: 'actions' | false = false,
): { command: string; sudoers: string } {
  const parsed = serverSchema.parse({
    name: 'x',
    transport: 'local',
    sudo,
    services: [{ name: 'ok', manager }],
  });
  const srv = { ...parsed, services: [{ ...parsed.services[0], name, manager } as ServiceConfig] };
  const cfg = config({ servers: [{ name: 'x', transport: 'local' }] });
  const action = buildCatalog(srv, cfg).actions.get(verb);
  if (!action) throw new Error(`no ${verb}`);
  const rendered = renderAction(action, { service: name });
  if (!rendered.ok) throw new Error(rendered.error);
  const sudoers = generateSudoers({
    config: cfg,
    servers: [{ ...srv, sudo: 'actions' }],
    user: 'ops',
    source: { path: 'claudeops.yml' },
    now: new Date(0),
  });
  return { command: rendered.value.command, sudoers };
}

function runSh(command: string, env: Record<string, string> = {}): string {
  const r = spawnSync('sh', ['-c', command], {
    encoding: 'utf8',
    timeout: 30_000,
    cwd: root,
    env: { ...process.env, ...env },
  });
  return `${r.stdout}${r.stderr}`;
}

describe('service names starting with - stay names (real systemctl and docker)', () => {
  it('the schema refuses such a name for every manager', () => {
    for (const manager of ['systemd', 'sysv', 'supervisor', 'pm2', 'docker'] as const) {
      const parsed = serverSchema.safeParse({
        name: 'x',
        transport: 'local',
        services: [{ name: '-x', manager }],
      });
      expect(parsed.success, manager).toBe(false);
    }
  });

  it.skipIf(!has('systemctl'))('systemctl: restart -- NAME, in the command and in the sudoers rule', () => {
    const restart = serviceCommand('systemd', '--version', 'restart-service');
    expect(restart.command).toBe("systemctl restart -- '--version'");
    expect(restart.sudoers).toContain('ops ALL=(root) NOPASSWD: /usr/bin/systemctl restart -- --version\n');
    expect(serviceCommand('systemd', '-x', 'start-service', 'actions').command).toBe(
      "sudo -n systemctl start -- '-x'",
    );
    // run for real: a unit name (no bus here, or no such unit), never the version banner or a flag error
    const out = runSh(restart.command);
    expect(out).not.toMatch(/systemd \d{3}|\+PAM|invalid option|unrecognized option/);
    expect(out).toMatch(/not been booted with systemd|Failed to connect to bus|not found|not loaded/);
    expect(runSh(serviceCommand('systemd', '-x', 'start-service').command)).not.toMatch(/invalid option/);
    // the same without `--` is read as an option: what the separator prevents
    expect(runSh("systemctl start '-x'")).toMatch(/invalid option/);
    // offline (--root): systemctl looks the name up as a unit file
    expect(runSh(`systemctl --root=${root} is-enabled -- '-x'`)).toMatch(/unit file state for -x\.service/);
  });

  it.skipIf(!has('docker'))('docker: restart -- NAME, against a daemon that is not there', () => {
    const restart = serviceCommand('docker', '--version', 'restart-service');
    expect(restart.command).toBe("docker restart -- '--version'");
    expect(restart.sudoers).toContain('ops ALL=(root) NOPASSWD: /usr/bin/docker restart -- --version\n');
    const env = { DOCKER_HOST: `unix://${join(root, 'no-docker.sock')}` };
    for (const command of [restart.command, serviceCommand('docker', '-x', 'start-service').command]) {
      const out = runSh(command, env);
      expect(out, command).not.toMatch(/unknown (shorthand )?flag|Docker version/);
      expect(out, command).toMatch(/Cannot connect to the Docker daemon/);
    }
    expect(runSh("docker start '-x'", env)).toMatch(/unknown shorthand flag/);
  });

  it('sysv, supervisor and pm2 take no `--` (it would be a name): the name is as the schema allows', () => {
    expect(serviceCommand('sysv', 'cron', 'restart-service').command).toBe("service 'cron' restart");
    expect(serviceCommand('supervisor', 'app', 'restart-service').command).toBe(
      "supervisorctl restart 'app'",
    );
    expect(serviceCommand('pm2', 'app', 'start-service').command).toBe("pm2 start 'app'");
  });
});
