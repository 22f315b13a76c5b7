/**
 * claudeops-helper as text and as a program (src/remediate/claudeops-helper.sh, docs/least-privilege.md):
 * the generated module matches the shell file, the script parses in dash and bash, `claudeops
 * helper` prints exactly what runs, its lock-path check agrees with the catalog's, and the
 * hostile-arguments corpus (test/fixtures/adversarial/helper-arguments.json) is refused before
 * anything is touched — run by the real dash as an unprivileged user. What it does to real trees
 * and processes under attack: test/integration/executor-races.test.ts.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runSetupCommand } from '../../../src/cli/server-setup.js';
import { LOCK_FILE_PATTERN } from '../../../src/remediate/catalog.js';
import {
  HELPER_VERSION,
  helperDigest,
  helperScript,
  LOCK_FILE_ERE,
} from '../../../src/remediate/server-helper.js';
import { ROOT } from '../../support/runner.js';

interface ArgumentCase {
  name: string;
  args: string[];
  exit: number;
  match: string;
}

const CASES = (
  JSON.parse(readFileSync(join(ROOT, 'test/fixtures/adversarial/helper-arguments.json'), 'utf8')) as {
    cases: ArgumentCase[];
  }
).cases;

const asRoot = process.getuid?.() === 0;

/** The helper run by dash, as nobody when this runs as root (a regression cannot touch the host). */
function helper(args: string[]) {
  const argv = ['-c', helperScript(), 'claudeops-helper', ...args];
  const r = asRoot
    ? spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'dash', ...argv], {
        encoding: 'utf8',
      })
    : spawnSync('dash', argv, { encoding: 'utf8' });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('claudeops-helper', () => {
  it('is the generated module of src/remediate/claudeops-helper.sh, with every placeholder filled', () => {
    expect(() =>
      execFileSync('node', ['scripts/gen-helper.mjs', '--check'], { cwd: ROOT, stdio: 'pipe' }),
    ).not.toThrow();
    const script = helperScript();
    expect(script.startsWith('#!/bin/sh\n')).toBe(true);
    expect(script).not.toMatch(/@[A-Z_]+@/);
    expect(script).toContain(`# claudeops-helper ${HELPER_VERSION}:`);
    expect(helperDigest()).toMatch(/^[0-9a-f]{64}$/);
  });

  it.each(['dash', 'bash'])('parses in %s', (shell) => {
    const r = spawnSync(shell, ['-n'], { input: helperScript(), encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('is what `claudeops helper` prints, and says its version', () => {
    let out = '';
    const code = runSetupCommand(
      ['helper'],
      {},
      { error: () => {} },
      {
        readFile: () => {
          throw new Error('helper reads no file');
        },
        write: (text) => {
          out += text;
        },
        now: () => new Date(),
      },
    );
    expect(code).toBe(0);
    expect(out).toBe(helperScript());
    expect(helper(['version'])).toEqual({ code: 0, out: `claudeops-helper ${HELPER_VERSION}\n` });
  });

  it("checks lock paths as the catalog does (its ERE beside the catalog's pattern)", () => {
    const paths = [
      '/run/app.pid',
      '/var/run/app/app.pid',
      '/run/lock/a/b/x.lock',
      '/tmp/x.lck',
      '/var/tmp/app/y.lock',
      '/tmp/a/b/c/x.pid',
      '/etc/x.pid',
      '/tmp/x.txt',
      '/tmp/x.pid.bak',
      '/tmp/-rf.pid',
      '/run//x.pid',
      '/tmpx/x.pid',
    ];
    for (const path of paths) {
      const grep = spawnSync('grep', ['-Eq', LOCK_FILE_ERE], { input: `${path}\n` }).status === 0;
      expect(grep, path).toBe(LOCK_FILE_PATTERN.test(path));
    }
  });

  it.each(CASES)('refuses $name', (c) => {
    const r = helper(c.args);
    expect(r.out).toMatch(new RegExp(c.match));
    expect(r.code).toBe(c.exit);
  });
});
