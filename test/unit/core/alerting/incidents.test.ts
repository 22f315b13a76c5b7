/**
 * One incident per root cause: what needs what comes from the config (depends_on on services and
 * endpoints, SERVER:SERVICE across servers, boot.order and its after:), and a failing dependency
 * takes the findings of everything that needs it as dependants.
 */
import { describe, expect, it } from 'vitest';
import { dependencyGraph, groupIncidents, incidentIndex } from '../../../../src/core/alerting/incidents.js';
import { config, tracked } from '../../../support/agent-fixtures.js';

const fleet = config({
  servers: [
    {
      name: 'db1',
      transport: 'local',
      services: [
        { name: 'postgresql', port: 5432 },
        { name: 'pgbouncer', depends_on: ['postgresql'] },
      ],
      databases: [{ kind: 'postgres' }],
    },
    {
      name: 'app1',
      transport: 'local',
      services: [
        { name: 'api', depends_on: ['db1:postgresql'] },
        { name: 'nginx', depends_on: ['api'] },
      ],
      endpoints: [
        { url: 'http://127.0.0.1:8091/health', depends_on: ['api'] },
        { url: 'http://127.0.0.1:8092/health', depends_on: ['db1:postgresql'] },
        { url: 'http://127.0.0.1:8093/health' },
      ],
      boot: { order: ['redis-server', 'worker', { service: 'cron', after: [] }] },
    },
  ],
});
const graph = dependencyGraph(fleet.servers);

const pg = tracked('db1', 'service', 'postgresql', 'critical', 'postgresql is inactive');
const pgPort = tracked('db1', 'port', '5432', 'critical', 'nothing listens on TCP 5432');
const pgDb = tracked('db1', 'database', 'postgres', 'critical', 'postgres is down');
const ep1 = tracked('app1', 'endpoint', 'http://127.0.0.1:8091/health', 'critical', 'HTTP 500');
const ep2 = tracked('app1', 'endpoint', 'http://127.0.0.1:8092/health', 'warning', 'slow');
const ep3 = tracked('app1', 'endpoint', 'http://127.0.0.1:8093/health', 'critical', 'HTTP 502');
const disk = tracked('app1', 'disk', '/', 'warning', '/ is 85% full');

describe('groupIncidents', () => {
  it('folds a stopped postgres, its port, its database check and the endpoints needing it into one incident', () => {
    const incidents = groupIncidents([ep1, ep2, pgPort, pg, pgDb, disk, ep3], graph);
    const pgIncident = incidents.find((i) => i.key === pg.fingerprint);
    expect(pgIncident?.root).toBe(pg);
    // ep1 needs api which needs db1:postgresql: the chain is followed across servers
    expect(pgIncident?.dependants.map((d) => d.fingerprint).sort()).toEqual(
      [pgDb, pgPort, ep1, ep2].map((f) => f.fingerprint).sort(),
    );
    expect(pgIncident?.severity).toBe('critical');
    // an endpoint with no depends_on and a disk finding are incidents of their own
    expect(incidents.map((i) => i.key).sort()).toEqual([pg, ep3, disk].map((f) => f.fingerprint).sort());
  });

  it('takes the deepest failing dependency as the root: api down with postgres up roots at api', () => {
    const api = tracked('app1', 'service', 'api', 'critical', 'api crashed');
    const nginx = tracked('app1', 'service', 'nginx', 'critical', 'nginx is down');
    const incidents = groupIncidents([nginx, ep1, api], graph);
    expect(incidents).toHaveLength(1);
    expect(incidents[0]?.key).toBe(api.fingerprint);
    expect(incidents[0]?.dependants.map((d) => d.fingerprint).sort()).toEqual(
      [ep1.fingerprint, nginx.fingerprint].sort(),
    );
    // with postgres down as well, everything goes to postgres
    const all = groupIncidents([nginx, ep1, api, pg], graph);
    expect(all.map((i) => i.key)).toEqual([pg.fingerprint]);
    expect(all[0]?.dependants).toHaveLength(3);
  });

  it('follows boot.order: a plain entry needs every earlier one, { after: [] } nothing', () => {
    const redis = tracked('app1', 'service', 'redis-server', 'critical', 'redis down');
    const worker = tracked('app1', 'service', 'worker', 'critical', 'worker down');
    const cron = tracked('app1', 'service', 'cron', 'critical', 'cron down');
    const incidents = groupIncidents([worker, cron, redis], graph);
    expect(incidents.map((i) => [i.key, i.dependants.map((d) => d.target)]).sort()).toEqual(
      [
        [cron.fingerprint, []],
        [redis.fingerprint, ['worker']],
      ].sort(),
    );
  });

  it('a dependant whose dependency is healthy is its own incident; ok findings are no incident', () => {
    const okPg = { ...pg, severity: 'ok' as const };
    const incidents = groupIncidents([okPg, ep2], graph);
    expect(incidents.map((i) => i.key)).toEqual([ep2.fingerprint]);
    expect(incidents[0]?.severity).toBe('warning');
  });

  it('survives a dependency cycle and picks the same root from every side', () => {
    const cyclic = config({
      servers: [
        {
          name: 'x',
          transport: 'local',
          services: [
            { name: 'a', depends_on: ['b'] },
            { name: 'b', depends_on: ['c'] },
            { name: 'c', depends_on: ['a'] },
          ],
        },
      ],
    });
    const g = dependencyGraph(cyclic.servers);
    const fs = ['a', 'b', 'c'].map((s) => tracked('x', 'service', s, 'critical', `${s} down`));
    const one = groupIncidents(fs, g);
    const reversed = groupIncidents([...fs].reverse(), g);
    expect(one).toHaveLength(1);
    expect(reversed.map((i) => i.key)).toEqual(one.map((i) => i.key));
    expect(one[0]?.dependants).toHaveLength(2);
  });

  it('indexes every member to its incident key', () => {
    const index = incidentIndex(groupIncidents([pg, ep1, ep3], graph));
    expect(index.get(ep1.fingerprint)).toBe(pg.fingerprint);
    expect(index.get(pg.fingerprint)).toBe(pg.fingerprint);
    expect(index.get(ep3.fingerprint)).toBe(ep3.fingerprint);
  });
});
