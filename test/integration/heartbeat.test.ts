import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpPing } from '../../src/adapters/http-retry.js';
import { localTransport } from '../../src/adapters/local-transport.js';
import { parseConfig } from '../../src/config/parse-config.js';
import type { RunInputs } from '../../src/config/run-inputs.js';
import { emptyMemory } from '../../src/core/memory/memory.js';
import type { Logger, StateStore } from '../../src/core/ports/index.js';
import { pingUrl } from '../../src/core/util/heartbeat-url.js';
import { run } from '../../src/run.js';
import type { RunContext } from '../../src/run-context.js';
import { HttpReceiver } from '../support/http-receiver.js';
import { QUIET_HOST_THRESHOLDS } from '../support/quiet-host.js';

function store(fail = false): StateStore {
  return {
    load: async () => emptyMemory(),
    commit: async () => {
      if (fail) throw new Error('disk full');
      return { sha: 'abc', pushed: true, branch: 'claudeops-state', location: 'memory' };
    },
  };
}

function context(heartbeatYaml: string, state: StateStore, inputs: Partial<RunInputs> = {}) {
  const warnings: string[] = [];
  const logger: Logger = {
    info: () => {},
    warning: (m) => void warnings.push(m),
    error: () => {},
    group: (_n, fn) => fn(),
  };
  const yaml = `version: 1
mode: report
${heartbeatYaml}
servers:
  - name: box
    transport: local
    thresholds: ${JSON.stringify(QUIET_HOST_THRESHOLDS)}
`;
  const ctx: RunContext = {
    config: parseConfig(yaml, 'test.yml', { HEARTBEAT_URL: inputs.heartbeatUrl ?? '' }),
    inputs: { configPath: 'test.yml', task: 'check', dryRun: false, model: 'm', stateBranch: 's', ...inputs },
    mode: 'report',
    runId: 'r1',
    nonce: 'n0nce-for-the-heartbeat-test',
    logger,
    adapters: {
      transport: localTransport,
      state,
      clock: { now: () => new Date(), sleep: async () => {} },
      sink: { summary: async () => {}, outputs: () => {} },
      ping: httpPing,
    },
  };
  return { ctx, warnings };
}

describe('heartbeat pings (dead man switch) against a real HTTP receiver', () => {
  const receiver = new HttpReceiver();
  beforeAll(() => receiver.start());
  afterAll(() => receiver.stop());

  it('pings URL/start when the run starts and URL once its report is recorded', async () => {
    const before = receiver.received.length;
    const { ctx, warnings } = context(`heartbeat: { url: "${receiver.base}/ping/abc" }`, store());
    const { record, exitCode } = await run(ctx);
    expect(exitCode).toBe(0);
    const pings = receiver.received.slice(before);
    expect(pings.map((p) => `${p.method} ${p.path}`)).toEqual(['GET /ping/abc/start', 'GET /ping/abc']);
    expect(warnings).toEqual([]);
    expect(record.warnings).toEqual([]);
  });

  it('pings URL/fail when the run itself failed (no record anywhere)', async () => {
    const before = receiver.received.length;
    const { ctx } = context(`heartbeat: { url: "${receiver.base}/ping/def" }`, store(true));
    const { record } = await run(ctx);
    expect(record.status).toBe('error');
    expect(receiver.received.slice(before).map((p) => p.path)).toEqual(['/ping/def/start', '/ping/def/fail']);
  });

  it(`takes the URL from the heartbeat-url input (a secret, \${VAR} in the config works too) and honours configured suffixes`, async () => {
    const before = receiver.received.length;
    const { ctx } = context(`heartbeat: { url: "\${HEARTBEAT_URL}", start: false, success: /up }`, store(), {
      heartbeatUrl: `${receiver.base}/push/xyz?status=up`,
    });
    await run(ctx);
    // no start ping; the suffix goes before the query string
    expect(receiver.received.slice(before).map((p) => p.path)).toEqual(['/push/xyz/up?status=up']);
  });

  it('retries a 503 with Retry-After, and a dead ping service is one warning, never a failed run', async () => {
    receiver.answer('/ping/busy/start', { status: 503, headers: { 'retry-after': '0' } });
    receiver.answer('/ping/busy', { status: 500 }, { status: 500 }, { status: 500 });
    const before = receiver.received.length;
    const { ctx, warnings } = context(`heartbeat: { url: "${receiver.base}/ping/busy" }`, store());
    const { record, exitCode } = await run(ctx);
    expect(exitCode).toBe(0);
    expect(receiver.received.slice(before).map((p) => p.path)).toEqual([
      '/ping/busy/start',
      '/ping/busy/start',
      '/ping/busy',
      '/ping/busy',
      '/ping/busy',
    ]);
    expect(record.warnings).toEqual([]);
    expect(warnings).toEqual(['heartbeat: the success ping failed (HTTP 500 after 3 attempts)']);
    expect(warnings.join('')).not.toContain(receiver.base);
  });

  it('an unreachable ping service is a warning without the (secret) URL', async () => {
    const { ctx } = context('heartbeat: { url: "http://127.0.0.1:9/secret-token", timeout: 2s }', store());
    const { record, exitCode } = await run(ctx);
    expect(exitCode).toBe(0);
    expect(record.warnings).toHaveLength(1);
    expect(record.warnings[0]).toMatch(/^heartbeat: the start ping failed \(network error/);
    expect(record.warnings[0]).not.toContain('secret-token');
  });

  it('builds ping URLs in the healthchecks.io convention', () => {
    const s = { url: 'https://hc-ping.com/uuid/', start: '/start', success: '', fail: '/fail' } as const;
    expect(pingUrl(s, 'start')).toBe('https://hc-ping.com/uuid/start');
    expect(pingUrl(s, 'success')).toBe('https://hc-ping.com/uuid/');
    expect(pingUrl(s, 'fail')).toBe('https://hc-ping.com/uuid/fail');
    expect(pingUrl({ ...s, fail: false }, 'fail')).toBeUndefined();
  });
});
