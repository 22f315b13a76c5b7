import { notify } from '../adapters/notify.js';
import { renderNotification, shouldNotify } from '../core/render/render-notification.js';
import type { RunRecord } from '../core/run-record.js';
import type { RunContext } from '../run-context.js';
import { outputsOf } from './write-report.js';

/** Chat notification for runs worth one (notify.on); failures become warnings, never a failed run. */
export async function notifyRun(ctx: RunContext, record: RunRecord): Promise<void> {
  const config = ctx.config.notify;
  if (!config || !shouldNotify(record, config.on)) return;
  const link =
    ctx.links?.stateUrl && record.reportPath ? `${ctx.links?.stateUrl}${record.reportPath}` : undefined;
  const text = renderNotification(record, link);
  const payload = { ...outputsOf(record), runId: record.runId, task: record.task, text, link };
  const failures = await notify({ config, telegramApi: process.env.CLAUDEOPS_TELEGRAM_API }, text, payload);
  for (const failure of failures) ctx.logger.warning(failure);
}
