import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { shellQuote, shellQuoteAll } from '../../../../src/core/util/shell-quote.js';

/** What a real POSIX sh (dash here) receives as one argument after our quoting. */
function throughSh(value: string): string {
  return execFileSync('sh', ['-c', `printf '%s' ${shellQuote(value)}`], { encoding: 'utf8' });
}

describe('shellQuote', () => {
  const nasty = [
    "it's",
    "'",
    "''",
    '$(touch /tmp/claudeops-pwned)',
    '`id`',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell expansion that must stay literal
    '${HOME}',
    'a\nb\n',
    'back\\slash\\',
    '"double" quotes',
    "'; rm -rf / #",
    'tab\tand * glob ?',
    '',
    'ünïcødé ✓',
    '-n',
  ];
  for (const value of nasty) {
    it(`passes ${JSON.stringify(value)} through sh unchanged`, () => {
      expect(throughSh(value)).toBe(value);
    });
  }

  it('quotes numbers too', () => {
    expect(shellQuote(8080)).toBe("'8080'");
  });

  it('refuses a NUL byte instead of truncating silently', () => {
    expect(() => shellQuote('a\0b')).toThrow(/NUL/);
  });

  it('joins several arguments that sh splits back exactly', () => {
    const args = ['a b', "c'd", '$(e)'];
    const out = execFileSync('sh', ['-c', `for a in ${shellQuoteAll(args)}; do printf '[%s]' "$a"; done`], {
      encoding: 'utf8',
    });
    expect(out).toBe("[a b][c'd][$(e)]");
  });
});
