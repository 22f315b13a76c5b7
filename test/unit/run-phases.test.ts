import { describe, expect, it } from 'vitest';
import { localTransport } from '../../src/adapters/local-transport.js';
import { parseConfig } from '../../src/config/parse-config.js';
import { emptyMemory } from '../../src/core/memory/memory.js';
import type { CommitResult, StateStore } from '../../src/core/ports/index.js';
import { newRunRecord } from '../../src/core/run-record.js';
import type { RunContext } from '../../src/run-context.js';
import { guard, recordRun, stage } from '../../src/run-phases.js';

function context(state: StateStore): RunContext {
  return {
    config: parseConfig('version: 1\nservers:\n  - name: box\n    transport: local\n', 'test.yml'),
    inputs: {
      configPath: 'test.yml',
      task: 'check',
      dryRun: false,
      model: 'm',
      stateBranch: 'claudeops-state',
    },
    mode: 'report',
    runId: 'r1',
    nonce: 'n0nce-for-this-test-run',
    logger: { info: () => {}, warning: () => {}, error: () => {}, group: (_n, fn) => fn() },
    adapters: {
      transport: localTransport,
      state,
      clock: { now: () => new Date('2026-03-01T10:00:00Z'), sleep: async () => {} },
      sink: { summary: async () => {}, outputs: () => {} },
    },
  };
}

const record = () =>
  newRunRecord({
    runId: 'r1',
    task: 'check',
    mode: 'report',
    dryRun: false,
    startedAt: '2026-03-01T10:00:00.000Z',
    reportPath: 'health/2026-03-01/100000-r1.md',
  });

const store = (commit: () => Promise<CommitResult>, stageFn?: StateStore['stage']): StateStore => ({
  load: async () => emptyMemory(),
  commit,
  ...(stageFn ? { stage: stageFn } : {}),
});

describe('the phases after collection', () => {
  it('record: a refused push is an error naming what the remote said and how often it was tried', async () => {
    const r = record();
    const refused = store(async () => ({
      sha: 'abc',
      pushed: false,
      branch: 'claudeops-state',
      location: '/tmp/clone',
      attempts: 3,
      error: 'To origin\nremote: hook declined: frozen\n ! [remote rejected] abc -> claudeops-state',
    }));
    await recordRun(context(refused), r, emptyMemory(), []);
    expect(r.commit?.pushed).toBe(false);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toContain('refused 3 time(s) (remote: hook declined: frozen; ! [remote rejected]');
    expect(r.errors[0]).toContain('kept in /tmp/clone');
  });

  it('record: a store that throws is an error of the run, never an exception out of it', async () => {
    const r = record();
    await recordRun(context(store(() => Promise.reject(new Error('disk full')))), r, emptyMemory(), []);
    expect(r.errors).toEqual(['record: the state branch could not be written: disk full']);
  });

  it('a journal stage that cannot be written is a warning; without a journal nothing is staged', async () => {
    const r = record();
    const failing = store(
      () => Promise.reject(new Error('unused')),
      () => Promise.reject(new Error('no space left')),
    );
    await stage(context(failing), r, emptyMemory(), []);
    expect(r.warnings).toEqual(['journal: could not be written: no space left']);
    const staged: string[][] = [];
    await stage(
      context(
        store(
          () => Promise.reject(new Error('unused')),
          async (c) => void staged.push(c.map((x) => x.path)),
        ),
      ),
      r,
      emptyMemory(),
      [],
    );
    expect(staged[0]).toContain('health/2026-03-01/100000-r1.md');
  });

  it('guard: a failing optional phase is one error of the run, named after the phase', async () => {
    const r = record();
    await guard(r, 'notify', async () => {
      throw new Error('smtp down');
    });
    expect(r.errors).toEqual(['notify: smtp down']);
  });
});
