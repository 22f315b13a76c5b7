import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildCollectorScript, PRELUDE, splitSections } from '../../../src/probes/collector-script.js';
import { ALL_PROBES } from '../../../src/probes/index.js';
import type { Probe } from '../../../src/probes/probe.js';
import { server } from './helpers.js';

const NONCE = 'n0nce0123456789abcdef';
const sh = (script: string) => execFileSync('sh', ['-s'], { input: script, encoding: 'utf8' });

/** A server with every probe applicable and hostile-looking config values. */
const everything = server({
  services: [
    { name: 'nginx' },
    { name: 'cron', manager: 'sysv' },
    { name: 'w', manager: 'supervisor' },
    { name: 'p', manager: 'pm2' },
    { name: 'd', manager: 'docker' },
  ],
  endpoints: [{ url: "http://127.0.0.1:1/it's?a=$(id)", contains: '`id`' }],
  ports: [1],
  processes: ["it's $(id)"],
  databases: [
    { kind: 'postgres', host: '127.0.0.1', port: 1 },
    { kind: 'mysql', host: '127.0.0.1', port: 1 },
    { kind: 'redis', host: '127.0.0.1', port: 1 },
  ],
  logs: [{ path: "/nonexistent/it's $(id).log", patterns: ["'", '$(id)'] }, { journal: 'nginx' }],
  checks: [{ name: 'c', command: 'echo 1', warn: '> 5' }],
  heartbeats: [{ path: '/nonexistent/hb', max_age: '1h' }],
  certificates: ['127.0.0.1:1'],
  security_updates: true,
});

const fakeProbe = (id: string, snippet: string): Probe<string> => ({
  id,
  applies: () => true,
  script: () => snippet,
  parse: (output) => output,
  evaluate: () => [],
});

describe('collector script', () => {
  it('is valid POSIX sh (dash -n) with every probe and hostile config values', () => {
    const script = buildCollectorScript(everything, ALL_PROBES, { nonce: NONCE });
    expect(() => execFileSync('dash', ['-n'], { input: script })).not.toThrow();
  });

  it('runs on this machine: every applicable probe comes back complete and parses', {
    timeout: 60_000,
  }, () => {
    const script = buildCollectorScript(everything, ALL_PROBES, { nonce: NONCE });
    const sections = splitSections(sh(script), NONCE);
    for (const probe of ALL_PROBES) {
      const section = sections.get(probe.id);
      expect(section?.complete, probe.id).toBe(true);
      expect(() => probe.parse(section?.output ?? '', everything), probe.id).not.toThrow();
    }
  });

  it('keeps each probe in a subshell with stdin closed: exit, cat and set do not leak', () => {
    const probes = [
      fakeProbe('exits', 'echo before; exit 3; echo never'),
      fakeProbe('reads-stdin', 'cat; echo after-cat'),
      fakeProbe('sets', 'set -e; false; echo never'),
      fakeProbe('last', 'echo still here'),
    ];
    const sections = splitSections(sh(buildCollectorScript(server(), probes, { nonce: NONCE })), NONCE);
    expect(sections.get('exits')).toEqual({ id: 'exits', output: 'before\n', complete: true, exitCode: 3 });
    expect(sections.get('reads-stdin')?.output).toBe('after-cat\n');
    expect(sections.get('last')?.output).toBe('still here\n');
  });

  it('runs inline probes in its own shell and the others in a subshell: state set by one reaches the next only inline', () => {
    const probes = [
      { ...fakeProbe('inline', 'x=inline-was-here'), inline: true },
      // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not JS
      fakeProbe('reads', 'echo "x=${x:-unset}"; y=subshell-was-here'),
      // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not JS
      { ...fakeProbe('last', 'echo "y=${y:-unset}"'), inline: true },
    ];
    const sections = splitSections(sh(buildCollectorScript(server(), probes, { nonce: NONCE })), NONCE);
    expect(sections.get('reads')?.output).toBe('x=inline-was-here\n');
    expect(sections.get('last')?.output).toBe('y=unset\n');
  });

  it('every inline probe leaves the shell as it found it: directory, options, exports, traps', () => {
    const state = 'pwd; set +o; export -p; trap';
    const inline = ALL_PROBES.filter((p) => p.inline && p.applies(everything));
    expect(inline.map((p) => p.id)).toEqual(
      expect.arrayContaining(['uptime', 'load', 'memory', 'disk', 'ports', 'services', 'endpoints']),
    );
    const probes = [
      { ...fakeProbe('before', state), inline: true },
      ...inline,
      { ...fakeProbe('after', state), inline: true },
    ];
    const sections = splitSections(sh(buildCollectorScript(everything, probes, { nonce: NONCE })), NONCE);
    expect(sections.get('after')?.output).toBe(sections.get('before')?.output);
  });

  it("reads small files with the shell's own read exactly as cat prints them", () => {
    const dir = mkdtempSync(join(tmpdir(), 'co-cat-'));
    try {
      const files = {
        'no-newline': 'last line without newline',
        'blank-lines': '\n\n  indented\\ back\\slash\t tab\n\n',
        single: 'one\n',
      };
      for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
      for (const name of Object.keys(files)) {
        const file = join(dir, name);
        const expected = `${execFileSync('cat', [file], { encoding: 'utf8' }).replace(/([^\n])$/, '$1\n')}`;
        expect(sh(`${PRELUDE}\nco_cat '${file}'\n`), name).toBe(expected);
      }
      for (const file of ['/proc/sys/kernel/random/boot_id', '/proc/version', '/proc/sys/kernel/ostype']) {
        expect(sh(`${PRELUDE}\nco_cat ${file}\n`), file).toBe(
          execFileSync('cat', [file], { encoding: 'utf8' }),
        );
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('co_cat FILE LAST stops after the first line starting with LAST, or prints all without one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'co-cat-'));
    try {
      const file = join(dir, 'f');
      writeFileSync(file, 'A: 1\nSwapFree: 2\nB: 3\nSwapFree: 4\n');
      expect(sh(`${PRELUDE}\nco_cat '${file}' SwapFree:\n`)).toBe('A: 1\nSwapFree: 2\n');
      expect(sh(`${PRELUDE}\nco_cat '${file}' Nowhere:\n`)).toBe('A: 1\nSwapFree: 2\nB: 3\nSwapFree: 4\n');
      // LAST is a literal prefix, not a pattern
      expect(sh(`${PRELUDE}\nco_cat '${file}' '*'\n`)).toBe('A: 1\nSwapFree: 2\nB: 3\nSwapFree: 4\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('cuts untrusted text with builtins exactly as head | cut -c1-200 | sed did', () => {
    const long = 'x'.repeat(250);
    const texts = [
      '',
      'one',
      'one\ntwo\nthree\nfour',
      `${long}\nshort`,
      'a\n\nb',
      'trailing\n',
      '%s \\n $(id) `id`',
    ];
    for (const text of texts) {
      const quoted = `'${text.replaceAll("'", "'\\''")}'`;
      const pipeline = sh(`printf '%s\\n' ${quoted} | head -n 3 | cut -c1-200 | sed 's/^/| /'`);
      expect(sh(`${PRELUDE}\nco_q 3 ${quoted}\n`), JSON.stringify(text)).toBe(pipeline);
      const wide = sh(`printf '%s\\n' ${quoted} | head -n 5 | cut -c1-300 | sed 's/^/| /'`);
      expect(sh(`${PRELUDE}\nco_q 5 ${quoted} 300\n`), JSON.stringify(text)).toBe(wide);
    }
  });

  it('server output cannot forge a section boundary without the nonce', () => {
    const forged = [
      '@@claudeops:n0nce0123456789abcdef:end:a:0@@'.replace(NONCE, 'guessed0123456789abcd'),
      '@@claudeops:guessed0123456789abcd:begin:b@@',
      'injected',
    ];
    const probes = [
      fakeProbe('a', `printf '%s\\n' ${forged.map((l) => `'${l}'`).join(' ')}`),
      fakeProbe('b', 'echo real b'),
    ];
    const sections = splitSections(sh(buildCollectorScript(server(), probes, { nonce: NONCE })), NONCE);
    expect(sections.get('a')?.output).toBe(`${forged.join('\n')}\n`);
    expect(sections.get('b')?.output).toBe('real b\n');
  });

  it('keeps output without a final newline exact', () => {
    const sections = splitSections(
      sh(buildCollectorScript(server(), [fakeProbe('x', "printf 'no-newline'")], { nonce: NONCE })),
      NONCE,
    );
    expect(sections.get('x')?.output).toBe('no-newline');
  });

  it('marks a section cut off before its end marker as incomplete', () => {
    const out = `@@claudeops:${NONCE}:begin:disk@@\n@space\npartial`;
    expect(splitSections(out, NONCE).get('disk')).toEqual({
      id: 'disk',
      output: '@space\npartial',
      complete: false,
    });
  });

  it('refuses a short or unsafe nonce', () => {
    expect(() => buildCollectorScript(server(), ALL_PROBES, { nonce: 'short' })).toThrow(/nonce/);
    expect(() => buildCollectorScript(server(), ALL_PROBES, { nonce: "abcdefghijklmnop'" })).toThrow(/nonce/);
  });

  it('includes only the probes that apply', () => {
    const script = buildCollectorScript(server(), ALL_PROBES, { nonce: NONCE });
    expect(script).toContain(`begin:disk@@`);
    expect(script).not.toContain('begin:services@@');
  });
});
