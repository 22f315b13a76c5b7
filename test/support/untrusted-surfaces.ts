/**
 * Every place untrusted text is rendered or sent, as a list a test can walk: the hostile-corpus
 * test checks that nothing live survives any of them, the secret-corpus test that no secret does.
 * A new renderer or notification channel is one more entry in SURFACES.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'vitest';
import { consoleLogger, consoleSink } from '../../src/adapters/console-io.js';
import { notify } from '../../src/adapters/notify.js';
import { page } from '../../src/adapters/paging.js';
import { configSchema } from '../../src/config/schema.js';
import { type FollowUp, type PageEvent, planAlerts } from '../../src/core/alerting/alert-plan.js';
import { dependencyGraph, groupIncidents } from '../../src/core/alerting/incidents.js';
import { keyMarker } from '../../src/core/issues/issue-markers.js';
import { planIssues } from '../../src/core/issues/issue-plan.js';
import { emptyMemory } from '../../src/core/memory/memory.js';
import { discordPayload, emailContent, teamsPayload } from '../../src/core/render/notification-payloads.js';
import { agentLogFiles } from '../../src/core/render/render-action-log.js';
import { renderHealthReport } from '../../src/core/render/render-health-report.js';
import {
  escalationMessage,
  notificationMessage,
  notificationText,
} from '../../src/core/render/render-notification.js';
import { renderSummary } from '../../src/core/render/render-summary.js';
import { badgeJson, renderStatusPage, type StatusPageData } from '../../src/core/render/status-page.js';
import type { ActionRecord, RunRecord } from '../../src/core/run-record.js';
import {
  type ApprovalPlan,
  renderApprovalFile,
  renderApprovalPullBody,
  withOutcome,
} from '../../src/core/state-branch/approval-file.js';
import { issueFileChanges } from '../../src/core/state-branch/issue-files.js';
import { raisedFindings } from '../../src/core/status.js';
import { sampleRecord } from './records.js';

// ---- a record with the hostile text in every field a server or a model can fill ------------

function actionWith(text: string, decision: ActionRecord['decision'], id: string): ActionRecord {
  return {
    id,
    server: 'web1',
    action: `restart-service ${text}`,
    params: { service: text },
    risk: 'medium',
    decision,
    reason: text,
    command: `systemctl restart ${text}`,
    output: text,
    exitCode: 1,
    outcome: decision === 'execute' ? 'not-fixed' : undefined,
    fingerprint: `web1/service/${text}`,
    requestedBy: 'claude',
    at: '2026-11-21T08:00:03.000Z',
    path: `actions/2026-11-21/080003-web1-restart-service-${id}.md`,
    target: text,
    evidence: text,
    verification: text,
  };
}

/** A record with `text` in every field a server or a model can fill. */
export function untrustedRecord(text: string): RunRecord {
  const r = sampleRecord();
  const server0 = r.servers[0];
  if (server0) {
    server0.server = { ...server0.server, name: `web1 ${text}` };
    server0.observation = { ...server0.observation, reachable: false, error: text };
  }
  r.findings = r.findings.map((f) => ({
    ...f,
    target: text,
    summary: text,
    evidence: text,
    trend: text,
    fingerprint: `${f.server}/${f.check}/${text}`,
    lifecycle: f.lifecycle === 'pending' ? 'pending' : 'new',
  }));
  r.resolved = r.resolved.map((f) => ({ ...f, summary: text, fingerprint: `db1/endpoint/${text}` }));
  r.diagnoses = r.findings.map((f) => ({
    fingerprint: f.fingerprint,
    rootCause: text,
    confidence: 'low' as const,
    evidence: text,
    nextStep: text,
  }));
  r.narrative = text;
  r.planner = { kind: 'claude', reason: text };
  r.actions = [actionWith(text, 'execute', 'a1'), actionWith(text, 'needs-approval', 'a2')];
  r.actions = r.actions.map((a, i) => ({ ...a, fingerprint: r.findings[i]?.fingerprint }));
  r.recoveries = [
    {
      server: 'web1',
      at: r.startedAt,
      trigger: text,
      steps: [{ service: text, state: 'failed', detail: `start failed: ${text}` }],
      path: 'boot/2026-11-21-080000-web1.md',
    },
  ];
  r.errors = [text];
  r.warnings = [text];
  r.github.errors = [text];
  r.shards = [
    { label: '1of2', servers: [`web1 ${text}`], reported: true, self: true },
    { label: '2of2', servers: [text], reported: false, self: false },
  ];
  r.fleetReport = [{ server: text, fingerprint: `web1/x/${text}`, severity: 'critical', summary: text }];
  r.fleetActions = [{ shard: '1of2', server: text, action: text, decision: text, outcome: text }];
  r.changes = {
    new: r.findings.map((f) => f.fingerprint),
    resolved: r.resolved.map((f) => f.fingerprint),
    stillFailing: [{ fingerprint: `web1/x/${text}`, runs: 4 }],
    trends: [{ fingerprint: `web1/disk/${text}`, note: text }],
    flapping: [`web1/y/${text}`],
    reboots: [text],
    unverified: [{ server: text, fingerprints: ['a'] }],
  };
  r.serverStates = {
    [text]: {
      findings: {},
      samples: {
        [`disk:${text}`]: [
          ['2026-11-21T07:00:00Z', 50],
          ['2026-11-21T08:00:00Z', 60],
        ],
      },
    },
  } as unknown as RunRecord['serverStates'];
  return r;
}

// ---- surfaces: every renderer and channel, each with its checker ---------------------------

export type Checker = 'markdown' | 'slack' | 'plain' | 'discord' | 'html' | 'json' | 'terminal';
export interface Surface {
  name: string;
  check: Checker;
  render: (record: RunRecord) => Promise<string[]> | string[];
}

const github = configSchema.parse({ version: 1, servers: [{ name: 'a', transport: 'local' }] }).github;
export const planOptions = {
  github: { ...github, fleet_issue_min_servers: 99 },
  now: new Date('2026-11-21T08:00:05Z'),
  stateUrl: 'https://github.example/acme/fleet/blob/claudeops-state/',
  issueFile: (fp: string) => `issues/${fp.replace(/[^\w.-]/g, '-')}.md`,
  redact: (t: string) => t,
};

function issueTexts(record: RunRecord, part: 'titles' | 'bodies'): string[] {
  const created = planIssues(record, [], planOptions).ops;
  // the same issues, already open with no memo: every one gets an update and a comment
  const open = created.map((op, i) => ({
    number: i + 1,
    state: 'open' as const,
    title: op.kind === 'create' ? op.title : '',
    body: keyMarker(op.key),
    labels: ['claudeops'],
  }));
  const updated = planIssues(record, open, planOptions).ops;
  const ops = [...created, ...updated];
  if (part === 'titles') return ops.flatMap((op) => (op.kind === 'create' ? [op.title] : []));
  return ops.flatMap((op) => (op.kind === 'create' ? [op.body] : [op.update.body ?? '', op.comment ?? '']));
}

function approvalTexts(record: RunRecord): string[] {
  const action = record.actions.find((a) => a.decision === 'needs-approval') ?? record.actions[0];
  if (!action) return [];
  const plan: ApprovalPlan = {
    id: 'p1',
    server: action.server,
    action: action.action,
    params: action.params,
    risk: action.risk,
    fingerprint: action.fingerprint,
    created: '2026-11-21T08:00:00Z',
    expires: '2026-11-22T08:00:00Z',
    status: 'pending',
    plan: 'web1-x-00000000',
    run: '1',
  };
  const file = renderApprovalFile(plan, action);
  return [
    file,
    renderApprovalPullBody(plan, action, 'approvals/p1.md'),
    withOutcome(
      file,
      { ...plan, status: 'executed' },
      { title: 'executed, fixed', details: ['- exit code: 0'] },
    ),
  ];
}

/** The status page's data with the record's text in every place the state branch can put it. */
export function statusPageOf(r: RunRecord): StatusPageData {
  const at = Date.parse('2026-11-21T08:00:00Z');
  const text = r.findings[0]?.summary ?? 'x';
  return {
    title: 'Fleet status',
    generatedAt: '2026-11-21T08:00:05Z',
    lastRun: '2026-11-21T08:00:00Z',
    details: true,
    servers: r.servers.map((s) => ({
      name: s.server.name,
      status: 'critical',
      availability: { '24h': 99.5 },
      days: [{ day: '2026-11-21', checks: 3, available: 2, worst: 'critical' }],
      disk: {
        points: [0, 1, 2].map((i): [number, number] => [at + i * 3_600_000, 50 + i]),
        threshold: { warn: 80, crit: 90 },
      },
      endpoints: [
        {
          url: text,
          up: false,
          code: 503,
          availability: {},
          days: [{ day: '2026-11-21', checks: 3, available: 2, worst: 'down' }],
          latency: [0, 1, 2].map((i): [number, number] => [at + i * 3_600_000, 100 + i]),
          latencyThreshold: { warn: 2000, crit: 5000 },
        },
      ],
    })),
    incidents: r.findings.map((f) => ({
      title: f.summary,
      severity: f.severity === 'critical' ? 'critical' : 'warning',
      servers: [f.server],
      start: '2026-11-21T07:00:00Z',
      details: {
        summary: f.summary,
        fingerprint: f.fingerprint,
        link: 'https://github.example/acme/fleet/issues?q=x',
      },
    })),
    pastIncidents: r.findings.map((f) => ({
      title: f.summary,
      severity: 'warning',
      servers: [f.server],
      start: '2026-11-20T07:00:00Z',
      end: '2026-11-20T09:00:00Z',
      details: { summary: f.summary, fingerprint: f.fingerprint },
    })),
    maintenance: [
      { servers: [text], from: '2026-11-21T07:00:00Z', to: '2026-11-22T07:00:00Z', reason: text },
    ],
  };
}

/** Notification payloads as the channels receive them, through a local HTTP server. */
const received: { path: string; body: string }[] = [];
let base = '';
let server: Server | undefined;

/** The local HTTP server standing in for Slack, Telegram, Discord, Teams and the webhook. */
export async function startReceiver(): Promise<void> {
  server = createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    received.push({ path: req.url ?? '', body });
    res.end(req.url?.startsWith('/bot') ? '{"ok":true,"result":{}}' : 'ok');
  });
  const s = server;
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
}

export async function stopReceiver(): Promise<void> {
  const s = server;
  if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
}

/** What the CLI prints for a record: the summary on stdout, or its problems on stderr. */
function cliOutput(record: RunRecord, part: 'summary' | 'log'): string[] {
  const chunks: string[] = [];
  const stream = {
    write: (chunk: string) => {
      chunks.push(chunk);
      return true;
    },
  } as unknown as NodeJS.WritableStream;
  if (part === 'summary') void consoleSink(stream).summary(renderSummary(record));
  else for (const e of record.errors) consoleLogger(stream, {}).warning(e);
  return [chunks.join('')];
}
const LINK = 'https://github.example/acme/fleet/blob/claudeops-state/health/x.md';

type Channel = 'slack' | 'telegram' | 'webhook' | 'discord' | 'teams';
const CHANNEL_CONFIG: Record<Channel, () => Record<string, unknown>> = {
  slack: () => ({ slack: { webhook: `${base}/slack` } }),
  telegram: () => ({ telegram: { token: '1:x', chat: '-1' } }),
  webhook: () => ({ webhook: { url: `${base}/hook` } }),
  discord: () => ({ discord: { webhook: `${base}/api/webhooks/1/tok` } }),
  teams: () => ({ teams: { webhook: `${base}/workflows/teams` } }),
};

async function sentPayloads(record: RunRecord, channel: Channel): Promise<string[]> {
  received.length = 0;
  const message = notificationMessage(record, LINK);
  const config = { on: 'always' as const, ...CHANNEL_CONFIG[channel]() } as Parameters<
    typeof notify
  >[0]['config'];
  const payload = { status: record.status, text: notificationText(message) };
  const failures = await notify({ config, telegramApi: base, timeoutMs: 5_000 }, message, payload);
  expect(failures).toEqual([]);
  return received.map((r) => r.body);
}

const message = (r: RunRecord) => notificationMessage(r, LINK);

/** The record's findings as repeats and escalations (alerting follow-ups), with its text everywhere. */
function withFollowUps(r: RunRecord): RunRecord {
  const text = r.findings[0]?.summary ?? 'x';
  const follow = raisedFindings(r).map(
    (f): FollowUp => ({
      key: f.fingerprint,
      server: f.server,
      summary: f.summary,
      severity: 'critical',
      dependants: [f.fingerprint, text],
      openForMs: 3_600_000,
      since: f.firstSeen,
      tried: [text],
      note: text,
      escalated: true,
    }),
  );
  return {
    ...r,
    incidents: follow.map((f) => ({
      key: f.key,
      severity: 'critical',
      dependants: [text],
      ack: { by: text, kind: 'ack' },
    })),
    alerting: {
      changed: follow,
      repeats: follow,
      escalations: follow,
      escalationChannels: ['slack'],
      pages: [],
    },
  };
}

/** Paging events for the record: a trigger per incident, a resolve per resolved finding. */
function pagesOf(r: RunRecord): PageEvent[] {
  const text = r.findings[0]?.summary ?? 'x';
  const planned = planAlerts({
    incidents: groupIncidents(raisedFindings(r), dependencyGraph([])),
    previous: new Map(),
    resolved: new Set(),
    acks: new Map(),
    policy: { channels: ['pagerduty', 'opsgenie'] },
    now: new Date('2026-11-21T08:00:05Z'),
    tried: () => [text],
  });
  const resolves = r.resolved.map(
    (f): PageEvent => ({
      action: 'resolve',
      key: f.fingerprint,
      channels: ['pagerduty', 'opsgenie'],
      server: f.server,
      severity: 'critical',
      summary: f.summary,
      note: f.summary,
    }),
  );
  return [...planned.run.pages, ...resolves];
}

/**
 * What PagerDuty and Opsgenie receive, through the real adapter. The dedup key and the alias are
 * identifiers, sent as they are (the fingerprint, cleaned and redacted like every fingerprint);
 * everything a person reads is checked.
 */
async function pagingPayloads(record: RunRecord, service: 'pagerduty' | 'opsgenie'): Promise<string[]> {
  received.length = 0;
  const targets =
    service === 'pagerduty'
      ? { pagerduty: { routing_key: 'R0UTING', url: `${base}/v2/enqueue` } }
      : { opsgenie: { api_key: 'K3Y', url: base } };
  const events = pagesOf(record).map((e) => ({ ...e, channels: [service] }));
  expect(await page({ ...targets, policy: { timeoutMs: 5_000 } }, events, LINK)).toEqual([]);
  return received.map((r) => {
    const { dedup_key: _d, alias: _a, ...shown } = JSON.parse(r.body) as Record<string, unknown>;
    return JSON.stringify(shown);
  });
}
const teamsTexts = (r: RunRecord) => {
  const card = (teamsPayload(message(r)) as { attachments: { content: { body: { text: string }[] } }[] })
    .attachments[0];
  return (card?.content.body ?? []).map((b) => b.text);
};

export const SURFACES: Surface[] = [
  { name: 'health report', check: 'markdown', render: (r) => [renderHealthReport(r)] },
  { name: 'job summary', check: 'markdown', render: (r) => [renderSummary(r, planOptions)] },
  {
    name: 'fleet report (task summarize)',
    check: 'markdown',
    render: (r) => [renderSummary({ ...r, task: 'summarize' }, planOptions)],
  },
  { name: 'issue bodies and comments', check: 'markdown', render: (r) => issueTexts(r, 'bodies') },
  { name: 'issue titles', check: 'plain', render: (r) => issueTexts(r, 'titles') },
  {
    name: 'issue files',
    check: 'markdown',
    render: (r) => issueFileChanges(r, emptyMemory()).map((c) => c.content ?? ''),
  },
  {
    name: 'action and boot logs',
    check: 'markdown',
    render: (r) => agentLogFiles(r).map((c) => c.content ?? ''),
  },
  { name: 'approval file and PR', check: 'markdown', render: approvalTexts },
  {
    name: 'notification: slack text',
    check: 'slack',
    render: (r) => [notificationText(message(r), 'slack')],
  },
  { name: 'notification: plain text', check: 'plain', render: (r) => [notificationText(message(r))] },
  {
    name: 'notification: discord content and embed',
    check: 'discord',
    render: (r) => {
      const p = discordPayload(message(r)) as {
        content: string;
        embeds: { description?: string; title: string }[];
      };
      expect(p).toMatchObject({ allowed_mentions: { parse: [] } });
      return [p.content, p.embeds[0]?.description ?? '', p.embeds[0]?.title ?? ''];
    },
  },
  { name: 'notification: teams card texts', check: 'markdown', render: (r) => [teamsTexts(r).join('\n\n')] },
  {
    name: 'notification: e-mail subject and text',
    check: 'plain',
    render: (r) => [emailContent(message(r)).subject, emailContent(message(r)).text],
  },
  { name: 'notification: e-mail html', check: 'html', render: (r) => [emailContent(message(r)).html] },
  ...(Object.keys(CHANNEL_CONFIG) as Channel[]).map(
    (c): Surface => ({ name: `sent: ${c} payload`, check: 'json', render: (r) => sentPayloads(r, c) }),
  ),
  { name: 'sent: pagerduty events', check: 'json', render: (r) => pagingPayloads(r, 'pagerduty') },
  { name: 'sent: opsgenie alerts', check: 'json', render: (r) => pagingPayloads(r, 'opsgenie') },
  {
    name: 'notification: repeats, escalations, dependants (slack)',
    check: 'slack',
    render: (r) => {
      const f = withFollowUps(r);
      const escalation = escalationMessage(f, LINK);
      return [notificationText(message(f), 'slack'), escalation ? notificationText(escalation, 'slack') : ''];
    },
  },
  {
    name: 'notification: repeats, escalations, dependants (plain)',
    check: 'plain',
    render: (r) => {
      const f = withFollowUps(r);
      const escalation = escalationMessage(f, LINK);
      return [notificationText(message(f)), escalation ? notificationText(escalation) : ''];
    },
  },
  { name: 'CLI summary (stdout)', check: 'terminal', render: (r) => cliOutput(r, 'summary') },
  { name: 'CLI log lines (stderr)', check: 'terminal', render: (r) => cliOutput(r, 'log') },
  { name: 'status page (html)', check: 'html', render: (r) => [renderStatusPage(statusPageOf(r))] },
  {
    name: 'status page badges',
    check: 'json',
    render: (r) => statusPageOf(r).servers.map((s) => JSON.stringify(badgeJson(s))),
  },
];
