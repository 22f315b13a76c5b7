import { type Finding, finding } from '../core/types.js';
import { linesOf, ParseError } from './output-text.js';
import type { Probe } from './probe.js';
import { severityAbove } from './thresholds.js';

export interface MountUsage {
  mount: string;
  filesystem: string;
  /** 1024-byte blocks for space; inode counts for inodes */
  total: number;
  used: number;
  available: number;
  usedPercent: number;
}

export interface DiskData {
  /** `df` missing: nothing measured */
  missing?: boolean;
  space: MountUsage[];
  inodes: MountUsage[];
}

/** Sources of pseudo or image filesystems whose fullness means nothing (unless mounted at /). */
const PSEUDO_SOURCES = new Set(['tmpfs', 'devtmpfs', 'udev', 'overlay', 'shm', 'none', 'proc', 'sysfs']);
const PSEUDO_MOUNTS = /^\/(proc|sys|dev|run|snap)(\/|$)/;

function isPseudo(source: string, mount: string): boolean {
  if (mount === '/') return false;
  // Snap packages (under /snap) are read-only squashfs images, always 100% "full".
  return PSEUDO_SOURCES.has(source) || PSEUDO_MOUNTS.test(mount);
}

/** `disks.exclude`: an exact mount, or `/prefix/*` for every mount below the prefix. */
function excluded(mount: string, patterns: readonly string[]): boolean {
  return patterns.some((p) => (p.endsWith('/*') ? mount.startsWith(p.slice(0, -1)) : mount === p));
}

/** One `df -P` row; the mount point may contain spaces, so it is the rest of the line. */
const DF_ROW = /^(\S+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+%|-)\s+(\/.*)$/;
/**
 * One row of `df -k --output=source,size,used,avail,pcent,itotal,iused,iavail,ipcent,target`: the
 * space and the inode columns of a mount at once. A filesystem without inode counts prints `-`.
 */
const DF_BOTH_ROW =
  /^(\S+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+%|-)\s+(\d+|-)\s+(\d+|-)\s+(\d+|-)\s+(\d+%|-)\s+(\/.*)$/;

/** A mount's usage from df's columns, or nothing for pseudo filesystems and empty counts. */
function usage(
  filesystem: string,
  total: string,
  used: string,
  available: string,
  capacity: string,
  mount: string,
): MountUsage | undefined {
  if (isPseudo(filesystem, mount) || !/^\d+$/.test(total) || Number(total) === 0) return undefined;
  const usedN = Number(used);
  const availN = Number(available);
  // df rounds up; recompute only when it printed '-'.
  const usedPercent =
    capacity === '-' ? Math.ceil((usedN * 100) / Math.max(1, usedN + availN)) : Number.parseInt(capacity, 10);
  return { mount, filesystem, total: Number(total), used: usedN, available: availN, usedPercent };
}

function parseDf(lines: readonly string[]): MountUsage[] {
  return lines.flatMap((line) => {
    const [, filesystem = '', total = '', used = '', available = '', capacity = '-', mount = ''] =
      DF_ROW.exec(line) ?? [];
    return usage(filesystem, total, used, available, capacity, mount) ?? [];
  });
}

/** `@both` rows: one df call answered both questions. */
function parseDfBoth(lines: readonly string[]): Pick<DiskData, 'space' | 'inodes'> {
  const space: MountUsage[] = [];
  const inodes: MountUsage[] = [];
  for (const line of lines) {
    const m = DF_BOTH_ROW.exec(line);
    if (!m) continue;
    const [
      ,
      fs = '',
      size = '',
      used = '',
      avail = '',
      pcent = '-',
      itotal = '',
      iused = '',
      iavail = '',
      ipcent = '-',
      mount = '',
    ] = m;
    const blocks = usage(fs, size, used, avail, pcent, mount);
    if (blocks) space.push(blocks);
    const counts = usage(fs, itotal, iused, iavail, ipcent, mount);
    if (counts) inodes.push(counts);
  }
  return { space, inodes };
}

function humanKb(kb: number): string {
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = kb;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value >= 10 || unit === 0 ? Math.round(value) : value.toFixed(1)} ${units[unit]}`;
}

export const diskProbe: Probe<DiskData> = {
  id: 'disk',
  inline: true,
  applies: () => true,
  // One df for space and inodes (GNU df's --output); df without it (busybox, BSD) is asked twice.
  // df may exit non-zero and still print every mount it could read, so its header decides.
  script: () =>
    [
      'if co_have df; then',
      '  o=$(df -k --output=source,size,used,avail,pcent,itotal,iused,iavail,ipcent,target 2>/dev/null)',
      "  case $o in Filesystem*) echo '@both'; printf '%s\\n' \"$o\" ;;",
      "  *) echo '@space'; df -P -k 2>/dev/null; echo '@inodes'; df -P -i 2>/dev/null ;; esac",
      "else echo '@missing df'; fi",
    ].join('\n'),
  parse(output, server) {
    const lines = linesOf(output);
    if (lines.includes('@missing df')) return { missing: true, space: [], inodes: [] };
    const wanted = (m: MountUsage) => !excluded(m.mount, server.disks?.exclude ?? []);
    if (lines[0] === '@both') {
      const both = parseDfBoth(lines.slice(1));
      return { space: both.space.filter(wanted), inodes: both.inodes.filter(wanted) };
    }
    const split = lines.indexOf('@inodes');
    if (lines[0] !== '@space' || split < 0)
      throw new ParseError('df output without its @both or @space/@inodes parts');
    return {
      space: parseDf(lines.slice(1, split)).filter(wanted),
      inodes: parseDf(lines.slice(split + 1)).filter(wanted),
    };
  },
  evaluate(data, server, { thresholds }) {
    if (data.missing)
      return [finding(server.name, 'disk', '-', 'warning', 'cannot check disks: df not installed')];
    const out: Finding[] = [];
    for (const m of data.space) {
      const severity = severityAbove(m.usedPercent, thresholds.disk);
      const summary = `${m.mount} is ${m.usedPercent}% full (${humanKb(m.available)} free of ${humanKb(m.total)})`;
      out.push(finding(server.name, 'disk', m.mount, severity, summary, { value: m.usedPercent }));
    }
    for (const m of data.inodes) {
      const severity = severityAbove(m.usedPercent, thresholds.inodes);
      const summary = `${m.mount} has used ${m.usedPercent}% of its inodes (${m.available} free)`;
      out.push(finding(server.name, 'inodes', m.mount, severity, summary, { value: m.usedPercent }));
    }
    return out;
  },
};
