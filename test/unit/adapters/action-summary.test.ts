/**
 * GitHub takes a step summary of at most 1024 KiB and drops a larger one whole ("upload aborted").
 * What fills it is outside input: a server can name a thousand full mounts (an unprivileged user's
 * FUSE mounts, up to fuse.conf's mount_max), each a disk and an inodes finding with its name in
 * the findings table. The summary written is cut to fit, at a line, and says so — a fleet's
 * headline and the first findings are shown, not nothing.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { actionSink, STEP_SUMMARY_MAX_BYTES } from '../../../src/adapters/action-io.js';
import { renderSummary } from '../../../src/core/render/render-summary.js';
import { config, record, tracked } from '../../support/agent-fixtures.js';

describe('the job summary written in the Action', () => {
  // @actions/core keeps the summary file's path once it has seen it: one file, emptied per test
  const dir = mkdtempSync(join(tmpdir(), 'claudeops-summary-'));
  const file = join(dir, 'summary.md');
  const saved = process.env.GITHUB_STEP_SUMMARY;
  beforeEach(() => {
    writeFileSync(file, ''); // the runner creates it before the step
    process.env.GITHUB_STEP_SUMMARY = file;
  });
  afterAll(() => {
    process.env.GITHUB_STEP_SUMMARY = saved;
    rmSync(dir, { recursive: true, force: true });
  });

  it("a summary over GitHub's 1024 KiB is cut at a line, under the limit, and says so", async () => {
    const cfg = config();
    const findings = Array.from({ length: 1000 }, (_, i) => {
      const mount = `/home/mallory/${'m'.repeat(240)}${i}`;
      return [
        tracked('web1', 'disk', mount, 'critical', `${mount} is 98% full (24K free of 1.0M)`),
        tracked('web1', 'inodes', mount, 'critical', `${mount} has used 99% of its inodes (1 free)`),
      ];
    }).flat();
    const markdown = renderSummary(record(cfg, findings), {});
    expect(Buffer.byteLength(markdown)).toBeGreaterThan(1024 * 1024);
    await actionSink.summary(markdown);
    const written = readFileSync(file, 'utf8');
    expect(Buffer.byteLength(written)).toBeLessThanOrEqual(STEP_SUMMARY_MAX_BYTES);
    expect(STEP_SUMMARY_MAX_BYTES).toBeLessThan(1024 * 1024);
    expect(written.startsWith(markdown.slice(0, 1000))).toBe(true);
    expect(written).toMatch(/summary cut at \d+ KiB \(GitHub's limit\)[^\n]*\n+$/);
  });

  it('a summary within the limit is written as it is', async () => {
    await actionSink.summary('# ok\n\nall fine\n');
    expect(readFileSync(file, 'utf8').trimEnd()).toBe('# ok\n\nall fine');
  });
});
