import { linesOf, ParseError } from './output-text.js';
import type { Probe } from './probe.js';

/** No finding of its own: memory compares bootId across runs to notice reboots. */
export interface UptimeData {
  uptimeSeconds: number;
  /** the kernel's random id for this boot; a new value means the server rebooted */
  bootId?: string;
}

export const uptimeProbe: Probe<UptimeData> = {
  id: 'uptime',
  inline: true,
  applies: () => true,
  script: () => 'co_cat /proc/uptime 2>/dev/null\nco_cat /proc/sys/kernel/random/boot_id 2>/dev/null',
  parse(output) {
    const [uptimeLine = '', bootLine = ''] = linesOf(output);
    const m = /^(\d+(?:\.\d+)?)\s/.exec(uptimeLine);
    if (!m) throw new ParseError(`unexpected /proc/uptime line: ${uptimeLine.slice(0, 80)}`);
    const bootId = /^[0-9a-f-]{36}$/.test(bootLine.trim()) ? bootLine.trim() : undefined;
    return { uptimeSeconds: Number(m[1]), ...(bootId ? { bootId } : {}) };
  },
  evaluate: () => [],
};
