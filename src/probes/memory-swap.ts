import { type Finding, finding } from '../core/types.js';
import { linesOf, ParseError } from './output-text.js';
import type { Probe } from './probe.js';
import { severityAbove } from './thresholds.js';

/** Sizes in KiB as /proc/meminfo gives them. */
export interface MemoryData {
  totalKb: number;
  availableKb: number;
  /** percent of memory not available to new work (MemAvailable based, so cache counts as free) */
  usedPercent: number;
  swapTotalKb: number;
  swapFreeKb: number;
  swapUsedPercent: number;
}

function meminfo(output: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of linesOf(output)) {
    const m = /^(\w+(?:\(\w+\))?):\s+(\d+)(?:\s+kB)?$/.exec(line);
    if (m?.[1] && m[2]) values.set(m[1], Number(m[2]));
  }
  return values;
}

const pct = (part: number, whole: number) => (whole > 0 ? Math.round((part * 1000) / whole) / 10 : 0);
const mib = (kb: number) => `${Math.round(kb / 1024)} MiB`;

export const memoryProbe: Probe<MemoryData> = {
  id: 'memory',
  inline: true,
  applies: () => true,
  // Every field parse() reads comes before SwapFree (kernels print meminfo in a fixed order); the
  // ~40 lines after it would cost the server a system call per byte.
  script: () => 'co_cat /proc/meminfo SwapFree: 2>/dev/null',
  parse(output) {
    const v = meminfo(output);
    const total = v.get('MemTotal');
    if (total === undefined || total === 0) throw new ParseError('no MemTotal in /proc/meminfo output');
    // Kernels before 3.14 lack MemAvailable; free + buffers + page cache is the old approximation.
    const available =
      v.get('MemAvailable') ?? (v.get('MemFree') ?? 0) + (v.get('Buffers') ?? 0) + (v.get('Cached') ?? 0);
    const swapTotal = v.get('SwapTotal') ?? 0;
    const swapFree = v.get('SwapFree') ?? 0;
    return {
      totalKb: total,
      availableKb: available,
      usedPercent: pct(total - available, total),
      swapTotalKb: swapTotal,
      swapFreeKb: swapFree,
      swapUsedPercent: pct(swapTotal - swapFree, swapTotal),
    };
  },
  evaluate(data, server, { thresholds }) {
    const out: Finding[] = [
      finding(
        server.name,
        'memory',
        '-',
        severityAbove(data.usedPercent, thresholds.memory),
        `memory ${data.usedPercent}% used (${mib(data.availableKb)} available of ${mib(data.totalKb)})`,
        { value: data.usedPercent },
      ),
    ];
    // No swap configured is a choice, not a problem.
    if (data.swapTotalKb > 0) {
      out.push(
        finding(
          server.name,
          'swap',
          '-',
          severityAbove(data.swapUsedPercent, thresholds.swap),
          `swap ${data.swapUsedPercent}% used (${mib(data.swapTotalKb - data.swapFreeKb)} of ${mib(data.swapTotalKb)})`,
          { value: data.swapUsedPercent },
        ),
      );
    }
    return out;
  },
};
