import { describe, expect, it } from 'vitest';
import { calendarFor, serviceUnit, timerUnit, unitWord } from '../../../src/cli/systemd-units.js';

const spec = {
  everyMs: 300_000,
  user: 'ops',
  node: '/usr/bin/node',
  cli: '/opt/claudeops/dist/cli.js',
  workingDirectory: '/srv/fleet',
  config: '/srv/fleet/.github/claudeops.yml',
  stateRepo: '/srv/fleet/.claudeops/state',
};

describe('calendarFor', () => {
  it.each([
    [60_000, '*-*-* *:*:00'],
    [120_000, '*-*-* *:00/2:00'],
    [300_000, '*-*-* *:00/5:00'],
    [1_800_000, '*-*-* *:00/30:00'],
    [3_600_000, '*-*-* *:00:00'],
    [7_200_000, '*-*-* 00/2:00:00'],
    [43_200_000, '*-*-* 00/12:00:00'],
    [86_400_000, '*-*-* 00:00:00'],
  ])('%i ms → %s', (ms, calendar) => {
    expect(calendarFor(ms)).toEqual({ ok: true, calendar });
  });

  it.each([30_000, 420_000, 90_000, 5 * 3_600_000, 2 * 86_400_000])(
    '%i ms is refused with the intervals that work',
    (ms) => {
      const result = calendarFor(ms);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.reason).toContain('1m, 2m, 3m');
    },
  );
});

describe('unitWord', () => {
  it('leaves plain paths alone and quotes or escapes what systemd would read otherwise', () => {
    expect(unitWord('/srv/fleet/.github/claudeops.yml')).toBe('/srv/fleet/.github/claudeops.yml');
    expect(unitWord('/srv/my fleet/c.yml')).toBe('"/srv/my fleet/c.yml"');
    expect(unitWord('/srv/100%/c.yml')).toBe('/srv/100%%/c.yml');
    expect(unitWord('/srv/$HOME/c.yml')).toBe('/srv/$$HOME/c.yml');
    expect(unitWord('/a"b\\c d')).toBe('"/a\\"b\\\\c d"');
  });
});

describe('the unit pair', () => {
  it('a oneshot check as the user, from the working directory, sandboxed, writing only there', () => {
    const service = serviceUnit(spec);
    expect(service).toContain('User=ops\n');
    expect(service).toContain('WorkingDirectory=/srv/fleet\n');
    expect(service).toContain(
      'ExecStart=/usr/bin/node /opt/claudeops/dist/cli.js check --config /srv/fleet/.github/claudeops.yml --state-repo /srv/fleet/.claudeops/state\n',
    );
    for (const line of [
      'NoNewPrivileges=yes',
      'ProtectSystem=strict',
      'PrivateTmp=yes',
      'CapabilityBoundingSet=\n',
    ])
      expect(service).toContain(line);
    expect(service).toContain('ReadWritePaths=/srv/fleet\n');
    // the compile cache: a directory systemd makes for this user alone (ProtectSystem keeps it writable)
    expect(service).toContain('CacheDirectory=claudeops\nCacheDirectoryMode=0700\n');
    expect(service).not.toMatch(/^MemoryDenyWriteExecute/m);
  });

  it('a state repository outside the working directory is writable too', () => {
    expect(serviceUnit({ ...spec, stateRepo: '/var/lib/claudeops/state' })).toContain(
      'ReadWritePaths=/srv/fleet /var/lib/claudeops\n',
    );
  });

  it('refuses a directory a list setting cannot hold', () => {
    expect(() => serviceUnit({ ...spec, workingDirectory: '/srv/my fleet' })).toThrow(/plain characters/);
  });

  it('the timer: the calendar, catching up after downtime, spread at a fixed offset', () => {
    const timer = timerUnit(spec, '*-*-* *:00/5:00');
    expect(timer).toContain('OnCalendar=*-*-* *:00/5:00\n');
    expect(timer).toContain('Persistent=true\n');
    expect(timer).toContain('RandomizedDelaySec=30s\n');
    expect(timer).toContain('FixedRandomDelay=true\n');
    expect(timer).toContain('WantedBy=timers.target\n');
    expect(timerUnit({ ...spec, everyMs: 86_400_000 }, '*-*-* 00:00:00')).toContain(
      'RandomizedDelaySec=300s\n',
    );
  });
});
