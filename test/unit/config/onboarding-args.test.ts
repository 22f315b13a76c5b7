import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/config/cli-args.js';
import {
  parseHostSpec,
  parseInitArgs,
  parseTimerArgs,
  parseWatchArgs,
} from '../../../src/config/onboarding-args.js';

const defaults = { user: 'ops', port: 22 };
const noFile = () => '';

describe('init arguments', () => {
  it.each([
    ['web1.example.com', { host: 'web1.example.com', port: 22, user: 'ops' }],
    ['deploy@10.0.0.5', { host: '10.0.0.5', port: 22, user: 'deploy' }],
    ['10.0.0.5:2222', { host: '10.0.0.5', port: 2222, user: 'ops' }],
    ['root@[2001:db8::1]:2200', { host: '2001:db8::1', port: 2200, user: 'root' }],
    ['[::1]', { host: '::1', port: 22, user: 'ops' }],
  ])('%s', (spec, target) => {
    expect(parseHostSpec(spec, defaults)).toEqual(target);
  });

  it.each([
    ['web1;rm -rf /', /expected HOST, USER@HOST or HOST:PORT/],
    ['-oProxyCommand=x', /expected HOST/],
    ['a@b@c', /"a@b" is not a user name/],
    ['web1:0', /expected a port from 1 to 65535/],
    ['web1:70000', /expected a port/],
    ['bad user@web1', /is not a user name/],
  ])('%s is refused', (spec, message) => {
    expect(() => parseHostSpec(spec, defaults)).toThrow(message);
  });

  it('several hosts, --user and --port as defaults, --out and --accept-new', () => {
    const args = parseInitArgs(
      [
        '--host',
        'a',
        '--host',
        'root@b:2022',
        '--user',
        'ops',
        '--port',
        '2200',
        '--out',
        'x.yml',
        '--accept-new',
      ],
      {},
    );
    expect(args).toEqual({
      targets: [
        { host: 'a', port: 2200, user: 'ops' },
        { host: 'b', port: 2022, user: 'root' },
      ],
      out: 'x.yml',
      acceptNew: true,
    });
    expect(parseInitArgs(['--host', 'a'], { USER: 'alice' })).toMatchObject({
      targets: [{ user: 'alice' }],
      out: '.github/claudeops.yml',
      acceptNew: false,
    });
  });

  it.each([
    [[], /give at least one --host/],
    [['--host', 'a', '--host', 'a:22'], /given twice/],
    [['--hots', 'a'], /did you mean "--host"/],
    [['--host', 'a', 'b'], /unexpected argument "b"/],
  ])('%j is a usage error', (argv, message) => {
    expect(() => parseInitArgs(argv, {})).toThrow(UsageError);
    expect(() => parseInitArgs(argv, {})).toThrow(message);
  });
});

describe('watch and timer arguments', () => {
  it("watch takes --every and check's options", () => {
    const { inputs, everyMs } = parseWatchArgs(
      ['--every', '90s', '--config', 'c.yml', '--mode', 'report'],
      {},
      noFile,
    );
    expect(everyMs).toBe(90_000);
    expect(inputs).toMatchObject({ task: 'check', configPath: 'c.yml', mode: 'report' });
    expect(() => parseWatchArgs([], {}, noFile)).toThrow(/--every DURATION is required/);
    expect(() => parseWatchArgs(['--every', '5s'], {}, noFile)).toThrow(/at least 10s/);
    expect(() => parseWatchArgs(['--every', 'often'], {}, noFile)).toThrow(/expected a duration/);
  });

  it('timer needs --every and --out', () => {
    expect(parseTimerArgs(['--every', '5m', '--out', 'units', '--user', 'ops'])).toEqual({
      everyMs: 300_000,
      out: 'units',
      user: 'ops',
      configPath: '.github/claudeops.yml',
      stateRepo: '.claudeops/state',
    });
    expect(() => parseTimerArgs(['--every', '5m'])).toThrow(/--out DIR is required/);
    expect(() => parseTimerArgs(['--every', '5m', '--out', 'u', '--user', 'a b'])).toThrow(/not a user name/);
  });
});
