import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStateReader } from '../../src/adapters/state-reader.js';
import { runReadCommand } from '../../src/cli/read-commands.js';
import { configSchema } from '../../src/config/schema.js';
import type { Logger } from '../../src/core/ports/index.js';
import { renderStatusPage } from '../../src/core/render/status-page.js';
import { readNinetyDays, statusPageData } from '../../src/report/status-page-build.js';
import { CHROMIUM, launchChromium } from '../support/chromium.js';
import { generateHistory } from '../support/generated-history.js';

const logger: Logger = { info: () => {}, warning: () => {}, error: () => {}, group: (_n, fn) => fn() };
const NOW = new Date('2026-11-26T12:00:00Z');
/** set to a directory to keep the screenshots (the PNGs are looked at, not only measured) */
const SCREENS = process.env.CLAUDEOPS_SCREENSHOTS;

/**
 * Six servers, 30 days of 2-hourly runs (test/support/generated-history.ts): db1 was unreachable
 * for 4 h four days ago and its endpoint failed 4 h more, and its nginx has failed since yesterday
 * (open, critical); api1's endpoint gave no answer in the last run; web1 and web2 had a disk warning
 * three weeks ago.
 */
describe('claudeops status-page, from a generated lab-like history', () => {
  const dir = mkdtempSync(join(tmpdir(), 'claudeops-status-page-'));
  const repo = join(dir, 'state');
  const out = join(dir, 'site');
  let names: string[] = [];
  let html = '';

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
    html = readFileSync(join(out, 'index.html'), 'utf8');
  }, 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is one self-contained page: no script, no external style, font or image', () => {
    expect(html).not.toMatch(/<script|<link\b|@import|url\(|<img\b|<iframe/i);
    expect(html).toMatch(/<meta name="viewport" content="width=device-width/);
    expect(html).toContain('@media (prefers-color-scheme:dark)');
    // every chart is inline SVG with a title and a description, and keeps its aspect ratio
    const charts = html.match(/<svg [^>]*role="img"/g) ?? [];
    expect(charts.length).toBe(names.length);
    expect((html.match(/<desc id=/g) ?? []).length).toBe(charts.length);
    expect(html).not.toContain('preserveAspectRatio');
    expect(html).not.toContain('Stale data');
  });

  it('availability counts a critical run as unavailable: a major problem all day is 0.00 %, not 100 %', async () => {
    const data = await statusPageData(await openStateReader(repo), { now: NOW });
    const db1 = data.servers.find((s) => s.name === 'db1');
    expect(db1?.status).toBe('critical');
    // 12 runs in the last 24 h, all critical (nginx failed)
    expect(db1?.availability['24h']).toBe(0);
    // 84 runs in 7 days: 2 unreachable + 2 with the endpoint failing + 12 with nginx failed
    expect(db1?.availability['7d']).toBe(80.95);
    // 360 runs in 30 days, the same 16 unavailable
    expect(db1?.availability['30d']).toBe(95.55);
    // the endpoint was checked in the 358 runs that reached the server and failed in 2
    expect(db1?.endpoints[0]?.availability['30d']).toBe(99.44);
    expect(data.servers.find((s) => s.name === 'cache1')?.availability['90d']).toBe(100);
    expect(html).toContain(
      'Availability is the share of checks in which the server was reachable and had no critical finding',
    );
  });

  it('90 bars per server and endpoint, coloured by the worst state of the day, the figures in each title', () => {
    const bars = html.match(/<div class="bars"[^>]*>.*?<\/div>/g) ?? [];
    expect(bars).toHaveLength(names.length * 2);
    for (const b of bars) expect(b.match(/<span class="/g)).toHaveLength(90);
    const db1 = bars.find((b) => b.includes('aria-label="db1,')) ?? '';
    expect(db1).toContain('title="2026-11-22: Unreachable, 8 of 12 checks available (66.66%)"');
    expect(db1).toMatch(
      /<span class="critical" title="2026-11-26: Major problem, 0 of 6 checks available \(0.00%\)"><\/span><\/div>$/,
    );
    // the outage day: 2 runs unreachable and 2 with the endpoint failing, of 12
    // before the history began: no data, said so
    expect(db1).toContain('title="2026-10-26: No data, no checks"');
    expect(db1).toContain('aria-label="db1, last 90 days: 59 no data,');
  });

  it('open incidents and the history of resolved ones, titled by code, with start, end and duration', () => {
    const open = html.slice(html.indexOf('<h2>Open incidents'), html.indexOf('<h2>Maintenance'));
    expect(open).toContain(
      'nginx on db1 is down</strong><br><span class="muted">Major · since <time datetime="2026-11-25T12:00:00.000Z">2026-11-25 12:00 UTC</time>',
    );
    expect(open).toContain('https://api1.example.test/health on api1 is failing');
    const past = html.slice(html.indexOf('<h2>Past incidents'), html.indexOf('<section'));
    const titles = [...past.matchAll(/<strong class="\w+">([^<]+)<\/strong>/g)].map((m) => m[1]);
    expect(titles).toEqual([
      'https://db1.example.test/health on db1 was failing',
      'db1 was unreachable',
      'Disk space on web2 was low',
      'Disk space on web1 was low',
    ]);
    expect(past).toMatch(
      /db1 was unreachable<\/strong><br><span class="muted">Major · <time[^>]*>2026-11-22 12:00 UTC<\/time> – <time[^>]*>2026-11-22 16:00 UTC<\/time> · 4 h</,
    );
    expect(past).toContain('· 2 h 30 min');
    // the public page names no fingerprint and repeats no finding text
    expect(html).not.toMatch(/db1\/service\/nginx|nginx \(systemd\)|returned 503|ETIMEDOUT|\/var is 86%/);
  });

  it('an endpoint that gave no answer says so, never "0 ms"', () => {
    const api1 = html.slice(html.indexOf('id="server-api1"'), html.indexOf('id="server-cache1"'));
    expect(api1).toContain('<span aria-hidden="true">✗</span> No answer</span> · available');
    expect(api1).not.toMatch(/\b0 ms|HTTP 0/);
    const cache1 = html.slice(html.indexOf('id="server-cache1"'), html.indexOf('id="server-db1"'));
    expect(cache1).toMatch(/Up<\/span> · HTTP 200 · \d+ ms · available/);
  });

  it('writes a shields.io endpoint badge per server that agrees with the page', () => {
    const badges = readdirSync(join(out, 'badges')).sort();
    expect(badges).toEqual(names.map((n) => `${n}.json`).sort());
    const web1 = JSON.parse(readFileSync(join(out, 'badges', 'web1.json'), 'utf8'));
    expect(web1).toEqual({
      schemaVersion: 1,
      label: 'web1',
      message: 'operational · 100.00% 30d',
      color: 'brightgreen',
    });
    const db1 = JSON.parse(readFileSync(join(out, 'badges', 'db1.json'), 'utf8'));
    expect(db1).toEqual({
      schemaVersion: 1,
      label: 'db1',
      message: 'major problem · 95.55% 30d',
      color: 'red',
    });
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
    'in headless chromium at 1280 and 375 px, light and dark: no horizontal overflow, red banner, charts unstretched',
    async () => {
      const details = join(dir, 'site-details');
      const config = join(dir, 'details.yml');
      writeFileSync(
        config,
        'version: 1\nservers: [{ name: web1, transport: local }]\nstatus_page: { details: true }\n',
      );
      expect(
        await runReadCommand(
          ['status-page', '--state-repo', repo, '--out', details, '--config', config],
          logger,
          {
            write: () => {},
            now: () => NOW,
          },
        ),
      ).toBe(0);
      const page = await launchChromium();
      try {
        for (const [site, name] of [
          [out, 'public'],
          [details, 'details'],
        ] as const) {
          for (const width of [1280, 375]) {
            for (const scheme of ['light', 'dark'] as const) {
              await page.open(`file://${join(site, 'index.html')}`, { width, scheme });
              const view = await page.evaluate<{
                overflow: number;
                banner: string;
                body: string;
                charts: number[];
                narrowestBar: number;
                rows: string[];
              }>(`(() => {
                const charts = [...document.querySelectorAll('svg.chart')].map((s) => { const r = s.getBoundingClientRect(); return r.width / r.height; });
                const bars = [...document.querySelectorAll('.bars span')].map((b) => b.getBoundingClientRect().width);
                return {
                  overflow: document.documentElement.scrollWidth - window.innerWidth,
                  banner: getComputedStyle(document.querySelector('.banner')).backgroundColor,
                  body: getComputedStyle(document.body).backgroundColor,
                  charts,
                  narrowestBar: Math.min(...bars),
                  rows: [...document.querySelectorAll('tbody tr')].map((r) => r.innerText.replace(/\\s+/g, ' ').trim()),
                };
              })()`);
              const where = `${name} ${width} px ${scheme}`;
              expect(view.overflow, where).toBeLessThanOrEqual(0);
              // the fleet is in a major problem: the banner is red in both themes
              expect(view.banner, where).toBe('rgb(176, 0, 32)');
              expect(view.body, where).toBe(scheme === 'dark' ? 'rgb(18, 18, 18)' : 'rgb(255, 255, 255)');
              // every chart drawn at its own 360:170 ratio, so its text is scaled, never stretched
              expect(view.charts.length, where).toBe(name === 'details' ? names.length * 2 : names.length);
              for (const ratio of view.charts) expect(ratio, where).toBeCloseTo(360 / 170, 1);
              expect(view.narrowestBar, where).toBeGreaterThan(1.5);
              // the overview row: name, status word, then the availability figures shown at this width
              expect(
                view.rows.find((r) => r.startsWith('db1')),
                where,
              ).toBe(
                width === 375
                  ? 'db1 ✗ Major problem 80.95% 95.55%'
                  : 'db1 ✗ Major problem 0.00% 80.95% 95.55% 95.55%',
              );
              const png = await page.screenshot();
              expect(png.subarray(1, 4).toString(), where).toBe('PNG');
              expect(png.length, where).toBeGreaterThan(20_000);
              if (SCREENS) {
                mkdirSync(SCREENS, { recursive: true });
                writeFileSync(join(SCREENS, `status-${name}-${width}-${scheme}.png`), png);
              }
            }
          }
        }
      } finally {
        await page.close();
      }
    },
    // eight page loads and full-page screenshots: ~50 s on a loaded 2-core machine, wide margin
    400_000,
  );
});

describe('90-day availability reads a bounded number of bytes', () => {
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
            `90-day availability, 50 servers, ${days} days of history: read ${s.read} of ${s.total} bytes`,
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
