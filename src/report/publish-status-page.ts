import type { RunRecord } from '../core/run-record.js';
import { errorMessage } from '../core/util/error-message.js';
import { hostRedaction, secretsOf } from '../record/build-state-changes.js';
import type { RunContext } from '../run-context.js';
import { statusPageData, statusPageFiles } from './status-page-build.js';

/** Where the site goes and how it is written (src/adapters/site-files.ts): the files there are replaced. */
export interface SiteOutput {
  dir: string;
  write(files: [string, string][]): Promise<string[]>;
}

/**
 * The Action's status site (output `status-page`): built from the branch tip once this run's
 * record has been pushed, under RUNNER_TEMP, for a later step to upload (actions/upload-pages-artifact).
 * Returns the directory, or undefined when it was not built; a failure is a warning, never a failed run.
 */
export async function publishStatusPage(
  ctx: RunContext,
  record: RunRecord,
  site: SiteOutput,
): Promise<string | undefined> {
  const store = ctx.adapters.state;
  // an unpushed commit lives only in the private clone: reading would not show it, disposing would lose it
  if (!store.openReader || !record.commit?.pushed) return undefined;
  try {
    const reader = await store.openReader();
    const data = await statusPageData(reader, {
      now: ctx.adapters.clock.now(),
      config: ctx.config,
      redaction: { secrets: secretsOf(ctx), options: hostRedaction(ctx) },
      ...(ctx.links?.repoUrl ? { repoUrl: ctx.links.repoUrl } : {}),
    });
    const files = await site.write(statusPageFiles(data));
    ctx.logger.info(
      `status page: ${files.length} files in ${site.dir} (read ${reader.bytesRead} bytes of state)`,
    );
    return site.dir;
  } catch (error) {
    ctx.logger.warning(`status page: not built: ${errorMessage(error)}`);
    return undefined;
  } finally {
    await store.dispose?.().catch(() => undefined);
  }
}
