/**
 * The secret corpus (test/fixtures/secrets/corpus.json: one realistic line per form) through the
 * redactor and then through every output the run has (SURFACES: reports, issues, PRs, files,
 * summary, CLI, every notification payload), the way the run does it: the record is redacted
 * first, then rendered. No secret may survive anywhere, not even escaped, in a file name or in a
 * fingerprint.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderHealthReport } from '../../../../src/core/render/render-health-report.js';
import { plainText } from '../../../../src/core/render/untrusted-text.js';
import { issuePath } from '../../../../src/core/state-branch/paths.js';
import { cleanFinding, finding } from '../../../../src/core/types.js';
import { redact, redactDeep } from '../../../../src/core/util/redact.js';
import { unescaped } from '../../../support/secrets-corpus.js';
import {
  SURFACES,
  startReceiver,
  stopReceiver,
  untrustedRecord,
} from '../../../support/untrusted-surfaces.js';

interface Form {
  form: string;
  line: string;
  secret: string;
}
const CORPUS = JSON.parse(
  readFileSync(join(import.meta.dirname, '../../../fixtures/secrets/corpus.json'), 'utf8'),
) as Form[];

function expectNoSecret(out: string, secret: string): void {
  expect(out).not.toContain(secret);
  expect(unescaped(out)).not.toContain(secret);
  // a long secret must not survive in part either (its first 12 characters)
  if (secret.length >= 20) expect(unescaped(out)).not.toContain(secret.slice(0, 12));
}

describe('secret corpus: no secret survives in any output', () => {
  beforeAll(startReceiver);
  afterAll(stopReceiver);

  it('has at least 40 forms, each a realistic line holding its secret', () => {
    expect(CORPUS.length).toBeGreaterThanOrEqual(40);
    for (const f of CORPUS) expect(f.line).toContain(f.secret);
  });

  it.each(CORPUS.map((f) => [f.form, f] as const))('redact removes %s', (_form, f) => {
    expectNoSecret(redact(f.line), f.secret);
    expect(redact(redact(f.line))).toBe(redact(f.line));
  });

  const cases = SURFACES.flatMap((s) => CORPUS.map((f) => [s.name, f.form, s, f] as const));
  it.each(cases)('%s ← %s', async (_surface, _form, surface, f) => {
    const shown = redactDeep(untrustedRecord(f.line));
    for (const out of await surface.render(shown)) expectNoSecret(out, f.secret);
  });

  it('fingerprints and issue file names come from the redacted target, the same on every run', () => {
    const clean = (t: string) => plainText(redact(t));
    for (const f of CORPUS) {
      const a = cleanFinding(finding('web1', 'endpoint', f.line, 'critical', f.line), clean);
      const b = cleanFinding(finding('web1', 'endpoint', f.line, 'critical', f.line), clean);
      expect(a.fingerprint).toBe(b.fingerprint);
      expectNoSecret(a.fingerprint, f.secret);
      expectNoSecret(issuePath(a.fingerprint), f.secret);
    }
  });

  it('a private key without its END line is cut to its own block: Diagnosis and Actions survive', () => {
    const record = untrustedRecord('x');
    const first = record.findings[0];
    if (first)
      first.evidence =
        'boot ok\n-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA7vJ3dExamplePrivateKeyBody0123\n';
    record.errors = ['log line: -----BEGIN OPENSSH PRIVATE KEY----- b3BlbnNzaC1rZXktdjEAAAAABG5vbmU'];
    const report = redact(renderHealthReport(redactDeep(record)));
    expect(report).toContain('## Diagnosis');
    expect(report).toContain('## Actions');
    expect(report).toContain('## Problems during this run');
    expect(report).toContain('boot ok');
    expect(report).not.toContain('MIIEpAIBAAKCAQEA7vJ3d');
    expect(report).not.toContain('b3BlbnNzaC1rZXkt');
    // the same report rendered from an unredacted record and redacted only at the end: still whole
    const late = redact(renderHealthReport(record));
    expect(late).toContain('## Diagnosis');
    expect(late).toContain('## Actions');
    expect(late).not.toContain('MIIEpAIBAAKCAQEA7vJ3d');
  });
});
