/**
 * `task: digest` (docs/alerting.md#weekly-digest): the week in one page. Collects nothing from
 * servers: it reads the state branch (history series, issue files, action logs, health reports),
 * writes `digests/<YYYY>-W<WW>.md` there, shows the same page as the job summary, and — with
 * `notify.digest: true` — sends one notification to the chat channels.
 */
import { alertPolicy, normalChannels } from './alerting/follow-through.js';
import { isPaging } from './core/alerting/alert-plan.js';
import { digestMessage, digestWeek, renderDigest } from './core/render/render-digest.js';
import { notificationText } from './core/render/render-notification.js';
import { newRunRecord, type RunRecord } from './core/run-record.js';
import { readDigest } from './core/state-branch/digest-view.js';
import { digestPath } from './core/state-branch/paths.js';
import { overallStatus } from './core/status.js';
import { errorMessage } from './core/util/error-message.js';
import { redactDeep } from './core/util/redact.js';
import { hostRedaction, redactRendered, secretsOf } from './record/build-state-changes.js';
import { outputsOf } from './report/write-report.js';
import type { RunContext } from './run-context.js';

/** The window a digest covers: the 7 days up to now. */
export const DIGEST_WINDOW_MS = 7 * 86_400_000;

export async function digest(ctx: RunContext): Promise<RunRecord> {
  const until = ctx.adapters.clock.now();
  const since = new Date(until.getTime() - DIGEST_WINDOW_MS);
  const path = digestPath(since, until);
  const record = newRunRecord({
    runId: ctx.runId,
    task: 'digest',
    mode: ctx.mode,
    dryRun: ctx.inputs.dryRun,
    startedAt: until.toISOString(),
    reportPath: path,
  });
  const store = ctx.adapters.state;
  let page = '';
  try {
    if (!store.openReader) throw new Error('this state store cannot be read back');
    await ctx.logger.group('Load memory', () => store.load());
    const reader = await store.openReader();
    const data = await ctx.logger.group('Read the week', () => readDigest(reader, since, until));
    ctx.logger.info(`digest: read ${reader.bytesRead} bytes of state`);
    page = redactRendered(ctx, renderDigest(data));
    record.commit = await ctx.logger.group('Record', () =>
      store.commit([{ path, content: page }], `claudeops digest ${digestWeek(data)}`),
    );
    if (!record.commit.pushed)
      record.errors.push(
        `record: ${path} is not on the state branch: the push was refused (${record.commit.error ?? 'no detail'})`,
      );
    await notifyDigest(ctx, record, data);
  } catch (error) {
    record.errors.push(`digest: ${errorMessage(error)}`);
  } finally {
    await store.dispose?.().catch(() => undefined);
  }
  record.finishedAt = ctx.adapters.clock.now().toISOString();
  record.status = overallStatus(record);
  for (const e of record.errors) ctx.logger.warning(redactRendered(ctx, e));
  try {
    await ctx.adapters.sink.summary(page || `# Weekly digest\n\nNot written: ${record.errors.join('; ')}\n`);
  } catch (error) {
    ctx.logger.warning(`summary: could not be written: ${errorMessage(error)}`);
  }
  ctx.adapters.sink.outputs(outputsOf(record));
  return record;
}

/** One notification with the week's headline, to the chat channels (not to paging services). */
async function notifyDigest(
  ctx: RunContext,
  record: RunRecord,
  data: Awaited<ReturnType<typeof readDigest>>,
): Promise<void> {
  const notifier = ctx.adapters.notifier;
  if (!ctx.config.notify?.digest || !notifier) return;
  const link = ctx.links?.stateUrl ? `${ctx.links.stateUrl}${record.reportPath ?? ''}` : undefined;
  const message = redactDeep(digestMessage(data, link), secretsOf(ctx), hostRedaction(ctx));
  const chat = normalChannels(alertPolicy(ctx.config)).filter((c) => !isPaging(c));
  const text = notificationText(message);
  const failures = await notifier.send(message, { runId: record.runId, task: 'digest', text, link }, chat);
  for (const failure of failures) ctx.logger.warning(failure);
}
