/**
 * Incident titles written by code (pure), for pages the public reads: "nginx on web1 is down",
 * "Disk space on db1 was low". Built from the check kind (a fixed list) and names the operator
 * configured — the server, a service, database or custom check name, an endpoint URL the page
 * already lists — never from a finding's summary, a path or a fingerprint. Anything unexpected
 * (an unknown check, a name that is not a plain name) falls back to a generic phrase.
 */

export interface TitleFacts {
  check: string;
  target: string;
  servers: readonly string[];
  severity: 'critical' | 'warning';
  open: boolean;
}

export interface TitleContext {
  /** the servers the page shows: other names in an issue file are not repeated */
  servers: ReadonlySet<string>;
  /** per server, the endpoint URLs it checks (as in findings) → as the page shows them */
  endpoints: ReadonlyMap<string, ReadonlyMap<string, string>>;
}

/** subject, then the predicate for critical and for warning; `plural` picks are/were */
interface Phrase {
  subject: string;
  critical: string;
  warning: string;
  plural?: boolean;
  /** an event, told without a tense ("web1 rebooted") */
  event?: boolean;
}

/** A name as configured (service, database, check): plain characters only, bounded. */
const plainName = (s: string) => (/^[A-Za-z0-9][A-Za-z0-9@._+-]{0,63}$/.test(s) ? s : undefined);

/** Checks of one thing on a server that the title need not name: "<what> on <server> is …". */
const ON_SERVER = new Map<string, Omit<Phrase, 'subject'> & { what: string }>([
  ['disk', { what: 'Disk space', critical: 'critically low', warning: 'low' }],
  ['inodes', { what: 'Inode space', critical: 'critically low', warning: 'low' }],
  ['memory', { what: 'Memory', critical: 'exhausted', warning: 'under pressure' }],
  ['swap', { what: 'Swap', critical: 'exhausted', warning: 'under pressure' }],
  ['load', { what: 'Load', critical: 'very high', warning: 'high' }],
  ['certificate', { what: 'A TLS certificate', critical: 'expired or unreadable', warning: 'expiring soon' }],
  ['heartbeat', { what: 'A heartbeat', critical: 'missing or late', warning: 'late' }],
  ['log', { what: 'Logs', critical: 'reporting errors', warning: 'reporting errors', plural: true }],
  ['updates', { what: 'Security updates', critical: 'pending', warning: 'pending', plural: true }],
  ['port', { what: 'An expected port', critical: 'not open', warning: 'not open' }],
]);

function phrase(check: string, name: string | undefined, url: string | undefined, on: string): Phrase {
  const fixed = ON_SERVER.get(check);
  if (fixed) {
    const { what, ...words } = fixed;
    return { subject: `${what} on ${on}`, ...words };
  }
  switch (check) {
    case 'unreachable':
      return { subject: on, critical: 'unreachable', warning: 'unreachable' };
    case 'service':
    case 'image':
      return { subject: `${name ?? 'A service'} on ${on}`, critical: 'down', warning: 'degraded' };
    case 'restarts':
      return { subject: `${name ?? 'A service'} on ${on}`, critical: 'restarting', warning: 'restarting' };
    case 'process':
      return {
        subject: `${name ? `Process ${name}` : 'A process'} on ${on}`,
        critical: 'not running',
        warning: 'degraded',
      };
    case 'database':
      return { subject: `${name ?? 'A database'} on ${on}`, critical: 'down', warning: 'degraded' };
    case 'endpoint':
      return { subject: `${url ?? 'An endpoint'} on ${on}`, critical: 'failing', warning: 'slow' };
    case 'check':
      return {
        subject: `${name ? `Check ${name}` : 'A check'} on ${on}`,
        critical: 'failing',
        warning: 'warning',
      };
    case 'probe-error':
      return { subject: `Monitoring of ${on}`, critical: 'incomplete', warning: 'incomplete' };
    case 'reboot':
      return { subject: on, critical: 'rebooted', warning: 'rebooted', event: true };
    case 'missed-runs':
      return { subject: 'Scheduled checks', critical: 'late', warning: 'late', plural: true };
    default:
      return { subject: `A check on ${on}`, critical: 'failing', warning: 'failing' };
  }
}

/** "nginx on web1 is down" / "nginx on web1 was down". */
export function incidentTitle(facts: TitleFacts, context: TitleContext): string {
  const known = facts.servers.filter((s) => context.servers.has(s));
  const on =
    known.length === 0 ? 'a server' : known.length <= 3 ? known.join(', ') : `${known.length} servers`;
  const name = plainName(facts.target);
  const url = known.map((s) => context.endpoints.get(s)?.get(facts.target)).find((u) => u !== undefined);
  const p = phrase(facts.check, name, url, on);
  const predicate = facts.severity === 'critical' ? p.critical : p.warning;
  const verb = p.event ? '' : `${facts.open ? (p.plural ? 'are' : 'is') : p.plural ? 'were' : 'was'} `;
  return `${p.subject} ${verb}${predicate}`;
}
