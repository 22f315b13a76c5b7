import type { ChangeSummary, RunRecord, TrackedFinding } from '../run-record.js';
import { renderFrontMatter } from '../state-branch/front-matter.js';
import { raisedFindings, ranOnServer, statusBeforeCommit, worstFirst } from '../status.js';
import { countOf as count } from '../util/count-of.js';
import { formatDuration } from '../util/duration.js';
import { fence, SEVERITY_ICON, table, truncate } from './markdown.js';
import { bootStepDetail, bootStepFailed, finalCheckLine } from './render-action-log.js';
import { diagnosisTable } from './render-diagnosis.js';
import { FIGURE_HEADERS, FIGURE_LEGEND, figureCells, figureDetails } from './render-figures.js';
import { htmlText, mdInline, oneLine } from './untrusted-text.js';

/**
 * The health report committed to the state branch for every run: YAML front matter that later
 * runs and tools read, then markdown a human reads top to bottom.
 */
export function renderHealthReport(record: RunRecord): string {
  return [
    frontMatter(record),
    `# Health report ${record.startedAt.slice(0, 16).replace('T', ' ')} UTC`,
    headline(record),
    fleetSection(record),
    changesSection(record),
    findingsSection(record),
    diagnosisSection(record),
    actionsSection(record),
    bootSection(record),
    problemsSection(record),
  ]
    .filter(Boolean)
    .join('\n\n')
    .concat('\n');
}

function frontMatter(record: RunRecord): string {
  const raised = raisedFindings(record);
  const meta = {
    run: record.runId,
    task: record.task,
    mode: record.mode,
    dry_run: record.dryRun,
    ...(record.shard ? { shard: record.shard } : {}),
    started: record.startedAt,
    finished: record.finishedAt ?? null,
    status: statusForReport(record),
    servers: record.servers.length,
    // what the model cost this run, before the long lists: the weekly digest reads only the head
    tokens: record.usage.inputTokens + record.usage.outputTokens,
    cost_usd: Math.round(record.usage.costUsd * 10_000) / 10_000,
    unreachable: record.servers.filter((s) => !s.observation.reachable).map((s) => s.server.name),
    // what collection cost: SSH round trips (one per reachable server) and collector bytes moved
    round_trips: record.servers.reduce((n, s) => n + s.observation.roundTrips, 0),
    bytes: record.servers.reduce((n, s) => n + s.observation.bytes, 0),
    findings: raised.map((f) => ({
      fingerprint: f.fingerprint,
      severity: f.severity,
      lifecycle: f.lifecycle,
    })),
    resolved: record.resolved.map((f) => f.fingerprint),
    actions: record.actions.map((a) => ({
      action: a.action,
      server: a.server,
      decision: a.decision,
      outcome: a.outcome ?? null,
    })),
    ...(record.recoveries?.length
      ? {
          recoveries: record.recoveries.map((b) => ({
            server: b.server,
            trigger: b.trigger,
            failed: b.steps.filter((s) => bootStepFailed(s.state)).length,
            log: b.path,
          })),
        }
      : {}),
    planner: record.planner.kind,
  };
  return renderFrontMatter(meta);
}

/** The report is written before the commit lands, so "error" here means a phase failed. */
function statusForReport(record: RunRecord): string {
  const status = statusBeforeCommit(record);
  return record.errors.length > 0 && status === 'ok' ? 'ok (with errors)' : status;
}

function headline(record: RunRecord): string {
  const raised = raisedFindings(record);
  const executed = record.actions.filter(ranOnServer).length;
  const took = record.finishedAt
    ? formatDuration(Date.parse(record.finishedAt) - Date.parse(record.startedAt))
    : '?';
  const status = statusForReport(record);
  return [
    `**Status: ${SEVERITY_ICON[status.split(' ')[0] ?? ''] ?? ''} ${status}** · ${count(record.servers.length, 'server')} · ` +
      `${count(raised.length, 'finding')} · ${count(executed, 'action')} · planner: ${record.planner.kind} · took ${took}`,
    `Task \`${record.task}\`, mode \`${record.mode}\`${record.dryRun ? ', **dry run** (nothing executed)' : ''}, run \`${record.runId}\`.`,
  ].join('\n\n');
}

function fleetSection(record: RunRecord): string {
  const rows = record.servers.map(({ server, observation, findings, figures }) => {
    const bad = findings.filter((f) => f.severity !== 'ok');
    const worst = bad.some((f) => f.severity === 'critical') ? 'critical' : bad.length ? 'warning' : 'ok';
    return [
      server.name,
      server.transport,
      observation.reachable ? 'yes' : `no: ${observation.error ?? 'unknown error'}`,
      `${SEVERITY_ICON[worst]} ${worst}`,
      bad.length,
      ...figureCells(figures),
      formatDuration(observation.durationMs),
    ];
  });
  const head = ['server', 'transport', 'reachable', 'status', 'findings', ...FIGURE_HEADERS, 'checked in'];
  const details = figureDetails(record.servers);
  return [`## Fleet\n\n${table(head, rows)}`, FIGURE_LEGEND, ...(details ? [details] : [])].join('\n\n');
}

function changesSection(record: RunRecord): string {
  const c = record.changes ?? deriveChanges(record);
  const summaryOf = new Map(record.findings.map((f) => [f.fingerprint, f.summary]));
  const lines = [
    ...(c.missedRuns ? [`- ⏰ missed runs: ${c.missedRuns}`] : []),
    ...c.reboots.map((s) => `- 🔁 rebooted: ${mdInline(s)} (boot id changed)`),
    ...c.new.map(
      (fp) => `- 🆕 new: ${mdInline(fp)}${summaryOf.has(fp) ? ` — ${mdInline(summaryOf.get(fp))}` : ''}`,
    ),
    ...c.resolved.map((fp) => `- ✅ resolved: ${mdInline(fp)}`),
    ...c.stillFailing.map(
      (f) => `- ⏳ still failing for ${count(f.runs, 'run')}: ${mdInline(f.fingerprint)}`,
    ),
    ...c.trends.map((t) => `- 📈 trend: ${mdInline(t.fingerprint)} — ${mdInline(t.note)}`),
    ...c.flapping.map((fp) => `- 🔀 flapping: ${mdInline(fp)}`),
    ...c.unverified.map(
      (u) =>
        `- ❔ not checked: ${mdInline(u.server)} (${u.fingerprints.length} earlier findings carried over unverified)`,
    ),
  ];
  return `## Since the last run\n\n${lines.length ? lines.join('\n') : 'Nothing changed.'}`;
}

/** For records built without the lifecycle (tests, a run that failed early). */
function deriveChanges(record: RunRecord): ChangeSummary {
  return {
    new: record.findings
      .filter((f) => f.lifecycle === 'new' && f.severity !== 'ok')
      .map((f) => f.fingerprint),
    resolved: record.resolved.map((f) => f.fingerprint),
    stillFailing: record.findings
      .filter((f) => f.lifecycle === 'ongoing' && f.runs >= 3)
      .map((f) => ({ fingerprint: f.fingerprint, runs: f.runs })),
    trends: record.findings.flatMap((f) => (f.trend ? [{ fingerprint: f.fingerprint, note: f.trend }] : [])),
    flapping: record.findings.filter((f) => f.lifecycle === 'flapping').map((f) => f.fingerprint),
    reboots: [],
    unverified: [],
  };
}

function findingsSection(record: RunRecord): string {
  const shown = record.findings.filter((f) => f.severity !== 'ok').sort(worstFirst);
  if (shown.length === 0) return '## Findings\n\nNone: every check passed.';
  const rows = shown.map((f) => [
    `${SEVERITY_ICON[f.severity]} ${f.severity}`,
    f.server,
    f.check,
    f.target,
    f.summary,
    lifecycleLabel(f),
  ]);
  const details = shown
    .filter((f) => f.evidence)
    .map(
      (f) =>
        `<details><summary>${htmlText(oneLine(f.fingerprint, 300))}</summary>\n\n${fence(truncate(f.evidence ?? '', 2000))}\n\n</details>`,
    );
  return [
    `## Findings\n\n${table(['severity', 'server', 'check', 'target', 'summary', 'state'], rows)}`,
    ...details,
  ].join('\n\n');
}

function lifecycleLabel(f: TrackedFinding): string {
  if (f.lifecycle === 'pending') return `pending (${f.runs} run${f.runs === 1 ? '' : 's'}, debounced)`;
  return f.lifecycle === 'new' ? 'new' : `${f.lifecycle} since ${f.firstSeen}`;
}

function diagnosisSection(record: RunRecord): string {
  const head = `## Diagnosis\n\nPlanner: **${record.planner.kind}** — ${mdInline(record.planner.reason)}`;
  const body = record.diagnoses.length ? `\n\n${diagnosisTable(record)}` : '';
  const narrative = record.narrative ? `\n\n${fence(record.narrative, 'markdown')}` : '';
  return head + body + narrative;
}

function actionsSection(record: RunRecord): string {
  if (record.actions.length === 0) return '## Actions\n\nNone.';
  const rows = record.actions.map((a) => [
    a.server,
    a.action,
    Object.entries(a.params)
      .map(([k, v]) => `${k}=${v}`)
      .join(' '),
    a.risk,
    a.decision,
    a.outcome ?? '',
    a.gateReason ?? '',
    `${a.requestedBy}: ${a.reason}`,
  ]);
  const head = [
    'server',
    'action',
    'params',
    'risk',
    'decision',
    'outcome',
    'decided by the gate (code)',
    'asked by',
  ];
  return `## Actions\n\n${table(head, rows)}`;
}

/** Boot recoveries of this run (task recover, or a reboot noticed): every step, and its boot log. */
function bootSection(record: RunRecord): string {
  const boots = record.recoveries ?? [];
  if (boots.length === 0) return '';
  const parts = boots.map((b) => {
    const rows = b.steps.map((s) => [
      s.service,
      s.state,
      s.waitedMs !== undefined ? `${Math.round(s.waitedMs / 1000)} s` : '—',
      bootStepDetail(s),
    ]);
    const steps = rows.length
      ? table(['service', 'state', 'waited', 'detail'], rows)
      : 'No services in boot.order.';
    return `### ${mdInline(b.server)}\n\nTrigger: ${mdInline(b.trigger)} · log: \`${b.path}\`\n\n${steps}\n\n${finalCheckLine(b)}`;
  });
  return `## Boot recovery\n\n${parts.join('\n\n')}`;
}

function problemsSection(record: RunRecord): string {
  const lines = [
    ...record.errors.map((e) => `- ⛔ ${mdInline(e)}`),
    ...record.warnings.map((w) => `- ⚠️ ${mdInline(w)}`),
  ];
  return lines.length ? `## Problems during this run\n\n${lines.join('\n')}` : '';
}
