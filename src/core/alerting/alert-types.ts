/**
 * What a run tells about its incidents beyond what changed (docs/alerting.md): the data the alert
 * plan (alert-plan.ts) produces and the run record carries to the notifiers.
 */
import type { Channel } from '../../config/schema.js';
import type { PageEvent } from '../ports/index.js';

/** A repeat or an escalation: the incident as told again, with how long and what was tried. */
export interface FollowUp {
  key: string;
  server: string;
  summary: string;
  severity: 'critical' | 'warning';
  /** fingerprints of the dependants, as told under it */
  dependants: string[];
  openForMs: number;
  since: string;
  /** what automatic actions did about it so far */
  tried: string[];
  /** n-th repeat (escalations: absent) */
  repeat?: number;
  /** why it is told although it was acknowledged earlier */
  note?: string;
  /** the escalation channels were told earlier: they hear the repeats too */
  escalated?: boolean;
}

export interface AlertRun {
  /** incidents told before whose severity changed this run ("now critical") */
  changed: FollowUp[];
  repeats: FollowUp[];
  escalations: FollowUp[];
  /** chat channels escalations go to (the normal message skips them) */
  escalationChannels: Channel[];
  pages: PageEvent[];
}
