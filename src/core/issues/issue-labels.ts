/** The labels ClaudeOps puts on its issues; labels people added by hand are kept. */
import type { Severity } from '../types.js';
import { ACK_LABEL } from './acknowledge.js';
import { type IssueGroup, serversOf } from './issue-groups.js';

export const MANAGED_LABEL = 'claudeops';
export const FLEET_LABEL = 'fleet';
export const MAINTENANCE_LABEL = 'maintenance';

/** `acked`: the incident is acknowledged now, so the issue shows `claudeops:ack` (and loses it after). */
export function labelsFor(
  group: IssueGroup,
  severity: Severity,
  configured: string[],
  existing: string[],
  acked = false,
): string[] {
  const ours = (l: string) =>
    l === MANAGED_LABEL ||
    l === FLEET_LABEL ||
    l === ACK_LABEL ||
    l.startsWith('severity:') ||
    l.startsWith('server:') ||
    configured.includes(l);
  const servers = serversOf(group).map((s) => `server:${s}`);
  const wanted = [
    MANAGED_LABEL,
    `severity:${severity}`,
    ...(group.fleet ? [FLEET_LABEL] : []),
    ...servers,
    ...configured,
    ...(acked ? [ACK_LABEL] : []),
  ];
  // labels people added by hand stay
  return [...new Set([...existing.filter((l) => !ours(l)), ...wanted])];
}
