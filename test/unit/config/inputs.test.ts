import { afterEach, describe, expect, it, vi } from 'vitest';
import { readActionInputs } from '../../../src/config/action-inputs.js';
import { parseCliArgs, UsageError } from '../../../src/config/cli-args.js';

function withInputs(inputs: Record<string, string>): void {
  for (const [name, value] of Object.entries(inputs)) vi.stubEnv(`INPUT_${name.toUpperCase()}`, value);
}

describe('readActionInputs', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('applies the defaults of DESIGN §4 when inputs are empty', () => {
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
    });
  });

  it('refuses bad inputs, all of them at once', () => {
    withInputs({ task: 'fix-everything', mode: 'yolo', shard: '5/4', 'dry-run': 'maybe' });
    expect(() => readActionInputs()).toThrow(
      [
        'invalid inputs:',
        '  - task: expected one of check, recover, execute-approved (got "fix-everything")',
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
    [['check', '--frobnicate'], /Unknown option '--frobnicate'/],
  ])('%j is a usage error', (argv, message) => {
    expect(() => parseCliArgs(argv, {}, noFile)).toThrow(UsageError);
    expect(() => parseCliArgs(argv, {}, noFile)).toThrow(message);
  });
});
