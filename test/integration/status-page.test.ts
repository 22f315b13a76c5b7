import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStateReader } from '../../src/adapters/state-reader.js';
import { runReadCommand } from '../../src/cli/read-commands.js';
import { configSchema } from '../../src/config/schema.js';
import type { Logger } from '../../src/core/ports/index.js';
import { renderStatusPage } from '../../src/core/render/status-page.js';
import { readNinetyDays, statusPageData } from '../../src/report/status-page-build.js';
import { generateHistory } from '../support/generated-history.js';

const logger: Logger = { info: () => {}, warning: () => {}, error: () => {}, group: (_n, fn) => fn() };
const NOW = new Date('2026-11-26T12:00:00Z');
const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));

/** Headless Debian chromium with the flags that keep it off the network and out of $HOME. */
function chromium(args: string[], profile: string): string {
  return execFileSync(
    CHROMIUM ?? 'chromium',
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      `--user-data-dir=${profile}`,
      ...args,
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 60_000 },
  );
}

describe('claudeops status-page, from a generated lab-like history', () => {
  const dir = mkdtempSync(join(tmpdir(), 'claudeops-status-page-'));
  const repo = join(dir, 'state');
  const out = join(dir, 'site');
  let names: string[] = [];

  beforeAll(async () => {
    names = await generateHistory(repo, { servers: 6, days: 30, now: NOW });
    const parts: string[] = [];
    const code = await runReadCommand(
      [
        'status-page',
        '--state-repo',
        repo,
        '--out',
        out,
        '--repo-url',
        'https://github.test/acme/ops',
        '--format',
        'json',
      ],
      logger,
      { write: (t) => void parts.push(t), now: () => NOW },
    );
    expect(code).toBe(0);
    expect(JSON.parse(parts.join('')).files).toContain('index.html');
  }, 60_000);
  afterAll(() => {
    if (!process.env.CLAUDEOPS_KEEP_STATUS_PAGE) rmSync(dir, { recursive: true, force: true });
  });

  it('is one self-contained page: no script, no external style, font or image', () => {
    const html = readFileSync(join(out, 'index.html'), 'utf8');
    expect(html).not.toMatch(/<script|<link\b|@import|url\(|<img\b|<iframe/i);
    expect(html).toMatch(/<meta name="viewport" content="width=device-width/);
    expect(html).toContain('@media (prefers-color-scheme:dark)');
    // every chart is inline SVG with a title and a description a screen reader reads
    const charts = html.match(/<svg [^>]*role="img"/g) ?? [];
    expect(charts.length).toBeGreaterThanOrEqual(names.length * 2);
    expect((html.match(/<desc id=/g) ?? []).length).toBe(charts.length);
    // incidents link to their GitHub issue; the stale banner is absent without a schedule
    expect(html).toContain('href="https://github.test/acme/ops/issues?q=');
    expect(html).not.toContain('Stale data');
  });

  it('writes a shields.io endpoint badge per server', () => {
    const badges = readdirSync(join(out, 'badges')).sort();
    expect(badges).toEqual(names.map((n) => `${n}.json`).sort());
    const web1 = JSON.parse(readFileSync(join(out, 'badges', 'web1.json'), 'utf8'));
    expect(web1).toMatchObject({ schemaVersion: 1, label: 'web1', color: 'brightgreen' });
    expect(web1.message).toMatch(/^operational · \d+\.\d\d% 30d$/);
    const db1 = JSON.parse(readFileSync(join(out, 'badges', 'db1.json'), 'utf8'));
    expect(db1.message).toMatch(/% 30d$/);
  });

  it('computes uptime from the series: a 4-hour outage in 30 days of 2-hourly runs', async () => {
    const reader = await openStateReader(repo);
    const data = await statusPageData(reader, { now: NOW });
    const db1 = data.servers.find((s) => s.name === 'db1');
    // 2 of 361 runs unreachable
    expect(db1?.uptime['30d']).toBeCloseTo(99.44, 1);
    expect(db1?.uptime['24h']).toBe(100);
    expect(data.servers.find((s) => s.name === 'web1')?.uptime['90d']).toBe(100);
    // the endpoint was down for 4 more hours after the server came back
    expect(db1?.endpoints[0]?.uptime['30d']).toBeLessThan(100);
    expect(db1?.endpoints[0]?.uptime['7d']).toBeLessThan(db1?.uptime['7d'] ?? 0);
  });

  it('says the data is stale when the last run is older than twice the schedule, and shows maintenance', async () => {
    const reader = await openStateReader(repo);
    const config = configSchema.parse({
      version: 1,
      schedule: '0 */2 * * *',
      servers: [{ name: 'web1', transport: 'local' }],
      maintenance: [
        { servers: ['db1'], from: '2026-11-27T02:00Z', to: '2026-11-27T04:00Z', reason: 'kernel update' },
      ],
    });
    const fresh = renderStatusPage(
      await statusPageData(reader, { now: new Date(NOW.getTime() + 3 * 3_600_000), config }),
    );
    expect(fresh).not.toContain('Stale data');
    expect(fresh).toMatch(
      /db1: <time[^>]*>2026-11-27 02:00 UTC<\/time> – <time[^>]*>2026-11-27 04:00 UTC<\/time> — kernel update/,
    );
    const stale = renderStatusPage(
      await statusPageData(reader, { now: new Date(NOW.getTime() + 5 * 3_600_000), config }),
    );
    expect(stale).toContain(
      '<strong>Stale data:</strong> the last run is older than twice the schedule (5 h ago)',
    );
  });

  it.skipIf(!CHROMIUM)(
    'renders in headless chromium at 375 px, light and dark: every server with its uptime',
    () => {
      const url = `file://${join(out, 'index.html')}`;
      for (const [name, extra] of [
        ['status-375-light.png', []],
        ['status-375-dark.png', ['--force-dark-mode', '--blink-settings=preferredColorScheme=0']],
      ] as const) {
        const shot = join(dir, name);
        chromium(
          [...extra, '--window-size=375,2400', '--hide-scrollbars', `--screenshot=${shot}`, url],
          join(dir, `profile-${name}`),
        );
        expect(statSync(shot).size).toBeGreaterThan(10_000);
        expect(readFileSync(shot).subarray(1, 4).toString()).toBe('PNG');
      }
      const dom = chromium(['--dump-dom', url], join(dir, 'profile-dom'));
      const text = dom
        .replace(/<style>[\s\S]*?<\/style>/, '')
        .replace(/<[^>]+>/g, ' ')
        .replace(/\s+/g, ' ');
      const data = JSON.parse(readFileSync(join(out, 'status.json'), 'utf8'));
      for (const server of data.servers) {
        // the overview row: the server, its status word, then its uptime figures
        expect(text).toMatch(
          new RegExp(
            `${server.name} [✓!✗?] \\w[\\w ]* ${server.uptime['24h'].toFixed(2)}% ${server.uptime['7d'].toFixed(2)}%`,
          ),
        );
      }
      if (process.env.CLAUDEOPS_KEEP_STATUS_PAGE) console.log(`screenshots in ${dir}`);
    },
  );
});

describe('90-day uptime reads a bounded number of bytes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'claudeops-history-bytes-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('50 servers: 90 days of history, and the same fleet watched for 180 and 365 days', async () => {
    const sizes: Record<string, { read: number; total: number }> = {};
    for (const days of [90, 180, 365]) {
      const repo = join(dir, `d${days}`);
      const names = await generateHistory(repo, { servers: 50, days, now: NOW });
      const reader = await openStateReader(repo);
      const series = await readNinetyDays(reader, names, NOW);
      expect(series.points.get('web1')?.length).toBeGreaterThanOrEqual(90 * 12);
      const total = Number(
        execFileSync(
          'sh',
          ['-c', `git -C ${repo} ls-tree -r -l claudeops-state history/ | awk '{s+=$4} END {print s}'`],
          {
            encoding: 'utf8',
          },
        ).trim(),
      );
      sizes[days] = { read: reader.bytesRead, total };
    }
    console.log(
      Object.entries(sizes)
        .map(
          ([days, s]) =>
            `90-day uptime, 50 servers, ${days} days of history: read ${s.read} of ${s.total} bytes`,
        )
        .join('\n'),
    );
    // the window touches at most four calendar months per server, whatever the fleet's age
    // (the same four months of lines; only the generated figures' digits differ)
    const r180 = sizes[180]?.read ?? 0;
    expect(Math.abs((sizes[365]?.read ?? 0) - r180)).toBeLessThan(r180 * 0.01);
    expect(sizes[365]?.read ?? 0).toBeLessThan((sizes[365]?.total ?? 0) * 0.4);
    expect(sizes[90]?.read).toBeLessThanOrEqual(sizes[90]?.total ?? 0);
  }, 240_000);
});
