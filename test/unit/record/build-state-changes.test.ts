import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/parse-config.js';
import { emptyMemory } from '../../../src/core/memory/memory.js';
import { buildStateChanges } from '../../../src/record/build-state-changes.js';
import type { RunContext } from '../../../src/run-context.js';
import { sampleRecord } from '../../support/records.js';

function ctxWith(redactYaml: string, inputs: Partial<RunContext['inputs']> = {}): RunContext {
  const config = parseConfig(
    `version: 1\nservers:\n  - name: web1\n    host: web1.internal.example\n${redactYaml}`,
    'c.yml',
  );
  return {
    config,
    inputs: { configPath: 'c.yml', task: 'check', dryRun: false, model: 'm', stateBranch: 's', ...inputs },
    mode: 'safe',
    runId: 'r',
    nonce: 'n',
    logger: { info: () => {}, warning: () => {}, error: () => {}, group: (_n, fn) => fn() },
    adapters: {} as RunContext['adapters'],
  };
}

describe('buildStateChanges', () => {
  it('redacts input secrets and configured secrets from every committed file', () => {
    const record = sampleRecord();
    const first = record.findings[0];
    if (!first) throw new Error('fixture');
    first.evidence = 'connecting with key sk-ant-api03-abcdefghijklmnopqrstuvwxyz and hunter2-token-value';
    const changes = buildStateChanges(
      ctxWith('redact: { secrets: ["hunter2-token-value"] }\n', {
        anthropicApiKey: 'sk-ant-api03-abcdefghijklmnopqrstuvwxyz',
      }),
      record,
      emptyMemory(),
    );
    const all = changes.map((c) => c.content ?? '').join('\n');
    expect(all).toContain('connecting with key');
    expect(all).not.toContain('sk-ant-api03');
    expect(all).not.toContain('hunter2-token-value');
  });

  it('redacts host names and IPs when redact.hosts is on, and only then', () => {
    const record = sampleRecord();
    const first = record.findings[0];
    if (!first) throw new Error('fixture');
    first.evidence = 'curl http://web1.internal.example/health from 203.0.113.7 failed';
    const plain = buildStateChanges(ctxWith(''), record, emptyMemory())
      .map((c) => c.content)
      .join('\n');
    expect(plain).toContain('web1.internal.example');
    const hidden = buildStateChanges(ctxWith('redact: { hosts: true }\n'), record, emptyMemory())
      .map((c) => c.content)
      .join('\n');
    expect(hidden).not.toContain('web1.internal.example');
    expect(hidden).not.toContain('203.0.113.7');
    expect(hidden).toContain('curl http://[HOST]/health from [IP] failed');
  });
});
