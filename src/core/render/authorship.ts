/**
 * Who wrote a piece of text, said next to it (pure). A reader must tell at a glance what code
 * decided (the policy gate, the rule-based planner, boot recovery) from what a model wrote, which
 * nothing verified: one set of labels for the action logs, issues, approval PRs and the reports.
 */
import type { ActionRecord } from '../run-record.js';

/** Above the reason an action was asked for, by who asked. */
export function askedLabel(requestedBy: ActionRecord['requestedBy']): string {
  switch (requestedBy) {
    case 'claude':
      return '_Why it was asked (model text, not verified by code):_';
    case 'rules':
      return '_Why it was asked (the rule-based planner, code):_';
    case 'recover':
      return '_Why it was asked (boot recovery, code):_';
    case 'approval':
      return '_Why it was asked (the approved plan):_';
  }
}

/** Above a diagnosis, by which tier wrote it. */
export function diagnosisLabel(by: 'claude' | 'rules' | undefined): string {
  return by === 'rules'
    ? '_Written by the rule-based planner (code):_'
    : '_Written by the model, not verified by code:_';
}

/** Before the policy gate's own reason: code decided this. */
export const GATE_LABEL = 'Decided by the policy gate (code)';
