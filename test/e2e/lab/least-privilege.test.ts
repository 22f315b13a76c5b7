/**
 * Least privilege (docs/architecture.md#security, docs/least-privilege.md) on the lab's systemd server `sys`, set up
 * exactly as the docs tell a user to: a user without general sudo (groups adm and systemd-journal
 * to read logs, a Postgres role to query), the `claudeops sudoers` file (validated by visudo), the
 * `claudeops forced-command` wrapper and the `claudeops authorized-keys` line for a fresh key.
 * Then, through the product's SSH transport and catalog with `sudo: actions`:
 *   - the collector works unprivileged;
 *   - restart nginx after a service-stop fault succeeds through `sudo -n systemctl restart nginx`;
 *   - a command not in sudoers is refused by sudo;
 *   - a config remediation runs as root through `sudo -n /bin/sh -c '<text>'`;
 *   - deletes and kills go only through the installed `claudeops helper`: a directory cleared, a
 *     stale lock removed, a lock behind a symlinked directory refused, a squatter on nginx's port
 *     stopped and nginx started; a helper that is not this version's is refused before sudo;
 *   - the forced command refuses a non-product command (`ssh … id`) and a pty; the key forwards only
 *     to the endpoint the config checks from the server (the collector's channel), nothing else.
 * Everything is restored in afterAll (user, role, sudoers, wrapper, helper, authorized_keys, nginx).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpOverChannel } from '../../../src/adapters/http-over-channel.js';
import { createSshTransport, type SshShell } from '../../../src/adapters/ssh.js';
import { endpointForwardTargets } from '../../../src/cli/server-setup.js';
import { collectFleet } from '../../../src/collect.js';
import { type Config, configSchema, type ServerConfig } from '../../../src/config/schema.js';
import {
  authorizedKeysLine,
  forcedCommandScript,
  keyNeeds,
  parsePublicKey,
} from '../../../src/core/least-privilege/authorized-keys.js';
import type { DatabasesData } from '../../../src/probes/databases.js';
import type { EndpointsData } from '../../../src/probes/endpoints.js';
import type { LogsData } from '../../../src/probes/log-scan.js';
import type { ServicesData } from '../../../src/probes/services.js';
import { buildCatalog, renderAction } from '../../../src/remediate/catalog.js';
import { executeCommand } from '../../../src/remediate/executor.js';
import { HELPER_PATH, helperScript } from '../../../src/remediate/server-helper.js';
import { generateSudoers } from '../../../src/remediate/sudoers.js';
import { LAB_RUN, type Lab, labSkipReason, startLab } from '../../lab/lab.js';
import { labRoot, waitUntil } from '../../support/lab-setup.js';

const skip = labSkipReason();
if (skip) console.warn(`least-privilege lab tests skipped: ${skip}`);

const USER = 'claudeops-lp';
const SUDOERS = `/etc/sudoers.d/${USER}`;
const WRAPPER = '/usr/local/sbin/claudeops-lp-forced-command';
/** the lab's sshd reads every user's keys from this one file (test/lab/lab.sh) */
const AUTHORIZED_KEYS = '/etc/ssh/authorized_keys/lab';
const MARKER = '/var/tmp/claudeops-lp-marker';
const CACHE = '/var/cache/claudeops-lp';
const LOCKS = '/run/claudeops-lp';
const VICTIM = '/var/lib/claudeops-lp-victim';
const LINKED = '/tmp/claudeops-lp-svc';

describe.skipIf(skip !== undefined)(
  'least privilege on sys: sudo: actions, generated sudoers and forced command',
  () => {
    let lab: Lab;
    let dir: string;
    let privateKey: string;
    let config: Config;
    let sys: ServerConfig;
    let shell: SshShell | undefined;
    const restores: (() => Promise<unknown>)[] = [];
    /** sha256 of the lab's authorized_keys before this file touched it */
    let keysSum = '';

    const root = (command: string) => labRoot(lab, 'sys', command);
    /** writes a file on sys as root (content through base64, never through a command line) */
    async function put(path: string, content: string, mode: string): Promise<void> {
      const b64 = Buffer.from(content).toString('base64');
      await root(
        `umask 077; printf '%s' '${b64}' | base64 -d > '${path}.claudeops-tmp' && chmod ${mode} '${path}.claudeops-tmp' && mv -f '${path}.claudeops-tmp' '${path}'`,
      );
    }
    const nginxState = async () => (await lab.exec('sys', 'systemctl is-active nginx')).stdout.trim();

    /** the system ssh client with the fresh key, for what the product never sends */
    function sshCommand(command: string | undefined, input = '', options: string[] = []) {
      const s = lab.server('sys');
      const r = spawnSync(
        'ssh',
        [
          ...['-i', join(dir, 'id'), '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes'],
          ...['-o', `UserKnownHostsFile=${join(LAB_RUN, 'known_hosts')}`, '-o', 'StrictHostKeyChecking=yes'],
          ...['-o', 'ConnectTimeout=10', '-p', String(s.port), ...options, `${USER}@${s.host}`],
          ...(command === undefined ? [] : [command]),
        ],
        { input, encoding: 'utf8', timeout: 30_000 },
      );
      return { code: r.status, stdout: r.stdout, stderr: r.stderr };
    }

    beforeAll(async () => {
      lab = await startLab({ light: 3, nspawn: true });
      dir = mkdtempSync(join(tmpdir(), 'claudeops-lp-'));
      const keygen = spawnSync('ssh-keygen', [
        '-q',
        '-t',
        'ed25519',
        '-N',
        '',
        '-C',
        'claudeops-lp-test',
        '-f',
        join(dir, 'id'),
      ]);
      if (keygen.status !== 0) throw new Error(`ssh-keygen failed: ${keygen.stderr}`);
      privateKey = readFileSync(join(dir, 'id'), 'utf8');
      const s = lab.server('sys');
      config = configSchema.parse({
        version: 1,
        servers: [
          {
            name: 'sys',
            host: s.host,
            port: s.port,
            user: USER,
            sudo: 'actions',
            services: [{ name: 'nginx', port: 80 }, { name: 'postgresql' }],
            clearable: [CACHE],
            endpoints: [{ url: 'http://127.0.0.1/' }],
            ports: [80],
            databases: [{ kind: 'postgres', database: 'postgres' }],
            logs: [{ journal: 'nginx' }, { path: '/var/log/app/error.log' }],
          },
        ],
        remediations: { 'lp-marker': { command: `touch ${MARKER} && chmod 0600 ${MARKER}`, risk: 'low' } },
      });
      const [server] = config.servers;
      if (!server) throw new Error('no server');
      sys = server;

      // restore in reverse order, each step on its own so one failure does not skip the rest
      // logind keeps a `systemd --user` for the user a moment after its last SSH session: end the
      // user's sessions (this test's user only), then remove it once nothing runs as it
      restores.push(() =>
        root(
          `rm -f ${MARKER}; id ${USER} >/dev/null 2>&1 || exit 0; loginctl terminate-user ${USER} 2>/dev/null; ` +
            `i=0; until userdel -r ${USER} 2>/dev/null; do i=$((i+1)); [ $i -ge 100 ] && { ps -o pid,cmd -u ${USER}; exit 1; }; sleep 0.2; done`,
        ),
      );
      await root(
        `id ${USER} >/dev/null 2>&1 && userdel -r ${USER} 2>/dev/null; useradd -m -s /bin/sh -G adm,systemd-journal ${USER}`,
      );
      // no general sudo: sudo lists nothing for the fresh user yet
      expect((await lab.exec('sys', `sudo -l -U ${USER}`)).stdout).toContain('not allowed to run sudo');

      restores.push(() =>
        lab.exec('sys', `cd / && runuser -u postgres -- psql -X -q -c 'drop role if exists "${USER}"'`),
      );
      await root(
        `cd / && runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -c 'create role "${USER}" login in role pg_monitor'`,
      );

      const sudoers = generateSudoers({
        config,
        servers: [sys],
        user: USER,
        source: { path: 'least-privilege.test.ts' },
        now: new Date(),
      });
      restores.push(() => lab.exec('sys', `rm -f ${SUDOERS} ${SUDOERS}.check`));
      await put(`${SUDOERS}.check`, sudoers, '0440');
      expect(await root(`visudo -cf ${SUDOERS}.check`)).toContain('parsed OK');
      await root(`mv ${SUDOERS}.check ${SUDOERS}`);

      restores.push(() => lab.exec('sys', `rm -f ${WRAPPER}`));
      await put(WRAPPER, forcedCommandScript(), '0755');

      // the helper, installed as docs/least-privilege.md says (the lab's /usr/local is its overlay)
      restores.push(() =>
        lab.exec(
          'sys',
          `rm -rf ${HELPER_PATH} ${CACHE} ${LOCKS} ${VICTIM} ${LINKED} /run/lab/lp-squatter.pid`,
        ),
      );
      await put(HELPER_PATH, helperScript(), '0755');

      // a byte-exact backup on sys (never through a pipe that could drop a final newline)
      const backup = `${AUTHORIZED_KEYS}.claudeops-lp-backup`;
      keysSum = await root(`sha256sum < ${AUTHORIZED_KEYS}`);
      await root(`cp -p ${AUTHORIZED_KEYS} ${backup}`);
      restores.push(() => root(`if [ -f ${backup} ]; then mv -f ${backup} ${AUTHORIZED_KEYS}; fi`));
      const line = authorizedKeysLine({
        publicKey: parsePublicKey(readFileSync(join(dir, 'id.pub'), 'utf8')),
        wrapperPath: WRAPPER,
        ...keyNeeds([sys], config.servers),
        endpointOpen: endpointForwardTargets([sys]),
        source: { path: 'least-privilege.test.ts', servers: ['sys'] },
        now: new Date(),
      });
      const b64 = Buffer.from(line).toString('base64');
      await root(
        `f=${AUTHORIZED_KEYS}.claudeops-tmp; cp -p ${backup} "$f" && { [ -z "$(tail -c1 "$f")" ] || echo >> "$f"; } && ` +
          `printf '%s' '${b64}' | base64 -d >> "$f" && mv -f "$f" ${AUTHORIZED_KEYS}`,
      );

      const transport = createSshTransport({
        privateKey,
        knownHosts: lab.knownHosts,
        connectTimeoutMs: 10_000,
      });
      shell = await transport.connect(sys);
    }, 300_000);

    afterAll(async () => {
      await shell?.close();
      if (lab && (await nginxState()) !== 'active') await lab.undo('sys', 'service-stop', 'nginx');
      const errors: unknown[] = [];
      for (const restore of restores.reverse()) {
        try {
          await restore();
        } catch (error) {
          errors.push(error);
        }
      }
      if (dir) rmSync(dir, { recursive: true, force: true });
      if (lab) {
        // nothing of ours is left on sys
        const left = await lab.exec(
          'sys',
          `id ${USER} 2>&1; ls ${SUDOERS} ${WRAPPER} 2>&1; grep -c claudeops-lp-test ${AUTHORIZED_KEYS}`,
        );
        expect(left.stdout).toMatch(/no such user/);
        expect(left.stdout).not.toMatch(new RegExp(`^${SUDOERS}$|^${WRAPPER}$`, 'm'));
        expect(left.stdout.trim().endsWith('0')).toBe(true);
        if (keysSum) expect(await root(`sha256sum < ${AUTHORIZED_KEYS}`)).toBe(keysSum);
      }
      if (errors.length > 0) throw errors[0];
    }, 120_000);

    function needShell(): SshShell {
      if (!shell) throw new Error('no shell');
      return shell;
    }

    it('connects as the unprivileged user through the forced command; scripts run without root', async () => {
      const r = await needShell().run('id -un; id -u; sudo -n true 2>&1; echo "sudo=$?"');
      expect(r.stdout).toMatch(
        new RegExp(`^${USER}\\n[1-9][0-9]*\\nsudo: a password is required\\nsudo=1\\n$`),
      );
    });

    it('the collector works unprivileged: services, endpoint, port, postgres, journal and file logs', async () => {
      const transport = createSshTransport({
        privateKey,
        knownHosts: lab.knownHosts,
        connectTimeoutMs: 10_000,
      });
      const collection = await collectFleet([sys], transport, {
        runnerChecks: false,
        commandTimeoutMs: 60_000,
        channelHttp: httpOverChannel,
      });
      for (const s of collection.shells.values()) await s.close();
      const [o] = collection.observations;
      if (!o) throw new Error('no observation');
      expect(o.reachable).toBe(true);
      expect(o.probeErrors).toEqual({});
      const services = (o.probes.services as ServicesData).services.map((s) => [s.name, s.status]);
      expect(services).toEqual([
        ['nginx', 'running'],
        ['postgresql', 'running'],
      ]);
      expect((o.probes.databases as DatabasesData).databases.map((d) => d.status)).toEqual(['ok']);
      // the key's permitopen lets sshd open the endpoint's channel (see the forced-command test): no curl
      expect((o.probes.endpoints as EndpointsData).endpoints).toEqual([
        { url: 'http://127.0.0.1/', status: 200, latencyMs: expect.any(Number), excerpt: expect.any(String) },
      ]);
      const logs = (o.probes.logs as LogsData).logs.map((l) => [l.target, l.state]);
      expect(logs).toEqual([
        ['journal:nginx', 'ok'],
        ['/var/log/app/error.log', 'ok'],
      ]);
    });

    it('restarts nginx after a service-stop fault through sudo -n, allowed by the generated sudoers', async () => {
      await lab.fault('sys', 'service-stop', 'nginx');
      try {
        await waitUntil('nginx stopped', async () => (await nginxState()) !== 'active');
        const action = buildCatalog(sys, config).actions.get('restart-service');
        if (!action) throw new Error('no restart-service');
        const rendered = renderAction(action, { service: 'nginx' });
        if (!rendered.ok) throw new Error(rendered.error);
        expect(rendered.value.command).toBe("sudo -n systemctl restart -- 'nginx'");
        const run = await executeCommand(needShell(), rendered.value.command, 60_000, []);
        expect(run.output).toBe('');
        expect(run.exitCode).toBe(0);
        expect(await nginxState()).toBe('active');
      } finally {
        if ((await nginxState()) !== 'active') await lab.undo('sys', 'service-stop', 'nginx');
      }
    });

    it('sudo refuses what the sudoers file does not list', async () => {
      // a catalog command with a value outside the generated file: another journal size
      const vacuum = buildCatalog(sys, config).actions.get('vacuum-journal');
      if (!vacuum) throw new Error('no vacuum-journal');
      const rendered = renderAction(vacuum, { size: '1M' });
      if (!rendered.ok) throw new Error(rendered.error);
      const refused = await executeCommand(needShell(), rendered.value.command, 30_000, []);
      expect(refused.exitCode).toBe(1);
      expect(refused.output).toBe(
        '--- stderr ---\nsudo: a password is required'.replace('--- stderr ---\n', ''),
      );
      // and anything else: another verb, another unit, a shell, a stale-lock removal (pattern parameter)
      for (const command of [
        "sudo -n systemctl stop 'nginx'",
        "sudo -n systemctl restart -- 'ssh'",
        'sudo -n sh -s',
        'sudo -n /bin/sh -c id',
        "sudo -n rm -f -- '/run/nginx.pid'",
      ]) {
        const r = await needShell().run(`${command} </dev/null\n`);
        expect(r.stderr, command).toBe('sudo: a password is required\n');
        expect(r.code, command).toBe(1);
      }
      expect(await nginxState()).toBe('active');
    });

    it('runs a config remediation as root through sudo -n /bin/sh -c, matched exactly', async () => {
      const action = buildCatalog(sys, config).actions.get('lp-marker');
      if (!action) throw new Error('no lp-marker');
      const rendered = renderAction(action, {});
      if (!rendered.ok) throw new Error(rendered.error);
      expect(rendered.value.command).toBe(`sudo -n /bin/sh -c 'touch ${MARKER} && chmod 0600 ${MARKER}'`);
      const run = await executeCommand(needShell(), rendered.value.command, 30_000, []);
      expect(run.exitCode).toBe(0);
      expect((await root(`stat -c '%U %a' ${MARKER}`)).trim()).toBe('root 600');
      // one character more and sudo says no
      const other = await needShell().run(`sudo -n /bin/sh -c 'touch ${MARKER} && chmod 0666 ${MARKER}'\n`);
      expect(other.stderr).toBe('sudo: a password is required\n');
      expect((await root(`stat -c '%a' ${MARKER}`)).trim()).toBe('600');
    });

    async function runAction(id: string, params: Record<string, string>) {
      const action = buildCatalog(sys, config).actions.get(id);
      if (!action) throw new Error(`no ${id}`);
      const rendered = renderAction(action, params);
      if (!rendered.ok) throw new Error(rendered.error);
      const lastLine = rendered.value.command.split('\n').at(-1);
      return { ...(await executeCommand(needShell(), rendered.value.command, 90_000, [])), lastLine };
    }

    it('deletes only through the installed helper: clears, removes a stale lock, refuses a symlinked lock directory', async () => {
      await root(
        `mkdir -p ${CACHE}/sub ${LOCKS} ${VICTIM} && touch ${CACHE}/a ${CACHE}/sub/b && ` +
          `echo 999999 > ${LOCKS}/app.pid && echo 999999 > ${VICTIM}/app.pid && ln -sfn ${VICTIM} ${LINKED}`,
      );
      const clear = await runAction('clear-directory', { directory: CACHE });
      expect(clear.lastLine).toBe(`sudo -n ${HELPER_PATH} clear-directory '${CACHE}'`);
      expect(clear.output).toBe(`cleared ${CACHE}: 3 entries removed`);
      expect(clear.exitCode).toBe(0);
      expect((await root(`ls -A ${CACHE}; echo end`)).trim()).toBe('end');

      const removed = await runAction('remove-stale-lock', { path: `${LOCKS}/app.pid` });
      expect(removed.output).toBe(`removed ${LOCKS}/app.pid`);
      expect(removed.exitCode).toBe(0);

      // /tmp/<svc> → another tree: resolved where it is used, and refused
      const linked = await runAction('remove-stale-lock', { path: `${LINKED}/app.pid` });
      expect(linked.output).toBe(`refusing: ${LINKED} resolves to ${VICTIM}, outside the lock directories`);
      expect(linked.exitCode).toBe(2);
      expect((await root(`cat ${VICTIM}/app.pid`)).trim()).toBe('999999');

      // sudo's wildcard lets two paths through; the helper takes one
      const two = await needShell().run(
        `sudo -n ${HELPER_PATH} remove-stale-lock /tmp/a.pid /etc/hostname </dev/null\n`,
      );
      expect(two.stderr).toBe('claudeops-helper: remove-stale-lock takes one file\n');
      expect(two.code).toBe(64);
      // a directory the config does not list is not in sudoers at all
      const etc = await needShell().run(`sudo -n ${HELPER_PATH} clear-directory /etc </dev/null\n`);
      expect(etc.stderr).toBe('sudo: a password is required\n');
    });

    it('refuses a helper that is not this version’s before anything runs through sudo', async () => {
      await root(`echo '# edited' >> ${HELPER_PATH}`);
      try {
        await root(`mkdir -p ${CACHE} && touch ${CACHE}/keep`);
        const r = await runAction('clear-directory', { directory: CACHE });
        expect(r.exitCode).toBe(4);
        expect(r.output).toContain(
          `refusing: ${HELPER_PATH} is missing, not root-only or not the helper of this ClaudeOps version`,
        );
        expect((await root(`ls ${CACHE}`)).trim()).toBe('keep');
      } finally {
        await put(HELPER_PATH, helperScript(), '0755');
      }
    });

    it('frees nginx’s port through the helper under sudo: actions: the squatter stopped, nginx started', async () => {
      await root('systemctl stop nginx');
      try {
        await root(
          'setsid python3 -m http.server 80 --bind 0.0.0.0 </dev/null >/dev/null 2>&1 & echo $! > /run/lab/lp-squatter.pid',
        );
        await root(
          'for i in $(seq 100); do ss -Htln "sport = :80" | grep -q . && exit 0; sleep 0.1; done; exit 1',
        );
        const pid = (await root('cat /run/lab/lp-squatter.pid')).trim();
        const r = await runAction('free-port', { service: 'nginx' });
        expect(r.lastLine).toBe(
          `sudo -n ${HELPER_PATH} free-port 80 'nginx' 'nginx,postgresql' systemctl start -- 'nginx'`,
        );
        expect(r.output).toContain(`stopping PID ${pid}, user root, command: python3 -m http.server 80`);
        expect(r.output).toContain('nginx is listening on port 80');
        expect(r.exitCode).toBe(0);
        expect(await nginxState()).toBe('active');
        expect((await lab.exec('sys', `kill -0 ${pid}`)).code).not.toBe(0);
      } finally {
        await lab.exec(
          'sys',
          'kill "$(cat /run/lab/lp-squatter.pid)" 2>/dev/null; rm -f /run/lab/lp-squatter.pid',
        );
        if ((await nginxState()) !== 'active') await lab.undo('sys', 'service-stop', 'nginx');
      }
    });

    it('the forced command refuses a non-product command and a pty; forwarding only to the endpoint', () => {
      const id = sshCommand('id');
      expect(id.code).toBe(126);
      expect(id.stdout).toBe('');
      expect(id.stderr).toContain('claudeops-forced-command: refused "id": this key may only run "sh -s"');
      const sneaky = sshCommand('sh -s; id', 'echo ran\n');
      expect(sneaky.code).toBe(126);
      expect(sneaky.stdout).toBe('');
      // the product's own entry command works from any client
      const ok = sshCommand('sh -s', 'echo "as $(id -un)"\n');
      expect(ok.stdout).toBe(`as ${USER}\n`);
      expect(ok.code).toBe(0);
      // restrict: no pty; TCP forwarding only to the endpoint the config checks from the server
      const pty = sshCommand('sh -s', 'echo x\n', ['-tt']);
      expect(pty.stderr).toMatch(/PTY allocation request failed/);
      const endpoint = sshCommand(undefined, 'GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n', [
        '-W',
        '127.0.0.1:80',
      ]);
      expect(endpoint.stdout).toMatch(/^HTTP\/1\.[01] 200 /);
      const forward = sshCommand(undefined, '', ['-W', '127.0.0.1:22']);
      expect(forward.code).not.toBe(0);
      expect(forward.stderr).toMatch(/administratively prohibited|open failed/);
    });
  },
);
