import { renderSummary } from '../core/render/render-summary.js';
import type { RunRecord } from '../core/run-record.js';
import { findingCount, ranOnServer } from '../core/status.js';
import { redactDeep } from '../core/util/redact.js';
import { redactedRecord, redactRendered, secretsOf } from '../record/build-state-changes.js';
import type { RunContext } from '../run-context.js';

/** The parts of a record no phase after run.ts's redaction adds to or replaces: the large ones. */
const SETTLED = ['servers', 'findings', 'resolved', 'serverStates', 'diagnoses', 'actions'] as const;
/** Appended to by Record and Report: what they held when redacted is kept, the rest is new. */
const APPENDED = ['errors', 'warnings'] as const;
type Part = (typeof SETTLED)[number] | (typeof APPENDED)[number];

/** Each record's parts as they were when redacted whole (same objects; the arrays' lengths). */
const redactedParts = new WeakMap<RunRecord, Map<Part, { value: unknown; length?: number }>>();

/** Redacts the record in place, once, before any renderer escapes it (run.ts, end of the run). */
export function redactRecord(ctx: RunContext, record: RunRecord): void {
  Object.assign(record, redactedRecord(ctx, record));
  const parts = new Map<Part, { value: unknown; length?: number }>();
  for (const key of SETTLED) parts.set(key, { value: record[key] });
  for (const key of APPENDED) parts.set(key, { value: record[key], length: record[key].length });
  redactedParts.set(record, parts);
}

/**
 * The record as the summary shows it, redacted. A record redactRecord redacted keeps its settled
 * parts (same objects) and its errors and warnings up to the lengths then; everything else (the
 * commit, GitHub's results, the shards, any part replaced since, later errors and warnings) is
 * redacted now. Any other record is redacted whole (summarize). Redaction is idempotent.
 */
export function reportRecord(ctx: RunContext, record: RunRecord): RunRecord {
  const parts = redactedParts.get(record);
  if (!parts) return redactedRecord(ctx, record);
  const secrets = secretsOf(ctx);
  const same = (key: Part) => parts.get(key)?.value === record[key];
  const rest = { ...record } as Partial<RunRecord>;
  for (const key of [...SETTLED, ...APPENDED]) if (same(key)) delete rest[key];
  const fresh = redactDeep(rest, secrets) as RunRecord;
  for (const key of SETTLED) if (same(key)) Object.assign(fresh, { [key]: record[key] });
  for (const key of APPENDED) {
    if (!same(key)) continue;
    const n = parts.get(key)?.length ?? 0;
    fresh[key] = [...record[key].slice(0, n), ...redactDeep(record[key].slice(n), secrets)];
  }
  return fresh;
}

/** The run's outputs (docs/architecture.md#interfaces), set once, here. */
export function outputsOf(record: RunRecord): Record<string, string> {
  return {
    status: record.status,
    findings: String(findingCount(record)),
    actions: String(record.actions.filter(ranOnServer).length),
    issues: JSON.stringify(record.github.issues),
    report: record.reportPath ?? '',
  };
}

/**
 * One line per failed phase (`record: …`, `notify: …`, every GitHub call as `github`): in the
 * Action each is an annotation, and ten failed GitHub calls are one problem, not ten. The job
 * summary lists every error in full.
 */
export function phaseAnnotations(errors: readonly string[]): string[] {
  const byPhase = new Map<string, string[]>();
  for (const error of errors) {
    const phase = error.startsWith('GitHub API failed')
      ? 'github'
      : (/^([\w -]{1,40}):/.exec(error)?.[1] ?? error);
    byPhase.set(phase, [...(byPhase.get(phase) ?? []), error]);
  }
  return [...byPhase.values()].map(([first = '', ...rest]) =>
    rest.length ? `${first} (and ${rest.length} more like it: see the job summary)` : first,
  );
}

/** Job summary, outputs, and one loud line per failed phase so nothing fails silently. */
export async function writeReport(ctx: RunContext, record: RunRecord): Promise<void> {
  for (const line of phaseAnnotations([...record.errors, ...record.github.errors]))
    ctx.logger.warning(redactRendered(ctx, line));
  // errors of the Record and Report phases came after the record was redacted: those are redacted
  const summary = redactRendered(ctx, renderSummary(reportRecord(ctx, record), ctx.links ?? {}));
  try {
    await ctx.adapters.sink.summary(summary);
  } catch (error) {
    ctx.logger.warning(`summary: could not be written: ${String(error)}`);
  }
  ctx.adapters.sink.outputs(outputsOf(record));
}
