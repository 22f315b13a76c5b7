/**
 * The per-run task message for Claude: findings (evidence redacted, truncated and fenced as
 * untrusted), a memory excerpt, and per server the catalog and diagnostics it may use. Pure.
 * Everything stable (instructions, tool definitions) lives in the cached system prompt instead.
 */

import type { Config, Mode, ServerConfig } from '../config/schema.js';
import type { Memory } from '../core/memory/memory.js';
import { truncate } from '../core/render/markdown.js';
import type { TrackedFinding } from '../core/run-record.js';
import { metaOf, metaText } from '../core/state-branch/front-matter.js';
import { redact } from '../core/util/redact.js';
import { buildCatalog, describeCatalog } from '../remediate/catalog.js';
import type { CatalogAction } from '../remediate/catalog-action.js';
import { buildDiagnostics, type DiagnosticFacts, describeDiagnostics } from './diagnostics.js';
import { bound, memoryDigest } from './memory-digest.js';
import { fill, prompt, untrusted } from './prompts.js';

export interface TaskInput {
  /** what the collection measured per server: the directories diagnostics may be asked about */
  diagnosticFacts?: (server: string) => DiagnosticFacts;
  runId: string;
  task: string;
  mode: Mode;
  dryRun: boolean;
  now: Date;
  /** findings Claude must diagnose */
  targets: readonly TrackedFinding[];
  /** other raised findings, for context */
  others: readonly TrackedFinding[];
  memory: Memory;
  servers: readonly ServerConfig[];
  reachable: ReadonlySet<string>;
  config: Pick<Config, 'remediations'>;
  secrets: readonly string[];
  nonce: string;
  /** evidence fetched before the first request, per fingerprint (service status and logs) */
  prefetched?: ReadonlyMap<string, string>;
  /** per server involved: package log lines since its last run */
  packageChanges?: ReadonlyMap<string, readonly string[]>;
}

const EVIDENCE_MAX = 1_500;

/**
 * A finding's fingerprint holds its target, which a server can name (a user's FUSE mount point, a
 * container, a unit): it is shown only inside the fence, never in a heading or a fence's label,
 * so no text a server chose stands where the code's own words do.
 */
function findingBlock(f: TrackedFinding, index: number, input: TaskInput): string {
  const { nonce, secrets } = input;
  const head = `### Finding ${index + 1}: ${f.check} on ${f.server} — ${f.severity}, ${f.lifecycle} since ${f.firstSeen}${f.trend ? ` (${f.trend})` : ''}`;
  const body = [
    `fingerprint: ${f.fingerprint}`,
    f.summary,
    f.evidence ? truncate(f.evidence, EVIDENCE_MAX) : '',
  ]
    .filter(Boolean)
    .join('\n');
  const fetched = input.prefetched?.get(f.fingerprint);
  const extra = fetched
    ? `\nAlready fetched for you (no need to run these diagnostics again):\n${untrusted(redact(fetched, secrets), nonce, `${f.server}:prefetch`)}`
    : '';
  return `${head}\n${untrusted(redact(body, secrets), nonce, `${f.server}:finding`)}${extra}`;
}

/** The other raised findings, fenced as a whole: their fingerprints are server text too. */
function contextBlock(others: readonly TrackedFinding[], input: TaskInput): string {
  if (others.length === 0) return 'None.';
  const lines = others.map((f) => `- ${f.fingerprint}: ${f.severity}, ${f.lifecycle}`).join('\n');
  return untrusted(redact(lines, input.secrets), input.nonce, 'other-findings');
}

/** What the gate would do with an action of this risk in this mode, so Claude does not ask in vain. */
function allowance(action: CatalogAction, mode: Mode): string {
  if (mode === 'report') return 'proposal only';
  if (action.risk === 'high' || (mode === 'safe' && action.risk === 'medium')) return 'needs approval';
  return 'may run';
}

function serverBlock(server: ServerConfig, input: TaskInput): string {
  const head = `### ${server.name}${server.tags.length ? ` (tags: ${server.tags.join(', ')})` : ''}`;
  if (!input.reachable.has(server.name))
    return `${head}\nUnreachable in this run: no diagnostics, no actions.`;
  const actions = [...buildCatalog(server, input.config).actions.values()];
  const catalog = describeCatalog(actions)
    .split('\n')
    .map((line, i) => `${line} [${allowance(actions[i] as CatalogAction, input.mode)}]`)
    .join('\n');
  const services = server.services.map((s) => `${s.name} (${s.manager})`).join(', ') || 'none configured';
  // the directories offered include the mount points df reported: server-named, so fenced
  const diagnostics = describeDiagnostics(
    buildDiagnostics(server, input.diagnosticFacts?.(server.name)).values(),
  );
  return `${head}\nServices: ${services}\n\nCatalog (action ids for remediate / request_approval):\n${catalog || '(none)'}\n\nDiagnostics (ids for run_diagnostic; a path is one of the listed values, mount points among them):\n${untrusted(redact(diagnostics, input.secrets), input.nonce, `${server.name}:diagnostics`)}`;
}

function memoryBlock(input: TaskInput): string {
  const involved = new Set(input.targets.map((f) => f.server));
  const actions = input.memory.recentActions
    .filter((a) => involved.has(metaText(metaOf(a), 'server')))
    .slice(-10)
    .map((a) => {
      const v = (k: string) => metaText(metaOf(a), k) || '?';
      return `- ${v('at')} ${v('server')} ${v('action')} ${v('target')}: ${v('decision')} → ${v('outcome')}`;
    });
  const books = [...involved].flatMap((server) =>
    Object.entries(input.memory.servers[server]?.remediation ?? {}).map(
      ([key, b]) =>
        `- ${server} ${key}: ${b.attempts.length} recent attempts, ${b.failures} failures in a row, breaker ${b.breakerOpen ? 'OPEN' : 'closed'}, last ${b.lastOutcome ?? '—'}`,
    ),
  );
  const lines = [
    memoryDigest({
      targets: input.targets,
      memory: input.memory,
      now: input.now,
      packageChanges: input.packageChanges,
    }),
    actions.length ? `Actions in the last 24 h:\n${actions.join('\n')}` : 'No actions in the last 24 h.',
    books.length ? `Remediation bookkeeping:\n${books.slice(0, 10).join('\n')}` : '',
  ];
  // the whole section, not only the digest, stays within the memory budget
  return redact(untrusted(bound(lines.filter(Boolean).join('\n\n')), input.nonce, 'memory'), input.secrets);
}

export function buildTaskPrompt(input: TaskInput): string {
  const involved = new Set([...input.targets, ...input.others].map((f) => f.server));
  const text = fill(prompt('task.md'), {
    run_id: input.runId,
    task: input.task,
    mode: input.mode,
    dry_run: input.dryRun ? ' · **dry run** (nothing will be executed)' : '',
    now: input.now.toISOString(),
    findings: input.targets.map((f, i) => findingBlock(f, i, input)).join('\n\n'),
    context: contextBlock(input.others, input),
    memory: memoryBlock(input),
    servers: input.servers
      .filter((s) => involved.has(s.name))
      .map((s) => serverBlock(s, input))
      .join('\n\n'),
  });
  return redact(text, input.secrets);
}
