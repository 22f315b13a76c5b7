/**
 * The probes' side of one collector run: each section redacted (redact-section.ts: server text
 * enters the run here) and parsed by its probe, the cursors it keeps, or why a probe has no data.
 * Shared by the collection phase, the post-remediation re-check and boot recovery's readiness,
 * which differ only in how they word a missing or unparsable section. Pure.
 */
import type { ServerConfig } from '../config/schema.js';
import { errorMessage } from '../core/util/error-message.js';
import type { splitSections } from './collector-script.js';
import type { Probe } from './probe.js';
import { redactSection } from './redact-section.js';

export interface ParsedSections {
  probes: Record<string, unknown>;
  probeErrors: Record<string, string>;
  cursors: Record<string, string>;
}

export interface SectionWording {
  /** the error of a probe whose section is missing or cut off */
  incomplete: string;
  /** the error of a probe whose parser threw `message` */
  unparsable(message: string): string;
}

export function parseSections(
  server: ServerConfig,
  probes: readonly Probe[],
  sections: ReturnType<typeof splitSections>,
  wording: SectionWording,
  /** the run's own secrets, redacted with what the detector finds */
  secrets: readonly string[] = [],
): ParsedSections {
  const out: ParsedSections = { probes: {}, probeErrors: {}, cursors: {} };
  for (const probe of probes) {
    const section = sections.get(probe.id);
    if (!section?.complete) {
      out.probeErrors[probe.id] = wording.incomplete;
      continue;
    }
    try {
      const data = probe.parse(redactSection(section.output, secrets), server);
      out.probes[probe.id] = data;
      Object.assign(out.cursors, probe.cursors?.(data) ?? {});
    } catch (error) {
      out.probeErrors[probe.id] = wording.unparsable(errorMessage(error));
    }
  }
  return out;
}
