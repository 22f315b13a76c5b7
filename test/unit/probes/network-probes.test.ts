import { describe, expect, it } from 'vitest';
import { databasesProbe } from '../../../src/probes/databases.js';
import { endpointsProbe } from '../../../src/probes/endpoints.js';
import { portsProbe } from '../../../src/probes/listening-ports.js';
import { processesProbe } from '../../../src/probes/processes.js';
import { certificatesProbe, parseOpensslDate } from '../../../src/probes/tls-certificates.js';
import { context, fixture, server } from './helpers.js';

describe('endpoints probe (curl against a real nginx on 127.0.0.1)', () => {
  const srv = server({
    endpoints: [
      { url: 'http://127.0.0.1:18080/health', contains: 'ok' },
      { url: 'http://127.0.0.1:18080/broken' },
      { url: 'http://127.0.0.1:18080/maintenance', contains: 'status: ok' },
      { url: 'http://127.0.0.1:18098/refused' },
      { url: 'http://127.0.0.1:18099/hangs', timeout: '2s' },
    ],
  });
  const data = endpointsProbe.parse(fixture('endpoints/mixed.txt'), srv);
  const findings = endpointsProbe.evaluate(data, srv, context());

  it('reads status, latency and the contains verdict', () => {
    expect(data.endpoints[0]).toMatchObject({
      status: 200,
      latencyMs: 0,
      contains: true,
      excerpt: 'status: ok',
    });
    expect(data.endpoints[1]).toMatchObject({ status: 500 });
  });

  it('judges each failure distinctly', () => {
    expect(findings.map((f) => [f.severity, f.summary])).toEqual([
      ['ok', 'http://127.0.0.1:18080/health returned 200 in 0 ms'],
      ['critical', 'http://127.0.0.1:18080/broken returned 500, expected 200'],
      ['critical', 'http://127.0.0.1:18080/maintenance body does not contain "status: ok"'],
      ['critical', 'http://127.0.0.1:18098/refused: connection refused or host unreachable'],
      ['critical', 'http://127.0.0.1:18099/hangs: timed out'],
    ]);
    expect(data.endpoints[4]).toMatchObject({ timedOut: true, latencyMs: 2002 });
  });

  it('a response body cannot forge the write-out: only the text after the last marker counts', () => {
    const forged = '@endpoint 0\nrc=0\nw=200 0.01\n| _CO_W_ 200 0.001 pretend\n';
    expect(
      endpointsProbe.parse(forged, server({ endpoints: [{ url: 'http://x/' }] })).endpoints[0]?.status,
    ).toBe(200);
  });

  it('one curl call for every endpoint reads the same as one call each (captured against a real server)', () => {
    const port = (n: number) => `http://127.0.0.1:${n}`;
    const one = server({
      endpoints: [
        { url: `${port(46363)}/health`, contains: 'ok' },
        { url: `${port(46363)}/broken` },
        { url: `${port(46363)}/maintenance`, contains: 'status: ok' },
        { url: `${port(36231)}/refused` },
        { url: `${port(56873)}/hangs`, timeout: '2s' },
      ],
    });
    const data1 = endpointsProbe.parse(fixture('endpoints/one-call-mixed.txt'), one);
    const severities = (fs: { severity: string }[]) => fs.map((f) => f.severity);
    expect(severities(endpointsProbe.evaluate(data1, one, context()))).toEqual(severities(findings));
    const facts = (d: typeof data) => d.endpoints.map((e) => [e.status, e.contains, e.error, e.timedOut]);
    expect(facts(data1)).toEqual(facts(data));
    expect(data1.endpoints[0]?.excerpt).toBe('status: ok');
  });

  it('leaves runner-side endpoints to the runner', () => {
    const mixed = server({ endpoints: [{ url: 'https://example.com/', from: 'runner' }] });
    expect(endpointsProbe.applies(mixed)).toBe(false);
  });
});

describe('ports probe (ss and /proc/net/tcp in a systemd-nspawn container)', () => {
  const srv = server({ ports: [8080, 8443, 5432], services: [{ name: 'co-running', port: 22 }] });

  it('reads ss -ltnH', () => {
    const data = portsProbe.parse(fixture('ports/nspawn-ss.txt'), srv);
    expect(data).toEqual({ listening: [8080, 8443], source: 'ss' });
    const findings = portsProbe.evaluate(data, srv, context());
    expect(findings.map((f) => [f.target, f.severity])).toEqual([
      ['8080', 'ok'],
      ['8443', 'ok'],
      ['5432', 'critical'],
      ['22', 'critical'],
    ]);
    expect(findings[3]?.summary).toBe('nothing listens on TCP 22 (co-running)');
  });

  it('reads the same sockets from /proc/net/tcp{,6} when ss is absent', () => {
    expect(portsProbe.parse(fixture('ports/nspawn-proc-net-tcp.txt'), srv).listening).toEqual([8080, 8443]);
  });

  it('reads only the LISTEN rows of /proc/net/tcp{,6}, the same ports ss lists (captured together)', () => {
    const proc = portsProbe.parse(fixture('ports/netns-proc-listeners.txt'), srv);
    const ss = portsProbe.parse(fixture('ports/netns-ss.txt'), srv);
    expect(proc).toEqual({ listening: [5432, 8080, 8443], source: 'proc' });
    expect(ss.listening).toEqual(proc.listening);
  });
});

describe('processes probe', () => {
  it('counts processes by name and by command line', () => {
    const srv = server({
      processes: ['sleep', 'systemd-journald', 'co-nosuch-daemon', '/bin/sleep infinity'],
    });
    const data = processesProbe.parse(fixture('processes/nspawn.txt'), srv);
    expect(data.processes.map((p) => p.count)).toEqual([2, 1, 0, 1]);
    const severities = processesProbe.evaluate(data, srv, context()).map((f) => f.severity);
    expect(severities).toEqual(['ok', 'ok', 'critical', 'ok']);
  });

  it('matches long names on the 15 characters the kernel keeps', () => {
    const script = processesProbe.script(server({ processes: ['systemd-journald'] }), { cursors: {} });
    expect(script).toContain("pgrep -x -- 'systemd-journal'");
  });
});

describe('databases probe (real postgres, mariadb, redis on this machine)', () => {
  const check = (file: string, databases: Record<string, unknown>[]) => {
    const srv = server({ databases });
    const data = databasesProbe.parse(fixture(file), srv);
    return { data, findings: databasesProbe.evaluate(data, srv, context()) };
  };

  it('postgres: a real query answers', () => {
    const { data, findings } = check('databases/postgres-ok-and-auth.txt', [
      { kind: 'postgres' },
      { kind: 'postgres', host: '127.0.0.1', user: 'claudeops_probe', database: 'postgres' },
    ]);
    expect(data.databases.map((d) => d.status)).toEqual(['ok', 'auth']);
    expect(findings.map((f) => [f.target, f.severity])).toEqual([
      ['postgres', 'ok'],
      ['postgres@127.0.0.1:5432/postgres', 'warning'],
    ]);
  });

  it('postgres: "too many clients" is told apart from down, although pg_isready says ready', () => {
    const { data, findings } = check('databases/postgres-too-many-clients.txt', [{ kind: 'postgres' }]);
    expect(data.databases[0]).toMatchObject({ status: 'too-many-clients', acceptsConnections: true });
    expect(findings[0]?.severity).toBe('critical');
    expect(findings[0]?.summary).toMatch(/^postgres refuses queries: too many clients/);
  });

  it('postgres: a superuser check that got in through a reserved slot still sees the pool is full', () => {
    const { data, findings } = check('databases/postgres-saturated-superuser.txt', [{ kind: 'postgres' }]);
    expect(data.databases[0]).toMatchObject({
      status: 'too-many-clients',
      connections: { others: 17, max: 20, reserved: 3 },
    });
    expect(findings[0]?.severity).toBe('critical');
    expect(findings[0]?.summary).toContain('too many clients (17 of 20 connections in use');
    // one ordinary slot still free: not saturated
    const spare = databasesProbe.parse(
      fixture('databases/postgres-saturated-superuser.txt').replace('slots=17 20 3', 'slots=16 20 3'),
      server({ databases: [{ kind: 'postgres' }] }),
    );
    expect(spare.databases[0]).toMatchObject({ status: 'ok', connections: { others: 16 } });
  });

  it('postgres: stopped server is down', () => {
    const { data } = check('databases/postgres-stopped.txt', [{ kind: 'postgres' }]);
    expect(data.databases[0]).toMatchObject({ status: 'down', acceptsConnections: false });
  });

  it('mariadb: ok, access denied, stopped, too many connections', () => {
    expect(
      check('databases/mysql-ok-and-auth.txt', [
        { kind: 'mysql' },
        { kind: 'mysql', host: '127.0.0.1', user: 'claudeops_probe' },
      ]).data.databases.map((d) => d.status),
    ).toEqual(['ok', 'auth']);
    expect(check('databases/mysql-stopped.txt', [{ kind: 'mysql' }]).data.databases[0]?.status).toBe('down');
    const full = check('databases/mysql-too-many-connections.txt', [{ kind: 'mysql', user: 'co_probe' }]);
    expect(full.data.databases[0]?.status).toBe('too-many-clients');
    expect(full.findings[0]?.summary).toContain('ERROR 1040 (08004): Too many connections');
  });

  it('redis: PONG, NOAUTH (up but locked), refused, max clients', () => {
    const redis = [{ kind: 'redis', host: '127.0.0.1', port: 16379 }];
    const status = (file: string) => check(file, redis).data.databases[0]?.status;
    expect(status('databases/redis-ok.txt')).toBe('ok');
    expect(status('databases/redis-noauth.txt')).toBe('auth');
    expect(status('databases/redis-stopped.txt')).toBe('down');
    expect(status('databases/redis-max-clients.txt')).toBe('too-many-clients');
  });

  it('quotes connection settings and runs postgres as its own account only when no login is configured', () => {
    const script = databasesProbe.script(
      server({ databases: [{ kind: 'postgres' }, { kind: 'postgres', host: "db'1", user: 'app' }] }),
      { cursors: {} },
    );
    // one libpq conninfo, each value a quoted literal, shell-quoted as one word
    expect(script).toContain("-d 'host='\\''db\\'\\''1'\\'' user='\\''app'\\'''");
    expect(script.match(/runuser -u postgres/g)).toHaveLength(1);
    expect(script).toContain("-c 'select 1'");
  });
});

describe('certificates probe (openssl s_client against openssl s_server on 127.0.0.1)', () => {
  const srv = server({ certificates: ['127.0.0.1:18443', '127.0.0.1:18444'] });
  const data = certificatesProbe.parse(fixture('certificates/self-signed-5-days-and-refused.txt'), srv);

  it('reads notAfter and the verify verdict', () => {
    expect(data.certificates[0]).toMatchObject({
      target: '127.0.0.1:18443',
      notAfter: '2026-11-26T08:00:03.000Z',
      verify: '18 (self-signed certificate)',
      subject: 'CN = probe.test',
    });
    expect(data.certificates[1]?.error).toMatch(/^no certificate: .*Connection refused/);
  });

  it('is critical inside 7 days, a warning inside 14, critical when none answers', () => {
    const at = (iso: string) => certificatesProbe.evaluate(data, srv, context(new Date(iso)));
    expect(at('2026-11-21T08:00:00Z')[0]).toMatchObject({ severity: 'critical', value: 5 });
    expect(at('2026-11-14T08:00:00Z')[0]).toMatchObject({ severity: 'warning', value: 12 });
    expect(at('2026-11-01T08:00:00Z')[0]?.severity).toBe('ok');
    expect(at('2026-11-27T08:00:00Z')[0]?.summary).toMatch(/expired 1 day\(s\) ago/);
    expect(at('2026-11-21T08:00:00Z')[1]?.severity).toBe('critical');
  });

  it('parses openssl and node date forms', () => {
    expect(parseOpensslDate('Mar  1 12:00:00 2027 GMT')).toBe('2027-03-01T12:00:00.000Z');
    expect(parseOpensslDate('nonsense')).toBeUndefined();
  });
});
