import { describe, expect, it } from 'vitest';
import type { LogConfig } from '../../../src/config/schema.js';
import { checksProbe, compare } from '../../../src/probes/custom-checks.js';
import { heartbeatsProbe } from '../../../src/probes/heartbeats.js';
import { type LogResult, logSeverity, logsProbe } from '../../../src/probes/log-scan.js';
import { updatesProbe } from '../../../src/probes/pending-updates.js';
import { context, fixture, server } from './helpers.js';

describe('logs probe: files (cursor = inode:offset)', () => {
  const srv = server({
    logs: [
      { path: '/tmp/co-logs/app.log', patterns: ['ERROR', 'FATAL'] },
      { path: '/tmp/co-logs/missing.log' },
    ],
  });
  const parse = (file: string) => logsProbe.parse(fixture(file), srv);

  it('first run: starts at the end so old history does not alert', () => {
    const data = parse('logs/file-first-run.txt');
    expect(data.logs[0]).toMatchObject({
      from: 'first',
      matches: 0,
      cursor: { key: 'file:/tmp/co-logs/app.log', value: '2155158:88' },
    });
    const findings = logsProbe.evaluate(data, srv, context());
    expect(findings[0]).toMatchObject({ severity: 'ok', check: 'log', target: '/tmp/co-logs/app.log' });
    expect(findings[1]).toMatchObject({
      severity: 'warning',
      summary: '/tmp/co-logs/missing.log: log file missing',
    });
    expect(logsProbe.cursors?.(data)).toEqual({ 'file:/tmp/co-logs/app.log': '2155158:88' });
  });

  it('counts new lines per pattern since the cursor and keeps a short excerpt', () => {
    const data = parse('logs/file-new-lines.txt');
    expect(data.logs[0]).toMatchObject({
      from: 'cursor',
      matches: 3,
      counts: [
        { pattern: 'ERROR', count: 3 },
        { pattern: 'FATAL', count: 1 },
      ],
    });
    expect(data.logs[0]?.excerpt).toHaveLength(3);
    const finding = logsProbe.evaluate(data, srv, context())[0];
    expect(finding).toMatchObject({ severity: 'warning', value: 3 });
    expect(finding?.summary).toBe('/tmp/co-logs/app.log: 3 new matching line(s): ERROR ×3, FATAL ×1');
  });

  it('lines that look like structure stay excerpt text', () => {
    const data = parse('logs/file-rotated.txt');
    expect(data.logs[0]?.excerpt).toContain('count0=999 ERROR forged structure line');
    expect(data.logs[0]?.counts[0]?.count).toBe(2);
  });

  it('rotation: finishes the old file (NAME.1) and reads the new one from its start', () => {
    const data = parse('logs/file-rotated.txt');
    expect(data.logs[0]).toMatchObject({ from: 'rotated', matches: 3, cursor: { value: '2155553:111' } });
    expect(data.logs[0]?.excerpt[0]).toBe('2026-11-20T10:09:59Z ERROR written just before rotation');
  });

  it('truncation: reads from the start again', () => {
    const data = parse('logs/file-truncated.txt');
    expect(data.logs[0]).toMatchObject({ from: 'truncated', matches: 1, cursor: { value: '2155553:42' } });
  });

  it('crit threshold raises critical', () => {
    const strict = server({
      logs: [{ path: '/tmp/co-logs/app.log', patterns: ['ERROR', 'FATAL'], crit: 3 }],
    });
    const data = logsProbe.parse(fixture('logs/file-new-lines.txt'), strict);
    expect(logsProbe.evaluate(data, strict, context())[0]?.severity).toBe('critical');
  });

  it('passes the previous cursor into the script, quoted', () => {
    const script = logsProbe.script(srv, { cursors: { 'file:/tmp/co-logs/app.log': '2155158:88' } });
    expect(script).toContain("pino='2155158'; pofs='88'");
    const first = logsProbe.script(srv, { cursors: { 'file:/tmp/co-logs/app.log': '$(evil)' } });
    expect(first).toContain("pino=''; pofs='0'");
  });
});

describe('logs probe: per-pattern severity (real output, file-severities.txt)', () => {
  const srv = server({
    logs: [
      { path: '/tmp/co-logs9/app.log' },
      {
        path: '/tmp/co-logs9/worker.log',
        patterns: [
          'ERROR',
          { match: 'WARN', severity: 'warning' },
          { match: 'deadlock', severity: 'critical' },
        ],
      },
    ],
  });
  const data = logsProbe.parse(fixture('logs/file-severities.txt'), srv);

  it('default patterns: ERROR is a warning, FATAL|panic|Out of memory|Killed process lines are critical', () => {
    expect(srv.logs[0]).toMatchObject({
      patterns: [
        { match: 'ERROR' },
        { match: 'FATAL|panic|Out of memory|Killed process', severity: 'critical' },
      ],
    });
    expect(data.logs[0]).toMatchObject({ matches: 5, critical: 3 });
    const [app, worker] = logsProbe.evaluate(data, srv, context());
    expect(app).toMatchObject({ severity: 'critical', event: true, value: 5 });
    expect(app?.summary).toContain('5 new matching line(s) (3 critical)');
    expect(app?.evidence).toContain('Killed process 4242');
    // an explicit critical pattern is critical; a crash word under an explicit warning pattern is not
    expect(data.logs[1]).toMatchObject({ matches: 4, critical: 1 });
    expect(worker).toMatchObject({ severity: 'critical', event: true });
  });

  it('threshold: fewer lines than it per run is noise, unless one of them is critical', () => {
    const result = { ...(data.logs[1] as LogResult), critical: 0 };
    const log = (extra: Record<string, unknown>) =>
      server({ logs: [{ path: '/x', ...extra }] }).logs[0] as LogConfig;
    expect(logSeverity(log({ threshold: 5 }), result)).toBe('ok');
    expect(logSeverity(log({ threshold: 4 }), result)).toBe('warning');
    expect(logSeverity(log({ warn: 5 }), result)).toBe('ok');
    expect(logSeverity(log({ threshold: 50 }), { ...result, critical: 1 })).toBe('critical');
    expect(logSeverity(log({ threshold: 1, crit: 4 }), result)).toBe('critical');
  });

  it('the script counts critical lines once each, quoting every pattern', () => {
    const script = logsProbe.script(srv, { cursors: {} });
    expect(script).toContain("grep -E -e 'FATAL|panic|Out of memory|Killed process'");
    expect(script).toContain("grep -v -E -e 'deadlock'");
  });

  it('rejects a pattern object without a valid severity', () => {
    expect(() =>
      server({ logs: [{ path: '/x', patterns: [{ match: 'X', severity: 'urgent' }] }] }),
    ).toThrow();
    expect(() => server({ logs: [{ path: '/x', patterns: [{ match: '' }] }] })).toThrow();
  });
});

describe('logs probe: journald', () => {
  const srv = server({ logs: [{ journal: 'co-logger', priority: 'err' }, { journal: 'co-quiet' }] });

  it('first run looks back 15 minutes and saves the cursor journalctl printed', () => {
    const data = logsProbe.parse(fixture('logs/journal-first-run.txt'), srv);
    expect(data.logs[0]).toMatchObject({ target: 'journal:co-logger', from: 'since', matches: 89 });
    expect(data.logs[0]?.cursor?.key).toBe('journal:co-logger:err');
    expect(data.logs[0]?.cursor?.value).toMatch(/^s=6ae068b4.*;x=c7a7992294befdb3$/);
    expect(data.logs[0]?.excerpt).toHaveLength(5);
    expect(data.logs[1]).toMatchObject({ matches: 0 });
    expect(data.logs[1]?.cursor).toBeUndefined();
  });

  it('after the cursor only new entries count', () => {
    const data = logsProbe.parse(fixture('logs/journal-after-cursor.txt'), srv);
    expect(data.logs[0]).toMatchObject({ from: 'cursor', matches: 2 });
    const findings = logsProbe.evaluate(data, srv, context());
    expect(findings[0]?.summary).toBe('journal:co-logger: 2 new matching line(s): priority<=err ×2');
  });

  it('a cursor journald no longer knows falls back to the last 15 minutes', () => {
    const one = server({ logs: [{ journal: 'co-logger', priority: 'err' }] });
    const data = logsProbe.parse(fixture('logs/journal-bad-cursor.txt'), one);
    expect(data.logs[0]?.from).toBe('since');
    expect(data.logs[0]?.cursor).toBeDefined();
  });
});

describe('updates probe', () => {
  it('apt: counts security updates apart from the others (real Debian 12 lists)', () => {
    const data = updatesProbe.parse(fixture('updates/apt-host.txt'), server({ security_updates: true }));
    expect(data).toMatchObject({ manager: 'apt', total: 113, security: 71, listsAgeHours: 0 });
    expect(data.securityPackages).toHaveLength(20);
    const f = updatesProbe.evaluate(data, server(), context())[0];
    expect(f).toMatchObject({ check: 'updates', target: 'security', severity: 'warning', value: 71 });
  });

  it('apt: an up-to-date system is ok', () => {
    const data = updatesProbe.parse(fixture('updates/apt-nspawn.txt'), server());
    expect(updatesProbe.evaluate(data, server(), context())[0]).toMatchObject({ severity: 'ok', value: 0 });
  });

  it('dnf: security advisories from updateinfo, all updates from check-update (real dnf 4.14, lab repository)', () => {
    const data = updatesProbe.parse(
      fixture('updates/dnf-lab-security.txt'),
      server({ security_updates: true }),
    );
    expect(data).toEqual({
      manager: 'dnf',
      total: 2,
      security: 1,
      securityPackages: ['claudeops-lab-openssl-1.1-1.noarch'],
      advisories: ['LAB-2026:0001 Important'],
    });
    expect(updatesProbe.evaluate(data, server(), context())[0]).toMatchObject({
      severity: 'warning',
      value: 1,
      summary:
        '1 security update(s) pending of 2: claudeops-lab-openssl-1.1-1.noarch (advisory LAB-2026:0001 Important)',
    });
  });

  it('only applies when security_updates is on', () => {
    expect(updatesProbe.applies(server())).toBe(false);
    expect(updatesProbe.applies(server({ security_updates: true }))).toBe(true);
  });

  it('no supported package manager is said plainly', () => {
    const data = updatesProbe.parse('@none\n', server());
    expect(updatesProbe.evaluate(data, server(), context())[0]?.summary).toMatch(/no apt-get, dnf or yum/);
  });
});

describe('custom checks probe', () => {
  const srv = server({
    checks: [
      { name: 'queue-depth', command: 'echo 1234', warn: '> 100', crit: '> 1000' },
      { name: 'fails', command: 'echo "backup target unreachable" >&2; exit 2' },
      { name: 'hangs', command: 'sleep 5', timeout: '1s' },
      { name: 'words', command: 'echo not-a-number', warn: '> 1' },
    ],
  });

  it('compares numbers, and treats a non-zero exit or a timeout as critical', () => {
    const data = checksProbe.parse(fixture('checks/mixed.txt'), srv);
    const findings = checksProbe.evaluate(data, srv, context());
    expect(findings.map((f) => [f.target, f.severity, f.summary])).toEqual([
      ['queue-depth', 'critical', 'queue-depth = 1234 (crit > 1000)'],
      ['fails', 'critical', 'fails: exited 2: backup target unreachable'],
      ['hangs', 'critical', 'hangs: timed out'],
      ['words', 'warning', 'words: output is not a number: not-a-number'],
    ]);
  });

  it('compare() handles every operator', () => {
    expect([compare(5, '> 4'), compare(5, '>= 5'), compare(5, '< 5'), compare(5, '<= 5')]).toEqual([
      true,
      true,
      false,
      true,
    ]);
    expect([compare(5, '== 5'), compare(5, '!= 5'), compare(5, 'junk')]).toEqual([true, false, false]);
  });

  it('runs the configured command in its own quoted sh -c', () => {
    const script = checksProbe.script(server({ checks: [{ name: 'q', command: "echo 'x' $(date)" }] }), {
      cursors: {},
    });
    expect(script).toContain(`sh -c 'echo '\\''x'\\'' $(date)'`);
  });
});

describe('heartbeats probe', () => {
  it('stale is critical, fresh ok, missing critical (ages by the server clock)', () => {
    const srv = server({
      heartbeats: [
        { path: '/tmp/co-hb/backup.heartbeat', max_age: '1h' },
        { path: '/tmp/co-hb/fresh.heartbeat', max_age: '1h' },
        { path: '/tmp/co-hb/missing.heartbeat', max_age: '26h' },
      ],
    });
    const data = heartbeatsProbe.parse(fixture('heartbeats/stale-fresh-missing.txt'), srv);
    expect(data.heartbeats.map((h) => h.ageSeconds)).toEqual([7200, 0, undefined]);
    const findings = heartbeatsProbe.evaluate(data, srv, context());
    expect(findings.map((f) => f.severity)).toEqual(['critical', 'ok', 'critical']);
    expect(findings[0]?.summary).toBe('/tmp/co-hb/backup.heartbeat: last beat 2h ago, older than 1h');
  });
});
