import { readFileSync } from 'node:fs';
import { type ServerConfig, serverSchema } from '../../../src/config/schema.js';
import type { EvalContext } from '../../../src/probes/probe.js';
import { resolveThresholds } from '../../../src/probes/thresholds.js';

/** A captured fixture (see test/fixtures/README.md for the command that produced it). */
export function fixture(path: string): string {
  return readFileSync(new URL(`../../fixtures/${path}`, import.meta.url), 'utf8');
}

/** A server config as the schema would produce it from YAML. */
export function server(partial: Record<string, unknown> = {}): ServerConfig {
  return serverSchema.parse({ name: 'web1', ...partial });
}

export function context(now = new Date('2026-11-21T08:00:00Z')): EvalContext {
  return { thresholds: resolveThresholds(), now };
}
