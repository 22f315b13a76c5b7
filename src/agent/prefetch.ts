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

/** Package log lines (dpkg, dnf) stamped at or after `since`; lines without a full date are dropped. */
export function packageChangesSince(output: string, since: number): string[] {
  return output
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => {
      const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})/.exec(line);
      // package logs are in the server's local time, which for servers is almost always UTC
      return m !== null && Date.parse(`${m[1]}T${m[2]}Z`) >= since;
    });
}

const MAX_PACKAGE_LINES = 15;

/**
 * Per server involved: the package changes since its last run (dpkg/dnf logs, read-only), newest
 * last, at most 15 lines. A server with no earlier run gets none: everything would be "new".
 */
export async function prefetchPackageChanges(input: {
  servers: readonly ServerConfig[];
  shells: ReadonlyMap<string, RemoteShell>;
  lastRun: (server: string) => string | undefined;
  secrets: readonly string[];
  timeoutMs: number;
}): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const server of input.servers) {
    const shell = input.shells.get(server.name);
    const last = input.lastRun(server.name);
    const diagnostic = buildDiagnostics(server).get('package_changes');
    if (!shell || !last || !diagnostic) continue;
    const command = renderDiagnostic(diagnostic, {});
    if (!command.ok) continue;
    try {
      const r = await shell.run(`${command.value}\n`, { timeoutMs: input.timeoutMs });
      const lines = packageChangesSince(redact(r.stdout, input.secrets), Date.parse(last));
      out.set(server.name, lines.slice(-MAX_PACKAGE_LINES));
    } catch {
      // memory is a help, not a requirement: a failed read leaves the server without the line
    }
  }
  return out;
}
