/**
 * Parameters that mean one thing (issue 10), run by the real programs on this machine: the
 * rendered clear-directory command against real directories and symlinks (in a temporary
 * directory only); the database and journal probes' scripts with config values that start with
 * `-` (each must stay a value: no version banner, no help, no file written by `--tee`).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { serverSchema } from '../../src/config/schema.js';
import { PRELUDE } from '../../src/probes/collector-script.js';
import { databasesProbe, pgConninfo } from '../../src/probes/databases.js';
import { logsProbe } from '../../src/probes/log-scan.js';
import { buildCatalog, renderAction } from '../../src/remediate/catalog.js';
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
      expect(r.out).toContain(`refusing: ${link} resolves to ${target} (a symlink)`);
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
    expect(r.out).toMatch(/resolves to .*real-parent\/cache \(a symlink\)/);
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
