import type { Diagnosis, RunRecord } from '../run-record.js';
import { table } from './markdown.js';
import { mdInline } from './untrusted-text.js';

/**
 * The diagnoses of a run as one table: the health report and the job summary show the same one.
 * Findings with the same diagnosis share a row, and advice that is the same for every row is said
 * once under the table ("a human should investigate" seven times is noise, not emphasis).
 */
export function diagnosisTable(record: RunRecord): string {
  const groups = new Map<string, { d: Diagnosis; findings: string[] }>();
  for (const d of record.diagnoses) {
    const key = JSON.stringify([d.rootCause, d.confidence, d.nextStep, d.by ?? '']);
    const group = groups.get(key);
    if (group) group.findings.push(d.fingerprint);
    else groups.set(key, { d, findings: [d.fingerprint] });
  }
  const rows = [...groups.values()];
  const steps = new Set(rows.map((g) => g.d.nextStep));
  const sameStep = rows.length > 1 && steps.size === 1;
  const head = ['finding', 'root cause', 'confidence', ...(sameStep ? [] : ['next step']), 'decided by'];
  const body = rows.map(({ d, findings }) => [
    findings.join(', '),
    d.rootCause,
    d.confidence,
    ...(sameStep ? [] : [d.nextStep]),
    d.by ?? '—',
  ]);
  const tableText = table(head, body);
  if (!sameStep) return tableText;
  return `${tableText}\n\nNext step, the same for every finding above: ${mdInline(rows[0]?.d.nextStep ?? '')}`;
}
