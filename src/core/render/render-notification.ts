import type { RunRecord } from '../run-record.js';
import { raisedFindings } from '../status.js';

/** Whether this run is worth a chat message under the config's `notify.on` policy. */
export function shouldNotify(record: RunRecord, on: 'changes' | 'always' | 'critical'): boolean {
  if (on === 'always') return true;
  if (on === 'critical') return record.status === 'critical' || record.status === 'error';
  const changed =
    record.findings.some((f) => f.lifecycle === 'new' && f.severity !== 'ok') || record.resolved.length > 0;
  return changed || record.actions.length > 0 || record.errors.length > 0;
}

/** A short plain-text message: chat is for "look now", the state branch for the details. */
export function renderNotification(record: RunRecord, link: string | undefined): string {
  const raised = raisedFindings(record);
  const lines = [
    `ClaudeOps ${record.task}: ${record.status.toUpperCase()} — ${raised.length} finding(s) on ${record.servers.length} server(s)`,
    ...raised
      .slice(0, 8)
      .map(
        (f) =>
          `• ${f.severity === 'critical' ? '🔴' : '🟡'} ${f.server}: ${f.summary}${f.lifecycle === 'new' ? ' (new)' : ''}`,
      ),
    ...(raised.length > 8 ? [`• … and ${raised.length - 8} more`] : []),
    ...record.resolved.slice(0, 5).map((f) => `• ✅ resolved: ${f.fingerprint}`),
    ...record.actions
      .filter((a) => a.decision === 'execute')
      .map(
        (a) =>
          `• 🔧 ${a.action} on ${a.server}: ${a.outcome === 'unverified' ? 'unverified (not proven fixed)' : (a.outcome ?? 'ran')}`,
      ),
    ...record.errors.map((e) => `• ⛔ ${e}`),
  ];
  if (link) lines.push(link);
  return lines.join('\n');
}
