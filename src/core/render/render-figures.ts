/**
 * Per-server figures as table cells and a details block, shared by the health report and the job
 * summary so both say the same thing the same way. Each figure carries its thresholds as
 * `(warn/crit)`; mount names and URLs are escaped by `table` like every other untrusted cell.
 */

import type { Level, ServerFigures, ServerReport } from '../types.js';
import { formatDuration } from '../util/duration.js';
import { table } from './markdown.js';

export const FIGURE_HEADERS = ['disk (worst)', 'inodes', 'memory', 'swap', 'load/CPU', 'uptime', 'latency'];

export const FIGURE_LEGEND = 'Figures show their thresholds as (warn/crit).';

const limits = (l: Level) => `(${l.warn}/${l.crit})`;
const pct = (value: number | undefined, l: Level) => (value === undefined ? '—' : `${value}% ${limits(l)}`);

export function figureCells(f: ServerFigures | undefined): string[] {
  if (!f) return FIGURE_HEADERS.map(() => '—');
  const t = f.thresholds;
  const worstDisk = f.disks[0];
  const worstInodes = f.inodes[0];
  return [
    worstDisk ? `${worstDisk.usedPercent}% ${worstDisk.mount} ${limits(t.disk)}` : '—',
    worstInodes ? `${worstInodes.usedPercent}% ${worstInodes.mount} ${limits(t.inodes)}` : '—',
    pct(f.memoryPercent, t.memory),
    f.swapPercent === undefined ? (f.memoryPercent === undefined ? '—' : 'none') : pct(f.swapPercent, t.swap),
    f.loadPerCpu === undefined ? '—' : `${f.loadPerCpu} on ${f.cpus ?? '?'} CPU ${limits(t.load)}`,
    f.uptimeSeconds === undefined ? '—' : formatDuration(f.uptimeSeconds * 1000),
    latencyCell(f),
  ];
}

function latencyCell(f: ServerFigures): string {
  if (f.endpoints.length === 0) return '—';
  const down = f.endpoints.filter((e) => !e.up).length;
  const times = f.endpoints.flatMap((e) => (e.latencyMs === undefined ? [] : [e.latencyMs]));
  const worst = times.length ? `${f.endpoints.length > 1 ? 'max ' : ''}${Math.max(...times)} ms ` : '';
  const downText = down ? `${down} of ${f.endpoints.length} down · ` : '';
  return `${downText}${worst}${limits(f.thresholds.latency)}`.trim();
}

/** Every mount and endpoint of every server, folded away: the table shows only the worst. */
export function figureDetails(reports: readonly ServerReport[]): string {
  const rows: (string | number)[][] = [];
  for (const { server, figures: f } of reports) {
    if (!f) continue;
    const t = f.thresholds;
    for (const d of f.disks)
      rows.push([server.name, 'disk', d.mount, `${d.usedPercent}%`, t.disk.warn, t.disk.crit]);
    for (const d of f.inodes)
      rows.push([server.name, 'inodes', d.mount, `${d.usedPercent}%`, t.inodes.warn, t.inodes.crit]);
    for (const e of f.endpoints) {
      const value = `${e.up ? 'up' : 'down'} ${e.status ?? 'no answer'}${e.latencyMs === undefined ? '' : ` ${e.latencyMs} ms`}`;
      rows.push([server.name, 'endpoint', e.url, value, `${t.latency.warn} ms`, `${t.latency.crit} ms`]);
    }
  }
  if (rows.length === 0) return '';
  return [
    '<details><summary>Every mount and endpoint</summary>',
    '',
    table(['server', 'kind', 'target', 'value', 'warn', 'crit'], rows),
    '',
    '</details>',
  ].join('\n');
}
