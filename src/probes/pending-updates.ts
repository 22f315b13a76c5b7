import { type Finding, finding } from '../core/types.js';
import { blocksOf, int, keyValues, linesOf } from './output-text.js';
import type { Probe } from './probe.js';

export interface UpdatesData {
  /** which package manager answered; undefined when none is supported */
  manager?: 'apt' | 'dnf' | 'yum';
  total: number;
  security: number;
  /** names of security updates (the first 20) */
  securityPackages: string[];
  /** hours since the package lists were refreshed (apt only), when known */
  listsAgeHours?: number;
  /** dnf/yum: the security advisories behind them, `ID Severity` (the first 20) */
  advisories?: string[];
}

/** Package lists older than this make "no updates" a weak statement; the summary says so. */
const STALE_LISTS_HOURS = 7 * 24;

function fromApt(lines: readonly string[]): Omit<UpdatesData, 'manager'> {
  // `Inst NAME [OLD] (NEW ORIGIN:VERSION/SUITE [ARCH])`: the suite names the security pocket.
  const inst = lines.filter((l) => l.startsWith('Inst '));
  const security = inst.filter((l) => /\(.*-security\b.*\)/i.test(l) || /Debian-Security:/.test(l));
  const kv = keyValues(lines);
  const now = int(kv.now);
  const lists = int(kv.lists);
  return {
    total: inst.length,
    security: security.length,
    securityPackages: security.slice(0, 20).map((l) => l.split(' ')[1] ?? ''),
    ...(now && lists ? { listsAgeHours: Math.round((now - lists) / 3600) } : {}),
  };
}

function fromDnf(security: readonly string[], all: readonly string[]): Omit<UpdatesData, 'manager'> {
  // updateinfo: "ADVISORY-ID  Severity/Sec.  package-version.arch"; check-update: "name.arch  version  repo".
  const advisories = security.filter((l) => /^\S+\s+\S*Sec\.?\s+\S+/.test(l));
  const fields = advisories.map((l) => l.trim().split(/\s+/));
  const packages = [...new Set(fields.map((f) => f[2] ?? ''))];
  // "Important/Sec." → "Important"; a bare "Sec." (no severity in the advisory) says nothing more
  const ids = [
    ...new Set(fields.map(([id = '', sev = '']) => `${id} ${sev.replace(/\/?Sec\.?$/, '')}`.trim())),
  ];
  const updates = all.filter(
    (l) => /^\S+\.\S+\s+\S+\s+\S+$/.test(l.trim()) && !/^(Obsoleting|Security:)/.test(l),
  );
  return {
    total: updates.length,
    security: packages.length,
    securityPackages: packages.slice(0, 20),
    advisories: ids.slice(0, 20),
  };
}

export const updatesProbe: Probe<UpdatesData> = {
  id: 'updates',
  applies: (server) => server.security_updates,
  // Simulation only and from the cached lists: a check never locks dpkg nor touches the network.
  script: () =>
    [
      'if co_have apt-get; then',
      '  echo \'@apt\'; echo "now=$(date +%s)"',
      '  echo "lists=$(stat -c %Y /var/lib/apt/lists 2>/dev/null || date -r /var/lib/apt/lists +%s 2>/dev/null)"',
      "  apt-get -s -o Debug::NoLocking=1 dist-upgrade 2>/dev/null | grep '^Inst '",
      'elif co_have dnf || co_have yum; then',
      '  if co_have dnf; then pm=dnf; else pm=yum; fi',
      '  echo "@$pm"; $pm -q -C updateinfo list --security 2>/dev/null',
      "  echo '@all'; $pm -q -C check-update 2>/dev/null",
      "else echo '@none'; fi",
    ].join('\n'),
  parse(output) {
    const lines = linesOf(output);
    if (lines[0] === '@apt') return { manager: 'apt', ...fromApt(lines.slice(1)) };
    for (const manager of ['dnf', 'yum'] as const) {
      const [sec] = blocksOf(output, manager);
      const [all] = blocksOf(output, 'all');
      if (sec) return { manager, ...fromDnf(sec.lines, all?.lines ?? []) };
    }
    return { total: 0, security: 0, securityPackages: [] };
  },
  evaluate(data, server): Finding[] {
    if (!data.manager)
      return [
        finding(
          server.name,
          'updates',
          'security',
          'warning',
          'cannot check updates: no apt-get, dnf or yum',
        ),
      ];
    const stale =
      data.listsAgeHours !== undefined && data.listsAgeHours > STALE_LISTS_HOURS
        ? ` (package lists are ${Math.round(data.listsAgeHours / 24)} days old)`
        : '';
    const names = data.securityPackages.slice(0, 8).join(', ');
    const ids = data.advisories ?? [];
    const advisories =
      ids.length > 0
        ? ` (${ids.length === 1 ? 'advisory' : 'advisories'} ${ids.slice(0, 5).join(', ')}${ids.length > 5 ? ', …' : ''})`
        : '';
    const summary =
      data.security > 0
        ? `${data.security} security update(s) pending of ${data.total}: ${names}${data.security > 8 ? ', …' : ''}${advisories}${stale}`
        : `no security updates pending (${data.total} other update(s))${stale}`;
    return [
      finding(server.name, 'updates', 'security', data.security > 0 ? 'warning' : 'ok', summary, {
        value: data.security,
      }),
    ];
  },
};
