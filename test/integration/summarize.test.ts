/**
 * `task: summarize` over a real state branch (a bare git remote): three matrix shards run the real
 * pipeline on local servers, then one summarize run writes the fleet-wide report.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { localTransport } from '../../src/adapters/local-transport.js';
import { parseConfig } from '../../src/config/parse-config.js';
import type { RunInputs } from '../../src/config/run-inputs.js';
import type { Logger, StateStore } from '../../src/core/ports/index.js';
import { run } from '../../src/run.js';
import type { RunContext } from '../../src/run-context.js';
import { PIPELINE_RUNS_TIMEOUT } from '../support/timeouts.js';
import { type Sandbox, sandbox } from './state-support.js';

const quiet: Logger = { info: () => {}, warning: () => {}, error: () => {}, group: (_n, fn) => fn() };
const RELAXED =
  '{ disk: { warn: 100, crit: 100 }, inodes: { warn: 100, crit: 100 }, memory: { warn: 100, crit: 100 }, load: { warn: 1000, crit: 1000 } }';

let box: Sandbox | undefined;
afterEach(async () => {
  await box?.cleanup();
  box = undefined;
});

/** Three local servers; each has a heartbeat file, web-3's (name with markdown in its finding) goes stale. */
function fleet() {
  const dir = mkdtempSync(join(tmpdir(), 'claudeops-summarize-'));
  const beats = ['web-1', 'web-2', 'web-3'].map((name) => join(dir, `${name}.beat`));
  const servers = beats
    .map(
      (beat, i) => `  - name: web-${i + 1}
    transport: local
    thresholds: ${RELAXED}
    heartbeats: [{ path: ${beat}, max_age: 1h }]`,
    )
    .join('\n');
  const config = parseConfig(`version: 1\nmode: report\nservers:\n${servers}\n`, 'test.yml');
  return { config, beats };
}

function context(
  config: RunContext['config'],
  store: StateStore,
  runId: string,
  inputs: Partial<RunInputs>,
  sink: { summaries: string[]; outputs: Record<string, string>[] },
): RunContext {
  return {
    config,
    inputs: {
      configPath: 'test.yml',
      task: 'check',
      dryRun: false,
      model: 'm',
      stateBranch: 'claudeops-state',
      ...inputs,
    },
    mode: 'report',
    runId,
    nonce: 'n0nce-for-this-test-run',
    logger: quiet,
    adapters: {
      transport: localTransport,
      state: store,
      clock: { now: () => new Date(), sleep: async () => {} },
      sink: {
        summary: async (m) => void sink.summaries.push(m),
        outputs: (o) => void sink.outputs.push(o),
      },
    },
  };
}

async function shardRuns(s: Sandbox, shards: number[], runId = '777') {
  const { config, beats } = fleet();
  writeFileSync(beats[0] ?? '', 'x');
  writeFileSync(beats[1] ?? '', 'x');
  // web-3's heartbeat never exists: a raised finding on shard 3
  for (const index of shards) {
    const store = s.store({ workDir: join(s.root, `work-${index}`) });
    const sink = { summaries: [], outputs: [] };
    await run(context(config, store, runId, { shard: { index, count: 3 } }, sink));
  }
  return config;
}

async function summarizeRun(s: Sandbox, config: RunContext['config'], runId: string) {
  const sink = { summaries: [] as string[], outputs: [] as Record<string, string>[] };
  const store = s.store({ workDir: join(s.root, 'work-summarize') });
  const result = await run(context(config, store, runId, { task: 'summarize' }, sink));
  await store.dispose?.();
  return { ...result, ...sink };
}

describe('task: summarize', { timeout: PIPELINE_RUNS_TIMEOUT }, () => {
  it('writes one fleet-wide report for three shards: who reported, the fleet, the findings', async () => {
    box = await sandbox();
    const config = await shardRuns(box, [1, 2, 3]);
    const { record, exitCode, summaries, outputs } = await summarizeRun(box, config, '777');

    expect(record.errors).toEqual([]);
    expect(record.shards?.map((s) => [s.label, s.servers, s.reported])).toEqual([
      ['1of3', ['web-1'], true],
      ['2of3', ['web-2'], true],
      ['3of3', ['web-3'], true],
    ]);
    const raised = record.fleetReport ?? [];
    expect(raised.map((f) => f.server)).toEqual(['web-3']);
    expect(['warning', 'critical']).toContain(record.status);
    expect(record.status).toBe(raised[0]?.severity);
    expect(outputs).toEqual([
      expect.objectContaining({ status: record.status, findings: '1', report: record.reportPath }),
    ]);
    expect(exitCode).toBe(0);

    expect(record.reportPath).toMatch(/^health\/\d{4}-\d{2}-\d{2}\/\d{6}-777-fleet\.md$/);
    const files = await box.files();
    expect(files.filter((f) => f.startsWith('health/'))).toHaveLength(4);
    const report = await box.show(record.reportPath ?? '');
    expect(report).toMatch(/^---\nrun: "?777"?\ntask: summarize/);
    expect(report).toContain('1of3: reported · 2of3: reported · 3of3: reported');
    expect(report).toContain('| web-3 | 3of3 |');
    const summary = summaries[0] ?? '';
    expect(summary).toContain('## ClaudeOps summarize');
    expect(summary).toContain('3 servers · 1 finding');
    expect(summary).toMatch(
      /### Fleet findings\n\n\| server \| finding[^\n]*\n[^\n]*\n\| web-3 \| web-3\/heartbeat/,
    );
  });

  it('a missing shard makes the status error and is named with its servers', async () => {
    box = await sandbox();
    const config = await shardRuns(box, [1, 3]);
    const { record, exitCode, summaries, outputs } = await summarizeRun(box, config, '777');

    expect(record.status).toBe('error');
    expect(exitCode).toBe(1);
    expect(outputs[0]?.status).toBe('error');
    expect(record.errors).toEqual(['shard 2of3 did not report in workflow run 777 (servers: web-2)']);
    expect(summaries[0]).toContain('1of3: reported · 2of3: missing · 3of3: reported');
    expect(summaries[0]).toContain('shard 2of3 did not report');
    // the report is still written: the record of a broken run matters most
    expect(await box.files()).toContain(record.reportPath);
  });

  it('counts a re-run attempt of a shard as the same workflow run, and no shard at all as an error', async () => {
    box = await sandbox();
    const config = await shardRuns(box, [1, 3]);
    await shardRuns(box, [2], '777-2');
    const rerun = await summarizeRun(box, config, '777-2');
    expect(rerun.record.errors).toEqual([]);
    expect(rerun.record.shards?.every((s) => s.reported)).toBe(true);

    const none = await summarizeRun(box, config, '999');
    expect(none.record.status).toBe('error');
    expect(none.record.errors).toEqual(['summarize: no shard of workflow run 999 wrote a health report']);
  });
});
