/**
 * Property: for every check kind and every catalog action, a command that changes nothing is never
 * recorded `fixed`. The re-check of a no-op sees the server exactly as before, except that event
 * checks read past their cursor and see nothing new — the trap that once made `true` a "fix".
 */
import { describe, expect, it } from 'vitest';
import type { TrackedFinding } from '../../../src/core/run-record.js';
import { approvalCommandShown } from '../../../src/core/state-branch/approval-file.js';
import type { Finding } from '../../../src/core/types.js';
import { buildCatalog, renderAction } from '../../../src/remediate/catalog.js';
import type { CatalogAction } from '../../../src/remediate/catalog-action.js';
import type { ParamSpec } from '../../../src/remediate/command-template.js';
import { Remediator } from '../../../src/remediate/remediator.js';
import { EVENT_CHECK_IDS } from '../../../src/remediate/verifier.js';
import {
  config,
  fakeClock,
  memory,
  record,
  ScriptedShell,
  server,
  tracked,
} from '../../support/agent-fixtures.js';

/** Every finding check a probe or trend emits (src/probes, src/core/memory/trends.ts). */
const CHECK_KINDS = [
  'disk',
  'inodes',
  'memory',
  'swap',
  'load',
  'service',
  'endpoint',
  'port',
  'process',
  'database',
  'log',
  'check',
  'heartbeat',
  'certificate',
  'updates',
  'restarts',
  'reboot',
  'disk-growth',
  'inode-growth',
  'memory-growth',
  'probe-error',
];

const noopRemediations = Object.fromEntries([
  ['noop-unverified', { command: 'true', risk: 'low' }],
  ...CHECK_KINDS.map((k) => [`noop-${k}`, { command: 'true', risk: 'low', verify: [k] }]),
  ['noop-all', { command: 'true', risk: 'low', verify: CHECK_KINDS }],
]);
const cfg = config({ remediations: noopRemediations });
const web1 = server(cfg);
const catalog = [...buildCatalog(web1, cfg).actions.values()];

/** A valid value for each parameter, so the gate lets the action through to be judged. */
function sampleParam(spec: ParamSpec): string {
  if (spec.kind === 'enum') return spec.values[0] ?? '';
  if (spec.default !== undefined) return spec.default;
  return '/run/app.pid';
}

function failing(kind: string): TrackedFinding {
  const event = EVENT_CHECK_IDS.has(kind);
  return tracked('web1', kind, kind === 'service' ? 'nginx' : '/x', 'critical', `${kind} failing`, {
    ...(event ? { event: true, evidence: '| FATAL out of memory' } : {}),
  });
}

/** What a re-check after a command that did nothing sees. */
function afterNoop(before: readonly Finding[], checks: readonly string[]): Finding[] {
  return before
    .filter((f) => checks.includes(f.check))
    .map((f) =>
      EVENT_CHECK_IDS.has(f.check) ? { ...f, severity: 'ok' as const, summary: 'no new matching lines' } : f,
    );
}

function renderOrThrow(action: CatalogAction, params: Record<string, string>): string {
  const r = renderAction(action, params);
  if (!r.ok) throw new Error(r.error);
  return r.value.command;
}

async function outcomeOf(actionId: string, kind: string): Promise<string | undefined> {
  const target = failing(kind);
  // a neighbour that is healthy and stays so: proves nothing either way
  const neighbour = tracked('web1', 'disk', '/srv', 'ok', '/srv fine');
  const run = record(cfg, [target, neighbour]);
  const action = catalog.find((a) => a.id === actionId);
  if (!action) throw new Error(actionId);
  const params = Object.fromEntries(Object.entries(action.params).map(([n, spec]) => [n, sampleParam(spec)]));
  const remediator = new Remediator({
    config: cfg,
    mode: 'full',
    dryRun: false,
    runId: 'run-1',
    clock: fakeClock(),
    record: run,
    memory: memory(),
    shells: new Map([['web1', new ScriptedShell('web1', () => ({ stdout: '', code: 0 }))]]),
    recheck: async (_shell, _server, checks) => afterNoop(run.findings, checks),
    secrets: [],
    settleMs: 0,
  });
  const result = await remediator.remediate({
    server: 'web1',
    action: actionId,
    params,
    fingerprint: target.fingerprint,
    reason: `${kind} failing`,
    // an approved plan: the gate's scope rules (which action fits which finding) are not what
    // this property is about, and a human's approval is the one request they do not check
    requestedBy: 'approval',
    intent: 'approved',
    // what its approval file would show: the command rendered from these parameters
    approvedCommand: approvalCommandShown(renderOrThrow(action, params), []),
  });
  expect(result.decision, `${actionId} for ${kind}: ${result.reason}`).toBe('execute');
  return result.outcome;
}

describe('a no-op is never recorded fixed', () => {
  it('covers every catalog action (built-in and config) and every check kind', () => {
    expect(catalog.map((a) => a.id)).toEqual(
      expect.arrayContaining(['restart-service', 'start-service', 'clear-directory', 'vacuum-journal']),
    );
    expect(catalog.length).toBeGreaterThanOrEqual(CHECK_KINDS.length + 6);
  });

  it.each(CHECK_KINDS)('finding of kind %s: no catalog action doing nothing is fixed', async (kind) => {
    const outcomes = new Map<string, string | undefined>();
    for (const action of catalog) outcomes.set(action.id, await outcomeOf(action.id, kind));
    const fixed = [...outcomes].filter(([, o]) => o === 'fixed').map(([id]) => id);
    expect(fixed).toEqual([]);
    for (const outcome of outcomes.values()) expect(['not-fixed', 'unverified']).toContain(outcome);
  });

  it('the same re-check does say fixed when the failing check really passes after the command', async () => {
    const target = failing('disk');
    const run = record(cfg, [target]);
    const remediator = new Remediator({
      config: cfg,
      mode: 'full',
      dryRun: false,
      runId: 'run-1',
      clock: fakeClock(),
      record: run,
      memory: memory(),
      shells: new Map([['web1', new ScriptedShell('web1')]]),
      recheck: async () => [{ ...target, severity: 'ok', summary: 'fine' }],
      secrets: [],
      settleMs: 0,
    });
    const result = await remediator.remediate({
      server: 'web1',
      action: 'noop-disk',
      params: {},
      fingerprint: target.fingerprint,
      reason: 'disk',
      requestedBy: 'rules',
      intent: 'auto',
    });
    expect(result.outcome).toBe('fixed');
  });
});
