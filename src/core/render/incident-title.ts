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

function phrase(check: string, name: string | undefined, url: string | undefined, on: string): Phrase {
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
    case 'disk':
      return { subject: `Disk space on ${on}`, critical: 'critically low', warning: 'low' };
    case 'inodes':
      return { subject: `Inode space on ${on}`, critical: 'critically low', warning: 'low' };
    case 'memory':
      return { subject: `Memory on ${on}`, critical: 'exhausted', warning: 'under pressure' };
    case 'swap':
      return { subject: `Swap on ${on}`, critical: 'exhausted', warning: 'under pressure' };
    case 'load':
      return { subject: `Load on ${on}`, critical: 'very high', warning: 'high' };
    case 'certificate':
      return {
        subject: `A TLS certificate on ${on}`,
        critical: 'expired or unreadable',
        warning: 'expiring soon',
      };
    case 'heartbeat':
      return { subject: `A heartbeat on ${on}`, critical: 'missing or late', warning: 'late' };
    case 'log':
      return {
        subject: `Logs on ${on}`,
        critical: 'reporting errors',
        warning: 'reporting errors',
        plural: true,
      };
    case 'updates':
      return { subject: `Security updates on ${on}`, critical: 'pending', warning: 'pending', plural: true };
    case 'port':
      return { subject: `An expected port on ${on}`, critical: 'not open', warning: 'not open' };
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
