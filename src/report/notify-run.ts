import { alertPolicy } from '../alerting/follow-through.js';
import { isPaging, normalChannels } from '../core/alerting/alert-plan.js';
import type { Memory } from '../core/memory/memory.js';
import type { NotificationMessage } from '../core/ports/index.js';
import {
  breakerChanges,
  escalationMessage,
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
 * The run's notifications (docs/alerting.md): the chat message for runs worth one (notify.on:
 * new and resolved incidents, actions, breakers that opened or closed since the last run
 * (`memory`), errors, repeats of open criticals) to every channel but the escalation-only ones;
 * the escalation message to `notify.escalate.channels`; and the paging services' events. Each
 * change is announced by the run that saw it, so once. Failures become warnings, never a failed run.
 */
export async function notifyRun(ctx: RunContext, record: RunRecord, memory?: Memory): Promise<void> {
  const config = ctx.config.notify;
  const notifier = ctx.adapters.notifier;
  if (!config || !notifier) return;
  const policy = alertPolicy(ctx.config);
  const link =
    ctx.links?.stateUrl && record.reportPath ? `${ctx.links?.stateUrl}${record.reportPath}` : undefined;
  // redacted before each channel escapes it (errors of this phase came after the record's redaction)
  const clean = <T>(value: T): T => redactDeep(value, secretsOf(ctx), hostRedaction(ctx));
  const failures: string[] = [];
  const send = async (message: NotificationMessage, channels: readonly string[]) => {
    const chat = policy.channels.filter((c) => !isPaging(c) && channels.includes(c));
    if (chat.length === 0) return;
    const text = notificationText(message);
    const payload = { ...outputsOf(record), runId: record.runId, task: record.task, text, link };
    failures.push(...(await notifier.send(message, payload, chat)));
  };
  const breakers = breakerChanges(memory?.servers ?? {}, record.serverStates);
  if (shouldNotify(record, config.on, breakers))
    await send(clean(notificationMessage(record, link, breakers)), normalChannels(policy));
  const escalation = escalationMessage(record, link);
  if (escalation) await send(clean(escalation), record.alerting?.escalationChannels ?? []);
  const pages = record.alerting?.pages ?? [];
  if (pages.length > 0 && notifier.page) failures.push(...(await notifier.page(clean(pages), link)));
  for (const failure of failures) ctx.logger.warning(failure);
}
