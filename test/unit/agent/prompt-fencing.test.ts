/**
 * What reaches the model from a server stands only inside the run's untrusted fence. A finding's
 * target is named by the server (an unprivileged user's FUSE mount point, say), so its fingerprint
 * is server text: the task prompt (findings to diagnose and the other findings) and the tool results
 * (a remediation's reason and verification, report_diagnosis's list of fingerprints), nor the
 * mount points offered to the disk diagnostics, may show it in a heading, a fence label or a plain
 * line. The held-out hostile texts
 * (test/fixtures/hostile/) are each a user's mount point behind a real df row, then run through the
 * disk probe, the task prompt, and the tools.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildTaskPrompt } from '../../../src/agent/task-prompt.js';
import { handleTool, type ToolContext } from '../../../src/agent/tools.js';
import { plainText } from '../../../src/core/render/untrusted-text.js';
import type { TrackedFinding } from '../../../src/core/run-record.js';
import { cleanFinding } from '../../../src/core/types.js';
import { redact } from '../../../src/core/util/redact.js';
import { diskProbe } from '../../../src/probes/disk-usage.js';
import { resolveThresholds } from '../../../src/probes/thresholds.js';
import { Remediator } from '../../../src/remediate/remediator.js';
import {
  config,
  fakeClock,
  memory,
  NOW,
  record,
  ScriptedShell,
  server,
  tracked,
} from '../../support/agent-fixtures.js';

const NONCE = '5eed0f00d5eed0f00d';
const MARK = 'ZQXINJECTED';
const HOSTILE_DIR = join(import.meta.dirname, '..', '..', 'fixtures', 'hostile');
const cfg = config();

/** Each hostile text's first line, as the tail of a mount point a user made (`df -k --output=…`). */
function hostileMounts(): string[] {
  const files = readdirSync(HOSTILE_DIR)
    .filter((f) => f.endsWith('.txt'))
    .sort();
  return files.map((f, i) => {
    const line = (
      readFileSync(join(HOSTILE_DIR, f), 'utf8')
        .split(/\r?\n/)
        .find((l) => l.trim()) ?? f
    ).slice(0, 200);
    return `/home/mallory/${MARK}${i} ${line}`;
  });
}

/** The disk probe's findings for a df answer with one full FUSE mount per hostile text. */
function hostileFindings(): TrackedFinding[] {
  const rows = hostileMounts().map(
    (mount) => `mallory-fs        1024     1000       24  98%     100      1     99    1% ${mount}`,
  );
  const df = [
    '@both',
    'Filesystem     1K-blocks     Used    Avail Use%   Inodes  IUsed    IFree IUse% Mounted on',
    '/dev/vda       264212084 35234244 71156668  34% 16777216 738740 16038476    5% /',
    ...rows,
  ].join('\n');
  const web1 = server(cfg);
  const data = diskProbe.parse(df, web1);
  const found = diskProbe.evaluate(data, web1, { thresholds: resolveThresholds() } as never);
  // cleaned as the run cleans every finding (run-phases' evaluate: redacted, made plain)
  const clean = (text: string) => plainText(redact(text, []));
  return found
    .filter((f) => f.severity !== 'ok')
    .map((f) => ({
      ...cleanFinding(f, clean),
      lifecycle: 'new' as const,
      firstSeen: NOW.toISOString(),
      runs: 1,
    }));
}

/** The text with every fence's content taken out (its opening tag, label included, stays). */
function outsideFences(text: string): string {
  const open = `<untrusted-server-output-${NONCE} `;
  const close = `\n</untrusted-server-output-${NONCE}>`;
  let out = '';
  let at = 0;
  for (;;) {
    const start = text.indexOf(open, at);
    if (start < 0) return out + text.slice(at);
    const body = text.indexOf('>\n', start) + 2;
    const end = text.indexOf(close, body);
    expect(end).toBeGreaterThan(0);
    out += `${text.slice(at, body)}…`;
    at = end + close.length;
  }
}

describe('server text reaches the model only inside the untrusted fence', () => {
  const findings = hostileFindings();

  it('the corpus made findings whose fingerprints carry it', () => {
    expect(findings.length).toBeGreaterThanOrEqual(hostileMounts().length);
    expect(findings.every((f) => f.fingerprint.includes(MARK))).toBe(true);
  });

  it('in the task prompt: findings to diagnose and the other findings', () => {
    const half = Math.ceil(findings.length / 2);
    const prompt = buildTaskPrompt({
      runId: 'r',
      task: 'check',
      mode: 'safe',
      dryRun: false,
      now: NOW,
      targets: findings.slice(0, half),
      others: findings.slice(half),
      memory: memory(),
      servers: cfg.servers,
      reachable: new Set(['web1']),
      config: cfg,
      secrets: [],
      nonce: NONCE,
      // the mount points df reported are offered to disk_usage / large_files
      diagnosticFacts: () => ({ mounts: hostileMounts() }),
    });
    expect(prompt).toMatch(/disk_usage \(path: one of \[\/, \/var, /);
    for (const i of [0, 1, 2]) expect(prompt).toContain(`/home/mallory/${MARK}${i} `);
    // every fingerprint is still there for the model to copy, inside the fence
    for (const f of findings) expect(prompt).toContain(f.fingerprint);
    expect(outsideFences(prompt)).not.toContain(MARK);
  });

  it('in tool results: a remediation whose verification names them, and report_diagnosis', async () => {
    const run = record(cfg, findings);
    const nginxDown = tracked('web1', 'service', 'nginx', 'critical', 'nginx is inactive');
    run.findings.push(nginxDown);
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
      // the restart made a neighbour worse, and its summary is what the server printed
      recheck: async () => [
        { ...nginxDown, severity: 'ok', summary: 'nginx is active' },
        tracked('web1', 'service', 'worker', 'critical', `worker failed: ${hostileMounts().join(' ')}`),
      ],
      secrets: [],
      settleMs: 0,
    });
    const ctx: ToolContext = {
      record: run,
      remediator,
      shells: new Map([['web1', shell]]),
      secrets: [],
      nonce: NONCE,
      asked: new Set(findings.map((f) => f.fingerprint)),
      diagnosticTimeoutMs: 10_000,
    };
    const restart = await handleTool(
      'remediate',
      {
        server: 'web1',
        action: 'restart-service',
        params: { service: 'nginx' },
        fingerprint: nginxDown.fingerprint,
        reason: 'down',
      },
      ctx,
    );
    expect(restart.content).toContain(MARK);
    expect(outsideFences(restart.content)).not.toContain(MARK);
    const report = await handleTool(
      'report_diagnosis',
      {
        diagnoses: [
          {
            fingerprint: 'web1/disk/nope',
            root_cause: 'x',
            confidence: 'low',
            evidence: 'e',
            next_step: 'y',
          },
        ],
        summary: 's',
      },
      ctx,
    );
    expect(report.isError).toBe(true);
    expect(report.content).toContain(MARK);
    expect(outsideFences(report.content)).not.toContain(MARK);
  });
});
