import { historyChanges } from '../core/memory/history-series.js';
import type { Memory } from '../core/memory/memory.js';
import { serializeServerState } from '../core/memory/server-state.js';
import { agentLogFiles } from '../core/render/render-action-log.js';
import { renderHealthReport } from '../core/render/render-health-report.js';
import { htmlText, mdCell, mdInline, plainText } from '../core/render/untrusted-text.js';
import type { RunRecord } from '../core/run-record.js';
import { issueFileChanges } from '../core/state-branch/issue-files.js';
import { serverStatePath } from '../core/state-branch/paths.js';
import type { FileChange } from '../core/types.js';
import { type RedactOptions, redact, redactDeep } from '../core/util/redact.js';
import type { RunContext } from '../run-context.js';
import { secretsOf } from './run-secrets.js';

// the run's secrets are their own small module: start-up code needs them without the renderers
export { notifySecrets, secretsOf } from './run-secrets.js';

/**
 * Every file this run writes to the state branch, redacted: the health report, per-server state,
 * issue files, action and boot logs, and one line per server in its monthly history series.
 */
export function buildStateChanges(
  ctx: RunContext,
  original: RunRecord,
  memory: Memory,
  options: { redacted?: boolean } = {},
): FileChange[] {
  // redacted before rendering: escaped text no longer matches the secret patterns. `redacted`:
  // the caller already passed this record through redactedRecord (redaction is idempotent)
  const record = options.redacted ? original : redactedRecord(ctx, original);
  const changes: FileChange[] = [];
  if (record.reportPath) changes.push({ path: record.reportPath, content: renderHealthReport(record) });
  for (const [server, state] of Object.entries(record.serverStates)) {
    changes.push({ path: serverStatePath(server), content: serializeServerState(state) });
  }
  changes.push(...agentLogFiles(record));
  changes.push(...issueFileChanges(record, memory));
  changes.push(...historyChanges(record));
  return changes.map((c) =>
    c.content === undefined ? c : { ...c, content: redactRendered(ctx, c.content) },
  );
}

/**
 * A copy of the record with every secret redacted, keys included: file names and fingerprints
 * come from it. Host names stay (a server named after its host keeps its own files); they go from
 * the rendered text, see {@link redactRendered}.
 */
export function redactedRecord(ctx: RunContext, record: RunRecord): RunRecord {
  return redactDeep(record, secretsOf(ctx));
}

/** How a finding's texts are cleaned before its fingerprint is made (see cleanFinding). */
export function findingText(ctx: RunContext): (text: string) => string {
  const secrets = secretsOf(ctx);
  return (text) => plainText(redact(text, secrets));
}

/** Rendered text that leaves the run (a file, the job summary, CLI output): secrets and hosts. */
export function redactRendered(ctx: RunContext, text: string): string {
  return redact(text, secretsOf(ctx), hostRedaction(ctx));
}

/**
 * `redact.hosts: true` (public repositories): configured host names and every IPv4 address go too,
 * also as a renderer escaped them (`www&#8203;.example.com`, `db\_1.example`).
 */
export function hostRedaction(ctx: RunContext): RedactOptions {
  if (!ctx.config.redact.hosts) return {};
  const hosts = ctx.config.servers.flatMap((s) => (s.host ? [s.host] : []));
  return { hosts: [...new Set(hosts.flatMap((h) => [h, mdInline(h), mdCell(h), htmlText(h)]))], ips: true };
}
