import { describe, expect, it } from 'vitest';
import type { ServerObservation } from '../../../src/core/types.js';
import { diskProbe } from '../../../src/probes/disk-usage.js';
import { evaluateServer } from '../../../src/probes/evaluate.js';
import { fixture, server } from './helpers.js';

const NOW = new Date('2026-11-21T08:00:00Z');

function observation(partial: Partial<ServerObservation>): ServerObservation {
  return {
    server: 'web1',
    reachable: true,
    startedAt: NOW.toISOString(),
    durationMs: 10,
    bytes: 100,
    roundTrips: 1,
    probes: {},
    probeErrors: {},
    ...partial,
  };
}

describe('evaluateServer', () => {
  it('an unreachable server is one critical finding, target -', () => {
    const findings = evaluateServer(
      server(),
      observation({ reachable: false, error: 'connect ECONNREFUSED' }),
      undefined,
      NOW,
    );
    expect(findings).toEqual([
      {
        fingerprint: 'web1/unreachable/-',
        server: 'web1',
        check: 'unreachable',
        target: '-',
        severity: 'critical',
        summary: 'web1 could not be checked: connect ECONNREFUSED',
      },
    ]);
  });

  it('a probe that failed to parse is a probe-error warning, the others still count', () => {
    const disk = diskProbe.parse(fixture('disk/nspawn-full-mounts.txt'), server());
    const obs = observation({
      probes: { disk, uptime: { uptimeSeconds: 5 } },
      probeErrors: {
        memory: 'could not parse output: no MemTotal',
        load: 'the collector timed out before this probe finished',
      },
    });
    const findings = evaluateServer(server(), obs, undefined, NOW);
    const errors = findings.filter((f) => f.check === 'probe-error');
    expect(errors.map((f) => [f.target, f.severity])).toEqual([
      ['load', 'warning'],
      ['memory', 'warning'],
    ]);
    expect(findings.some((f) => f.check === 'disk' && f.severity === 'critical')).toBe(true);
  });

  it('fleet defaults apply, server thresholds win over them', () => {
    const disk = diskProbe.parse(fixture('disk/nspawn-full-mounts.txt'), server());
    const obs = observation({ probes: { disk } });
    const root = (s = server(), d = {}) =>
      evaluateServer(s, obs, d, NOW).find((f) => f.check === 'disk' && f.target === '/')?.severity;
    expect(root()).toBe('ok');
    expect(root(server(), { disk: { warn: 20, crit: 30 } })).toBe('warning');
    expect(
      root(server({ thresholds: { disk: { warn: 10, crit: 20 } } }), { disk: { warn: 20, crit: 30 } }),
    ).toBe('critical');
  });

  it('certificates: the server view wins when it got one, the runner view fills in', () => {
    const srv = server({ certificates: ['a.test:443', 'b.test'] });
    const obs = observation({
      probes: {
        certificates: {
          certificates: [
            { target: 'a.test:443', notAfter: '2026-12-31T00:00:00.000Z' },
            { target: 'b.test:443', missing: true },
          ],
        },
        'runner-certificates': {
          certificates: [
            { target: 'a.test:443', notAfter: '2026-11-22T00:00:00.000Z' },
            { target: 'b.test:443', notAfter: '2026-11-25T00:00:00.000Z' },
          ],
        },
      },
    });
    const certs = evaluateServer(srv, obs, undefined, NOW).filter((f) => f.check === 'certificate');
    expect(certs.map((f) => [f.target, f.severity, f.value])).toEqual([
      ['a.test:443', 'ok', 39],
      ['b.test:443', 'critical', 3],
    ]);
  });

  it('runner endpoints are judged like server ones', () => {
    const srv = server({ endpoints: [{ url: 'https://x.test/health', from: 'runner', status: 204 }] });
    const obs = observation({
      probes: {
        'runner-endpoints': { endpoints: [{ url: 'https://x.test/health', status: 200, latencyMs: 12 }] },
      },
    });
    const [f] = evaluateServer(srv, obs, undefined, NOW).filter((x) => x.check === 'endpoint');
    expect(f).toMatchObject({
      severity: 'critical',
      summary: 'https://x.test/health returned 200, expected 204',
    });
  });
});
