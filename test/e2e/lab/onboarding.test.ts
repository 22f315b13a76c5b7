/**
 * The first hour on the lab (issue 22, README "Quick start"), through the bundled CLI:
 *   - `init` + `doctor`: three lab servers (the systemd machine `sys`, light servers s2 and s3)
 *     to a config doctor finds nothing wrong with, in two commands; the config generated for
 *     `sys` finds its nginx, postgres and redis, and a check with it finds nothing wrong;
 *   - doctor's sudo check on `sys` against a real sudo: an account sudo refuses everything, one
 *     whose sudoers allows one command, and one with the file `claudeops sudoers` generates;
 *   - the unit pair `timer` writes, run by the real systemd of `sys` (the service runs the check
 *     in its sandbox and records; the timer is scheduled), then removed.
 * Everything it adds to `sys` (a user, a sudoers file, runtime units, files under /srv/data) is
 * removed in afterAll.
 */
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { parseConfig } from '../../../src/config/parse-config.js';
import { configSchema } from '../../../src/config/schema.js';
import { fingerprintOf } from '../../../src/core/least-privilege/known-hosts.js';
import { serverAsk } from '../../../src/doctor/server-checks.js';
import { HELPER_PATH, helperScript } from '../../../src/remediate/server-helper.js';
import { generateSudoers } from '../../../src/remediate/sudoers.js';
import { LAB_RUN, type Lab, labSkipReason, startLab } from '../../lab/lab.js';
import { labRoot } from '../../support/lab-setup.js';
import { ROOT } from '../../support/runner.js';

const skip = labSkipReason();
if (skip) console.warn(`onboarding lab tests skipped: ${skip}`);

const CLI = join(ROOT, 'dist/cli.js');
const NODE = '/usr/bin/node';
const USER = 'claudeops-doc';
/** what /srv/data of `sys` is on this machine (lab.sh binds it into the container) */
const SYS_DATA = join(LAB_RUN, 'servers/sys/data');
const TIMER_DIR = 'claudeops-timer';

async function cli(args: string[], cwd: string, env: Record<string, string>) {
  const r = await execa(NODE, [CLI, ...args], {
    cwd,
    reject: false,
    extendEnv: false,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: cwd, ...env },
    timeout: 240_000,
  });
  return { code: r.exitCode, stdout: String(r.stdout), stderr: String(r.stderr) };
}

describe.skipIf(skip !== undefined)('onboarding on the lab: init, doctor, timer', () => {
  let lab: Lab;
  let dir: string;
  let env: Record<string, string>;

  const root = (server: string, command: string) => labRoot(lab, server, command);

  /** doctor's line for a server without logrotate (the lab's servers run this machine's OS) */
  async function noLogrotate(server: string): Promise<string[]> {
    if ((await lab.exec(server, 'command -v logrotate')).code === 0) return [];
    return [
      `✗ ${server} tools: logrotate not found by sudo (needed for rotate-logs) → fix: install logrotate on the server, where the fix runs it as root`,
    ];
  }

  beforeAll(async () => {
    lab = await startLab({ light: 3, nspawn: true });
    dir = mkdtempSync(join(tmpdir(), 'claudeops-onboarding-'));
    writeFileSync(join(dir, 'id'), lab.clientKey);
    chmodSync(join(dir, 'id'), 0o600);
    env = { SSH_PRIVATE_KEY_FILE: join(dir, 'id'), ANTHROPIC_API_KEY: '' };
    // pm2 comes up in the background of s1's boot: start its app from a clean slate, then wait for it
    await lab.undo('s1', 'pm2-errored');
    const online = async () =>
      /"name":"lab-worker".*"status":"online"/.test(
        (await lab.exec('s1', 'runuser -u labops -- env PM2_HOME=/home/labops/.pm2 pm2 jlist')).stdout,
      );
    for (let i = 0; i < 120 && !(await online()); i++) await new Promise((r) => setTimeout(r, 500));
  }, 300_000);

  afterAll(async () => {
    if (lab) {
      await lab.exec(
        'sys',
        `systemctl stop claudeops.timer claudeops.service 2>/dev/null; rm -f /run/systemd/system/claudeops.service /run/systemd/system/claudeops.timer; systemctl daemon-reload; rm -rf /srv/data/${TIMER_DIR} /var/cache/claudeops`,
      );
      await lab.exec(
        'sys',
        `rm -f /etc/sudoers.d/${USER} ${HELPER_PATH}; id ${USER} >/dev/null 2>&1 && { loginctl terminate-user ${USER} 2>/dev/null; userdel -r ${USER}; }; true`,
      );
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('three servers to a config doctor finds nothing wrong with, in two commands; a check with it is clean', async () => {
    const hosts = ['sys', 's2', 's3'].map((name) => `labops@${lab.server(name).host}`);
    const init = await cli(['init', ...hosts.flatMap((h) => ['--host', h]), '--accept-new'], dir, env);
    expect(init.code, init.stderr).toBe(0);
    const text = readFileSync(join(dir, '.github/claudeops.yml'), 'utf8');
    const config = parseConfig(text, 'claudeops.yml');
    expect(config.servers.map((s) => s.name)).toEqual(['sys', 's2', 's3']);
    for (const s of config.servers) expect(s.host_key).toBe(hostKeyOf(lab, s.name));
    const sys = config.servers[0];
    if (!sys) throw new Error('no sys');
    // its nginx, postgres and redis, and the rest of what runs there
    expect(sys.services.map((s) => `${s.manager}:${s.name}`)).toEqual(
      expect.arrayContaining([
        'systemd:nginx',
        'systemd:redis-server',
        'systemd:mariadb',
        'supervisor:lab-app',
      ]),
    );
    expect(sys.services.some((s) => s.manager === 'systemd' && /^postgresql/.test(s.name))).toBe(true);
    expect(sys.services.find((s) => s.name === 'nginx')?.port).toBe(80);
    expect(sys.databases.map((d) => d.kind)).toEqual(['postgres', 'mysql', 'redis']);
    expect(sys.endpoints).toEqual([expect.objectContaining({ url: 'http://127.0.0.1/', status: 200 })]);
    expect(sys.sudo).toBe(true);
    // the lab's self-signed :443 is not trusted by curl: left out, and the config says why
    const comments = text.replace(/\n\s*# /g, ' ');
    expect(comments).toMatch(
      / endpoint https:\/\/127\.0\.0\.1\/ \(nginx \S+\) left out: TLS certificate not trusted/,
    );
    const doctor = await cli(['doctor'], dir, env);
    expect(doctor.stdout, doctor.stderr).toMatch(/^CLAUDEOPS DOCTOR: ALL GOOD$/m);
    expect(doctor.stderr.match(/^✓ (sys|s2|s3) ok /gm)).toHaveLength(3);
    expect(doctor.code).toBe(0);

    // Load, memory and swap are this machine's (the servers are namespaces and a container on it),
    // shared with every other test: out of reach, so the check measures the servers.
    const doc = parse(text) as { defaults: Record<string, unknown> };
    doc.defaults.thresholds = {
      load: { warn: 50, crit: 100 },
      memory: { warn: 99, crit: 100 },
      swap: { warn: 99, crit: 100 },
    };
    writeFileSync(join(dir, 'lab.yml'), stringify(doc));
    const check = await cli(['check', '--config', 'lab.yml', '--servers', 'sys'], dir, env);
    expect(check.stdout, check.stderr).toMatch(/^status=ok$/m);
    expect(check.stdout).toMatch(/^findings=0$/m);
  });

  it('s1 runs pm2 apps as labops: init keeps scripts unprivileged (sudo: actions), and doctor asks for the helper', async () => {
    const pm2 = mkdtempSync(join(tmpdir(), 'claudeops-onboarding-pm2-'));
    try {
      const init = await cli(['init', '--host', `labops@${lab.server('s1').host}`, '--accept-new'], pm2, env);
      expect(init.code, init.stderr).toBe(0);
      const text = readFileSync(join(pm2, '.github/claudeops.yml'), 'utf8');
      const [s1] = parseConfig(text, 'claudeops.yml').servers;
      expect(s1?.sudo, text).toBe('actions');
      expect(s1?.services.map((s) => `${s.manager}:${s.name}`)).toEqual(['sysv:lab-sysv', 'pm2:lab-worker']);
      const doctor = await cli(['doctor'], pm2, env);
      // labops may run anything through sudo; what sudo: actions still needs is the helper, and
      // logrotate where it is not installed (sudo cannot find it: a missing tool, not a refusal)
      expect(doctor.stderr.split('\n').filter((l) => l.startsWith('error: ✗ '))).toEqual([
        expect.stringMatching(
          /^error: ✗ s1 tools: \/usr\/local\/sbin\/claudeops-helper not found on the PATH .*→ fix: install the output of `claudeops helper`/,
        ),
        ...(await noLogrotate('s1')).map((l) => `error: ${l}`),
      ]);
    } finally {
      rmSync(pm2, { recursive: true, force: true });
    }
  });

  it('doctor asks sudo about every command the config needs: refused, partly allowed, allowed by `claudeops sudoers`', async () => {
    await root('sys', `id ${USER} >/dev/null 2>&1 || useradd -m -s /bin/sh ${USER}`);
    const s = lab.server('sys');
    const yaml = `version: 1\nservers:\n  - { name: sys, host: ${s.host}, user: ${USER}, host_key: "${hostKeyOf(lab, 'sys')}", sudo: actions, services: [{ name: nginx }, { name: redis-server }] }\n`;
    writeFileSync(join(dir, 'sudo.yml'), yaml);
    const config = configSchema.parse(parse(yaml));
    const sys = config.servers[0];
    if (!sys) throw new Error('no server');
    const needed = serverAsk(config, sys).sudo.length;
    const doctor = async () => {
      const r = await cli(['doctor', '--config', 'sudo.yml', '--state-repo', 'sudo-state'], dir, env);
      return r.stderr
        .split('\n')
        .filter((l) => l.startsWith('error: ✗ sys '))
        .map((l) => l.slice('error: '.length));
    };
    // an account sudo knows nothing about: every command refused, in sudo's own words
    expect(await doctor()).toEqual([
      expect.stringMatching(
        /^✗ sys tools: \/usr\/local\/sbin\/claudeops-helper not found .* → fix: install the output of `claudeops helper`/,
      ),
      expect.stringMatching(
        new RegExp(
          `^✗ sys sudo: sudo refuses ${needed} of the ${needed} commands the config needs: \`sudo -n systemctl restart -- nginx\` \\(restart-service\\), .* and ${needed - 3} more \\(sudo said: sudo: a password is required\\) → fix: install the output of \`claudeops sudoers --config sudo\\.yml --server sys\``,
        ),
      ),
    ]);

    await root(
      'sys',
      `printf '%s\\n' '${USER} ALL=(root) NOPASSWD: /usr/bin/systemctl restart -- nginx' > /etc/sudoers.d/${USER} && chmod 440 /etc/sudoers.d/${USER}`,
    );
    // one allowed; the helper's commands, which sudo now looks up and cannot find, are the tools
    // line's (install the helper), not refusals; the rest refused in silence
    const notThere = (await noLogrotate('sys')).length > 0 ? ['logrotate'] : [];
    const unseen = serverAsk(config, sys).sudo.filter(
      (a) => a.argv[0] === HELPER_PATH || notThere.includes(a.argv[0] ?? ''),
    ).length;
    expect((await doctor()).filter((l) => l.startsWith('✗ sys sudo:'))).toEqual([
      expect.stringMatching(
        new RegExp(
          `^✗ sys sudo: sudo refuses ${needed - 1 - unseen} of the ${needed} commands .*\\(sudo said: not allowed \\(exit 1\\)\\)`,
        ),
      ),
    ]);

    // as docs/least-privilege.md says: the generated sudoers file (checked by visudo), the helper
    const sudoers = generateSudoers({
      config,
      servers: config.servers,
      user: USER,
      source: { path: 'sudo.yml' },
      now: new Date(),
    });
    await root(
      'sys',
      `printf '%s' '${Buffer.from(sudoers).toString('base64')}' | base64 -d > /etc/sudoers.d/${USER}.new && visudo -cqf /etc/sudoers.d/${USER}.new && chmod 440 /etc/sudoers.d/${USER}.new && mv /etc/sudoers.d/${USER}.new /etc/sudoers.d/${USER}`,
    );
    await root(
      'sys',
      `printf '%s' '${Buffer.from(helperScript()).toString('base64')}' | base64 -d > ${HELPER_PATH} && chmod 0755 ${HELPER_PATH}`,
    );
    expect(await doctor()).toEqual(await noLogrotate('sys'));
  });

  it("timer's units run under the real systemd of sys: the sandboxed service records a check, the timer is scheduled", async () => {
    const work = join(SYS_DATA, TIMER_DIR);
    mkdirSync(join(work, '.github'), { recursive: true });
    // the whole bundle: cli.js is an entry point that loads the shared bundle beside it
    cpSync(join(ROOT, 'dist'), join(work, 'dist'), { recursive: true });
    writeFileSync(
      join(work, '.github/claudeops.yml'),
      'version: 1\nmode: report\nservers:\n  - name: self\n    transport: local\n    thresholds: { disk: { warn: 100, crit: 100 }, inodes: { warn: 100, crit: 100 }, memory: { warn: 100, crit: 100 }, swap: { warn: 100, crit: 100 }, load: { warn: 1000, crit: 1000 } }\n',
    );
    const inSys = `/srv/data/${TIMER_DIR}`;
    await root('sys', `chown -R labops: ${inSys}`);
    await root(
      'sys',
      // the node that runs `timer` is the one ExecStart names (process.execPath): name it, since
      // PATH here may start with node_modules/.bin (npm scripts), whose node is not in sys
      `cd ${inSys} && runuser -u labops -- ${NODE} dist/cli.js timer --every 1m --user labops --out units`,
    );
    const service = await root('sys', `cat ${inSys}/units/claudeops.service`);
    expect(service).toContain(
      `ExecStart=${NODE} ${inSys}/dist/cli.js check --config ${inSys}/.github/claudeops.yml --state-repo ${inSys}/.claudeops/state`,
    );
    // runtime units (/run/systemd/system): gone at the next boot of sys even if cleanup failed
    await root(
      'sys',
      `cp ${inSys}/units/claudeops.service ${inSys}/units/claudeops.timer /run/systemd/system/ && systemctl daemon-reload`,
    );
    const started = await lab.exec('sys', 'systemctl start claudeops.service');
    const result = await root('sys', 'systemctl show -p Result -p ExecMainStatus claudeops.service');
    const journal = (await lab.exec('sys', 'journalctl -u claudeops.service --no-pager -n 40')).stdout;
    expect(started.code, journal).toBe(0);
    expect(result, journal).toContain('Result=success');
    // the compile cache's directory (CacheDirectory=): made by systemd for the service's user alone
    expect((await root('sys', 'stat -c "%U %a" /var/cache/claudeops')).trim()).toBe('labops 700');
    expect(
      await root(
        'sys',
        `runuser -u labops -- git -C ${inSys}/.claudeops/state rev-list --count claudeops-state`,
      ).then((out) => out.trim()),
    ).toBe('1');
    await root('sys', 'systemctl start claudeops.timer');
    expect((await root('sys', 'systemctl show -p ActiveState claudeops.timer')).trim()).toBe(
      'ActiveState=active',
    );
    expect(await root('sys', 'systemctl list-timers --no-pager claudeops.timer')).toMatch(
      /claudeops\.timer\s+claudeops\.service/,
    );
  });
});

/** The SHA256 fingerprint of a lab server's ed25519 host key (the key init is shown first). */
function hostKeyOf(lab: Lab, name: string): string {
  return fingerprintOf(Buffer.from(lab.server(name).hostKeys['ssh-ed25519'] ?? '', 'base64'));
}
