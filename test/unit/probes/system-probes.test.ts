import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PRELUDE } from '../../../src/probes/collector-script.js';
import { diskProbe } from '../../../src/probes/disk-usage.js';
import { cpuCount, loadProbe } from '../../../src/probes/load-average.js';
import { memoryProbe } from '../../../src/probes/memory-swap.js';
import { uptimeProbe } from '../../../src/probes/uptime-boot.js';
import { context, fixture, server } from './helpers.js';

describe('disk probe', () => {
  const data = diskProbe.parse(fixture('disk/nspawn-full-mounts.txt'), server());

  it('keeps real filesystems and skips tmpfs pseudo mounts', () => {
    expect(data.space.map((m) => m.mount)).toEqual(['/', '/srv/data', '/srv/spool']);
    expect(data.space.find((m) => m.mount === '/srv/data')).toMatchObject({
      filesystem: 'appdata',
      usedPercent: 90,
    });
  });

  it('flags a 90% full mount critical and inode exhaustion as a warning', () => {
    const findings = diskProbe.evaluate(data, server(), context());
    const by = (check: string, target: string) =>
      findings.find((f) => f.check === check && f.target === target);
    expect(by('disk', '/srv/data')).toMatchObject({
      severity: 'critical',
      value: 90,
      fingerprint: 'web1/disk//srv/data',
    });
    expect(by('disk', '/')?.severity).toBe('ok');
    expect(by('inodes', '/srv/spool')).toMatchObject({ severity: 'warning', value: 86 });
    expect(by('disk', '/srv/data')?.summary).toBe('/srv/data is 90% full (1.0 MiB free of 10 MiB)');
  });

  it('honours per-server thresholds', () => {
    const ctx = context();
    ctx.thresholds = { ...ctx.thresholds, disk: { warn: 20, crit: 95 } };
    const root = diskProbe.evaluate(data, server(), ctx).find((f) => f.target === '/');
    expect(root?.severity).toBe('warning');
  });

  it('reads space and inodes from one df call as it did from two (captured together)', () => {
    const srv = server();
    const one = diskProbe.parse(fixture('disk/one-call.txt'), srv);
    const two = diskProbe.parse(fixture('disk/two-calls.txt'), srv);
    const shape = (d: typeof one) => ({
      space: d.space.map((m) => [m.mount, m.filesystem, m.total, m.usedPercent]),
      inodes: d.inodes.map((m) => [m.mount, m.filesystem, m.total, m.usedPercent]),
    });
    expect(shape(one)).toEqual(shape(two));
    expect(one.space.map((m) => m.mount)).toEqual(['/', '/srv', '/srv/data', '/srv/spool']);
    expect(one.space.find((m) => m.mount === '/srv/data')).toMatchObject({ used: 9216, usedPercent: 90 });
    expect(one.inodes.find((m) => m.mount === '/srv/spool')).toMatchObject({
      total: 100,
      used: 86,
      available: 14,
      usedPercent: 86,
    });
    const findings = diskProbe.evaluate(one, srv, context());
    expect(findings.find((f) => f.check === 'inodes' && f.target === '/srv/spool')?.severity).toBe('warning');
  });

  it('skips the inode half of a row when the filesystem has no inode counts', () => {
    const row = 'fat 1000 500 500 50% - - - - /boot/efi';
    const data = diskProbe.parse(
      `@both\nFilesystem 1K-blocks Used Avail Use% Inodes IUsed IFree IUse% Mounted on\n${row}\n`,
      server(),
    );
    expect(data.space.map((m) => m.mount)).toEqual(['/boot/efi']);
    expect(data.inodes).toEqual([]);
  });

  it('says df is missing instead of inventing numbers', () => {
    const missing = diskProbe.parse('@missing df\n', server());
    expect(diskProbe.evaluate(missing, server(), context())[0]?.summary).toMatch(/df not installed/);
  });

  it('rejects output without its parts', () => {
    expect(() => diskProbe.parse('garbage\n', server())).toThrow(/@space/);
  });
});

describe('memory probe', () => {
  const meminfo = fixture('memory/nspawn-meminfo.txt');

  it('uses MemAvailable and reports no swap finding when there is no swap', () => {
    const data = memoryProbe.parse(meminfo, server());
    expect(data.totalKb).toBe(24684084);
    expect(data.availableKb).toBe(24049816);
    expect(data.usedPercent).toBeCloseTo(2.6, 1);
    const findings = memoryProbe.evaluate(data, server(), context());
    expect(findings.map((f) => f.check)).toEqual(['memory']);
    expect(findings[0]?.severity).toBe('ok');
  });

  it('judges swap use when swap exists (captured meminfo with its swap lines edited)', () => {
    const edited = meminfo
      .replace(/^SwapTotal:.*$/m, 'SwapTotal:       2097148 kB')
      .replace(/^SwapFree:.*$/m, 'SwapFree:         209714 kB');
    const data = memoryProbe.parse(edited, server());
    const swap = memoryProbe.evaluate(data, server(), context()).find((f) => f.check === 'swap');
    expect(swap).toMatchObject({ severity: 'critical', value: 90 });
  });

  it('falls back to free + buffers + cache on kernels without MemAvailable', () => {
    const old = meminfo.replace(/^MemAvailable:.*\n/m, '');
    expect(memoryProbe.parse(old, server()).availableKb).toBe(23177212 + 14796 + 964728);
  });

  it("reads only meminfo's head (through SwapFree) and parses it as the whole file", () => {
    const dir = mkdtempSync(join(tmpdir(), 'meminfo-'));
    try {
      const file = join(dir, 'meminfo');
      writeFileSync(file, meminfo);
      // the probe's own snippet with the captured file in place of /proc/meminfo
      const snippet = memoryProbe.script(server(), { cursors: {}, nonce: 'n0nce0123456789abcdef' });
      expect(snippet).toContain('/proc/meminfo');
      const head = execFileSync('sh', ['-s'], {
        input: `${PRELUDE}\n${snippet.replace('/proc/meminfo', `'${file}'`)}\n`,
        encoding: 'utf8',
      });
      expect(head.split('\n').at(-2)).toMatch(/^SwapFree:/);
      expect(head.length).toBeLessThan(meminfo.length / 2);
      expect(memoryProbe.parse(head, server())).toEqual(memoryProbe.parse(meminfo, server()));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("parses a real capture of today's snippet (it ends at SwapFree)", () => {
    const head = fixture('memory/host-meminfo-head.txt');
    expect(head.trimEnd().split('\n').at(-1)).toMatch(/^SwapFree:/);
    expect(memoryProbe.parse(head, server())).toEqual({
      totalKb: 24683748,
      availableKb: 21558464,
      usedPercent: 12.7,
      swapTotalKb: 0,
      swapFreeKb: 0,
      swapUsedPercent: 0,
    });
  });

  it('fails loudly on output that is not meminfo', () => {
    expect(() => memoryProbe.parse('', server())).toThrow(/MemTotal/);
  });
});

describe('load probe', () => {
  it('divides the 5-minute load by the CPU count', () => {
    const data = loadProbe.parse(fixture('load/nspawn.txt'), server());
    expect(data).toEqual({ load1: 2.87, load5: 1.31, load15: 0.58, cpus: 2, perCpu: 0.66 });
    expect(loadProbe.evaluate(data, server(), context())[0]?.severity).toBe('ok');
    const busy = { ...data, perCpu: 4.5 };
    expect(loadProbe.evaluate(busy, server(), context())[0]?.severity).toBe('critical');
  });

  it('counts the online CPUs the kernel lists in /sys (read without nproc)', () => {
    const data = loadProbe.parse(fixture('load/host-online.txt'), server());
    expect(data).toMatchObject({ load5: 19.6, cpus: 2, perCpu: 9.8 });
    expect(cpuCount('online=0-3,6,8-9')).toBe(7);
    expect(cpuCount('online=0')).toBe(1);
    expect(cpuCount('4')).toBe(4);
    expect(cpuCount('garbage')).toBe(1);
  });
});

describe('uptime probe', () => {
  it('reads uptime and the boot id, and raises nothing', () => {
    const data = uptimeProbe.parse(fixture('uptime/nspawn.txt'), server());
    expect(data).toEqual({ uptimeSeconds: 475.18, bootId: 'c2884416-c437-4ce7-a953-6ce9af0d82a4' });
    expect(uptimeProbe.evaluate(data, server(), context())).toEqual([]);
  });
});
