import { describe, expect, it } from 'vitest';
import { configSchema } from '../../../src/config/schema.js';
import { answerProblems, clockSkewMs, doctorScript, serverAsk } from '../../../src/doctor/server-checks.js';
import { toolsNeeded } from '../../../src/doctor/tools-needed.js';
import { HELPER_PATH } from '../../../src/remediate/server-helper.js';

const config = configSchema.parse({
  version: 1,
  servers: [
    {
      name: 'web1',
      host: '10.0.0.5',
      user: 'ops',
      sudo: 'actions',
      services: [
        { name: 'nginx' },
        { name: 'lab-app', manager: 'supervisor' },
        { name: 'worker', manager: 'pm2' },
      ],
      endpoints: [{ url: 'http://127.0.0.1/' }, { url: 'https://example.com/', from: 'runner' }],
      databases: [{ kind: 'postgres' }, { kind: 'redis' }],
      logs: [{ journal: 'nginx' }],
      checks: [
        { name: 'queue', command: '/usr/local/bin/queue-depth --json' },
        { name: 'env', command: 'A=1 sh -c x' },
      ],
      security_updates: true,
    },
    { name: 'plain', host: '10.0.0.6', user: 'ops' },
  ],
});
const [web1, plain] = config.servers;
if (!web1 || !plain) throw new Error('no servers');

describe('what doctor asks a server', () => {
  it('the tools of every configured probe, alternatives where a probe takes whichever exists', () => {
    expect(toolsNeeded(web1).map((t) => t.anyOf.join('|'))).toEqual([
      'systemctl',
      'supervisorctl',
      'pm2',
      'curl',
      'psql',
      'redis-cli',
      'journalctl',
      'apt-get|dnf|yum',
      '/usr/local/bin/queue-depth',
      'df',
      'sudo',
    ]);
    // endpoints from the runner need no curl on the server; nothing configured needs little
    expect(toolsNeeded(plain).map((t) => t.anyOf.join('|'))).toEqual(['df']);
  });

  it('sudo: actions asks sudo -n -l for exactly the commands `claudeops sudoers` allows', () => {
    const ask = serverAsk(config, web1);
    expect(ask.sudo.map((s) => s.argv.join(' '))).toEqual(
      expect.arrayContaining([
        'systemctl restart -- nginx',
        'systemctl start -- nginx',
        'supervisorctl restart lab-app',
      ]),
    );
    expect(ask.sudo.some((s) => s.argv[0] === 'pm2')).toBe(false);
    // the helper those commands go through must be installed: a tool to look for
    expect(ask.tools.at(-1)).toMatchObject({
      anyOf: [HELPER_PATH],
      fix: expect.stringContaining('claudeops helper'),
    });
    expect(ask.sudo.filter((s) => s.argv[0] === HELPER_PATH).map((s) => s.argv.at(-1))).toContain(
      '/run/claudeops-doctor.pid',
    );
    const script = doctorScript(ask, 'n0nce-n0nce-n0nce-00');
    expect(script).toContain("o=$(sudo -n -l 'systemctl' 'restart' '--' 'nginx' </dev/null 2>&1)");
    // the clock is read first, before anything slow
    expect(script.indexOf('date +%s')).toBeLessThan(script.indexOf('co_have "$p"'));
  });

  it('sudo: true asks for `sudo -n sh -s`; sudo: false lists the fixes that will need root', () => {
    const asRoot = configSchema.parse({ version: 1, servers: [{ ...web1, sudo: true }] }).servers[0];
    const noSudo = configSchema.parse({ version: 1, servers: [{ ...web1, sudo: false }] }).servers[0];
    if (!asRoot || !noSudo) throw new Error('no server');
    expect(serverAsk(config, asRoot).sudo.map((s) => s.argv)).toEqual([['sh', '-s']]);
    expect(serverAsk(config, noSudo)).toMatchObject({
      sudo: [],
      rootActions: expect.arrayContaining(['restart-service']),
    });
  });
});

describe('what doctor makes of the answer', () => {
  it('clock skew: zero inside the round trip, however long; the distance outside it', () => {
    const sent = 1_000_000_000_000;
    expect(clockSkewMs(sent / 1000, sent, sent + 8_000)).toBe(0);
    expect(clockSkewMs(sent / 1000 + 5, sent, sent + 8_000)).toBe(0);
    expect(clockSkewMs(sent / 1000 + 3600, sent, sent + 2_000)).toBe(3_598_000);
    expect(clockSkewMs(sent / 1000 - 120, sent, sent + 2_000)).toBe(-119_000);
  });

  const timing = {
    sentAt: 1_000_000_000_000,
    answeredAt: 1_000_000_001_000,
    configPath: 'c.yml',
    mode: 'safe' as const,
  };

  it('every refused sudo command in one line, with the command that fixes it', () => {
    const ask = serverAsk(config, web1);
    const answer = {
      time: 1_000_000_000,
      uid: 1000,
      tools: new Map(ask.tools.map((t, i) => [i, t.anyOf[0] ?? ''])),
      sudo: new Map(ask.sudo.map((_, i) => [i, { rc: 1, said: 'sudo: a password is required' }])),
    };
    const problems = answerProblems(web1, ask, answer, timing);
    expect(problems).toEqual([
      {
        server: 'web1',
        check: 'sudo',
        message: expect.stringMatching(
          new RegExp(
            `^sudo refuses ${ask.sudo.length} of the ${ask.sudo.length} commands the config needs: \`sudo -n systemctl restart -- nginx\` \\(restart-service\\), .* and \\d+ more \\(sudo said: sudo: a password is required\\)$`,
          ),
        ),
        fix: 'install the output of `claudeops sudoers --config c.yml --server web1` as /etc/sudoers.d/claudeops (regenerate it whenever services change)',
      },
    ]);
  });

  it('a program sudo cannot find is a missing tool, said once (not a refusal too)', () => {
    const ask = serverAsk(config, web1);
    const helper = ask.tools.findIndex((t) => t.anyOf[0] === HELPER_PATH);
    const tools = new Map(ask.tools.map((t, i) => [i, t.anyOf[0] ?? '']));
    tools.delete(helper);
    // an SSH user sudo allows everything: only the helper's commands come back, not found
    const sudo = new Map(
      ask.sudo.map((s, i) => [
        i,
        s.argv[0] === HELPER_PATH
          ? { rc: 1, said: `sudo: ${HELPER_PATH}: command not found` }
          : { rc: 0, said: '' },
      ]),
    );
    const problems = answerProblems(web1, ask, { time: 1_000_000_000, uid: 1000, tools, sudo }, timing);
    expect(problems.map((p) => p.check)).toEqual(['tools']);
    expect(problems[0]?.message).toMatch(/^\/usr\/local\/sbin\/claudeops-helper not found on the PATH/);
    // a program no tool line covers (the rotate-logs fix's logrotate): said once, as a tool
    const noLogrotate = new Map(
      ask.sudo.map((s, i) => [
        i,
        s.argv[0] === 'logrotate'
          ? { rc: 1, said: 'sudo: logrotate: command not found' }
          : { rc: 0, said: '' },
      ]),
    );
    const installed = new Map(ask.tools.map((t, i) => [i, t.anyOf[0] ?? '']));
    expect(
      answerProblems(
        web1,
        ask,
        { time: 1_000_000_000, uid: 1000, tools: installed, sudo: noLogrotate },
        timing,
      ),
    ).toEqual([
      {
        server: 'web1',
        check: 'tools',
        message: 'logrotate not found by sudo (needed for rotate-logs)',
        fix: 'install logrotate on the server, where the fix runs it as root',
      },
    ]);
    // refused in silence (sudo -l COMMAND prints nothing): named as such
    const silent = new Map(ask.sudo.map((_, i) => [i, { rc: i === 0 ? 1 : 0, said: '' }]));
    expect(
      answerProblems(web1, ask, { time: 1_000_000_000, uid: 1000, tools: installed, sudo: silent }, timing)[0]
        ?.message,
    ).toMatch(
      /^sudo refuses 1 of the \d+ commands the config needs: .* \(sudo said: not allowed \(exit 1\)\)$/,
    );
  });

  it('a missing tool, a silent clock, fixes that cannot get root', () => {
    const noSudo = configSchema.parse({ version: 1, servers: [{ ...web1, sudo: false }] }).servers[0];
    if (!noSudo) throw new Error('no server');
    const ask = serverAsk(config, noSudo);
    const tools = new Map(ask.tools.map((t, i) => [i, t.anyOf[0] ?? '']));
    tools.delete(ask.tools.findIndex((t) => t.anyOf[0] === 'curl'));
    const problems = answerProblems(noSudo, ask, { uid: 1000, tools, sudo: new Map() }, timing);
    expect(problems.map((p) => `${p.check}: ${p.message}`)).toEqual([
      'clock: the clock could not be read (date printed nothing)',
      'tools: curl not found on the PATH (needed for endpoints checked from the server)',
      expect.stringMatching(
        /^sudo: fixes that need root \(restart-service, .*\) will fail: the SSH user is not root and sudo is false$/,
      ),
    ]);
    // as root, or in report mode, nothing needs sudo
    expect(
      answerProblems(
        noSudo,
        ask,
        {
          uid: 0,
          time: 1_000_000_000,
          tools: new Map(ask.tools.map((t, i) => [i, t.anyOf[0] ?? ''])),
          sudo: new Map(),
        },
        timing,
      ),
    ).toEqual([]);
    expect(
      answerProblems(
        noSudo,
        ask,
        {
          uid: 1000,
          time: 1_000_000_000,
          tools: new Map(ask.tools.map((t, i) => [i, t.anyOf[0] ?? ''])),
          sudo: new Map(),
        },
        { ...timing, mode: 'report' },
      ),
    ).toEqual([]);
  });
});
