/**
 * The secret corpus of issue 18 (test/support/secrets-corpus.ts) through every output the run has,
 * the way the run produces them: server text as it enters the run (a collector section, redacted
 * before probes parse it), the redacted record through every renderer and channel (SURFACES), the
 * files committed to the state branch with their paths (buildStateChanges), fingerprints and issue
 * file names, the CLI's read commands, the status page files built from a hostile state branch,
 * and the requests sent to the Messages API (a finding's evidence and a diagnostic's output carry
 * the text). Every form goes through every output; a failure names the output and the form.
 *
 * A held-out corpus in the same format runs through the same test:
 *   HELD_OUT=path/to/file-or-dir.json npx vitest run --project main test/unit/core/util/secrets-corpus.test.ts
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anthropicModel } from '../../../../src/adapters/anthropic-model.js';
import { diagnoseAndRemediate } from '../../../../src/agent/diagnose-and-remediate.js';
import { emptyMemory } from '../../../../src/core/memory/memory.js';
import type { Model } from '../../../../src/core/ports/index.js';
import { plainText } from '../../../../src/core/render/untrusted-text.js';
import { issuePath } from '../../../../src/core/state-branch/paths.js';
import { cleanFinding, finding } from '../../../../src/core/types.js';
import { redact, redactDeep } from '../../../../src/core/util/redact.js';
import { redactSection } from '../../../../src/probes/redact-section.js';
import { buildStateChanges } from '../../../../src/record/build-state-changes.js';
import { statusPageFiles } from '../../../../src/report/status-page-build.js';
import { redactRecord, reportRecord, writeReport } from '../../../../src/report/write-report.js';
import {
  config,
  memory,
  record,
  runContext,
  ScriptedShell,
  tracked,
} from '../../../support/agent-fixtures.js';
import { FakeAnthropic, reply, toolUse } from '../../../support/fake-anthropic.js';
import { CLASSES, CORPUS, expectNoSecret, named, OWN } from '../../../support/secrets-corpus.js';
import {
  SURFACES,
  startReceiver,
  statusPageOf,
  stopReceiver,
  untrustedRecord,
} from '../../../support/untrusted-surfaces.js';

describe('secrets corpus (issue 18): every form, every output', () => {
  beforeAll(startReceiver);
  afterAll(stopReceiver);

  it('has at least 100 forms of its own in every class, each with its source and its secrets in its text', () => {
    expect(OWN.length).toBeGreaterThanOrEqual(100);
    for (const c of CLASSES) expect(OWN.filter((f) => f.class === c).length, c).toBeGreaterThanOrEqual(5);
    for (const f of CORPUS) {
      expect(CLASSES, f.id).toContain(f.class);
      expect(f.source.length, f.id).toBeGreaterThan(5);
      expect(f.secrets.length, f.id).toBeGreaterThan(0);
      for (const s of f.secrets) expect(f.text, f.id).toContain(s);
    }
    expect(new Set(CORPUS.map((f) => `${f.class}/${f.id}`)).size).toBe(CORPUS.length);
  });

  it.each(named)('redact: %s', (_name, f) => {
    const once = redact(f.text);
    expectNoSecret(once, f);
    expect(redact(once)).toBe(once);
  });

  // the run redacts its record once, then renders it everywhere: so does this test. One case per
  // form checks every surface (a failure names surface and form, and the others are still checked)
  it.each(named)('every renderer and channel (SURFACES) ← %s', async (_name, f) => {
    // frozen, not copied per surface: a renderer that changed the record would throw here
    const record = deepFreeze(redactDeep(untrustedRecord(f.text)));
    for (const surface of SURFACES)
      for (const out of await surface.render(record)) expectNoSecret(out, f, surface.name, true);
  });

  it.each(named)('fingerprints and issue file names ← %s', (_name, f) => {
    const clean = (t: string) => plainText(redact(t));
    const a = cleanFinding(finding('web1', 'endpoint', f.text, 'critical', f.text), clean);
    expectNoSecret(a.fingerprint, f);
    expectNoSecret(issuePath(a.fingerprint), f);
  });

  it.each(named)('collector intake (a probe section) ← %s', (_name, f) => {
    // server text as a snippet prints it, behind `| `, redacted before any probe parses it
    const section = f.text
      .split('\n')
      .map((l) => `| ${l}`)
      .join('\n');
    expectNoSecret(redactSection(`exit=1\n${section}\nend=1`), f);
  });

  it.each(named)('CLI read commands (show) ← %s', (_name, f) => {
    // what `claudeops show` prints: the file's text through the same redaction as the CLI's writer
    expectNoSecret(plainText(redact(f.text)), f);
  });
});

describe('secrets corpus: the job summary and annotations (writeReport) after the record was redacted', () => {
  it.each(named)('what Record and Report add later, and a part replaced since ← %s', async (_name, f) => {
    const summaries: string[] = [];
    const warnings: string[] = [];
    const ctx = runContext(config());
    ctx.adapters.sink = { summary: async (text) => void summaries.push(text), outputs: () => {} };
    ctx.logger = { ...ctx.logger, warning: (line) => void warnings.push(line) };
    const record = untrustedRecord(f.text);
    redactRecord(ctx, record);
    const settled = record.servers;
    // after run.ts's redaction: the Record phase's error and commit, GitHub's results, the shards
    record.errors.push(`record: the state branch could not be written: ${f.text}`);
    record.warnings.push(`shards: ${f.text}`);
    record.commit = { sha: 'abc', pushed: false, branch: f.text, location: f.text, error: f.text };
    record.github.errors.push(`GitHub API failed: ${f.text}`);
    record.fleetReport = [
      { server: f.text, fingerprint: `web1/x/${f.text}`, severity: 'critical', summary: f.text },
    ];
    record.findings = untrustedRecord(f.text).findings;
    await writeReport(ctx, record);
    for (const out of [...summaries, ...warnings]) expectNoSecret(out, f, 'writeReport', true);
    // the parts redacted once are shown as they are, not walked again
    expect(reportRecord(ctx, record).servers).toBe(settled);
    expect(reportRecord(ctx, record).findings).not.toBe(record.findings);
  });
});

describe('secrets corpus (issue 18): the state branch and the status page', () => {
  it.each(named)('state branch files and their paths ← %s', (_name, f) => {
    const changes = buildStateChanges(stateContext(), untrustedRecord(f.text), emptyMemory());
    expect(changes.length).toBeGreaterThan(3);
    for (const c of changes) expectNoSecret(`${c.path}\n${c.content ?? ''}`, f);
  });

  it.each(named)('status page files from a hostile state branch ← %s', (_name, f) => {
    // not redacted before: the page is built from whatever the branch holds; these are the files written
    const files = statusPageFiles(statusPageOf(untrustedRecord(f.text)));
    expect(files.map(([name]) => name)).toEqual(expect.arrayContaining(['index.html', 'status.json']));
    for (const [file, content] of files) expectNoSecret(`${file}\n${content}`, f);
  });
});

describe('secrets corpus: the requests sent to the Messages API', () => {
  const fake = new FakeAnthropic();
  let model: Model;
  const cfg = config();
  beforeAll(async () => {
    await fake.start();
    model = anthropicModel({
      apiKey: 'sk-ant-api03-test-0123456789abcdefghij',
      model: 'm',
      baseURL: fake.url,
      maxRetries: 0,
    });
  });
  afterAll(() => fake.close());

  it.each(named)('model request ← %s', async (_name, f) => {
    // the finding's evidence and a diagnostic's output both carry the server's text, unredacted
    const target = tracked('web1', 'service', 'nginx', 'critical', 'nginx is inactive (dead)');
    target.evidence = f.text;
    fake.play(
      reply([toolUse('run_diagnostic', { server: 'web1', diagnostic: 'journal_errors', args: {} })]),
      reply([
        toolUse('report_diagnosis', {
          diagnoses: [
            {
              fingerprint: target.fingerprint,
              root_cause: 'x',
              confidence: 'low',
              evidence: 'x',
              next_step: 'x',
            },
          ],
          summary: 'done',
        }),
      ]),
    );
    const shell = new ScriptedShell('web1', () => ({ stdout: `${f.text}\n` }));
    await diagnoseAndRemediate(
      runContext(cfg, { model, apiKey: 'sk-ant-api03-test-0123456789abcdefghij' }),
      record(cfg, [target]),
      memory(),
      new Map([['web1', shell]]),
      { recheck: async () => [], settleMs: 0 },
    );
    expect(fake.requests.length).toBeGreaterThanOrEqual(2);
    const sent = fake.requests.map((r) => JSON.stringify(r.body)).join('\n');
    // the diagnostic ran and its (redacted) output went back to the model
    expect(sent).toContain('tool_result');
    expectNoSecret(sent, f);
  });
});

function stateContext(): Parameters<typeof buildStateChanges>[0] {
  return runContext(config());
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
