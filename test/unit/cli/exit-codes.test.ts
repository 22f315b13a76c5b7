import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { StateBranchNotFound } from '../../../src/adapters/state-reader.js';
import { CommandFailed, exitCodeOf, failureMessage, withExitCode } from '../../../src/cli/exit-codes.js';
import { UsageError } from '../../../src/config/cli-args.js';
import { ConfigError } from '../../../src/config/parse-config.js';

describe('CLI exit codes (one place)', () => {
  it('maps a usage error to 2 and every other failure to 1', () => {
    expect(exitCodeOf(new UsageError('unknown option --frobnicate'))).toBe(2);
    for (const error of [
      new ConfigError('c.yml', ['servers: required']),
      new StateBranchNotFound('.claudeops/state: no such directory'),
      new CommandFailed('show: no run or problem "x" on the state branch'),
      new Error('EACCES'),
      'a string thrown',
    ])
      expect(exitCodeOf(error)).toBe(1);
  });

  it('shows messages written for the user as they are, anything else as a claudeops: line', () => {
    expect(failureMessage(new CommandFailed('show: nothing'))).toBe('show: nothing');
    expect(failureMessage(new ConfigError('c.yml', ['x: bad']))).toMatch(/^c\.yml: 1 problem in the config/);
    expect(failureMessage(new Error('EACCES: permission denied'))).toBe(
      'claudeops: EACCES: permission denied',
    );
  });

  it('runs a command: its code when it returns, the mapped code and one logged line when it throws', async () => {
    const lines: string[] = [];
    const logger = { error: (m: string) => lines.push(m) };
    expect(await withExitCode(logger, () => 0)).toBe(0);
    expect(
      await withExitCode(logger, async () => {
        throw new UsageError('usage: claudeops check');
      }),
    ).toBe(2);
    expect(lines).toEqual(['usage: claudeops check']);
  });

  it('no other CLI module maps errors to exit codes', () => {
    const mapping = execFileSync(
      'git',
      [
        'grep',
        '-l',
        '-E',
        'instanceof (UsageError|ConfigError|StateBranchNotFound)|return [12];',
        '--',
        'src/cli',
        'src/cli-main.ts',
      ],
      { encoding: 'utf8' },
    )
      .split('\n')
      .filter(Boolean);
    expect(mapping).toEqual(['src/cli/exit-codes.ts']);
  });
});
