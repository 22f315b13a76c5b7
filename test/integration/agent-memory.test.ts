/**
 * Memory reaches the model: the BUNDLED action run twice against the same state branch (a bare git
 * repository standing in for GitHub), a local server with a dead endpoint, the scripted
 * Messages-API server standing in for Claude. Run 2 of the unchanged fault must show the model its
 * run-1 diagnosis — asserted on the request the server received.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeAnthropic, type RecordedRequest, reply, toolUse } from '../support/fake-anthropic.js';
import { git, makeWorkspace, ROOT, runBundle } from '../support/runner.js';

const CONFIG = `version: 1
mode: safe
claude: { when: always }
servers:
  - name: runner
    transport: local
    thresholds: { disk: { warn: 99, crit: 100 }, inodes: { warn: 99, crit: 100 }, memory: { warn: 99, crit: 100 }, load: { warn: 1000, crit: 1000 } }
    endpoints:
      - url: http://127.0.0.1:9/health
        timeout: 2s
`;

const ROOT_CAUSE =
  'the health endpoint is served by a sidecar on port 9 that was never deployed (zebra-umbrella)';

/** The first user message of a request: the task prompt. */
function task(request: RecordedRequest | undefined): string {
  const messages = (request?.body.messages ?? []) as { content: unknown }[];
  const first = messages[0]?.content;
  return typeof first === 'string' ? first : JSON.stringify(first);
}

/** Reports a diagnosis for every finding the task asks about. */
const reportAll = (request: RecordedRequest) => {
  const fingerprints = [...task(request).matchAll(/^(?:### (\S+) — |fingerprint: (.+)$)/gm)].map(
    (m) => (m[1] ?? m[2]) as string,
  );
  return reply([
    toolUse('report_diagnosis', {
      diagnoses: fingerprints.map((fingerprint) => ({
        fingerprint,
        root_cause: ROOT_CAUSE,
        confidence: 'high',
        evidence: 'connection refused on 127.0.0.1:9',
        next_step: 'deploy the sidecar',
      })),
      summary: 'endpoint down: sidecar missing',
    }),
  ]);
};

describe('memory in the prompt (bundled action, two runs)', () => {
  const fake = new FakeAnthropic();
  beforeAll(async () => {
    if (!existsSync(join(ROOT, 'dist/index.js')))
      throw new Error('dist/index.js is missing: run npm run bundle');
    await fake.start();
  });
  afterAll(() => fake.close());

  it('run 2 of an unchanged fault shows the model its run-1 diagnosis, fenced, within budget', async () => {
    const ws = await makeWorkspace(CONFIG);
    const inputs = {
      config: '.github/claudeops.yml',
      'anthropic-api-key': 'sk-ant-memory-test-0123456789abcdef',
    };
    const env = { ANTHROPIC_BASE_URL: fake.url };

    fake.play(reportAll);
    const first = await runBundle('index.js', ws, inputs, env);
    expect(first.exitCode, first.stdout).toBe(0);
    expect(fake.requests).toHaveLength(1);
    expect(task(fake.requests[0])).not.toContain('zebra-umbrella');
    const issues = JSON.parse(first.outputs.issues ?? '[]') as unknown[];
    expect(issues).toEqual([]); // no GitHub in this test: the issue file is what remembers
    expect(await issueFiles(ws.origin)).toContain('diagnosis (claude, high confidence)');

    fake.play(reportAll);
    const second = await runBundle('index.js', ws, inputs, { ...env, GITHUB_RUN_ID: '1002' });
    expect(second.exitCode, second.stdout).toBe(0);
    expect(fake.requests).toHaveLength(1);
    const prompt = task(fake.requests[0]);
    const memory = /## Memory: earlier runs\n\n([\s\S]*?)\n\n## Servers/.exec(prompt)?.[1] ?? '';
    expect(memory).toMatch(/^<untrusted-server-output-[0-9a-f]+ source="memory">/);
    if (process.env.SHOW) console.log(memory, memory.length);
    expect(memory).toContain(`previous`);
    expect(memory).toContain(
      'diagnosis (claude, high confidence): the health endpoint is served by a sidecar',
    );
    expect(memory).toContain('zebra-umbrella');
    expect(memory).toMatch(/first seen \d{4}-/);
    expect(memory).toMatch(/Last 1 health reports/);
    // read from the server's package log this run (the runner host's dpkg.log, read-only)
    expect(memory).toMatch(/- runner: .*package changes since the last run/);
    // ≈2 000 tokens at most: 3.5 characters a token
    expect(memory.length).toBeLessThanOrEqual(7_000 + 200);
  }, 240_000);
});

/** Every issue file on the state branch, concatenated. */
async function issueFiles(origin: string): Promise<string> {
  const names = (await git(origin, 'ls-tree', '-r', '--name-only', 'claudeops-state'))
    .split('\n')
    .filter((n) => n.startsWith('issues/'));
  const texts = await Promise.all(names.map((n) => git(origin, 'show', `claudeops-state:${n}`)));
  return texts.join('\n');
}
