/**
 * YAML aliases in a state-branch document's front matter: the writer never makes one (every string
 * is written where it stands), so a document with one was not written by a run. The yaml library
 * stops exponential expansion (100 aliases), but not a linear one: a 500 KB anchor referenced 99
 * times read back as 50 MB of values, and a run that rewrites the document (an issue file moved to
 * its bounded path, or merged with a concurrent version at the tip) wrote all 50 MB to the branch.
 */
import { describe, expect, it } from 'vitest';
import { parseDocument } from '../../../../src/core/state-branch/front-matter.js';
import {
  mergeIssueFiles,
  parseIssueFile,
  renderIssueFile,
} from '../../../../src/core/state-branch/issue-files.js';

const BIG = 'A'.repeat(500_000);

function issueFile(updated: string, extra = ''): string {
  return renderIssueFile({
    meta: {
      fingerprint: 'web1/service/nginx',
      status: 'open',
      severity: 'critical',
      servers: ['web1'],
      check: 'service',
      target: 'nginx',
      first_seen: '2026-11-01T00:00:00.000Z',
      last_seen: updated,
      updated,
    },
    summary: 'nginx is inactive',
    history: [`- ${updated} — opened (critical): nginx is inactive (run 1)`],
  }).replace(/\n---\n/, `\n${extra}---\n`);
}

const bomb = `note: &a "${BIG}"\nmore: [${Array(99).fill('*a').join(', ')}]\n`;

describe('front matter with YAML aliases', () => {
  it('reads as no fields: the writer never makes an alias', () => {
    const text = issueFile('2026-11-02T00:00:00.000Z', bomb);
    expect(text.length).toBeLessThan(600_000);
    expect(parseDocument(text)).toMatchObject({ valid: false, meta: {} });
    expect(parseDocument('---\na: &x 1\nb: *x\n---\n').valid).toBe(false);
    // an anchor alone expands nothing; the renderers' own output still reads
    expect(parseDocument('---\na: &x 1\n---\n')).toMatchObject({ valid: true, meta: { a: 1 } });
    expect(parseIssueFile(issueFile('2026-11-02T00:00:00.000Z'))?.meta.fingerprint).toBe(
      'web1/service/nginx',
    );
  });

  it('a run merging such an issue file at the tip writes no more than it read', () => {
    const ours = issueFile('2026-11-03T00:00:00.000Z');
    const theirs = issueFile('2026-11-04T00:00:00.000Z', bomb);
    const merged = mergeIssueFiles(ours, theirs);
    expect(merged.length).toBeLessThan(ours.length + theirs.length);
  });
});
