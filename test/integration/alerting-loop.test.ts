/**
 * Alerting that follows through, run after run, through the real pipeline (run.ts) with real parts
 * around it: the local transport running a custom check on this machine, the git state store on a
 * local repository, the Octokit adapter against the OpenAPI-validated fake GitHub, Slack and
 * webhook deliveries to a local HTTP receiver, PagerDuty and Opsgenie to their schema-checking
 * stand-ins. Only the clock is the test's: each run happens at a chosen minute, so what a repeat
 * or an escalation should do is known in advance from the config (repeat 30m, escalate after 1h).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleSink } from '../../src/adapters/console-io.js';
import { createGitStateStore } from '../../src/adapters/git-state-store.js';
import { createOctokitGitHub } from '../../src/adapters/github-octokit.js';
import { buildContext } from '../../src/compose.js';
import { parseConfig } from '../../src/config/parse-config.js';
import type { Config } from '../../src/config/schema.js';
import { ACK_LABEL } from '../../src/core/issues/acknowledge.js';
import type { RunRecord } from '../../src/core/run-record.js';
import { run } from '../../src/run.js';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github.js';
import { type FakePaging, startFakePaging } from '../support/fake-paging.js';
import { fastTuning } from '../support/github-tuning.js';
import { HttpReceiver } from '../support/http-receiver.js';
import { QUIET_HOST_THRESHOLDS } from '../support/quiet-host.js';
import { git } from '../support/runner.js';

const T0 = Date.parse('2026-11-21T02:00:00.000Z');
const KEY = 'db1/check/pg';

let dir: string;
let gh: FakeGitHub;
let paging: FakePaging;
let receiver: HttpReceiver;
let config: Config;
let runs = 0;
const warnings: string[] = [];

function setValue(v: number): void {
  writeFileSync(join(dir, 'value'), `${v}\n`);
}

async function runAt(minute: number): Promise<RunRecord> {
  runs += 1;
  const now = new Date(T0 + minute * 60_000);
  const ctx = buildContext({
    config,
    inputs: {
      configPath: 'claudeops.yml',
      task: 'check',
      dryRun: false,
      model: 'm',
      stateBranch: 'claudeops-state',
      githubToken: 'test-token',
    },
    env: {},
    logger: {
      info: () => {},
      warning: (m) => warnings.push(m),
      error: (m) => warnings.push(m),
      group: (_n, fn) => fn(),
    },
    sink: consoleSink({ write: () => true } as unknown as NodeJS.WritableStream),
    state: createGitStateStore({ localDir: join(dir, 'state'), branch: 'claudeops-state' }),
    github: createOctokitGitHub({
      token: 'test-token',
      repository: 'acme/ops',
      baseUrl: gh.url,
      tuning: fastTuning(),
    }),
    links: { stateUrl: 'https://github.test/acme/ops/blob/claudeops-state/' },
    runId: `r${runs}`,
  });
  ctx.adapters.clock = { now: () => now, sleep: async () => {} };
  const { record } = await run(ctx);
  await ctx.adapters.state.dispose?.();
  expect(record.errors).toEqual([]);
  return record;
}

const posted = (path: string) =>
  receiver.received.filter((r) => r.path === path).map((r) => JSON.parse(r.body) as { text: string });
const slackTexts = () => posted('/slack').map((b) => b.text);
/** Repeat lines about the check (this busy machine's own trends may raise findings too). */
const repeatsIn = (texts: string[]) =>
  texts
    .flatMap((t) => t.split('\n'))
    .filter((l) => l.includes('🔁') && l.includes('db1: still critical') && /\bpg\b/.test(l)).length;
const attempts = () => readFileSync(join(dir, 'attempts'), 'utf8').split('\n').filter(Boolean).length;
const issue = () => gh.state.issues.find((i) => i.body.includes(`fingerprint=${KEY} `));
const botComments = () =>
  gh.state.comments.filter((c) => c.issueNumber === issue()?.number && c.author === 'github-actions[bot]');

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'claudeops-alerting-'));
  writeFileSync(join(dir, 'attempts'), '');
  setValue(1);
  gh = await startFakeGitHub({ owner: 'acme', repo: 'ops' });
  gh.state.collaborators.set('drive-by', 'read');
  paging = await startFakePaging();
  receiver = await new HttpReceiver().start();
  config = parseConfig(
    [
      'version: 1',
      'mode: safe',
      `defaults: { thresholds: ${JSON.stringify(QUIET_HOST_THRESHOLDS)} }`,
      'servers:',
      '  - name: db1',
      '    transport: local',
      `    checks: [{ name: pg, command: "cat ${join(dir, 'value')}", crit: "> 0" }]`,
      'remediations:',
      `  fix-pg: { command: "echo tried >> ${join(dir, 'attempts')}", risk: low, verify: [check], cooldown: 1s, max_per_day: 50 }`,
      'breaker: { cooloff: 1s }',
      'github: { close_after_ok_runs: 2 }',
      'notify:',
      `  slack: { webhook: "${receiver.base}/slack" }`,
      `  webhook: { url: "${receiver.base}/hook" }`,
      `  pagerduty: { routing_key: "${paging.routingKey}", url: "${paging.pagerdutyUrl}" }`,
      `  opsgenie: { api_key: "${paging.apiKey}", url: "${paging.opsgenieUrl}" }`,
      '  repeat: 30m',
      '  escalate: { after: 1h, channels: [webhook, pagerduty] }',
    ].join('\n'),
    'claudeops.yml',
  );
});

afterAll(async () => {
  await receiver.stop();
  await paging.stop();
  await gh.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('a critical left open, repeated, escalated, acknowledged, resolved', () => {
  it('runs the story', async () => {
    // 0: new. One message to the normal channels (slack), Opsgenie (a normal channel) pages;
    // PagerDuty and the webhook are escalation channels: silent. The fix is tried once.
    const r0 = await runAt(0);
    expect(r0.incidents?.map((i) => i.key)).toEqual([KEY]);
    expect(slackTexts()).toHaveLength(1);
    expect(posted('/hook')).toHaveLength(0);
    expect(paging.opsgenie.get(KEY)?.status).toBe('triggered');
    expect(paging.pagerduty.has(KEY)).toBe(false);
    expect(attempts()).toBe(1);
    expect(issue()?.labels).toContain('severity:critical');

    // 10: inside the first 30 minutes: no repeat
    await runAt(10);
    expect(repeatsIn(slackTexts())).toBe(0);

    // 35: the first repeat, saying how long and what was tried
    await runAt(35);
    expect(repeatsIn(slackTexts())).toBe(1);
    const repeat = slackTexts().find((t) => t.includes('🔁')) ?? '';
    expect(repeat).toMatch(/still critical, open 35m/);
    expect(repeat).toMatch(/tried: fix-pg:- on db1 ×\d/);

    // 65: the second repeat, and past 1 h: escalated to the webhook and PagerDuty, once
    await runAt(65);
    expect(repeatsIn(slackTexts())).toBe(2);
    expect(posted('/hook').map((b) => b.text)).toEqual([expect.stringContaining('ClaudeOps escalation')]);
    expect(paging.pagerduty.get(KEY)?.status).toBe('triggered');

    // a read-only account's ack changes nothing: the 95 repeat still comes, and no reply
    const before = botComments().length;
    gh.commentAs(issue()?.number ?? 0, 'drive-by', '/claudeops ack');
    const r95 = await runAt(95);
    expect(repeatsIn(slackTexts())).toBe(3);
    // (the run still comments on the fix it tried: that is the issue's usual news)
    expect(
      botComments()
        .slice(before)
        .map((c) => c.body)
        .join('\n'),
    ).not.toMatch(/drive-by|Acknowledged/);
    expect(r95.warnings.join('\n')).toContain('ignored a /claudeops command from @drive-by');

    // a maintainer acknowledges: one confirming comment, the label, the pagers acknowledge,
    // and from then on no repeat, no escalation, no automatic action
    gh.commentAs(issue()?.number ?? 0, 'maintainer', 'on it\n/claudeops ack');
    const triedBefore = attempts();
    const commented = botComments().length;
    const r100 = await runAt(100);
    expect(botComments().length).toBe(commented + 1);
    expect(botComments().at(-1)?.body).toContain('Acknowledged by @maintainer');
    expect(issue()?.labels).toContain(ACK_LABEL);
    expect(paging.pagerduty.get(KEY)?.status).toBe('acknowledged');
    expect(paging.opsgenie.get(KEY)?.status).toBe('acknowledged');
    expect(
      r100.actions
        .filter((a) => a.decision === 'deny')
        .map((a) => a.gateReason ?? a.reason)
        .join(' '),
    ).toContain('acknowledged by @maintainer');
    await runAt(125);
    expect(repeatsIn(slackTexts())).toBe(3);
    expect(attempts()).toBe(triedBefore);
    const state = JSON.parse(await git(join(dir, 'state'), 'show', 'claudeops-state:state/db1.json'));
    expect(state.alerts[KEY].ack).toMatchObject({ by: 'maintainer', via: 'comment', kind: 'ack' });

    // unack: the overdue repeat comes at once, the label goes, one comment says so
    gh.commentAs(issue()?.number ?? 0, 'maintainer', '/claudeops unack');
    await runAt(130);
    expect(repeatsIn(slackTexts())).toBe(4);
    expect(issue()?.labels).not.toContain(ACK_LABEL);
    expect(botComments().at(-1)?.body).toContain('Acknowledgement removed by @maintainer');

    // the label, put on by a maintainer, acknowledges too
    gh.labelAs(issue()?.number ?? 0, 'maintainer', ACK_LABEL);
    await runAt(160);
    expect(repeatsIn(slackTexts())).toBe(4);
    expect(botComments().at(-1)?.body).toContain(`Acknowledged by @maintainer (label \`${ACK_LABEL}\`)`);

    // fixed: both pagers resolve the same key they triggered (acknowledged twice: by the comment,
    // then by the label); the issue closes after 2 ok runs
    setValue(0);
    await runAt(170);
    expect(paging.pagerduty.get(KEY)?.events).toEqual(['trigger', 'acknowledge', 'acknowledge', 'resolve']);
    expect(paging.opsgenie.get(KEY)?.events).toEqual(['create', 'acknowledge', 'acknowledge', 'close']);
    const keys = paging.requests.map(
      (r) => r.body.dedup_key ?? r.body.alias ?? decodeURIComponent(r.path.split('/')[3] ?? ''),
    );
    // (this machine's own trends may page too: only the check's requests are looked at)
    expect(new Set(keys.filter((k) => String(k).includes('/check/')))).toEqual(new Set([KEY]));
    await runAt(180);
    expect(issue()?.state).toBe('closed');
    expect(paging.violations).toEqual([]);
    expect(gh.violations).toEqual([]);
  }, 600_000);
});
