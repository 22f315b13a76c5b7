import type { Memory } from '../core/memory/memory.js';
import {
  breakerChanges,
  notificationMessage,
  notificationText,
  shouldNotify,
} from '../core/render/render-notification.js';
import type { RunRecord } from '../core/run-record.js';
import { redactDeep } from '../core/util/redact.js';
import { hostRedaction, secretsOf } from '../record/build-state-changes.js';
import type { RunContext } from '../run-context.js';
import { outputsOf } from './write-report.js';

/**
 * Chat notification for runs worth one (notify.on): new and resolved problems, actions, breakers
 * that opened or closed since the last run (`memory`), errors. Each is announced by the run that
 * saw it change, so once. Failures become warnings, never a failed run.
 */
export async function notifyRun(ctx: RunContext, record: RunRecord, memory?: Memory): Promise<void> {
  const config = ctx.config.notify;
  const notifier = ctx.adapters.notifier;
  const breakers = breakerChanges(memory?.servers ?? {}, record.serverStates);
  if (!config || !notifier || !shouldNotify(record, config.on, breakers)) return;
  const link =
    ctx.links?.stateUrl && record.reportPath ? `${ctx.links?.stateUrl}${record.reportPath}` : undefined;
  // redacted before each channel escapes it (errors of this phase came after the record's redaction)
  const message = redactDeep(notificationMessage(record, link, breakers), secretsOf(ctx), hostRedaction(ctx));
  const text = notificationText(message);
  const payload = { ...outputsOf(record), runId: record.runId, task: record.task, text, link };
  const failures = await notifier.send(message, payload);
  for (const failure of failures) ctx.logger.warning(failure);
}
