/**
 * One incident per root cause (pure, docs/alerting.md#one-incident-per-root-cause). The config says
 * what needs what: a service's and an endpoint's `depends_on` (`SERVICE` on the same server, or
 * `SERVER:SERVICE`), and `boot.order` (a plain entry needs every earlier one; `{ service, after }`
 * needs what `after` names). A finding on something whose dependency is failing too is not a
 * problem of its own: it is folded, as a dependant, into the incident of the deepest failing
 * dependency — one issue, one notification, one paging alert, and remediation aims at the root.
 *
 * Findings sit on nodes: `server:service` for a service (and its port, and a database probe of the
 * same kind), `server:endpoint:URL` for an endpoint. Findings on no node (disk, memory, logs …)
 * are incidents of their own.
 */
import type { ServerConfig } from '../../config/schema.js';
import type { Finding, Severity } from '../types.js';

export interface Incident<F extends Finding = Finding> {
  /** the root finding's fingerprint: the issue key, dedup_key, alias and alert-state key */
  key: string;
  root: F;
  /** findings caused by the root: on things that need it, or other checks of the same service */
  dependants: F[];
  /** the worst severity of the root and its dependants */
  severity: Exclude<Severity, 'ok'>;
}

export interface DependencyGraph {
  /** the node a finding is about, or undefined when it is about nothing the graph knows */
  nodeOf(f: Pick<Finding, 'server' | 'check' | 'target'>): string | undefined;
  /** what a node needs, directly */
  needs(node: string): readonly string[];
}

const serviceNode = (server: string, service: string) => `${server}:${service}`;
const endpointNode = (server: string, url: string) => `${server}:endpoint:${url}`;

/** `SERVER:SERVICE` → that node; a bare `SERVICE` is on `server`. */
function referenced(server: string, entry: string): string {
  const colon = entry.indexOf(':');
  return colon > 0 ? serviceNode(entry.slice(0, colon), entry.slice(colon + 1)) : serviceNode(server, entry);
}

/** Database probe kinds and the service names that usually run them. */
const DATABASE_SERVICE: Record<string, RegExp> = {
  postgres: /postgres/i,
  mysql: /mysql|mariadb/i,
  redis: /redis/i,
};

/**
 * The dependency graph of the fleet as configured. `clean` is what the run does to a finding's
 * target (redaction): endpoint URLs are keyed the way their findings name them.
 */
export function dependencyGraph(
  servers: readonly ServerConfig[],
  clean: (text: string) => string = (t) => t,
): DependencyGraph {
  const edges = new Map<string, Set<string>>();
  const add = (node: string, needs: string) => {
    if (needs === node) return;
    edges.set(node, (edges.get(node) ?? new Set()).add(needs));
  };
  const byName = new Map(servers.map((s) => [s.name, s]));
  for (const server of servers) {
    for (const service of server.services) {
      for (const d of service.depends_on)
        add(serviceNode(server.name, service.name), referenced(server.name, d));
    }
    for (const endpoint of server.endpoints) {
      const node = endpointNode(server.name, clean(endpoint.url));
      for (const d of endpoint.depends_on) add(node, referenced(server.name, d));
    }
    const order = server.boot?.order ?? [];
    order.forEach((entry, i) => {
      const node = serviceNode(server.name, entry.service);
      const needs = entry.after ?? order.slice(0, i).map((e) => e.service);
      for (const d of needs) add(node, serviceNode(server.name, d));
    });
  }
  return {
    nodeOf(f) {
      const server = byName.get(f.server);
      if (f.check === 'service') return serviceNode(f.server, f.target);
      if (f.check === 'endpoint') return endpointNode(f.server, f.target);
      if (!server) return undefined;
      if (f.check === 'port') {
        const service = server.services.find((s) => s.port !== undefined && String(s.port) === f.target);
        return service ? serviceNode(f.server, service.name) : undefined;
      }
      if (f.check === 'database') {
        const pattern = DATABASE_SERVICE[f.target.split(/[@/]/)[0] ?? ''];
        const service = pattern ? server.services.find((s) => pattern.test(s.name)) : undefined;
        return service ? serviceNode(f.server, service.name) : undefined;
      }
      return undefined;
    },
    needs: (node) => [...(edges.get(node) ?? [])].sort(),
  };
}

/** Which finding stands for a node when several checks fail on it: the service's own first. */
const PRIMARY: Record<string, number> = { service: 0, port: 1, database: 2, endpoint: 3 };

function primaryOf<F extends Finding>(findings: readonly F[]): F {
  return [...findings].sort(
    (a, b) => (PRIMARY[a.check] ?? 9) - (PRIMARY[b.check] ?? 9) || a.fingerprint.localeCompare(b.fingerprint),
  )[0] as F;
}

const RANK: Record<Severity, number> = { ok: 0, warning: 1, critical: 2 };

/**
 * Groups non-ok findings into incidents. Each failing node's root is, among the failing nodes it
 * reaches through `needs` (itself included), the one that reaches the fewest failing nodes (name
 * breaks ties): in an acyclic graph the deepest failing dependency; in a cycle (a config mistake)
 * one member chosen the same way from every side. Deterministic: same input, same incidents.
 */
export function groupIncidents<F extends Finding>(
  findings: readonly F[],
  graph: DependencyGraph,
): Incident<F>[] {
  const bad = findings.filter((f) => f.severity !== 'ok');
  const onNode = new Map<string, F[]>();
  const alone: F[] = [];
  for (const f of bad) {
    const node = graph.nodeOf(f);
    if (node) onNode.set(node, [...(onNode.get(node) ?? []), f]);
    else alone.push(f);
  }
  const reach = new Map<string, Set<string>>();
  const failingReached = (node: string): Set<string> => {
    const known = reach.get(node);
    if (known) return known;
    const seen = new Set<string>([node]);
    const stack = [node];
    while (stack.length > 0) {
      for (const next of graph.needs(stack.pop() as string)) {
        if (seen.has(next)) continue;
        seen.add(next);
        stack.push(next);
      }
    }
    const failing = new Set([...seen].filter((n) => onNode.has(n)));
    reach.set(node, failing);
    return failing;
  };
  const rootOf = (node: string): string =>
    [...failingReached(node)].sort(
      (a, b) => failingReached(a).size - failingReached(b).size || a.localeCompare(b),
    )[0] ?? node;
  const incidents = new Map<string, { root: F; members: F[] }>();
  for (const node of [...onNode.keys()].sort()) {
    const root = primaryOf(onNode.get(rootOf(node)) ?? []);
    const entry = incidents.get(root.fingerprint) ?? { root, members: [] };
    entry.members.push(...(onNode.get(node) ?? []));
    incidents.set(root.fingerprint, entry);
  }
  for (const f of alone) incidents.set(f.fingerprint, { root: f, members: [f] });
  return [...incidents.values()]
    .map(({ root, members }) => {
      const dependants = members
        .filter((f) => f.fingerprint !== root.fingerprint)
        .sort((a, b) => a.fingerprint.localeCompare(b.fingerprint));
      const worst = [root, ...dependants].some((f) => f.severity === 'critical') ? 'critical' : 'warning';
      return { key: root.fingerprint, root, dependants, severity: worst as Incident['severity'] };
    })
    .sort((a, b) => RANK[b.severity] - RANK[a.severity] || a.key.localeCompare(b.key));
}

/** Fingerprint → the key of the incident it belongs to (roots map to themselves). */
export function incidentIndex(incidents: readonly Incident[]): Map<string, string> {
  const index = new Map<string, string>();
  for (const i of incidents) {
    index.set(i.root.fingerprint, i.key);
    for (const d of i.dependants) index.set(d.fingerprint, i.key);
  }
  return index;
}
