import { describe, expect, it } from 'vitest';
import type { ActionRecord } from '../../../../src/core/run-record.js';
import {
  approvalCommandShown,
  planFromAction,
  proposedApprovalFile,
  renderApprovalFile,
  renderApprovalPullBody,
  shownCommandBlock,
} from '../../../../src/core/state-branch/approval-file.js';
import { approvalPath } from '../../../../src/core/state-branch/paths.js';
import { buildCatalog, renderAction } from '../../../../src/remediate/catalog.js';
import { config, server } from '../../../support/agent-fixtures.js';

const proposal: ActionRecord = {
  id: '42-3',
  server: 'db1',
  action: 'clear-directory',
  params: { path: '/var/cache/app' },
  risk: 'medium',
  decision: 'needs-approval',
  reason: 'the cache holds 30 GB of stale renders; clearing it frees /var',
  gateReason: 'risk medium needs approval in mode safe',
  command: "find -P '/var/cache/app' -mindepth 1 -delete",
  outcome: 'not-run',
  fingerprint: 'db1/disk//var',
  requestedBy: 'claude',
  at: '2026-11-21T08:00:03.000Z',
  target: '/var/cache/app',
};

describe('the approval PR body', () => {
  const plan = planFromAction(proposal, '42', new Date('2026-11-21T08:00:05Z'), 72 * 3_600_000);
  const body = renderApprovalPullBody(plan, proposal, approvalPath(plan.id), {
    severity: 'critical',
    summary: '/var is 96% full (crit 90%)',
  });
  const lines = body.split('\n').filter(Boolean);

  it('leads with the finding, then the exact command, then when the approval lapses, in words', () => {
    expect(lines[1]).toBe(
      '**Finding:** 🔴 critical on **db1** — /var is 96% full (crit 90%) (`db1/disk//var`)',
    );
    expect(lines[2]).toBe(
      '**Proposed:** `clear-directory` (medium risk) with `path=/var/cache/app`, which runs exactly:',
    );
    expect(body).toContain("```sh\nfind -P '/var/cache/app' -mindepth 1 -delete\n```");
    expect(body).toContain('if merged before **Tue, 24 Nov 2026 08:00 UTC (3 days after it was proposed)**');
    expect(body).not.toMatch(/\d{4}-\d\d-\d\dT\d\d:\d\d/);
    expect(body.indexOf('**Finding:**')).toBeLessThan(body.indexOf('**Proposed:**'));
    expect(body.indexOf('```sh')).toBeLessThan(body.indexOf('**Merge to approve**'));
  });

  it("labels the requester's reason as the model's, never as the code's", () => {
    expect(body).toContain(
      '_Why it was asked (model text, not verified by code):_\n> the cache holds 30 GB of stale renders; clearing it frees /var',
    );
    const byRules = renderApprovalPullBody(plan, { ...proposal, requestedBy: 'rules' }, 'approvals/x.md');
    expect(byRules).toContain('_Why it was asked (the rule-based planner, code):_');
    expect(byRules).toContain('**Finding:** `db1/disk//var` on **db1**');
  });

  it('the approval file says when it lapses in words too', () => {
    expect(renderApprovalFile(plan, proposal)).toContain(
      '**once**, before Tue, 24 Nov 2026 08:00 UTC (3 days after it was proposed).',
    );
  });
});

describe('the command an approval file shows is the one execution compares with', () => {
  // every action of a server with every kind of parameter, as each sudo setting renders it (the
  // helper inline, or installed behind its sha256 check); a secret inside a config command
  const SECRET = 'hunter2-s3cr3t-v4lue';
  for (const sudo of [false, true, 'actions'] as const) {
    const cfg = config({
      servers: [
        {
          name: 'web1',
          transport: 'local',
          sudo,
          services: [
            { name: 'nginx', manager: 'systemd', port: 80 },
            { name: 'app', manager: 'docker' },
          ],
          clearable: ['/var/cache/app'],
        },
      ],
      remediations: {
        'flush-queue': { command: `curl -fsS -H 'X-Token: ${SECRET}' http://localhost/flush`, risk: 'high' },
      },
    });
    const actions = buildCatalog(server(cfg, 'web1'), cfg).actions;
    const PARAMS: Record<string, Record<string, string>> = {
      'restart-service': { service: 'nginx' },
      'start-service': { service: 'app' },
      'free-port': { service: 'nginx' },
      'clear-directory': { directory: '/var/cache/app' },
      'remove-stale-lock': { path: '/run/nginx.pid' },
    };
    it.each([...actions.keys()])(`sudo ${sudo}: %s`, (id) => {
      const found = actions.get(id);
      const rendered = found && renderAction(found, PARAMS[id] ?? {});
      if (!rendered?.ok) throw new Error(`${id}: ${rendered?.error}`);
      const action = {
        ...proposal,
        action: id,
        params: rendered.value.params,
        command: rendered.value.command,
      };
      const plan = planFromAction(action, '42', new Date('2026-11-21T08:00:05Z'), 72 * 3_600_000);
      const file = proposedApprovalFile(plan, action, [SECRET]);
      expect(file).not.toContain(SECRET);
      expect(shownCommandBlock(file)).toBe(approvalCommandShown(rendered.value.command, [SECRET]));
    });
  }
});
