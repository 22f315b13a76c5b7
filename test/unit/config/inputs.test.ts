import { afterEach, describe, expect, it, vi } from 'vitest';
import { readActionInputs } from '../../../src/adapters/action-inputs.js';
import {
  COMMAND_HELP,
  COMMANDS,
  helpOrVersion,
  parseCliArgs,
  parseReadArgs,
  parseSetupArgs,
  UsageError,
} from '../../../src/config/cli-args.js';
import { TASK_NAMES } from '../../../src/core/tasks.js';

function withInputs(inputs: Record<string, string>): void {
  for (const [name, value] of Object.entries(inputs)) vi.stubEnv(`INPUT_${name.toUpperCase()}`, value);
}

describe('readActionInputs', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('applies the documented defaults (docs/architecture.md#interfaces) when inputs are empty', () => {
    withInputs({ task: '', mode: '', 'dry-run': '', shard: '' });
    const inputs = readActionInputs();
    expect(inputs).toMatchObject({
      configPath: '.github/claudeops.yml',
      task: 'check',
      dryRun: false,
      model: 'claude-sonnet-4-6',
      stateBranch: 'claudeops-state',
    });
    expect(inputs.mode).toBeUndefined();
    expect(inputs.shard).toBeUndefined();
  });

  it('reads every input', () => {
    withInputs({
      config: 'ops/fleet.yml',
      task: 'execute-approved',
      mode: 'full',
      'dry-run': 'true',
      servers: 'web1,tag:db',
      shard: '2/4',
      'ssh-private-key': 'KEY',
      'known-hosts': 'web1 ssh-ed25519 AAAA',
      'anthropic-api-key': 'sk-ant-x',
      model: 'claude-opus-4-5',
      'github-token': 'ghs_x',
      'state-branch': 'ops-state',
      'heartbeat-url': 'https://hc-ping.com/secret-uuid',
    });
    expect(readActionInputs()).toMatchObject({
      configPath: 'ops/fleet.yml',
      task: 'execute-approved',
      mode: 'full',
      dryRun: true,
      servers: 'web1,tag:db',
      shard: { index: 2, count: 4 },
      sshPrivateKey: 'KEY',
      knownHosts: 'web1 ssh-ed25519 AAAA',
      anthropicApiKey: 'sk-ant-x',
      model: 'claude-opus-4-5',
      githubToken: 'ghs_x',
      stateBranch: 'ops-state',
      heartbeatUrl: 'https://hc-ping.com/secret-uuid',
    });
  });

  it(`treats an input still reading \${{ … }} as unset, with a warning that does not echo it`, () => {
    const warnings: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      warnings.push(String(chunk));
      return true;
    });
    try {
      withInputs({
        'github-token': `\${{ github.token }}`,
        model: `\${{inputs.model}}`,
        'state-branch': `ops-\${{ vars.X }}`,
        'anthropic-api-key': 'sk-ant-real',
      });
      const inputs = readActionInputs();
      expect(inputs.githubToken).toBeUndefined();
      expect(inputs.model).toBe('claude-sonnet-4-6');
      expect(inputs.stateBranch).toBe('claudeops-state');
      expect(inputs.anthropicApiKey).toBe('sk-ant-real');
    } finally {
      write.mockRestore();
    }
    const out = warnings.join('');
    expect(out).toMatch(/::warning::input github-token reads an unevaluated/);
    expect(out).toMatch(/::warning::input model reads/);
    expect(out).toMatch(/::warning::input state-branch reads/);
    expect(out).not.toContain('github.token');
    expect(out).not.toMatch(/anthropic-api-key reads/);
  });

  it('refuses bad inputs, all of them at once', () => {
    withInputs({ task: 'fix-everything', mode: 'yolo', shard: '5/4', 'dry-run': 'maybe' });
    expect(() => readActionInputs()).toThrow(
      [
        'invalid inputs:',
        `  - task: expected one of ${TASK_NAMES.join(', ')} (got "fix-everything")`,
        '  - mode: expected one of report, safe, full (got "yolo")',
        '  - shard: expected i/n with 1 <= i <= n, like 2/4 (got "5/4")',
        '  - dry-run: expected true or false (got "maybe")',
      ].join('\n'),
    );
  });
});

describe('parseCliArgs', () => {
  const noFile = () => {
    throw new Error('no file expected');
  };

  it('parses a check with every flag', () => {
    const inputs = parseCliArgs(
      [
        'check',
        '--config',
        'c.yml',
        '--mode',
        'report',
        '--dry-run',
        '--servers',
        'a',
        '--shard',
        '1/2',
        '--state-repo',
        'st',
      ],
      {},
      noFile,
    );
    expect(inputs).toMatchObject({
      task: 'check',
      configPath: 'c.yml',
      mode: 'report',
      dryRun: true,
      servers: 'a',
      shard: { index: 1, count: 2 },
      stateRepo: 'st',
    });
  });

  it('reads SSH material from the environment, inline or from files', () => {
    const files: Record<string, string> = { '/k': 'KEYTEXT', '/kh': 'HOSTS' };
    const inputs = parseCliArgs(
      ['recover'],
      { SSH_PRIVATE_KEY_FILE: '/k', KNOWN_HOSTS_FILE: '/kh' },
      (p) => files[p] ?? '',
    );
    expect(inputs.sshPrivateKey).toBe('KEYTEXT');
    expect(inputs.knownHosts).toBe('HOSTS');
    expect(parseCliArgs(['check'], { SSH_PRIVATE_KEY: 'INLINE' }, noFile).sshPrivateKey).toBe('INLINE');
  });

  it.each([
    [[], /^usage: claudeops/],
    [['chek'], /^unknown command "chek"/],
    [['check', '--mode', 'fast'], /^--mode: expected one of report, safe, full \(got "fast"\)$/],
    [['check', '--shard', '0/3'], /^--shard: expected i\/n/],
    [['check', '--frobnicate'], /^unknown option --frobnicate\nusage: claudeops check /],
    [['chekc'], /^unknown command "chekc" \(did you mean "check"\?\)/],
    [['check', '--stat-repo', 'x'], /^unknown option --stat-repo \(did you mean "--state-repo"\?\)/],
    [['check', '--dryrun'], /did you mean "--dry-run"/],
  ])('%j is a usage error', (argv, message) => {
    expect(() => parseCliArgs(argv, {}, noFile)).toThrow(UsageError);
    expect(() => parseCliArgs(argv, {}, noFile)).toThrow(message);
  });
});

describe('usage errors are short: the mistake, the usage line, where the rest is', () => {
  const noFile = () => '';
  const messageOf = (fn: () => unknown) => {
    try {
      fn();
    } catch (error) {
      return (error as Error).message;
    }
    return '';
  };

  it.each([
    [['check', '--stat-repo', 'x'], () => parseCliArgs(['check', '--stat-repo', 'x'], {}, noFile)],
    [['history', '--sever', 'web1'], () => parseReadArgs(['history', '--sever', 'web1'])],
    [['status-page'], () => parseReadArgs(['status-page'])],
    [['show', 'a', 'b'], () => parseReadArgs(['show', 'a', 'b'])],
    [['sudoers', '--srever', 'x'], () => parseSetupArgs(['sudoers', '--srever', 'x'])],
    [['chekc'], () => parseCliArgs(['chekc'], {}, noFile)],
  ])('%j: three lines at most, never the whole help', (argv, fn) => {
    const message = messageOf(fn);
    const lines = message.split('\n');
    expect(lines.length, message).toBeLessThanOrEqual(3);
    expect(message).toMatch(/run "claudeops (\S+ )?--help" for (its options|the commands)$/);
    if (argv[0] !== 'chekc') expect(lines[1]).toMatch(new RegExp(`^usage: claudeops ${argv[0]} `));
  });

  it('summarize lists and takes only the options it honours', () => {
    const help = COMMAND_HELP.summarize ?? '';
    expect(help.split('\n')[0]).toBe(
      'usage: claudeops summarize [--config FILE] [--servers S] [--shard i/n] [--state-repo DIR]',
    );
    expect(help).not.toMatch(/--mode|--dry-run/);
    expect(messageOf(() => parseCliArgs(['summarize', '--dry-run'], {}, noFile))).toMatch(
      /^summarize takes no --dry-run\nusage: claudeops summarize/,
    );
    expect(parseCliArgs(['summarize', '--shard', '1/3'], {}, noFile).shard).toEqual({ index: 1, count: 3 });
    // check takes them all
    expect(COMMAND_HELP.check?.split('\n')[0]).toBe(
      'usage: claudeops check [--config FILE] [--mode M] [--dry-run] [--servers S] [--shard i/n] [--state-repo DIR]',
    );
  });

  it("each command's usage line names every option its parser accepts", () => {
    const accepted: Record<string, string[]> = {
      status: ['--state-repo', '--format'],
      history: ['--server', '--since', '--state-repo', '--format'],
      issues: ['--state-repo', '--format'],
      show: ['--state-repo', '--format'],
      'status-page': ['--out', '--config', '--repo-url', '--state-repo', '--format'],
    };
    for (const [command, options] of Object.entries(accepted)) {
      const usage = COMMAND_HELP[command]?.split('\n')[0] ?? '';
      for (const option of options) expect(usage, command).toContain(option);
      // and the parser accepts each (a value where one is needed)
      const argv = [
        command,
        ...(command === 'show' ? ['x'] : []),
        ...options.flatMap((o) => [o, o === '--format' ? 'json' : o === '--since' ? '7d' : 'v']),
      ];
      expect(() => parseReadArgs(argv), argv.join(' ')).not.toThrow();
    }
  });
});

describe('help, version and suggestions on every command', () => {
  it.each(COMMANDS)("%s --help, -h and help %s print that command's usage", (command) => {
    for (const argv of [
      [command, '--help'],
      [command, '-h'],
      ['help', command],
      [command, '--server', 'x', '--help'],
    ]) {
      expect(helpOrVersion(argv, '1.2.3')).toMatch(new RegExp(`^usage: claudeops ${command}`));
    }
  });

  it('bare help, --help and -h print the overview listing every command', () => {
    for (const argv of [['help'], ['--help'], ['-h']]) {
      const text = helpOrVersion(argv, '1.2.3') ?? '';
      for (const command of COMMANDS) expect(text).toContain(command);
    }
  });

  it('--version prints the version; -h after -- is an argument, not a request for help', () => {
    expect(helpOrVersion(['--version'], '1.2.3')).toBe('claudeops 1.2.3');
    expect(helpOrVersion(['show', '--', '-h'], '1.2.3')).toBeUndefined();
    expect(helpOrVersion(['check'], '1.2.3')).toBeUndefined();
  });

  it('suggests the nearest option of the command that was given', () => {
    expect(() => parseReadArgs(['history', '--sever', 'web1'])).toThrow(/did you mean "--server"/);
    expect(() => parseReadArgs(['status', '--fromat', 'json'])).toThrow(/did you mean "--format"/);
    expect(() => parseSetupArgs(['sudoers', '--srever', 'web1'])).toThrow(/did you mean "--server"/);
    // an option of another command is unknown here, and says so
    expect(() => parseReadArgs(['status', '--since', '7d'])).toThrow(/^unknown option --since/);
  });

  it('parses the read commands, defaults included', () => {
    expect(parseReadArgs(['history'])).toMatchObject({
      command: 'history',
      format: 'text',
      sinceMs: 7 * 86_400_000,
      stateRepo: '.claudeops/state',
    });
    expect(
      parseReadArgs(['history', '--server', 'web1', '--since', '12h', '--format', 'json']),
    ).toMatchObject({ server: 'web1', sinceMs: 12 * 3_600_000, format: 'json' });
    expect(parseReadArgs(['show', 'web1/disk//var'])).toMatchObject({ target: 'web1/disk//var' });
    expect(() => parseReadArgs(['show'])).toThrow(/give one RUN or FINGERPRINT/);
    expect(() => parseReadArgs(['status-page'])).toThrow(/--out DIR is required/);
    expect(() => parseReadArgs(['status', '--format', 'xml'])).toThrow(/expected text or json/);
    expect(() => parseReadArgs(['history', '--since', 'soon'])).toThrow(/--since: expected a duration/);
  });
});
