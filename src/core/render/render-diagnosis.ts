import type { RunRecord } from '../run-record.js';
import { table } from './markdown.js';

/** The diagnoses of a run as one table: the health report and the job summary show the same one. */
export function diagnosisTable(record: RunRecord): string {
  const rows = record.diagnoses.map((d) => [
    d.fingerprint,
    d.rootCause,
    d.confidence,
    d.nextStep,
    d.by ?? '—',
  ]);
  return table(['finding', 'root cause', 'confidence', 'next step', 'decided by'], rows);
}
