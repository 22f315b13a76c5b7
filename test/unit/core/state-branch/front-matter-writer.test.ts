/**
 * The front matter of every document a run writes comes from a fixed-shape writer, not the yaml
 * library's document model. Its text must be byte for byte the library's (readers, diffs and
 * earlier files stay as they were) and read back as the same values, for hostile values too; the
 * real documents' shapes must take the fast path, or the writer saves nothing.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { renderHealthReport } from '../../../../src/core/render/render-health-report.js';
import { plainDeep } from '../../../../src/core/render/untrusted-text.js';
import {
  fixedShape,
  parseDocument,
  renderFrontMatter,
} from '../../../../src/core/state-branch/front-matter.js';
import { renderIssueFile } from '../../../../src/core/state-branch/issue-files.js';
import { sampleRecord } from '../../../support/records.js';

const library = (meta: object) => stringify(plainDeep(meta), { lineWidth: 0 });

/**
 * The writer's text equals the library's; what the fast path wrote reads back through the yaml
 * parser as exactly the values (the rest is the library's own text, as before).
 */
function same(meta: object): boolean {
  const fast = fixedShape(plainDeep(meta));
  expect(fast ?? library(meta)).toBe(library(meta));
  const written = renderFrontMatter(meta);
  expect(written).toBe(`---\n${library(meta).trimEnd()}\n---`);
  if (fast === undefined) return false;
  const back = parseDocument(`${written}\n# body\n`);
  expect(back.valid).toBe(true);
  expect(back.meta).toEqual(dropUndefined(plainDeep(meta)));
  return true;
}

function dropUndefined(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(dropUndefined);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [k, dropUndefined(v)]),
  );
}

/** Strings a writer could get wrong: YAML indicators, types, quotes, markers, whitespace, Unicode. */
const TRICKY = [
  '-',
  '?',
  ':',
  '#',
  '- x',
  '? x',
  'a: b',
  'a:b',
  'a #b',
  'a#b',
  'x:',
  'x ',
  ' x',
  '',
  '---',
  '--- x',
  '...',
  '%YAML 1.2',
  '%x',
  '@x',
  '`x`',
  '!tag',
  '&anchor',
  '*alias',
  '|',
  '>',
  '[a]',
  '{a: 1}',
  ',x',
  'x,y',
  "it's",
  'say "hi"',
  `both ' and "`,
  'back\\slash',
  '\\"',
  'null',
  'Null',
  'NULL',
  '~',
  'true',
  'False',
  'TRUE',
  'yes',
  'no',
  'on',
  'off',
  'y',
  'n',
  '0',
  '-0',
  '+1',
  '12',
  '1.5',
  '.5',
  '5.',
  '1e3',
  '1E-3',
  '0x1f',
  '0o17',
  '0b101',
  '.inf',
  '-.Inf',
  '.nan',
  '.NaN',
  '1_000',
  '2026-12-07',
  '2026-12-07T12:10:46.428Z',
  '12:30',
  'localhost/load/-',
  'web1--disk--/var',
  'ok (with errors)',
  'C:\\path',
  'a\tb',
  'a\nb',
  'line\n',
  '\nline',
  'a \nb',
  'wéb-2',
  '日本',
  '😀',
  'a\u00a0b',
  'a\u2028b',
  'a\u0085b',
  '\u{1F600}x',
  'x'.repeat(300),
  `${'word '.repeat(40)}end`,
  '"',
  "'",
  '\\',
  '=',
  '<',
  '%',
];

/** Every position a string takes in the documents: a value, in a list, in a list's mapping, a key. */
function placements(text: string): object[] {
  return [
    { run: 'r1', value: text },
    { list: [text, 'b'] },
    {
      findings: [
        { fingerprint: text, severity: 'warning' },
        { fingerprint: 'b', severity: text },
      ],
    },
    { nested: { inner: text } },
    { [text]: 1 },
    { plain: 'a', [`${text}`]: [text] },
  ];
}

describe('front matter writer', () => {
  it('writes the library’s bytes for every tricky string in every position, and reads back', () => {
    let fast = 0;
    for (const text of TRICKY) for (const meta of placements(text)) if (same(meta)) fast++;
    // the fast path is taken for most of them (plain and simply quoted strings)
    expect(fast).toBeGreaterThan(TRICKY.length * 2);
  });

  it('writes the library’s bytes for the hostile corpus’ lines and for 5 000 random strings', () => {
    const dir = new URL('../../../fixtures/hostile/', import.meta.url);
    for (const name of readdirSync(dir).filter((n) => n.endsWith('.txt'))) {
      for (const line of readFileSync(new URL(name, dir), 'utf8').split('\n').slice(0, 60))
        for (const meta of placements(line)) same(meta);
    }
    const alphabet = [
      'a',
      'Z',
      '0',
      '9',
      ' ',
      ':',
      '#',
      '-',
      '?',
      '"',
      "'",
      '\\',
      '.',
      ',',
      '[',
      '{',
      '%',
      '@',
      '!',
      '&',
      '*',
      '|',
      '>',
      '~',
      '\t',
      '\n',
      'é',
      '\u2028',
      'e',
      'x',
      '+',
    ];
    let seed = 7;
    const next = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed;
    };
    for (let i = 0; i < 5_000; i++) {
      const length = next() % 8;
      let text = '';
      for (let j = 0; j < length; j++) text += alphabet[next() % alphabet.length];
      same({ value: text, list: [text], items: [{ key: text }] });
    }
  });

  it('writes other value kinds as the library does: numbers, booleans, null, empties, nesting', () => {
    for (const meta of [
      {},
      { a: null, b: true, c: false, d: 0, e: -0, f: 1.25, g: 1e21, h: 0.0001, i: -3, j: Number.NaN },
      { k: Number.POSITIVE_INFINITY },
      { empty: [], map: {}, items: [{}], skipped: undefined, kept: 'x' },
      { deep: [{ a: { b: 1 } }] },
      { deeper: [[1, 2]] },
      { mixed: ['a', { b: 1 }, null, 2] },
      { date: new Date(0) },
    ])
      same(meta);
  });

  it('takes the fast path for the documents a run writes: health report and issue file', () => {
    const record = sampleRecord();
    const report = parseDocument(renderHealthReport(record));
    expect(report.valid).toBe(true);
    expect(fixedShape(report.meta)).toBeDefined();
    expect(same(report.meta)).toBe(true);
    const issue = {
      fingerprint: 'web1/disk//var',
      status: 'open' as const,
      severity: 'critical',
      servers: ['web1', 'db1'],
      check: 'disk',
      target: '-',
      first_seen: '2026-11-21T04:00:00.000Z',
      last_seen: '2026-11-21T06:00:00.000Z',
      updated: '2026-11-21T06:00:00.000Z',
    };
    expect(same(issue)).toBe(true);
    expect(renderIssueFile({ meta: issue, summary: 's', history: [] })).toMatch(/^---\ntarget|fingerprint/);
  });
});
