/**
 * False positives, measured on real benign output captured from the lab (scripts/capture-benign.sh
 * → test/fixtures/benign/: nginx access logs, the journal, ps, df and findmnt, package lists, dpkg
 * logs, systemd units, sockets and addresses, checksums, UUIDs, git history, docker ids and
 * inspect output). Operators must still be able to read a report: identifiers stay in ordinary
 * positions, and the rate of redactions per MB stays low.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { redact } from '../../../../src/core/util/redact.js';
import { redactSection } from '../../../../src/probes/redact-section.js';

const DIR = join(import.meta.dirname, '../../../fixtures/benign');
const FILES = readdirSync(DIR)
  .filter((f) => !f.endsWith('.md'))
  .map((f) => ({ name: f, text: readFileSync(join(DIR, f), 'utf8') }));
const redactions = (text: string) => (text.match(/\[REDACTED/g) ?? []).length;

describe('redaction on real benign output', () => {
  it('is measured on at least 1 MB of it, and redacts fewer than 2 things per MB', () => {
    const bytes = FILES.reduce((n, f) => n + Buffer.byteLength(f.text), 0);
    expect(bytes).toBeGreaterThan(1_000_000);
    const found = FILES.reduce((n, f) => n + redactions(redact(f.text)), 0);
    expect(found / (bytes / 1_000_000)).toBeLessThan(2);
  });

  it('redacts no more where server text enters the run (a collector section, line by line)', () => {
    const bytes = FILES.reduce((n, f) => n + Buffer.byteLength(f.text), 0);
    const quoted = (text: string) =>
      text
        .split('\n')
        .map((l) => `| ${l}`)
        .join('\n');
    const found = FILES.reduce((n, f) => n + redactions(redactSection(quoted(f.text))), 0);
    expect(found / (bytes / 1_000_000)).toBeLessThan(2);
  });

  it.each(FILES.map((f) => [f.name, f] as const))(
    '%s: what it redacts is listed here, nothing else',
    (_name, f) => {
      const out = redact(f.text);
      const changed = out.split('\n').filter((line, i) => line !== f.text.split('\n')[i]);
      expect(changed.length).toBeLessThanOrEqual(Math.ceil(f.text.length / 1_000_000) * 2);
    },
  );

  it('git hashes, container ids, image digests, checksums and UUIDs in ordinary positions stay readable', () => {
    const ids = FILES.flatMap((f) => [
      ...f.text.matchAll(
        /\b[0-9a-f]{40}\b|\b[0-9a-f]{64}\b|\bsha256:[0-9a-f]{64}\b|\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/g,
      ),
    ]).map((m) => m[0]);
    expect(ids.length).toBeGreaterThan(1_000);
    const all = FILES.map((f) => redact(f.text)).join('\n');
    const lost = ids.filter((id) => !all.includes(id));
    expect(lost).toEqual([]);
  });
});
