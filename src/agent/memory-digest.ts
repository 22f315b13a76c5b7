/**
 * What the state branch remembers, as the model reads it (pure): per finding its first sighting,
 * recurrences in the last 7 days, flap history, the previous diagnosis and past actions (from its
 * issue file), an open or declined approval; per server its reboots and package changes since the
 * last run; a digest
 * of the last three health reports. Bounded to MEMORY_MAX_CHARS (≈2 000 tokens): findings come
 * first, then servers, then reports, and what does not fit is cut with a note saying so.
 */
import type { FindingState, Memory, MemoryFile } from '../core/memory/memory.js';
import type { TrackedFinding } from '../core/run-record.js';
import { metaOf } from '../core/state-branch/front-matter.js';
import { parseIssueFile } from '../core/state-branch/issue-files.js';

/** ≈2 000 tokens at 3.5 characters a token (English prose with ids and timestamps). */
export const MEMORY_MAX_CHARS = 7_000;
const DAY = 86_400_000;
const LINE_MAX = 300;

export interface DigestInput {
  targets: readonly TrackedFinding[];
  memory: Memory;
  now: Date;
  /** per server: package log lines since its last run (read from the server this run) */
  packageChanges?: ReadonlyMap<string, readonly string[]>;
}

function clip(text: string, max = LINE_MAX): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** Episodes (ok → not ok) that started in the window, from the bounded per-run history. */
export function recurrences(state: FindingState | undefined, since: number): number {
  let count = 0;
  let before: string | undefined;
  for (const [at, severity] of state?.history ?? []) {
    if (severity !== 'ok' && before === 'ok' && Date.parse(at) >= since) count++;
    before = severity;
  }
  return count;
}

const LETTER: Record<string, string> = { ok: '.', warning: 'w', critical: 'C' };

function historyLine(state: FindingState | undefined): string {
  const runs = (state?.history ?? []).slice(-20);
  if (runs.length === 0) return '';
  return `last ${runs.length} runs (oldest first; . ok, w warning, C critical): ${runs.map(([, s]) => LETTER[s] ?? '?').join('')}`;
}

function issueOf(memory: Memory, fingerprint: string): ReturnType<typeof parseIssueFile> {
  for (const file of memory.openIssues) {
    const doc = parseIssueFile(file.content, file.meta);
    if (doc?.meta.fingerprint === fingerprint) return doc;
  }
  return undefined;
}

function approvalLines(approvals: readonly MemoryFile[], fingerprint: string): string[] {
  return approvals
    .map((file) => metaOf(file))
    .filter((m) => m.fingerprint === fingerprint && (m.status === 'pending' || m.status === 'declined'))
    .map(
      (m) =>
        `approval ${String(m.status)}: ${String(m.action)} (plan ${String(m.id)}, proposed ${String(m.created)})`,
    );
}

function findingBlock(f: TrackedFinding, input: DigestInput): string {
  const state = input.memory.servers[f.server]?.findings[f.fingerprint];
  const since = input.now.getTime() - 7 * DAY;
  const again = recurrences(state, since);
  const head = [
    `first seen ${state?.firstSeen ?? f.firstSeen}`,
    again > 0 ? `recurred ${again}× in the last 7 days` : 'no recurrence in the last 7 days',
    state?.status === 'flapping' || f.lifecycle === 'flapping' ? 'FLAPPING' : '',
  ].filter(Boolean);
  const lines = [`- ${f.fingerprint}: ${head.join('; ')}`];
  const history = historyLine(state);
  if (history) lines.push(`  ${history}`);
  const issue = issueOf(input.memory, f.fingerprint);
  const diagnosis = issue?.history.filter((l) => l.includes(' — diagnosis (')).at(-1);
  if (diagnosis) lines.push(`  previous ${clip(diagnosis.slice(2), 500)}`);
  for (const action of issue?.history.filter((l) => l.includes(' — action ')).slice(-4) ?? [])
    lines.push(`  past ${clip(action.slice(2))}`);
  const breaker = issue?.history.filter((l) => l.includes('circuit breaker open')).at(-1);
  if (breaker) lines.push(`  ${clip(breaker.slice(2))}`);
  for (const approval of approvalLines(input.memory.approvals, f.fingerprint)) lines.push(`  ${approval}`);
  return lines.join('\n');
}

function serverLines(input: DigestInput): string[] {
  const servers = [...new Set(input.targets.map((f) => f.server))];
  return servers.flatMap((name) => {
    const state = input.memory.servers[name];
    if (!state) return [`- ${name}: no earlier run recorded`];
    const since = state.lastRun ? Date.parse(state.lastRun) : 0;
    const reboots = state.reboots.filter((at) => Date.parse(at) >= since - DAY);
    const parts = [
      `last checked ${state.lastChecked ?? 'never'}`,
      reboots.length > 0 ? `rebooted at ${reboots.slice(-3).join(', ')}` : 'no reboot since the last run',
      state.uptimeSeconds !== undefined ? `uptime ${Math.round(state.uptimeSeconds / 3600)} h` : '',
    ].filter(Boolean);
    const packages = input.packageChanges?.get(name);
    if (packages === undefined) return [`- ${name}: ${parts.join('; ')}`];
    const changed =
      packages.length === 0
        ? 'no package changes since the last run'
        : `package changes since the last run:\n${packages.map((l) => `    ${clip(l, 160)}`).join('\n')}`;
    return [`- ${name}: ${parts.join('; ')}; ${changed}`];
  });
}

function reportLine(file: MemoryFile): string {
  const m = metaOf(file);
  const findings = Array.isArray(m.findings) ? (m.findings as Record<string, unknown>[]) : [];
  const actions = Array.isArray(m.actions) ? (m.actions as Record<string, unknown>[]) : [];
  const listed = findings
    .slice(0, 8)
    .map((f) => `${String(f.fingerprint)} ${String(f.severity)}`)
    .join(', ');
  const acted = actions
    .slice(0, 5)
    .map((a) => `${String(a.action)}@${String(a.server)} ${String(a.decision)}/${String(a.outcome ?? '-')}`)
    .join(', ');
  const resolved = Array.isArray(m.resolved) ? m.resolved.length : 0;
  return clip(
    `- ${String(m.started ?? file.path)} ${String(m.status ?? '?')} (planner ${String(m.planner ?? '?')}): ${findings.length} raised${listed ? ` [${listed}${findings.length > 8 ? ', …' : ''}]` : ''}; ${resolved} resolved${acted ? `; actions ${acted}` : ''}`,
    600,
  );
}

/** The memory section of the task prompt, unfenced and unredacted (the caller does both). */
export function memoryDigest(input: DigestInput): string {
  const sections = [
    `Last recorded run: ${input.memory.lastRunAt ?? 'none (first run)'}`,
    `Findings (what earlier runs saw, thought and did):\n${input.targets.map((f) => findingBlock(f, input)).join('\n')}`,
    `Servers:\n${serverLines(input).join('\n')}`,
    input.memory.reports.length > 0
      ? `Last ${input.memory.reports.length} health reports (oldest first):\n${input.memory.reports.map(reportLine).join('\n')}`
      : 'No earlier health reports.',
  ];
  return bound(sections.join('\n\n'), MEMORY_MAX_CHARS);
}

/** Cuts at a line boundary and says so: the model must know when memory is incomplete. */
export function bound(text: string, max = MEMORY_MAX_CHARS): string {
  if (text.length <= max) return text;
  const note = '\n[memory cut here to stay within its budget]';
  const cut = text.slice(0, max - note.length);
  return `${cut.slice(0, Math.max(0, cut.lastIndexOf('\n')))}${note}`;
}
