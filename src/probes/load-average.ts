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

export const loadProbe: Probe<LoadData> = {
  id: 'load',
  applies: () => true,
  script: () =>
    [
      'cat /proc/loadavg 2>/dev/null',
      'nproc 2>/dev/null || getconf _NPROCESSORS_ONLN 2>/dev/null || grep -c ^processor /proc/cpuinfo',
    ].join('\n'),
  parse(output) {
    const [loadLine = '', cpuLine = ''] = linesOf(output);
    const m = /^(\d+(?:\.\d+)?) (\d+(?:\.\d+)?) (\d+(?:\.\d+)?) /.exec(loadLine);
    if (!m) throw new ParseError(`unexpected /proc/loadavg line: ${loadLine.slice(0, 80)}`);
    const cpus = Math.max(1, Number.parseInt(cpuLine, 10) || 1);
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
