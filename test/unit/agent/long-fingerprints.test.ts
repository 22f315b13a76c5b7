/**
 * A fingerprint is as long as its target: an endpoint URL from the config (a health URL with a
 * long query string), a log path, a mount point. The tools took at most 300 characters for one, so
 * the model could never report or act on a finding whose target was longer: every
 * report_diagnosis naming it was "invalid input", and the run ended without its diagnosis.
 */
import { describe, expect, it } from 'vitest';
import { handleTool, type ToolContext } from '../../../src/agent/tools.js';
import { Remediator } from '../../../src/remediate/remediator.js';
import { config, fakeClock, memory, record, ScriptedShell, tracked } from '../../support/agent-fixtures.js';

describe('a finding whose fingerprint is longer than 300 characters', () => {
  const url = `https://status.example.com/health?checks=${Array.from({ length: 40 }, (_, i) => `database${i}`).join(',')}&verbose=1`;
  const cfg = config();
  const endpoint = tracked('web1', 'endpoint', url, 'critical', 'HTTP 503');

  function context(): ToolContext {
    const run = record(cfg, [endpoint]);
    const shell = new ScriptedShell('web1', () => ({ stdout: 'ok\n' }));
    const remediator = new Remediator({
      config: cfg,
      mode: 'safe',
      dryRun: false,
      runId: 'run-1',
      clock: fakeClock(),
      record: run,
      memory: memory(),
      shells: new Map([['web1', shell]]),
      recheck: async () => [],
      secrets: [],
      settleMs: 0,
    });
    return {
      record: run,
      remediator,
      shells: new Map([['web1', shell]]),
      secrets: [],
      nonce: 'n0nce',
      asked: new Set([endpoint.fingerprint]),
      diagnosticTimeoutMs: 10_000,
    };
  }

  it('can be reported and named by an approval request', async () => {
    expect(endpoint.fingerprint.length).toBeGreaterThan(300);
    const ctx = context();
    const report = await handleTool(
      'report_diagnosis',
      {
        diagnoses: [
          {
            fingerprint: endpoint.fingerprint,
            root_cause: 'the upstream database pool is exhausted',
            confidence: 'medium',
            evidence: 'HTTP 503',
            next_step: 'look at the pool',
          },
        ],
        summary: 'one endpoint down',
      },
      ctx,
    );
    expect(report).toMatchObject({ isError: false, final: true });
    expect(ctx.record.diagnoses.map((d) => d.fingerprint)).toEqual([endpoint.fingerprint]);
    const ask = await handleTool(
      'request_approval',
      {
        server: 'web1',
        action: 'restart-service',
        params: { service: 'nginx' },
        fingerprint: endpoint.fingerprint,
        reason: 'the proxy in front of it hangs',
        evidence: 'HTTP 503',
      },
      ctx,
    );
    expect(ask.content).not.toMatch(/invalid input/);
  });
});
