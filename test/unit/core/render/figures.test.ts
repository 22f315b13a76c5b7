import { describe, expect, it } from 'vitest';
import type { ServerObservation } from '../../../../src/core/types.js';
import { diskProbe } from '../../../../src/probes/disk-usage.js';
import { memoryProbe } from '../../../../src/probes/memory-swap.js';
import { serverFigures } from '../../../../src/probes/server-figures.js';
import { fixture, server } from '../../probes/helpers.js';

function observation(probes: Record<string, unknown>): ServerObservation {
  return {
    server: 'web1',
    reachable: true,
    startedAt: '2026-11-21T08:00:00Z',
    durationMs: 10,
    bytes: 1,
    roundTrips: 1,
    probes,
    probeErrors: {},
  };
}

describe('server figures', () => {
  it('orders mounts fullest first and never shows pseudo mounts', () => {
    const srv = server();
    const f = serverFigures(
      srv,
      observation({ disk: diskProbe.parse(fixture('disk/nspawn-full-mounts.txt'), srv) }),
      undefined,
    );
    expect(f.disks.map((d) => `${d.mount} ${d.usedPercent}`)).toEqual([
      '/srv/data 90',
      '/ 24',
      '/srv/spool 0',
    ]);
    expect(f.inodes[0]).toEqual({ mount: '/srv/spool', usedPercent: 86 });
  });

  it('drops excluded mounts (exact and /prefix/*) from figures and findings alike', () => {
    const srv = server({ disks: { exclude: ['/srv/*'] } });
    const data = diskProbe.parse(fixture('disk/nspawn-full-mounts.txt'), srv);
    expect(data.space.map((m) => m.mount)).toEqual(['/']);
    expect(
      diskProbe
        .evaluate(data, srv, {
          thresholds: serverFigures(srv, observation({}), undefined).thresholds,
          now: new Date(),
        })
        .map((x) => x.target),
    ).toEqual(['/', '/']);
    const exact = server({ disks: { exclude: ['/srv/data'] } });
    expect(diskProbe.parse(fixture('disk/nspawn-full-mounts.txt'), exact).space.map((m) => m.mount)).toEqual([
      '/',
      '/srv/spool',
    ]);
  });

  it('carries the thresholds that judged the figures: server over fleet over built-in', () => {
    const srv = server({ thresholds: { disk: { warn: 60, crit: 70 } } });
    const mem = memoryProbe.parse(fixture('memory/nspawn-meminfo.txt'), srv);
    const f = serverFigures(srv, observation({ memory: mem }), { memory: { warn: 50, crit: 60 } });
    expect(f.thresholds.disk).toEqual({ warn: 60, crit: 70 });
    expect(f.thresholds.memory).toEqual({ warn: 50, crit: 60 });
    expect(f.thresholds.load).toEqual({ warn: 2, crit: 4 });
    expect(f.memoryPercent).toBe(mem.usedPercent);
    expect(f.swapPercent).toBeUndefined(); // no swap on that server: "none", not 0%
  });
});
