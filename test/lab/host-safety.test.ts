/**
 * The lab must never write onto the host. Its systemd server's root is an overlay on this host's
 * `/`, so an absolute symlink in it resolves onto the HOST when followed from outside the
 * container. Here the real `sys_prepare_root` of lab.sh runs on a scratch root whose links point
 * into a scratch "host", and the host guard (`host_guard_record`/`host_guard_check`, which
 * `lab.sh up`/`down` use on the real host paths) is exercised on scratch paths.
 */
import { createHash } from 'node:crypto';
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const LAB_DIR = new URL('.', import.meta.url).pathname;
const isRoot = process.getuid?.() === 0;

let tmp: string;
beforeEach(() => {
  tmp = mkdtempSync(join(tmpdir(), 'claudeops-host-safety-'));
});
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

/** Runs a bash snippet with lab.sh's functions loaded (sourcing it runs nothing). */
function labBash(script: string, env: Record<string, string> = {}) {
  return execa('bash', ['-c', `source "${LAB_DIR}lab.sh"; ${script}`], {
    reject: false,
    env: { ...env, LAB_RUN: join(tmp, 'run') },
  });
}

/** path → type, mode, link target and content hash of everything under dir. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (p: string) => {
    const st = lstatSync(p);
    if (st.isSymbolicLink()) out[p] = `link ${readlinkSync(p)}`;
    else if (st.isDirectory()) {
      out[p] = `dir ${st.mode}`;
      for (const e of readdirSync(p)) walk(join(p, e));
    } else out[p] = `file ${st.mode} ${createHash('sha256').update(readFileSync(p)).digest('hex')}`;
  };
  walk(dir);
  return out;
}

function write(path: string, text: string): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
}

describe.skipIf(!isRoot)('sys_prepare_root writes only inside the overlay', () => {
  it('replaces absolute links (Debian nginx site, hosts, passwd) instead of writing through them', async () => {
    const host = join(tmp, 'host');
    const root = join(tmp, 'root');
    const d = join(tmp, 'sys');
    // The scratch "host": what the links of the scratch root point at, absolutely.
    write(join(host, 'nginx/sites-available/default'), 'server { listen 80; } # the host site\n');
    write(join(host, 'hosts'), '127.0.0.1 localhost\n');
    write(join(host, 'passwd'), 'root:x:0:0:root:/root:/bin/bash\n');
    mkdirSync(join(host, 'sudoers.d'), { recursive: true });
    // The scratch root, laid out as Debian's /etc with the same kind of links.
    for (const dir of [
      'etc/ssh',
      'etc/nginx/sites-enabled',
      'etc/supervisor/conf.d',
      'etc/systemd/system/multi-user.target.wants',
      'etc/postgresql/15/main',
    ])
      mkdirSync(join(root, dir), { recursive: true });
    symlinkSync(join(host, 'nginx/sites-available/default'), join(root, 'etc/nginx/sites-enabled/default'));
    symlinkSync(join(host, 'hosts'), join(root, 'etc/hosts'));
    symlinkSync(join(host, 'passwd'), join(root, 'etc/passwd'));
    symlinkSync(join(host, 'sudoers.d'), join(root, 'etc/sudoers.d'));
    write(join(root, 'etc/group'), 'root:x:0:\n');
    write(join(root, 'etc/shadow'), 'root:*:19000:0:99999:7:::\n');
    write(join(root, 'etc/ssh/ssh_host_rsa_key'), 'old host key\n');
    for (const k of ['ssh_host_ed25519_key', 'ssh_host_ecdsa_key'])
      for (const ext of ['', '.pub']) write(join(d, 'etc', k + ext), `${k}${ext}\n`);
    write(join(tmp, 'run/authorized_keys'), 'ssh-ed25519 AAAA lab\n');
    const before = snapshot(host);

    const res = await labBash(`sys_prepare_root "${d}" "${root}"`);

    // /etc/sudoers.d is a link out of the root: refused loudly, nothing written there.
    expect(res.exitCode).not.toBe(0);
    expect(res.stderr).toMatch(/refusing to write etc\/sudoers\.d\/labops/);
    expect(snapshot(host)).toEqual(before);

    // Without that trap the whole preparation runs, and still leaves the host alone.
    rmSync(join(root, 'etc/sudoers.d'));
    mkdirSync(join(root, 'etc/sudoers.d'));
    const ok = await labBash(`sys_prepare_root "${d}" "${root}"`);
    expect(ok.stderr).toBe('');
    expect(ok.exitCode).toBe(0);
    expect(snapshot(host)).toEqual(before);

    const site = join(root, 'etc/nginx/sites-enabled/default');
    expect(lstatSync(site).isFile()).toBe(true);
    expect(readFileSync(site, 'utf8')).toContain('listen 443 ssl default_server');
    expect(lstatSync(join(root, 'etc/hosts')).isFile()).toBe(true);
    // passwd was a link: kept its content (copied in), then gained labops
    expect(readFileSync(join(root, 'etc/passwd'), 'utf8')).toMatch(/^root:x:0:0:.*\nlabops:x:4077:/);
    expect(readFileSync(join(root, 'etc/sudoers.d/labops'), 'utf8')).toContain('labops ALL=');
    expect(readFileSync(join(root, 'etc/postgresql/15/main/conf.d/claudeops-lab.conf'), 'utf8')).toContain(
      'max_connections = 20',
    );
    expect(readlinkSync(join(root, 'etc/systemd/system/multi-user.target.wants/lab-apt.service'))).toBe(
      '/etc/systemd/system/lab-apt.service',
    );
    expect(readFileSync(join(root, 'etc/ssh/authorized_keys/lab'), 'utf8')).toBe('ssh-ed25519 AAAA lab\n');
  });
});

describe('lab.sh writes into the systemd root only through root_path', () => {
  it('has no raw redirection, copy or link into "$r" left', () => {
    const text = readFileSync(join(LAB_DIR, 'lab.sh'), 'utf8');
    const body = text.slice(text.indexOf('sys_prepare_root() {'), text.indexOf('\nsys_start() {'));
    expect(body.length).toBeGreaterThan(1000);
    const raw = body
      .split('\n')
      .filter(
        (l) => /(>>?|\bcp\b.*|\bln\b.*|\btouch\b|\bmkdir\b.*)\s*"\$r\//.test(l) && !l.includes('root_path'),
      );
    expect(raw).toEqual([]);
  });

  it('records the host baseline in up and checks it in down', () => {
    const text = readFileSync(join(LAB_DIR, 'lab.sh'), 'utf8');
    const fn = (name: string) =>
      text.slice(text.indexOf(`${name}() {`), text.indexOf('\n}\n', text.indexOf(`${name}() {`)));
    expect(fn('cmd_up')).toMatch(/host_guard_record "\$HOST_BASELINE"/);
    expect(fn('cmd_down')).toMatch(/host_guard_check "\$HOST_BASELINE" \|\| host_ok=1/);
    expect(fn('cmd_down')).toMatch(/\[ "\$host_ok" = 0 \] \|\| die/);
  });
});

describe('the host guard', () => {
  const guard = (cmd: string, paths: string[]) =>
    labBash(`${cmd} "${join(tmp, 'baseline')}"`, { LAB_HOST_PATHS: paths.join(' ') });

  it('passes when nothing changed and names every kind of change', async () => {
    const nginx = join(tmp, 'etc/nginx');
    const ssh = join(tmp, 'etc/ssh');
    const gone = join(tmp, 'etc/mysql');
    write(join(nginx, 'sites-available/default'), 'server {}\n');
    mkdirSync(join(nginx, 'sites-enabled'));
    symlinkSync(join(nginx, 'sites-available/default'), join(nginx, 'sites-enabled/default'));
    write(join(ssh, 'sshd_config'), 'Port 22\n');
    const paths = [nginx, ssh, gone];

    expect((await guard('host_guard_record', paths)).exitCode).toBe(0);
    const same = await guard('host_guard_check', paths);
    expect(same.exitCode).toBe(0);
    expect(same.stderr).toBe('');

    const changes: [string, () => void, RegExp, () => void][] = [
      [
        'content',
        () => writeFileSync(join(nginx, 'sites-available/default'), 'server { listen 443; }\n'),
        /sites-available\/default sha256/,
        () => writeFileSync(join(nginx, 'sites-available/default'), 'server {}\n'),
      ],
      [
        'mode',
        () => chmodSync(join(ssh, 'sshd_config'), 0o600),
        /sshd_config f 600/,
        () => chmodSync(join(ssh, 'sshd_config'), 0o644),
      ],
      [
        'link target',
        () => {
          rmSync(join(nginx, 'sites-enabled/default'));
          symlinkSync('/elsewhere', join(nginx, 'sites-enabled/default'));
        },
        /sites-enabled\/default l .* \/elsewhere/,
        () => {
          rmSync(join(nginx, 'sites-enabled/default'));
          symlinkSync(join(nginx, 'sites-available/default'), join(nginx, 'sites-enabled/default'));
        },
      ],
      [
        'new file',
        () => write(join(ssh, 'sshd_config.d/lab.conf'), 'x'),
        /\+.*sshd_config\.d\/lab\.conf/,
        () => rmSync(join(ssh, 'sshd_config.d'), { recursive: true }),
      ],
      [
        'new path',
        () => write(join(gone, 'my.cnf'), 'x'),
        /-.*etc\/mysql missing/,
        () => rmSync(gone, { recursive: true }),
      ],
    ];
    for (const [what, change, shows, undo] of changes) {
      change();
      const res = await guard('host_guard_check', paths);
      expect(res.exitCode, what).not.toBe(0);
      expect(res.stderr, what).toMatch(/the lab changed the HOST/);
      expect(res.stderr, what).toMatch(shows);
      undo();
      expect((await guard('host_guard_check', paths)).exitCode, `${what} undone`).toBe(0);
    }
  });

  it('keeps the first baseline when up runs again on a running lab', async () => {
    const dir = join(tmp, 'etc/redis');
    write(join(dir, 'redis.conf'), 'port 6379\n');
    await guard('host_guard_record', [dir]);
    writeFileSync(join(dir, 'redis.conf'), 'port 6380\n');
    await guard('host_guard_record', [dir]);
    expect((await guard('host_guard_check', [dir])).exitCode).not.toBe(0);
  });
});
