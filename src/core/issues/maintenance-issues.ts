import type { IssueSnapshot } from '../ports/index.js';
import { MAINTENANCE_LABEL } from './issue-labels.js';

/** A maintenance window in the config's shape, so the policy gate treats both alike. */
export interface MaintenanceWindow {
  servers: string[];
  from: string;
  to: string;
  reason?: string;
}

/**
 * Maintenance declared by open issues labelled `maintenance` (Upptime-style): servers named by
 * `server:NAME` labels, or in the body by lines `servers: a, b` / `expectedDown: a, b`, with an
 * optional `start:` / `end:` ISO window (open-ended: while the issue is open). The policy gate
 * suppresses actions on them exactly as for the config's `maintenance:` windows.
 */
export function maintenanceWindows(issues: IssueSnapshot[], now: Date): MaintenanceWindow[] {
  const windows: MaintenanceWindow[] = [];
  for (const issue of issues) {
    if (issue.state !== 'open' || !issue.labels.includes(MAINTENANCE_LABEL)) continue;
    const names = new Set<string>();
    for (const l of issue.labels) if (l.startsWith('server:') && l.length > 7) names.add(l.slice(7));
    for (const m of issue.body.matchAll(/^\s*(?:servers|expectedDown)\s*:\s*(.+)$/gim)) {
      for (const n of (m[1] ?? '').split(/[\s,]+/)) if (n) names.add(n);
    }
    if (names.size === 0) continue;
    // open-ended sides: from a moment ago, to a day ahead (re-read every run while the issue is open)
    const from = timeField(issue.body, 'start') ?? now.getTime() - 1000;
    const to = timeField(issue.body, 'end') ?? now.getTime() + 86_400_000;
    if (from > now.getTime() || to <= now.getTime()) continue;
    windows.push({
      servers: [...names].sort(),
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      reason: `maintenance issue #${issue.number}`,
    });
  }
  return windows;
}

function timeField(body: string, field: string): number | undefined {
  const m = new RegExp(`^\\s*${field}\\s*:\\s*(\\S+)\\s*$`, 'im').exec(body);
  const t = m?.[1] ? Date.parse(m[1]) : Number.NaN;
  return Number.isFinite(t) ? t : undefined;
}
