import { finding } from '../core/types.js';
import { linesOf, ParseError } from './output-text.js';
import type { Probe } from './probe.js';
import { severityAbove } from './thresholds.js';

export interface LoadData {
  load1: number;
  load5: number;
  load15: number;
  cpus: number;
  /** 5-minute load divided by CPUs: what the thresholds compare */
  perCpu: number;
}

/**
 * CPUs from `online=<the kernel's CPU list>` (/sys/devices/system/cpu/online, e.g. `0-3,6`) or
 * from the bare count nproc prints where that file is missing.
 */
export function cpuCount(line: string): number {
  const list = /^online=([\d,-]+)$/.exec(line.trim())?.[1];
  if (list === undefined) return Math.max(1, Number.parseInt(line, 10) || 1);
  let count = 0;
  for (const range of list.split(',')) {
    const [from = '', to = from] = range.split('-');
    const span = Number(to) - Number(from) + 1;
    if (Number.isInteger(span) && span > 0) count += span;
  }
  return Math.max(1, count);
}

export const loadProbe: Probe<LoadData> = {
  id: 'load',
  inline: true,
  applies: () => true,
  // The online CPUs from /sys with the shell's own read; nproc (a process) only where it is missing.
  script: () =>
    [
      'co_cat /proc/loadavg 2>/dev/null',
      "if [ -r /sys/devices/system/cpu/online ]; then printf 'online='; co_cat /sys/devices/system/cpu/online",
      'else nproc 2>/dev/null || getconf _NPROCESSORS_ONLN 2>/dev/null || grep -c ^processor /proc/cpuinfo; fi',
    ].join('\n'),
  parse(output) {
    const [loadLine = '', cpuLine = ''] = linesOf(output);
    const m = /^(\d+(?:\.\d+)?) (\d+(?:\.\d+)?) (\d+(?:\.\d+)?) /.exec(loadLine);
    if (!m) throw new ParseError(`unexpected /proc/loadavg line: ${loadLine.slice(0, 80)}`);
    const cpus = cpuCount(cpuLine);
    const load5 = Number(m[2]);
    return {
      load1: Number(m[1]),
      load5,
      load15: Number(m[3]),
      cpus,
      perCpu: Math.round((load5 / cpus) * 100) / 100,
    };
  },
  // The 5-minute average: the 1-minute one spikes on every cron job and would flap.
  evaluate: (data, server, { thresholds }) => [
    finding(
      server.name,
      'load',
      '-',
      severityAbove(data.perCpu, thresholds.load),
      `load ${data.load1}/${data.load5}/${data.load15} on ${data.cpus} CPU(s), ${data.perCpu} per CPU (5 min)`,
      { value: data.perCpu },
    ),
  ],
};
