import { PassThrough } from 'node:stream';
import { stripVTControlCharacters } from 'node:util';
import { describe, expect, it } from 'vitest';
import { consoleSink } from '../../../../src/adapters/console-io.js';
import { renderSummary } from '../../../../src/core/render/render-summary.js';
import { terminalReport } from '../../../../src/core/render/terminal-report.js';
import { displayWidth, terminalTable, wrapText } from '../../../../src/core/render/terminal-table.js';
import { mdInline } from '../../../../src/core/render/untrusted-text.js';
import { action, runRecord } from '../../../support/github-records.js';

const at = new Date('2026-11-21T08:00:00Z');

/** A run with everything the summary can hold: links, escapes, a table, a chart, a caution. */
function record() {
  const r = runRecord({
    runId: '42',
    at,
    servers: ['web1', 'web2'],
    unreachable: ['web2'],
    raised: [{ server: 'web1', check: 'disk', target: '/var/lib/docker', severity: 'critical' }],
    diagnoses: [
      {
        fingerprint: 'web1/disk//var/lib/docker',
        rootCause: 'images <pulled> every deploy | never pruned',
        confidence: 'high',
        evidence: '',
        nextStep: 'prune images older than 7 days, then look at http://registry.local/_catalog',
      },
    ],
    actions: [action({ id: 'a1', server: 'web1', action: 'rotate-logs', outcome: 'fixed' })],
  });
  r.status = 'critical';
  r.github = { issues: [3], pulls: [], errors: ['GitHub API failed: create issue: 502'] };
  const state = r.serverStates.web1;
  if (state)
    state.samples['disk:/var/lib/docker'] = [
      ['2026-11-21T04:00:00Z', 80],
      ['2026-11-21T06:00:00Z', 88],
      ['2026-11-21T08:00:00Z', 93],
    ];
  return r;
}

describe('the report on a terminal', () => {
  const markdown = renderSummary(record(), { repoUrl: 'https://github.test/acme/ops' });

  it('has no HTML entity, backslash escape or Mermaid: what GitHub renders, said plainly', () => {
    // the job summary has all of these
    expect(markdown).toMatch(/&#8203;|&lt;|\\\|/);
    expect(markdown).toContain('```mermaid');
    const text = terminalReport(markdown);
    expect(text).not.toMatch(
      /&#\d+;|&lt;|&gt;|&amp;|\\[|<>_*]|```|xychart|%%\{init|<\/?(sub|details|summary)>/,
    );
    expect(text).toContain('images <pulled> every deploy | never pruned');
    expect(text).toContain('http://registry.local/_catalog');
    // the chart is one line of figures; issues keep their links as text
    expect(text).toContain('- web1 disk /var/lib/docker (% used): 80 → 93 (highest 93)');
    expect(text).toContain('#3 (https://github.test/acme/ops/issues/3)');
    expect(text).toMatch(/^CAUTION$/m);
    expect(text.split('\n')[0]).toBe('CLAUDEOPS CHECK');
  });

  it('keeps escaped backticks as backticks: server or problem text with `code` in it', () => {
    const text = terminalReport(
      `## Doctor\n\n- ${mdInline('run `claudeops authorized-keys` on the server')}\n`,
    );
    expect(text).toContain('- run `claudeops authorized-keys` on the server');
    expect(text).not.toContain('\\');
    // a real code span still loses its fence
    expect(terminalReport('use `claudeops helper` first')).toBe('use claudeops helper first');
  });

  it('fits its tables to the terminal: every line within the width, no word cut', () => {
    for (const width of [60, 80, 120]) {
      const text = terminalReport(markdown, { width });
      for (const line of text.split('\n').filter((l) => !l.startsWith('    ') && !/^\S.* \(https?:/.test(l)))
        expect(displayWidth(line), `${width}: ${line}`).toBeLessThanOrEqual(width);
      // a wrapped diagnosis keeps its words whole (a wrapped cell's lines sit beside other cells')
      const words = new Set(text.split(/\s+/));
      for (const word of 'prune images older than 7 days, then look at http://registry.local/_catalog'.split(
        ' ',
      ))
        expect(words, `${width}: ${word}`).toContain(word);
    }
  });

  it('colours the status words only when asked (a terminal without NO_COLOR)', () => {
    expect(terminalReport(markdown)).not.toContain('\u001b');
    const coloured = terminalReport(markdown, { colour: true });
    expect(coloured).toContain('\u001b[31m🔴 critical\u001b[0m');
    expect(coloured).toContain('\u001b[1mFleet\u001b[0m');
  });

  it('the CLI sink prints it: fitted to the stream when it is a terminal, plain when piped', async () => {
    const capture = (tty: boolean) => {
      const stream = Object.assign(new PassThrough(), { isTTY: tty, columns: 70 });
      const chunks: string[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c.toString()));
      return { stream, text: () => chunks.join('') };
    };
    const terminal = capture(true);
    await consoleSink(terminal.stream, [], {}).summary(markdown);
    expect(terminal.text()).toContain('\u001b[31m');
    const table = terminal
      .text()
      .split('\n')
      .filter((l) => l.includes('web2'));
    for (const line of table) expect(displayWidth(stripVTControlCharacters(line))).toBeLessThanOrEqual(70);
    const piped = capture(false);
    await consoleSink(piped.stream, [], {}).summary(markdown);
    expect(piped.text()).not.toContain('\u001b');
    const noColour = capture(true);
    await consoleSink(noColour.stream, [], { NO_COLOR: '1' }).summary(markdown);
    expect(noColour.text()).not.toContain('\u001b');
  });
});

describe('terminal tables', () => {
  it('measures emoji as two columns and marks as none', () => {
    expect(displayWidth('🔴 critical')).toBe(11);
    expect(displayWidth('✅ fixed')).toBe(8);
    expect(displayWidth('⏸️ not-run')).toBe(10);
    expect(displayWidth('e\u0301')).toBe(1);
  });

  it('wraps the widest column at spaces, never cutting a word that fits', () => {
    const rows = [
      ['severity', 'fingerprint', 'summary'],
      [
        'critical',
        'web1/disk//',
        'the root filesystem is 93% full and growing by 2% an hour since the deploy',
      ],
      ['warning', 'db1/memory/-', 'memory 88% used'],
    ];
    const text = terminalTable(rows, 50);
    for (const line of text.split('\n')) expect(displayWidth(line)).toBeLessThanOrEqual(50);
    expect(text.replace(/\s+/g, ' ')).toContain(
      'the root filesystem is 93% full and growing by 2% an hour since the deploy',
    );
    expect(text.split('\n')[0]).toBe('severity  fingerprint   summary');
    expect(wrapText('a verylongwordthatcannotfit here', 10)).toEqual([
      'a',
      'verylongwo',
      'rdthatcann',
      'otfit here',
    ]);
  });
});
