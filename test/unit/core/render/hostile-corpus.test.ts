/**
 * The hostile corpus (test/fixtures/hostile/) through every renderer and every notification
 * payload: nothing a server or a model wrote may come out live — no link, image, tag, heading,
 * emphasis, mention, reference, broadcast ping, fake marker, terminal escape or bidi override.
 *
 * Markdown outputs are rendered with a real GFM parser (micromark + GFM, raw HTML allowed, as
 * GitHub passes much of it) and compared element by element with the same record holding harmless
 * text: the hostile record may not produce one element more. To add a channel, add one entry to
 * SURFACES (name, how to render a record, which checker).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { micromark } from 'micromark';
import { gfm, gfmHtml } from 'micromark-extension-gfm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyOf } from '../../../../src/core/issues/issue-markers.js';
import { planIssues } from '../../../../src/core/issues/issue-plan.js';
import type { RunRecord } from '../../../../src/core/run-record.js';
import {
  type Checker,
  untrustedRecord as hostileRecord,
  planOptions,
  SURFACES,
  startReceiver,
  stopReceiver,
} from '../../../support/untrusted-surfaces.js';

const DIR = join(import.meta.dirname, '../../../fixtures/hostile');

/** Every corpus file, decoded as a server's bytes are (invalid UTF-8 becomes U+FFFD), plus lone surrogates. */
const CORPUS: [string, string][] = [
  ...readdirSync(DIR)
    .sort()
    .map((f): [string, string] => [f, readFileSync(join(DIR, f)).toString('utf8')]),
  ['lone-surrogates', 'a\ud800b\udc00c [x](https://evil.example)'],
];

// ---- checks ----------------------------------------------------------------------------------

const DEAD =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for control characters is the point
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\u200c-\u200f\u2060\ufeff\u061c\u00ad]/;
const LIVE_IN_TEXT = [
  /@[A-Za-z0-9]/, // a mention (or an e-mail address)
  /#\d/, // an issue or PR reference
  /\bGH-\d/i,
  /[a-z]:\/\/(?:evil|\[)/i, // a URL a client would link
  /\bwww\.evil/i,
];
const TAGS = [
  'a',
  'img',
  'script',
  'iframe',
  'details',
  'summary',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'strong',
  'em',
  'del',
  'blockquote',
  'table',
  'tr',
  'li',
  'hr',
  'pre',
  'code',
  'sup',
  'section',
  'b',
  'at',
];

function tagCounts(html: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const t of TAGS) counts[t] = (html.match(new RegExp(`<${t}[\\s>]`, 'g')) ?? []).length;
  return counts;
}

/** Visible text of rendered HTML outside code (GitHub neither mentions nor links inside code). */
function textOutsideCode(html: string): string {
  return html
    .replace(/<pre>[\s\S]*?<\/pre>/g, ' ')
    .replace(/<code>[\s\S]*?<\/code>/g, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#8203;|\u200b/g, '\u200b')
    .replace(/&amp;/g, '&');
}

/** GitHub shows YAML front matter as a table of plain values, not as markdown: left out here. */
function gfmHtmlOf(markdown: string): string {
  return micromark(markdown.replace(/^---\n[\s\S]*?\n---\n/, ''), {
    allowDangerousHtml: true,
    extensions: [gfm()],
    htmlExtensions: [gfmHtml()],
  });
}

function expectInert(check: Checker, out: string, benign: string): void {
  expect(out.replaceAll('\u200b', '')).not.toMatch(DEAD);
  expect(out).not.toContain('\u001b');
  if (check === 'json') {
    // every string a channel receives (Slack text, Discord content and embeds, Teams card texts)
    const strings: string[] = [];
    const walk = (v: unknown): void => {
      if (typeof v === 'string') strings.push(v);
      else if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v === 'object') Object.values(v).forEach(walk);
    };
    walk(JSON.parse(out));
    expect(strings.length).toBeGreaterThan(0);
    for (const text of strings) {
      expect(text.replaceAll('\u200b', '')).not.toMatch(DEAD);
      for (const live of LIVE_IN_TEXT) expect(text).not.toMatch(live);
      expect(text).not.toMatch(/<[!@#]/);
    }
    return;
  }
  if (check === 'markdown') {
    // our own markers only: a fake one in evidence must not pass for ours
    // (outside YAML front matter, where it is a quoted string and nothing reads markers)
    const markers = (s: string) =>
      (s.replace(/^---\n[\s\S]*?\n---\n/, '').match(/<!-- claudeops:/g) ?? []).length;
    expect(markers(out)).toBe(markers(benign));
    const html = gfmHtmlOf(out);
    const want = tagCounts(gfmHtmlOf(benign));
    const got = tagCounts(html);
    for (const t of TAGS)
      expect({ tag: t, n: got[t] }).toEqual({ tag: t, n: Math.min(got[t] ?? 0, want[t] ?? 0) });
    expect(html).not.toMatch(/<[^>]*\b(?:href|src)="?(?:[a-z]+:)?\/\/[^/"\s>]*evil/);
    expect(html).not.toMatch(/<[^>]*\bonerror=/);
    const text = textOutsideCode(html);
    for (const live of LIVE_IN_TEXT) expect(text).not.toMatch(live);
    return;
  }
  if (check === 'terminal') return; // a terminal needs only what every target gets: no escapes, no controls
  if (check === 'html') {
    expect(tagCounts(out)).toEqual(tagCounts(benign));
    return;
  }
  for (const live of LIVE_IN_TEXT) expect(out).not.toMatch(live);
  if (check === 'slack') {
    expect(out).not.toMatch(/<[!@#h]/);
    expect(out).not.toMatch(/[*_~`][^\u200b]/);
  }
  if (check === 'discord') {
    expect(out).not.toMatch(/<[@#&]/);
    expect(out).not.toMatch(/(^|[^\\])\[[^\]]*\]\(/);
  }
}

describe('hostile corpus: nothing live survives any renderer or notification', () => {
  beforeAll(startReceiver);
  afterAll(stopReceiver);

  it('has a corpus worth the name', () => {
    expect(CORPUS.length).toBeGreaterThanOrEqual(15);
    expect(CORPUS.some(([, t]) => t.includes('\ufffd'))).toBe(true);
    expect(CORPUS.some(([, t]) => t.length >= 10_000 - 1)).toBe(true);
  });

  const cases = SURFACES.flatMap((s) => CORPUS.map(([file, text]) => [s.name, file, s, text] as const));
  it.each(cases)('%s ← %s', async (_name, _file, surface, text) => {
    const benign = await surface.render(hostileRecord('x'));
    const outs = await surface.render(hostileRecord(text));
    expect(outs.length).toBeGreaterThan(0);
    expect(outs.length).toBe(benign.length);
    outs.forEach((out, i) => {
      expectInert(surface.check, out, benign[i] ?? '');
    });
  });

  it('an issue found by its marker is ours even when the evidence carries a fake one', () => {
    const record = hostileRecord(readFileSync(join(DIR, 'fake-markers.txt'), 'utf8'));
    for (const op of planIssues(record, [], planOptions).ops) {
      if (op.kind === 'create') expect(keyOf(op.body)).toBe(op.key);
    }
  });

  it('the checks can fail: the raw corpus through a naive renderer is caught', () => {
    const naive = (r: RunRecord) => `# Report\n\n${r.findings.map((f) => `- ${f.summary}`).join('\n')}\n`;
    const caught = CORPUS.filter(([, text]) => {
      try {
        expectInert('markdown', naive(hostileRecord(text)), naive(hostileRecord('x')));
        return false;
      } catch {
        return true;
      }
    });
    expect(caught.length).toBeGreaterThanOrEqual(CORPUS.length - 2);
  });
});
