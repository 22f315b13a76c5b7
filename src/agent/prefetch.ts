/**
 * Evidence fetched before the first request, so the model starts with what it would ask for
 * first anyway: for a service finding, the service's status and its last log lines (the same
 * read-only diagnostics the model may call, redacted and bounded). Saves a turn per service.
 */
import type { ServerConfig } from '../config/schema.js';
import type { RemoteShell } from '../core/ports/index.js';
import type { TrackedFinding } from '../core/run-record.js';
import { errorMessage } from '../core/util/error-message.js';
import { redact } from '../core/util/redact.js';
import { boundOutput } from '../remediate/executor.js';
import { buildDiagnostics, renderDiagnostic } from './diagnostics.js';

/** At most this many services are pre-fetched per run, each bounded: the first prompt stays small. */
const MAX_SERVICES = 3;
const STATUS_CHARS = 1_200;
const LOG_CHARS = 1_800;

export interface PrefetchInput {
  targets: readonly TrackedFinding[];
  servers: readonly ServerConfig[];
  shells: ReadonlyMap<string, RemoteShell>;
  secrets: readonly string[];
  timeoutMs: number;
}

/** fingerprint → the pre-fetched text (untrusted: the caller fences it). */
export async function prefetchServiceEvidence(input: PrefetchInput): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const services = input.targets.filter((f) => f.check === 'service').slice(0, MAX_SERVICES);
  for (const f of services) {
    const server = input.servers.find((s) => s.name === f.server);
    const shell = input.shells.get(f.server);
    if (!server || !shell || !server.services.some((s) => s.name === f.target)) continue;
    const diagnostics = buildDiagnostics(server);
    const parts: string[] = [];
    for (const [id, limit] of [
      ['service_status', STATUS_CHARS],
      ['service_logs', LOG_CHARS],
    ] as const) {
      const diagnostic = diagnostics.get(id);
      const command = diagnostic ? renderDiagnostic(diagnostic, { service: f.target }) : undefined;
      if (!command?.ok) continue;
      try {
        const r = await shell.run(`${command.value}\n`, { timeoutMs: input.timeoutMs });
        const text = redact(`${r.stdout}${r.stderr ? `\n${r.stderr}` : ''}`.trim(), input.secrets);
        // logs: the newest lines matter most, so a cut keeps the end
        const bounded =
          id === 'service_logs' && text.length > limit ? `… ${text.slice(-limit)}` : boundOutput(text, limit);
        parts.push(
          `$ ${id} ${f.target} (${r.timedOut ? 'timed out' : `exit ${r.code}`})\n${bounded || '(no output)'}`,
        );
      } catch (e) {
        parts.push(`$ ${id} ${f.target} failed: ${errorMessage(e)}`);
      }
    }
    if (parts.length > 0) out.set(f.fingerprint, parts.join('\n\n'));
  }
  return out;
}
