import type { Thresholds } from '../config/schema.js';
import type { Severity } from '../core/types.js';
import type { EvalContext } from './probe.js';

/** Built-in thresholds, used where neither the server nor `defaults.thresholds` says otherwise. */
export const DEFAULT_THRESHOLDS: EvalContext['thresholds'] & {
  certificate_days: { warn: number; crit: number };
  latency: { warn: number; crit: number };
} = {
  disk: { warn: 80, crit: 90 },
  inodes: { warn: 80, crit: 90 },
  memory: { warn: 85, crit: 95 },
  swap: { warn: 50, crit: 80 },
  load: { warn: 2, crit: 4 },
  certificate_days: { warn: 14, crit: 7 },
  latency: { warn: 2000, crit: 5000 },
};

/** Merges per key: server thresholds over fleet defaults over built-ins. */
export function resolveThresholds(fleet?: Thresholds, server?: Thresholds): typeof DEFAULT_THRESHOLDS {
  return { ...DEFAULT_THRESHOLDS, ...stripUndefined(fleet), ...stripUndefined(server) };
}

function stripUndefined(t: Thresholds | undefined): Partial<typeof DEFAULT_THRESHOLDS> {
  return Object.fromEntries(Object.entries(t ?? {}).filter(([, v]) => v !== undefined));
}

/** Higher is worse: at or above crit is critical, at or above warn a warning. */
export function severityAbove(value: number, level: { warn: number; crit: number }): Severity {
  if (value >= level.crit) return 'critical';
  if (value >= level.warn) return 'warning';
  return 'ok';
}

/** Lower is worse (days left on a certificate): at or below crit is critical. */
export function severityBelow(value: number, level: { warn: number; crit: number }): Severity {
  if (value <= level.crit) return 'critical';
  if (value <= level.warn) return 'warning';
  return 'ok';
}
