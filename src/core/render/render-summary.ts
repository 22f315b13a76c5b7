/**
 * The job summary (docs/architecture.md#github), pure: what a person opening the workflow run reads first. Problems
 * of the run itself come right after the headline (a failed GitHub call or push must be visible,
 * never buried); then the fleet, findings, diagnosis, actions, issues and PRs, disk trends as
 * Mermaid charts (GitHub renders them), the cost, and links to the records on the state branch.
 */

import type { RunRecord } from '../run-record.js';
import { serverStatePath } from '../state-branch/paths.js';
import { findingCount, raisedFindings, ranOnServer, worstFirst } from '../status.js';
import { taskTraits } from '../tasks.js';
import { countOf } from '../util/count-of.js';
import { formatDuration } from '../util/duration.js';
import { SEVERITY_ICON, table, trusted } from './markdown.js';
import { bootStepDetail } from './render-action-log.js';
import { diagnosisTable } from './render-diagnosis.js';
import { FIGURE_HEADERS, FIGURE_LEGEND, figureCells, figureDetails } from './render-figures.js';
import { niceMax, timeBuckets } from './time-axis.js';
import { mdCode, mdInline, plainText } from './untrusted-text.js';

export interface SummaryLinks {
  /** web base of state-branch files, ending in `/` (…/blob/claudeops-state/) */
  stateUrl?: string;
  /** web URL of the repository (https://github.com/owner/repo), for issue and PR links */
  repoUrl?: string;
  /** web URL of this workflow run */
  runUrl?: string;
}

const MAX_CHARTS = 8;
/** at most this many x-axis labels: more are unreadable */
const MAX_TICKS = 12;
/** fewer samples than this make no trend worth a chart */
const MIN_POINTS = 3;

export function renderSummary(record: RunRecord, links: SummaryLinks = {}): string {
  return [
    `## ClaudeOps ${record.task}${record.shard ? ` (shard ${record.shard})` : ''}`,
    headline(record, links),
    problems(record),
    approvalsNeeded(record, links),
    fleet(record),
    shards(record),
    findings(record),
    diagnosis(record),
    actions(record, links),
    boot(record, links),
    github(record, links),
    trends(record),
    cost(record),
    records(record, links),
  ]
    .filter((s) => s !== '')
    .join('\n\n')
    .concat('\n');
}

/**
 * Sharded runs: which shards reported; the last one to report lists the whole fleet's findings.
 * `task: summarize` shows the same, whether or not every shard reported, and the shards' actions.
 */
function shards(record: RunRecord): string {
  if (!record.shards) return '';
  const summarizing = taskTraits(record.task).fleetWide === true;
  const missing = summarizing ? 'missing' : 'not yet';
  const list = record.shards
    .map((s) => `${s.label}${s.self ? ' (this shard)' : ''}: ${s.reported ? 'reported' : missing}`)
    .join(' · ');
  const parts = [`### Shards of this workflow run\n\n${list}`];
  if (summarizing) parts.push(fleetServers(record));
  if (record.fleetReport) {
    const rows = record.fleetReport.map((f) => [f.server, f.fingerprint, f.severity, f.summary]);
    const lead = summarizing ? '### Fleet findings' : 'Every shard has reported: the whole fleet now.';
    parts.push(
      rows.length > 0
        ? `${lead}\n\n${table(['server', 'finding', 'severity', 'summary'], rows)}`
        : summarizing
          ? '### Fleet findings\n\nNo raised finding on any server that reported.'
          : 'Every shard has reported: no raised finding anywhere in the fleet.',
    );
  }
  if (record.fleetActions?.length) {
    const rows = record.fleetActions.map((a) => [a.shard, a.server, a.action, a.decision, a.outcome]);
    parts.push(`### Fleet actions\n\n${table(['shard', 'server', 'action', 'decision', 'outcome'], rows)}`);
  }
  return parts.join('\n\n');
}

/** (summarize) one row per server: its shard, whether it reported, its raised findings. */
function fleetServers(record: RunRecord): string {
  const rows = (record.shards ?? []).flatMap((s) =>
    s.servers.map((server) => {
      const bad = (record.fleetReport ?? []).filter((f) => f.server === server);
      const worst = bad.some((f) => f.severity === 'critical') ? 'critical' : bad.length ? 'warning' : 'ok';
      return [
        server,
        s.label,
        s.reported ? `${SEVERITY_ICON[worst] ?? ''} ${worst}` : '❓ no report',
        bad.length,
      ];
    }),
  );
  return `### Fleet\n\n${table(['server', 'shard', 'status', 'findings'], rows)}`;
}

function fileLink(links: SummaryLinks, path: string, text = path): string {
  return links.stateUrl
    ? `[${mdInline(text)}](${links.stateUrl}${path.split('/').map(encodeURIComponent).join('/')})`
    : mdCode(path);
}

/** Servers the run covers: its own, or for `task: summarize` every shard's. */
function serverCount(record: RunRecord): number {
  if (!taskTraits(record.task).fleetWide) return record.servers.length;
  return (record.shards ?? []).reduce((n, s) => n + s.servers.length, 0);
}

function headline(record: RunRecord, links: SummaryLinks): string {
  const status = record.status;
  const executed = record.actions.filter(ranOnServer).length;
  const took = record.finishedAt
    ? formatDuration(Date.parse(record.finishedAt) - Date.parse(record.startedAt))
    : undefined;
  const parts = [
    `**${SEVERITY_ICON[status] ?? ''} ${status}**`,
    countOf(serverCount(record), 'server'),
    countOf(findingCount(record), 'finding'),
    countOf(executed, 'action'),
    `mode \`${record.mode}\``,
    ...(record.dryRun ? ['**dry run**: nothing executed'] : []),
    ...(took ? [`took ${took}`] : []),
    ...(links.runUrl ? [`[run ${record.runId}](${links.runUrl})`] : [`run ${record.runId}`]),
  ];
  return parts.join(' · ');
}

function problems(record: RunRecord): string {
  const errors = [...record.errors, ...record.github.errors];
  if (errors.length === 0 && record.warnings.length === 0) return '';
  const lines: string[] = [];
  if (errors.length > 0)
    lines.push('> [!CAUTION]', '> **This run had problems:**', ...errors.map((e) => `> - ${oneLine(e)}`));
  if (record.warnings.length > 0) {
    if (lines.length > 0) lines.push('');
    lines.push('> [!WARNING]', ...record.warnings.map((w) => `> - ${oneLine(w)}`));
  }
  return lines.join('\n');
}

function oneLine(text: string): string {
  return mdInline(text, 500);
}

function fleet(record: RunRecord): string {
  if (record.servers.length === 0) return '';
  // raised findings, not raw ones: a debounced warning does not colour the fleet table yet
  const raised = raisedFindings(record);
  const rows = record.servers.map(({ server, observation, figures }) => {
    const bad = raised.filter((f) => f.server === server.name);
    const worst = !observation.reachable
      ? 'critical'
      : bad.some((f) => f.severity === 'critical')
        ? 'critical'
        : bad.length
          ? 'warning'
          : 'ok';
    return [
      server.name,
      `${SEVERITY_ICON[worst]} ${observation.reachable ? worst : 'unreachable'}`,
      bad.length,
      ...figureCells(figures),
      observation.reachable ? formatDuration(observation.durationMs) : (observation.error ?? 'unreachable'),
    ];
  });
  const head = ['server', 'status', 'findings', ...FIGURE_HEADERS, 'checked in'];
  const details = figureDetails(record.servers);
  return [`### Fleet\n\n${table(head, rows)}`, FIGURE_LEGEND, ...(details ? [details] : [])].join('\n\n');
}

/** What waits for a person, right under the headline: each proposal and the PR that approves it. */
function approvalsNeeded(record: RunRecord, links: SummaryLinks): string {
  const proposals = record.actions.filter((a) => a.decision === 'needs-approval');
  if (proposals.length === 0) return '';
  const lines = proposals.map((a) => {
    const params = Object.entries(a.params).map(([k, v]) => `${k}=${v}`);
    const what = `${mdCode([a.action, ...params].join(' '))} on ${mdInline(a.server)} (${a.risk} risk)`;
    const why = a.fingerprint ? ` for ${mdCode(a.fingerprint)}` : '';
    const pull =
      a.pull === undefined
        ? 'no pull request was opened (approvals need GitHub; the proposal is in its action log)'
        : `merge ${links.repoUrl ? `[#${a.pull}](${links.repoUrl}/pull/${a.pull})` : `#${a.pull}`} to run it once`;
    return `- ${what}${why}: ${pull}`;
  });
  return `### Needs your approval\n\n${lines.join('\n')}`;
}

function findings(record: RunRecord): string {
  // criticals first: a warning above a critical reads as the bigger problem
  const raised = raisedFindings(record).sort(worstFirst);
  const pending = record.findings.filter((f) => f.lifecycle === 'pending' && f.severity !== 'ok');
  const resolved = record.resolved;
  if (raised.length === 0 && pending.length === 0 && resolved.length === 0)
    return '### Findings\n\nNone: every check passed.';
  const rows = raised.map((f) => [
    `${SEVERITY_ICON[f.severity]} ${f.severity}`,
    f.server,
    `${f.check} ${f.target === '-' ? '' : f.target}`.trim(),
    f.summary + (f.trend ? ` (${f.trend})` : ''),
    f.lifecycle === 'new' ? '🆕 new' : `${f.lifecycle} since ${f.firstSeen.slice(0, 16).replace('T', ' ')}`,
  ]);
  const parts = ['### Findings'];
  if (rows.length > 0) parts.push(table(['severity', 'server', 'check', 'summary', 'state'], rows));
  if (pending.length > 0)
    parts.push(`Watching (debounced, no issue yet): ${pending.map((f) => mdCode(f.fingerprint)).join(', ')}`);
  if (resolved.length > 0)
    parts.push(`✅ Resolved this run: ${resolved.map((f) => mdCode(f.fingerprint)).join(', ')}`);
  return parts.join('\n\n');
}

function diagnosis(record: RunRecord): string {
  if (record.planner.kind === 'none' && record.diagnoses.length === 0) return '';
  const head = `### Diagnosis\n\nDecided by **${record.planner.kind === 'claude' ? 'Claude' : record.planner.kind}**: ${mdInline(record.planner.reason)}`;
  if (record.diagnoses.length === 0) return head;
  return `${head}\n\n${diagnosisTable(record)}`;
}

function actions(record: RunRecord, links: SummaryLinks): string {
  if (record.actions.length === 0) return '';
  const icon: Record<string, string> = {
    fixed: '✅',
    'not-fixed': '❌',
    worse: '🔥',
    unverified: '❔',
    'not-run': '⏸️',
  };
  const rows = record.actions.map((a) => [
    a.server,
    `${a.action} ${Object.entries(a.params)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')}`.trim(),
    a.risk,
    a.decision,
    a.outcome ? `${icon[a.outcome] ?? ''} ${a.outcome}` : '',
    trusted(a.path ? fileLink(links, a.path, 'log') : ''),
  ]);
  return `### Actions\n\n${table(['server', 'action', 'risk', 'decision', 'outcome', 'record'], rows)}`;
}

function boot(record: RunRecord, links: SummaryLinks): string {
  const boots = record.recoveries ?? [];
  if (boots.length === 0) return '';
  const icon: Record<string, string> = {
    started: '✅',
    'already-running': '✅',
    failed: '❌',
    'not-ready': '❌',
    blocked: '⛔',
    skipped: '⏸️',
  };
  const rows = boots.flatMap((b) =>
    b.steps.map((s) => [
      b.server,
      s.service,
      `${icon[s.state] ?? ''} ${s.state}`,
      s.waitedMs !== undefined ? `${Math.round(s.waitedMs / 1000)} s` : '',
      bootStepDetail(s),
      trusted(fileLink(links, b.path, 'log')),
    ]),
  );
  const triggers = boots.map((b) => `${mdInline(b.server)}: ${mdInline(b.trigger)}`).join('; ');
  return `### Boot recovery\n\n${triggers}\n\n${table(['server', 'service', 'state', 'waited', 'detail', 'record'], rows)}`;
}

function github(record: RunRecord, links: SummaryLinks): string {
  const ref = (kind: 'issues' | 'pull', n: number) =>
    links.repoUrl ? `[#${n}](${links.repoUrl}/${kind}/${n})` : `#${n}`;
  const lines: string[] = [];
  if (record.github.issues.length > 0)
    lines.push(
      `- Issues opened, updated or closed: ${record.github.issues.map((n) => ref('issues', n)).join(', ')}`,
    );
  if (record.github.pulls.length > 0)
    lines.push(`- Approval pull requests: ${record.github.pulls.map((n) => ref('pull', n)).join(', ')}`);
  return lines.length > 0 ? `### GitHub\n\n${lines.join('\n')}` : '';
}

interface TrendSeries {
  title: string;
  unit: string;
  points: [number, number][];
  latest: number;
  /** fixed top of the y axis (percentages: 100) */
  top?: number;
  warn?: number;
  crit?: number;
}

/**
 * Disk per mount and latency per endpoint, one xychart each (xychart lines carry no legend, so the
 * chart's only extra lines are its thresholds, named under it). Fewer than three samples: no chart.
 */
function trends(record: RunRecord): string {
  const series: TrendSeries[] = [];
  for (const [server, state] of Object.entries(record.serverStates)) {
    const t = record.servers.find((r) => r.server.name === server)?.figures?.thresholds;
    for (const [key, samples] of Object.entries(state.samples ?? {})) {
      const points = samples.map(([at, v]): [number, number] => [Date.parse(at), v]);
      if (points.length < MIN_POINTS) continue;
      const latest = points.at(-1)?.[1] ?? 0;
      if (key.startsWith('disk:'))
        series.push({
          title: `${server} disk ${key.slice(5)}`,
          unit: '% used',
          points,
          latest,
          top: 100,
          ...t?.disk,
        });
      else if (key.startsWith('endpoint:'))
        series.push({
          title: `${server} ${key.slice(9)}`,
          unit: 'ms',
          points,
          latest,
          ...(t ? { warn: t.latency.warn } : {}),
        });
    }
  }
  if (series.length === 0) return '';
  series.sort((a, b) => (b.top ? b.latest / b.top : 0) - (a.top ? a.latest / a.top : 0));
  const charts = series.slice(0, MAX_CHARTS).map(chart);
  const more =
    series.length > MAX_CHARTS ? [`_${series.length - MAX_CHARTS} more series in the state files._`] : [];
  return ['### Trends', ...charts, ...more].join('\n\n');
}

/** Colours that read on GitHub's light and dark backgrounds: the series, then warn and crit. */
const CHART_THEME =
  '%%{init: {"theme": "base", "themeVariables": {"xyChart": {"plotColorPalette": "#1f6feb, #d29922, #da3633"}}}}%%';

function chart(s: TrendSeries): string {
  const buckets = timeBuckets(s.points, MAX_TICKS);
  const quote = (text: string) => `"${plainText(text).replace(/["\\\n<>`]/g, "'")}"`;
  const values = buckets.map((b) => Math.round(b.value * 10) / 10);
  const top = s.top ?? niceMax(Math.max(...values, s.warn ?? 0));
  const flat = (v: number) => `    line [${buckets.map(() => v).join(', ')}]`;
  const legend = [
    'blue: measured',
    ...(s.warn !== undefined ? [`amber: warn ${s.warn}${s.top ? '%' : ' ms'}`] : []),
    ...(s.crit !== undefined ? [`red: crit ${s.crit}${s.top ? '%' : ' ms'}`] : []),
  ];
  const span = (s.points.at(-1)?.[0] ?? 0) - (s.points[0]?.[0] ?? 0);
  return [
    '```mermaid',
    CHART_THEME,
    'xychart-beta',
    `    title ${quote(`${s.title} (${s.unit})`)}`,
    `    x-axis ${quote(span > 86_400_000 ? 'UTC date' : 'UTC time')} [${buckets.map((b) => quote(b.label)).join(', ')}]`,
    `    y-axis ${quote(s.unit)} 0 --> ${top}`,
    `    line [${values.join(', ')}]`,
    ...(s.warn !== undefined ? [flat(s.warn)] : []),
    ...(s.crit !== undefined ? [flat(s.crit)] : []),
    '```',
    '',
    `<sub>${legend.join(' · ')}; ${s.points.length} samples, highest per interval</sub>`,
  ].join('\n');
}

function cost(record: RunRecord): string {
  const u = record.usage;
  if (u.calls === 0) return `### Cost\n\nNo model calls (planner: ${record.planner.kind}).`;
  const rows = [
    [
      u.calls,
      u.inputTokens,
      u.outputTokens,
      u.cacheReadTokens,
      u.cacheWriteTokens,
      trusted(`$${u.costUsd.toFixed(4)}`),
    ],
  ];
  return `### Cost\n\n${table(['model calls', 'input tokens', 'output tokens', 'cache read', 'cache write', 'cost'], rows)}`;
}

function records(record: RunRecord, links: SummaryLinks): string {
  const lines: string[] = [];
  if (record.reportPath) lines.push(`- Health report: ${fileLink(links, record.reportPath)}`);
  for (const server of Object.keys(record.serverStates))
    lines.push(`- State of ${mdInline(server)}: ${fileLink(links, serverStatePath(server))}`);
  if (record.commit) {
    lines.push(
      `- Commit \`${record.commit.sha.slice(0, 12)}\` on \`${record.commit.branch}\`${record.commit.pushed ? '' : ' (**not pushed**)'}`,
    );
  }
  return lines.length > 0 ? `### Records\n\n${lines.join('\n')}` : '';
}
