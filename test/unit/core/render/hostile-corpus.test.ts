/**
 * The hostile corpus (test/fixtures/hostile/) through every renderer and every notification
 * payload: nothing a server or a model wrote may come out live — no link, image, tag, heading,
 * emphasis, mention, reference, broadcast ping, fake marker, terminal escape or bidi override.
 *
 * Markdown outputs are rendered with a real GFM parser (micromark + GFM, raw HTML allowed, as
 * GitHub passes much of it) and compared element by element with the same record holding harmless
 * text: the hostile record may not produce one element more. To add a channel, add one entry to
 * SURFACES (name, how to render a record, which checker).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { micromark } from 'micromark';
import { gfm, gfmHtml } from 'micromark-extension-gfm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { notify } from '../../../../src/adapters/notify.js';
import { configSchema } from '../../../../src/config/schema.js';
import { keyMarker, keyOf, planIssues } from '../../../../src/core/memory/issue-plan.js';
import { emptyMemory } from '../../../../src/core/memory/memory.js';
import {
  discordPayload,
  emailContent,
  teamsPayload,
} from '../../../../src/core/render/notification-payloads.js';
import { agentLogFiles } from '../../../../src/core/render/render-action-log.js';
import { renderHealthReport } from '../../../../src/core/render/render-health-report.js';
import { notificationMessage, notificationText } from '../../../../src/core/render/render-notification.js';
import { renderSummary } from '../../../../src/core/render/render-summary.js';
import { badgeJson, renderStatusPage, type StatusPageData } from '../../../../src/core/render/status-page.js';
import type { ActionRecord, RunRecord } from '../../../../src/core/run-record.js';
import {
  type ApprovalPlan,
  renderApprovalFile,
  renderApprovalPullBody,
  withOutcome,
} from '../../../../src/core/state-branch/approval-file.js';
import { issueFileChanges } from '../../../../src/core/state-branch/issue-files.js';
import { sampleRecord } from '../../../support/records.js';

const DIR = join(import.meta.dirname, '../../../fixtures/hostile');

/** Every corpus file, decoded as a server's bytes are (invalid UTF-8 becomes U+FFFD), plus lone surrogates. */
const CORPUS: [string, string][] = [
  ...readdirSync(DIR)
    .sort()
    .map((f): [string, string] => [f, readFileSync(join(DIR, f)).toString('utf8')]),
  ['lone-surrogates', 'a\ud800b\udc00c [x](https://evil.example)'],
];

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

function hostileRecord(text: string): RunRecord {
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

type Checker = 'markdown' | 'slack' | 'plain' | 'discord' | 'html' | 'json';
interface Surface {
  name: string;
  check: Checker;
  render: (record: RunRecord) => Promise<string[]> | string[];
}

const github = configSchema.parse({ version: 1, servers: [{ name: 'a', transport: 'local' }] }).github;
const planOptions = {
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
function statusPageOf(r: RunRecord): StatusPageData {
  const at = Date.parse('2026-11-21T08:00:00Z');
  const text = r.findings[0]?.summary ?? 'x';
  return {
    title: 'Fleet status',
    generatedAt: '2026-11-21T08:00:05Z',
    lastRun: '2026-11-21T08:00:00Z',
    servers: r.servers.map((s) => ({
      name: s.server.name,
      status: 'critical',
      uptime: { '24h': 99.5 },
      disk: [0, 1, 2].map((i): [number, number] => [at + i * 3_600_000, 50 + i]),
      diskThreshold: { warn: 80, crit: 90 },
      endpoints: [
        {
          url: text,
          up: false,
          code: 503,
          uptime: {},
          latency: [0, 1, 2].map((i): [number, number] => [at + i * 3_600_000, 100 + i]),
          latencyThreshold: { warn: 2000, crit: 5000 },
        },
      ],
    })),
    incidents: r.findings.map((f) => ({
      fingerprint: f.fingerprint,
      severity: f.severity,
      summary: f.summary,
      since: '2026-11-21T07:00:00Z',
      servers: [f.server],
      link: 'https://github.example/acme/fleet/issues?q=x',
    })),
    maintenance: [
      { servers: [text], from: '2026-11-21T07:00:00Z', to: '2026-11-22T07:00:00Z', reason: text },
    ],
  };
}

/** Notification payloads as the channels receive them, through a local HTTP server. */
const received: { path: string; body: string }[] = [];
let base = '';
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
const teamsTexts = (r: RunRecord) => {
  const card = (teamsPayload(message(r)) as { attachments: { content: { body: { text: string }[] } }[] })
    .attachments[0];
  return (card?.content.body ?? []).map((b) => b.text);
};

const SURFACES: Surface[] = [
  { name: 'health report', check: 'markdown', render: (r) => [renderHealthReport(r)] },
  { name: 'job summary', check: 'markdown', render: (r) => [renderSummary(r, planOptions)] },
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
  { name: 'status page (html)', check: 'html', render: (r) => [renderStatusPage(statusPageOf(r))] },
  {
    name: 'status page badges',
    check: 'json',
    render: (r) => statusPageOf(r).servers.map((s) => JSON.stringify(badgeJson(s))),
  },
];

// ---- checks ----------------------------------------------------------------------------------

const DEAD =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for control characters is the point
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\u200c-\u200f\u2060\ufeff\u061c\u00ad]/;
const LIVE_IN_TEXT = [
  /@[A-Za-z0-9]/, // a mention (or an e-mail address)
  /#\d/, // an issue or PR reference
  /\bGH-\d/i,
  /[a-z]:\/\/(?:evil|\[)/i, // a URL a client would link
  /\bwww\.evil/i,
];
const TAGS = [
  'a',
  'img',
  'script',
  'iframe',
  'details',
  'summary',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'strong',
  'em',
  'del',
  'blockquote',
  'table',
  'tr',
  'li',
  'hr',
  'pre',
  'code',
  'sup',
  'section',
  'b',
  'at',
];

function tagCounts(html: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const t of TAGS) counts[t] = (html.match(new RegExp(`<${t}[\\s>]`, 'g')) ?? []).length;
  return counts;
}

/** Visible text of rendered HTML outside code (GitHub neither mentions nor links inside code). */
function textOutsideCode(html: string): string {
  return html
    .replace(/<pre>[\s\S]*?<\/pre>/g, ' ')
    .replace(/<code>[\s\S]*?<\/code>/g, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#8203;|\u200b/g, '\u200b')
    .replace(/&amp;/g, '&');
}

/** GitHub shows YAML front matter as a table of plain values, not as markdown: left out here. */
function gfmHtmlOf(markdown: string): string {
  return micromark(markdown.replace(/^---\n[\s\S]*?\n---\n/, ''), {
    allowDangerousHtml: true,
    extensions: [gfm()],
    htmlExtensions: [gfmHtml()],
  });
}

function expectInert(check: Checker, out: string, benign: string): void {
  expect(out.replaceAll('\u200b', '')).not.toMatch(DEAD);
  expect(out).not.toContain('\u001b');
  if (check === 'json') {
    // every string a channel receives (Slack text, Discord content and embeds, Teams card texts)
    const strings: string[] = [];
    const walk = (v: unknown): void => {
      if (typeof v === 'string') strings.push(v);
      else if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v === 'object') Object.values(v).forEach(walk);
    };
    walk(JSON.parse(out));
    expect(strings.length).toBeGreaterThan(0);
    for (const text of strings) {
      expect(text.replaceAll('\u200b', '')).not.toMatch(DEAD);
      for (const live of LIVE_IN_TEXT) expect(text).not.toMatch(live);
      expect(text).not.toMatch(/<[!@#]/);
    }
    return;
  }
  if (check === 'markdown') {
    // our own markers only: a fake one in evidence must not pass for ours
    // (outside YAML front matter, where it is a quoted string and nothing reads markers)
    const markers = (s: string) =>
      (s.replace(/^---\n[\s\S]*?\n---\n/, '').match(/<!-- claudeops:/g) ?? []).length;
    expect(markers(out)).toBe(markers(benign));
    const html = gfmHtmlOf(out);
    const want = tagCounts(gfmHtmlOf(benign));
    const got = tagCounts(html);
    for (const t of TAGS)
      expect({ tag: t, n: got[t] }).toEqual({ tag: t, n: Math.min(got[t] ?? 0, want[t] ?? 0) });
    expect(html).not.toMatch(/<[^>]*\b(?:href|src)="?(?:[a-z]+:)?\/\/[^/"\s>]*evil/);
    expect(html).not.toMatch(/<[^>]*\bonerror=/);
    const text = textOutsideCode(html);
    for (const live of LIVE_IN_TEXT) expect(text).not.toMatch(live);
    return;
  }
  if (check === 'html') {
    expect(tagCounts(out)).toEqual(tagCounts(benign));
    return;
  }
  for (const live of LIVE_IN_TEXT) expect(out).not.toMatch(live);
  if (check === 'slack') {
    expect(out).not.toMatch(/<[!@#h]/);
    expect(out).not.toMatch(/[*_~`][^\u200b]/);
  }
  if (check === 'discord') {
    expect(out).not.toMatch(/<[@#&]/);
    expect(out).not.toMatch(/(^|[^\\])\[[^\]]*\]\(/);
  }
}

describe('hostile corpus: nothing live survives any renderer or notification', () => {
  const server = createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    received.push({ path: req.url ?? '', body });
    res.end(req.url?.startsWith('/bot') ? '{"ok":true,"result":{}}' : 'ok');
  });
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('has a corpus worth the name', () => {
    expect(CORPUS.length).toBeGreaterThanOrEqual(15);
    expect(CORPUS.some(([, t]) => t.includes('\ufffd'))).toBe(true);
    expect(CORPUS.some(([, t]) => t.length >= 10_000 - 1)).toBe(true);
  });

  const cases = SURFACES.flatMap((s) => CORPUS.map(([file, text]) => [s.name, file, s, text] as const));
  it.each(cases)('%s ← %s', async (_name, _file, surface, text) => {
    const benign = await surface.render(hostileRecord('x'));
    const outs = await surface.render(hostileRecord(text));
    expect(outs.length).toBeGreaterThan(0);
    expect(outs.length).toBe(benign.length);
    outs.forEach((out, i) => {
      expectInert(surface.check, out, benign[i] ?? '');
    });
  });

  it('an issue found by its marker is ours even when the evidence carries a fake one', () => {
    const record = hostileRecord(readFileSync(join(DIR, 'fake-markers.txt'), 'utf8'));
    for (const op of planIssues(record, [], planOptions).ops) {
      if (op.kind === 'create') expect(keyOf(op.body)).toBe(op.key);
    }
  });

  it('the checks can fail: the raw corpus through a naive renderer is caught', () => {
    const naive = (r: RunRecord) => `# Report\n\n${r.findings.map((f) => `- ${f.summary}`).join('\n')}\n`;
    const caught = CORPUS.filter(([, text]) => {
      try {
        expectInert('markdown', naive(hostileRecord(text)), naive(hostileRecord('x')));
        return false;
      } catch {
        return true;
      }
    });
    expect(caught.length).toBeGreaterThanOrEqual(CORPUS.length - 2);
  });
});
