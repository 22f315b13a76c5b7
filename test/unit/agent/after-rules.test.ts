/**
 * `claude.when: after-rules` against the scripted Messages-API server: the rules act first on the
 * faults they know; Claude only for findings without a playbook, for a rules fix that did not fix,
 * and for a fault that came back within 24 h.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { anthropicModel } from '../../../src/adapters/anthropic-model.js';
import { diagnoseAndRemediate } from '../../../src/agent/diagnose-and-remediate.js';
import { emptyServerState, type Memory } from '../../../src/core/memory/memory.js';
import type { Model } from '../../../src/core/ports/index.js';
import type { Finding } from '../../../src/core/types.js';
import {
  config,
  memory,
  NOW,
  record,
  runContext,
  ScriptedShell,
  tracked,
} from '../../support/agent-fixtures.js';
import { FakeAnthropic, type RecordedRequest, reply, toolUse } from '../../support/fake-anthropic.js';

const API_KEY = 'sk-ant-api03-test-key-0123456789abcdefghij';
const fake = new FakeAnthropic();
let model: Model;

beforeAll(async () => {
  await fake.start();
  model = anthropicModel({ apiKey: API_KEY, model: 'claude-sonnet-4-6', baseURL: fake.url, maxRetries: 0 });
});
afterAll(() => fake.close());
beforeEach(() => fake.play());

const cfg = config({ claude: { when: 'after-rules' } });
const nginx = () => tracked('web1', 'service', 'nginx', 'critical', 'nginx is inactive (dead)');
const endpoint = () => tracked('web1', 'endpoint', 'http://127.0.0.1:8080/health', 'critical', 'HTTP 502');

/** The fingerprints the task asks Claude to diagnose. */
function asked(request: RecordedRequest | undefined): string[] {
  const messages = (request?.body.messages ?? []) as { content: unknown }[];
  const task = String(messages[0]?.content ?? '');
  const section = task.split('## Findings to diagnose')[1]?.split('## Other findings')[0] ?? '';
  return [...section.matchAll(/^(?:### (\S+) — |fingerprint: (.+)$)/gm)].map((m) => (m[1] ?? m[2]) as string);
}

const reportAll = (request: RecordedRequest) =>
  reply([
    toolUse('report_diagnosis', {
      diagnoses: asked(request).map((fingerprint) => ({
        fingerprint,
        root_cause: 'upstream app crashed on a bad deploy',
        confidence: 'medium',
        evidence: '502',
        next_step: 'roll back',
      })),
      summary: 'done',
    }),
  ]);

async function run(findings: ReturnType<typeof tracked>[], opts: { healed?: boolean; mem?: Memory } = {}) {
  const rec = record(cfg, findings);
  const shell = new ScriptedShell('web1', () => ({ stdout: 'ok\n' }));
  const after: Finding[] = findings.map((f) => ({
    ...f,
    severity: opts.healed === false || f.check !== 'service' ? f.severity : ('ok' as const),
  }));
  await diagnoseAndRemediate(
    runContext(cfg, { model, apiKey: API_KEY }),
    rec,
    opts.mem ?? memory(),
    new Map([['web1', shell]]),
    {
      recheck: async () => after,
      settleMs: 0,
    },
  );
  return { rec, shell };
}

describe('claude.when: after-rules', () => {
  it('fixes a killed service with the rules and zero model calls', async () => {
    const { rec, shell } = await run([nginx()]);
    expect(fake.requests).toHaveLength(0);
    expect(shell.scripts).toEqual(["systemctl restart -- 'nginx'\n"]);
    expect(rec.actions).toMatchObject([
      { action: 'restart-service', requestedBy: 'rules', outcome: 'fixed' },
    ]);
    expect(rec.diagnoses).toMatchObject([{ fingerprint: 'web1/service/nginx', by: 'rules' }]);
    expect(rec.planner.kind).toBe('rules');
    expect(rec.planner.reason).toMatch(
      /^claude.when after-rules: the rules acted first on 1 finding.*not called/,
    );
  });

  it('calls the model only for the fault the rules have no playbook for', async () => {
    fake.play(reportAll);
    const { rec } = await run([nginx(), endpoint()]);
    expect(fake.requests).toHaveLength(1);
    expect(asked(fake.requests[0])).toEqual(['web1/endpoint/http://127.0.0.1:8080/health']);
    expect(rec.actions).toMatchObject([
      { action: 'restart-service', requestedBy: 'rules', outcome: 'fixed' },
    ]);
    const by = Object.fromEntries(rec.diagnoses.map((d) => [d.fingerprint, d.by]));
    expect(by).toEqual({
      'web1/service/nginx': 'rules',
      'web1/endpoint/http://127.0.0.1:8080/health': 'claude',
    });
    expect(rec.planner).toMatchObject({ kind: 'claude' });
    expect(rec.planner.reason).toMatch(/1 without a playbook → Claude asked about 1/);
  });

  it('asks Claude when the rules fix did not fix', async () => {
    fake.play(reportAll);
    const { rec } = await run([nginx()], { healed: false });
    expect(rec.actions[0]).toMatchObject({ requestedBy: 'rules', outcome: 'not-fixed' });
    expect(asked(fake.requests[0])).toEqual(['web1/service/nginx']);
    expect(rec.diagnoses).toMatchObject([{ fingerprint: 'web1/service/nginx', by: 'claude' }]);
    expect(rec.planner.reason).toMatch(/1 whose rules fix did not fix/);
  });

  it('asks Claude first about a fault that came back within 24 h; the rules do not act on it', async () => {
    const web1 = emptyServerState('web1');
    web1.findings['web1/service/nginx'] = {
      status: 'resolved',
      severity: 'ok',
      firstSeen: new Date(NOW.getTime() - 5 * 3_600_000).toISOString(),
      lastSeen: new Date(NOW.getTime() - 4 * 3_600_000).toISOString(),
      streak: 0,
      okStreak: 2,
      history: [],
      summary: 'nginx is inactive (dead)',
      resolvedAt: new Date(NOW.getTime() - 3 * 3_600_000).toISOString(),
    };
    fake.play(reportAll);
    const { rec, shell } = await run([nginx()], { mem: memory({ servers: { web1 } }) });
    expect(asked(fake.requests[0])).toEqual(['web1/service/nginx']);
    expect(shell.changes).toEqual([]);
    expect(rec.planner.reason).toMatch(/1 recurring within 24 h/);
  });
});
