/**
 * notifyRun talks to the channels only through the Notifier port (wired in the composition root):
 * what it sends, that it sends nothing without one, and that channel failures become warnings.
 */
import { describe, expect, it } from 'vitest';
import type { NotificationMessage, Notifier } from '../../../src/core/ports/index.js';
import { notifyRun } from '../../../src/report/notify-run.js';
import { config, runContext } from '../../support/agent-fixtures.js';
import { sampleRecord } from '../../support/records.js';

function recording(failures: string[] = []) {
  const sent: { message: NotificationMessage; payload: Record<string, unknown> }[] = [];
  const notifier: Notifier = {
    send: async (message, payload) => {
      sent.push({ message, payload });
      return failures;
    },
  };
  return { notifier, sent };
}

function context(notifier: Notifier | undefined, on: 'always' | 'changes' = 'always') {
  const ctx = runContext(config({ notify: { webhook: { url: 'http://127.0.0.1:9/hook' }, on } }));
  const warnings: string[] = [];
  ctx.logger.warning = (m) => warnings.push(m);
  if (notifier) ctx.adapters.notifier = notifier;
  return { ctx, warnings };
}

describe('notifyRun through the Notifier port', () => {
  it('sends the run message and its outputs to the port', async () => {
    const { notifier, sent } = recording();
    const { ctx, warnings } = context(notifier);
    const record = sampleRecord();
    await notifyRun(ctx, record);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.payload).toMatchObject({ runId: record.runId, status: record.status });
    expect(sent[0]?.payload.text).toContain('web1');
    expect(warnings).toEqual([]);
  });

  it('sends nothing without a notifier, and warns for every failed channel', async () => {
    const { ctx } = context(undefined);
    await expect(notifyRun(ctx, sampleRecord())).resolves.toBeUndefined();
    const failing = recording(['slack: HTTP 500', 'email: refused']);
    const { ctx: ctx2, warnings } = context(failing.notifier);
    await notifyRun(ctx2, sampleRecord());
    expect(failing.sent).toHaveLength(1);
    expect(warnings).toEqual(['slack: HTTP 500', 'email: refused']);
  });
});
