/**
 * Runbooks: the documented format (the two examples in docs/runbooks.md are parsed as written),
 * matching by service, check and server, bounds, and their place in the cached system block of a
 * request to the scripted Messages-API server.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anthropicModel } from '../../../src/adapters/anthropic-model.js';
import { loadRunbooks } from '../../../src/adapters/runbooks-dir.js';
import { diagnoseAndRemediate } from '../../../src/agent/diagnose-and-remediate.js';
import { matchRunbooks, parseRunbook, type Runbook, runbooksBlock } from '../../../src/agent/runbooks.js';
import { config, memory, record, runContext, ScriptedShell, tracked } from '../../support/agent-fixtures.js';
import { FakeAnthropic, reply, toolUse } from '../../support/fake-anthropic.js';

const DOC = readFileSync(new URL('../../../docs/runbooks.md', import.meta.url), 'utf8');
const EXAMPLES = [
  ...DOC.matchAll(/^`\.github\/claudeops\/runbooks\/([\w-]+)\.md`\n\n```markdown\n([\s\S]*?)\n```$/gm),
].map((m) => ({ file: m[1] as string, text: `${m[2]}\n` }));

const cfg = config({
  servers: [
    {
      name: 'web1',
      transport: 'local',
      tags: ['web'],
      services: [{ name: 'nginx', manager: 'systemd', port: 80 }],
    },
    { name: 'db1', transport: 'local', tags: ['db'], services: [{ name: 'postgresql', manager: 'systemd' }] },
  ],
  redact: { secrets: ['hunter2-secret'] },
});

const book = (name: string, text: string): Runbook => {
  const parsed = parseRunbook(name, text);
  if ('error' in parsed) throw new Error(parsed.error);
  return parsed;
};

describe('runbooks', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'claudeops-runbooks-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the two documented examples as written', () => {
    expect(EXAMPLES.map((e) => e.file)).toEqual(['nginx', 'disk-full']);
    const [nginx, disk] = EXAMPLES.map((e) => book(e.file, e.text));
    expect(nginx).toMatchObject({ services: ['nginx'], servers: ['tag:web'], checks: [] });
    expect(nginx?.body).toMatch(/^# nginx/);
    expect(disk).toMatchObject({ checks: ['disk', 'inodes'], services: [], servers: [] });
  });

  it('matches by service (also through a port), check, server and tag; every given key must match', () => {
    const books = EXAMPLES.map((e) => book(e.file, e.text));
    const names = (findings: ReturnType<typeof tracked>[]) =>
      matchRunbooks(books, findings, cfg.servers).map((b) => b.name);
    expect(names([tracked('web1', 'service', 'nginx', 'critical', 'down')])).toEqual(['nginx']);
    expect(names([tracked('web1', 'port', '80', 'critical', 'closed')])).toEqual(['nginx']);
    expect(names([tracked('db1', 'service', 'nginx', 'critical', 'down')])).toEqual([]); // not tag:web
    expect(names([tracked('db1', 'disk', '/', 'critical', 'full')])).toEqual(['disk-full']);
    expect(names([tracked('web1', 'endpoint', 'http://x', 'critical', '502')])).toEqual([]);
    const bare = book('postgresql', '# postgres\nmax_connections is 100');
    expect(
      matchRunbooks([bare], [tracked('db1', 'service', 'postgresql', 'critical', 'down')], cfg.servers),
    ).toHaveLength(1);
    expect(
      matchRunbooks([bare], [tracked('db1', 'disk', '/', 'critical', 'full')], cfg.servers),
    ).toHaveLength(0);
  });

  it('refuses bad front matter with a reason, and skips such files when loading', () => {
    expect(parseRunbook('x', '---\nservices: [nginx\n---\nbody')).toMatchObject({ error: /not YAML/ });
    expect(parseRunbook('x', '---\nservice: nginx\n---\nbody')).toMatchObject({
      error: /unknown front matter key/,
    });
    expect(parseRunbook('x', '---\nservices: {a: 1}\n---\nbody')).toMatchObject({ error: /lists of names/ });
    const books = join(dir, 'books');
    mkdirSync(books);
    for (const e of EXAMPLES) writeFileSync(join(books, `${e.file}.md`), e.text);
    writeFileSync(join(books, 'broken.md'), '---\nservice: nginx\n---\n');
    writeFileSync(join(books, 'notes.txt'), 'not a runbook');
    const warnings: string[] = [];
    const loaded = loadRunbooks(books, (m) => warnings.push(m));
    expect(loaded.map((b) => b.name)).toEqual(['disk-full', 'nginx']);
    expect(warnings).toEqual([expect.stringMatching(/^runbooks: runbook broken: unknown front matter key/)]);
    expect(loadRunbooks(join(dir, 'missing'), (m) => warnings.push(m))).toEqual([]);
  });

  it('bounds each runbook and all of them, and redacts secrets', () => {
    const big = book('big', `---\nchecks: [disk]\n---\n${'x'.repeat(10_000)} hunter2-secret`);
    const block = runbooksBlock([big, big, big], ['hunter2-secret']);
    expect(block).toContain('[runbook cut here]');
    expect(block).toMatch(/more matching runbook\(s\) left out/);
    expect(block.length).toBeLessThan(13_000);
    expect(
      runbooksBlock([book('s', '---\nchecks: [disk]\n---\npassword hunter2-secret')], ['hunter2-secret']),
    ).not.toContain('hunter2-secret');
  });

  it('reaches the model in the cached system block, only when it matches', async () => {
    const fake = await new FakeAnthropic().start();
    try {
      const model = anthropicModel({
        apiKey: 'sk-ant-test-0123456789abcdefghij',
        model: 'claude-sonnet-4-6',
        baseURL: fake.url,
      });
      const report = toolUse('report_diagnosis', {
        diagnoses: [
          {
            fingerprint: 'web1/service/nginx',
            root_cause: 'r',
            confidence: 'low',
            evidence: 'e',
            next_step: 'n',
          },
        ],
        summary: 's',
      });
      fake.play(reply([report]));
      const ctx = { ...runContext(cfg, { model }), runbooks: EXAMPLES.map((e) => book(e.file, e.text)) };
      const rec = record(cfg, [tracked('web1', 'service', 'nginx', 'critical', 'down')]);
      await diagnoseAndRemediate(ctx, rec, memory(), new Map([['web1', new ScriptedShell('web1')]]), {
        recheck: async () => [],
        settleMs: 0,
      });
      const system = fake.requests[0]?.body.system as { text: string; cache_control?: unknown }[];
      expect(system).toHaveLength(2);
      expect(system[0]?.cache_control).toBeUndefined();
      expect(system[1]?.cache_control).toEqual({ type: 'ephemeral' });
      expect(system[1]?.text).toContain('### Runbook: nginx');
      expect(system[1]?.text).toContain('Run the config-test diagnostic before restarting');
      expect(system[1]?.text).not.toContain('Disk or inodes full');
    } finally {
      await fake.close();
    }
  });
});
