/**
 * Runbooks (pure): `<runbooks dir>/<name>.md` in the repository, the team's own notes on how a
 * service or a check fails and what to look at. Matched to the findings Claude is asked about by
 * service, check or server, and given to the model in the cached system block. Bounded and
 * redacted; they inform the model, they never widen what the gate allows.
 */
import { parse } from 'yaml';
import type { ServerConfig } from '../config/schema.js';
import type { TrackedFinding } from '../core/run-record.js';
import { redact } from '../core/util/redact.js';

export interface Runbook {
  name: string;
  services: string[];
  checks: string[];
  /** server names, or `tag:<tag>` */
  servers: string[];
  body: string;
}

export const RUNBOOK_MAX_CHARS = 6_000;
export const RUNBOOKS_MAX_CHARS = 12_000;

const list = (v: unknown): string[] | undefined =>
  v === undefined
    ? undefined
    : Array.isArray(v) && v.every((x) => typeof x === 'string' || typeof x === 'number')
      ? v.map(String)
      : typeof v === 'string'
        ? [v]
        : undefined;

/**
 * Reads one runbook. Front matter `services`, `checks`, `servers` (lists) say what it is for;
 * without front matter the file name is matched against services, checks and servers alike.
 */
export function parseRunbook(name: string, text: string): Runbook | { error: string } {
  const match = /^---\n([\s\S]*?)\n---\n?/.exec(text);
  if (!match) return { name, services: [name], checks: [name], servers: [name], body: text.trim() };
  let meta: unknown;
  try {
    meta = parse(match[1] ?? '');
  } catch (e) {
    return { error: `runbook ${name}: front matter is not YAML (${String(e).slice(0, 120)})` };
  }
  const m = (typeof meta === 'object' && meta !== null ? meta : {}) as Record<string, unknown>;
  const unknown = Object.keys(m).filter((k) => !['services', 'checks', 'servers', 'title'].includes(k));
  if (unknown.length > 0)
    return {
      error: `runbook ${name}: unknown front matter key(s) ${unknown.join(', ')}; expected services, checks, servers`,
    };
  const services = list(m.services);
  const checks = list(m.checks);
  const servers = list(m.servers);
  if (
    [services, checks, servers].some(
      (v, i) => v === undefined && [m.services, m.checks, m.servers][i] !== undefined,
    )
  )
    return { error: `runbook ${name}: services, checks and servers must be lists of names` };
  if (!services && !checks && !servers)
    return { error: `runbook ${name}: front matter names no services, checks or servers to match` };
  return {
    name,
    services: services ?? [],
    checks: checks ?? [],
    servers: servers ?? [],
    body: text.slice(match[0].length).trim(),
  };
}

/** The service a finding is about: its target for service checks, the service on that port for port checks. */
function serviceOf(f: TrackedFinding, server: ServerConfig | undefined): string | undefined {
  if (f.check === 'service' || f.check === 'restarts' || f.check === 'container') return f.target;
  if (f.check === 'port')
    return server?.services.find((s) => s.port !== undefined && String(s.port) === f.target)?.name;
  return undefined;
}

function matches(book: Runbook, f: TrackedFinding, server: ServerConfig | undefined): boolean {
  const service = serviceOf(f, server);
  const onServer = (s: string) =>
    s === f.server || (s.startsWith('tag:') && (server?.tags ?? []).includes(s.slice(4)));
  const bare = book.services.length === 1 && book.checks[0] === book.name && book.servers[0] === book.name;
  if (bare) return service === book.name || f.check === book.name || f.server === book.name;
  // every kind of selector the runbook gives must match: `services: [nginx], servers: [web1]` is nginx on web1
  return (
    (book.services.length === 0 || (service !== undefined && book.services.includes(service))) &&
    (book.checks.length === 0 || book.checks.includes(f.check)) &&
    (book.servers.length === 0 || book.servers.some(onServer))
  );
}

/** The runbooks that match at least one of the findings, in name order (stable for the cache). */
export function matchRunbooks(
  runbooks: readonly Runbook[],
  findings: readonly TrackedFinding[],
  servers: readonly ServerConfig[],
): Runbook[] {
  return runbooks
    .filter((book) =>
      findings.some((f) =>
        matches(
          book,
          f,
          servers.find((s) => s.name === f.server),
        ),
      ),
    )
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** The system-prompt block: each runbook bounded, all of them bounded, secrets redacted. */
export function runbooksBlock(books: readonly Runbook[], secrets: readonly string[]): string {
  if (books.length === 0) return '';
  const parts: string[] = [];
  let used = 0;
  for (const book of books) {
    const body =
      book.body.length > RUNBOOK_MAX_CHARS
        ? `${book.body.slice(0, RUNBOOK_MAX_CHARS)}\n[runbook cut here]`
        : book.body;
    const part = `### Runbook: ${book.name}\n\n${body}`;
    if (used + part.length > RUNBOOKS_MAX_CHARS) {
      parts.push(
        `[${books.length - parts.length} more matching runbook(s) left out to stay within the budget]`,
      );
      break;
    }
    parts.push(part);
    used += part.length;
  }
  const intro =
    "## The team's runbooks for these findings\n\nWritten by the people who run these servers: how these services fail and what to check. Use them for diagnosis; they do not change what the catalog and the policy allow.";
  return redact(`${intro}\n\n${parts.join('\n\n')}`, secrets);
}
