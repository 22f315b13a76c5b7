import { isMap, isScalar, LineCounter, type Node, parseDocument } from 'yaml';
import type { z } from 'zod';
import { parseCron } from '../core/util/cron.js';
import { VERIFIABLE_CHECKS } from '../probes/check-kinds.js';
import { type Config, configSchema, PARSE_ONCE } from './schema.js';
import { closest, keysAt } from './schema-keys.js';

/** Every problem of a config at once, each naming its path and line; nothing has been touched yet. */
export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(
      `${file}: ${problems.length} problem${problems.length === 1 ? '' : 's'} in the config:\n  - ${problems.join('\n  - ')}`,
    );
    this.name = 'ConfigError';
  }
}

type Path = readonly PropertyKey[];

export function parseConfig(text: string, file: string, env: NodeJS.ProcessEnv = {}): Config {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const lineOf = (offset: number | undefined) =>
    offset === undefined ? undefined : lines.linePos(offset).line;
  if (doc.errors.length > 0) {
    throw new ConfigError(
      file,
      doc.errors.map((e) => `${e.message.split('\n')[0]} (line ${lineOf(e.pos[0]) ?? '?'})`),
    );
  }
  const data = expandEnv(doc.toJS(), env);
  const parsed = configSchema.safeParse(data, PARSE_ONCE);
  const problems = [
    ...lengthProblems(data),
    ...(parsed.success
      ? semanticProblems(parsed.data)
      : parsed.error.issues.flatMap((issue) => describeIssue(issue))),
  ];
  if (problems.length > 0) {
    throw new ConfigError(
      file,
      problems.map((p) => {
        const line = lineOf(nodeAt(doc.contents, p.path, p.key)?.range?.[0]);
        return `${p.text}${line ? ` (line ${line})` : ''}`;
      }),
    );
  }
  if (!parsed.success) throw new Error('unreachable: a failed parse always has problems');
  return parsed.data;
}

interface Problem {
  path: Path;
  /** for unknown keys: point at the key itself */
  key?: string;
  text: string;
}

function describeIssue(issue: z.core.$ZodIssue, prefix: Path = []): Problem[] {
  const path = [...prefix, ...issue.path];
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => {
      const hint = closest(key, keysAt(configSchema, path));
      return {
        path,
        key,
        text: `${format([...path, key])}: unknown key${hint ? `; did you mean "${hint}"?` : ''}`,
      };
    });
  }
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    // Report the alternative that came closest, not zod's generic "invalid input".
    const best = [...issue.errors].sort((a, b) => a.length - b.length)[0] ?? [];
    return best.flatMap((inner) => describeIssue(inner, path));
  }
  return [{ path, text: `${format(path)}: ${issueMessage(issue)}` }];
}

function issueMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type') {
    return issue.input === undefined ? `missing (expected ${issue.expected})` : `expected ${issue.expected}`;
  }
  if (issue.code === 'invalid_value') {
    const values = issue.values.map((v) => JSON.stringify(v));
    return values.length === 1 ? `expected ${values[0]}` : `expected one of ${values.join(', ')}`;
  }
  return issue.message;
}

/** Checks zod cannot express: references between servers, duplicate names, required hosts, cron. */
function semanticProblems(config: Config): Problem[] {
  const names = new Set(config.servers.map((s) => s.name));
  return [
    ...serverProblems(config),
    ...jumpProblems(config, names),
    ...maintenanceProblems(config, names),
    ...scheduleProblems(config),
    ...verifyProblems(config),
    ...dependencyProblems(config),
    ...escalationProblems(config),
  ];
}

/**
 * A remediation's `verify:` names check kinds: it is re-run after the action, and the action fits
 * the findings of those checks only. A misspelt one (`endpoints`) would never match anything.
 */
function verifyProblems(config: Config): Problem[] {
  return Object.entries(config.remediations).flatMap(([id, remediation]) =>
    remediation.verify.flatMap((check, i): Problem[] => {
      if (VERIFIABLE_CHECKS.includes(check)) return [];
      const near = closest(check, VERIFIABLE_CHECKS);
      return [
        {
          path: ['remediations', id, 'verify', i],
          text: `remediations.${id}.verify[${i}]: "${check.slice(0, 64)}" is not a check kind${near ? `; did you mean "${near}"?` : ''} (one of ${VERIFIABLE_CHECKS.join(', ')})`,
        },
      ];
    }),
  );
}

/**
 * `depends_on` entries name a configured service: `SERVICE` on the same server (for an endpoint),
 * `SERVER:SERVICE` on another one. A typo here would silently split one incident into several.
 */
function dependencyProblems(config: Config): Problem[] {
  const services = new Map(config.servers.map((s) => [s.name, new Set(serviceNamesOf(s))]));
  const check = (
    server: string,
    entry: string,
    path: PropertyKey[],
    sameServerStrict: boolean,
  ): Problem[] => {
    const colon = entry.indexOf(':');
    const [host, service] = colon > 0 ? [entry.slice(0, colon), entry.slice(colon + 1)] : [server, entry];
    const known = services.get(host);
    if (colon > 0 && !known)
      return [{ path, text: `${format(path)}: "${entry}" names no configured server "${host}"` }];
    if ((colon > 0 || sameServerStrict) && !known?.has(service))
      return [
        { path, text: `${format(path)}: "${entry}": no service "${service}" is configured on ${host}` },
      ];
    if (colon > 0 && host === server)
      return [{ path, text: `${format(path)}: "${entry}" is this server: write "${service}"` }];
    return [];
  };
  return config.servers.flatMap((server, i) => [
    ...server.services.flatMap((s, j) =>
      s.depends_on.flatMap((d, k) =>
        check(server.name, d, ['servers', i, 'services', j, 'depends_on', k], false),
      ),
    ),
    ...server.endpoints.flatMap((e, j) =>
      e.depends_on.flatMap((d, k) =>
        check(server.name, d, ['servers', i, 'endpoints', j, 'depends_on', k], true),
      ),
    ),
  ]);
}

/** A server's services by name: the configured ones and those its boot order names. */
function serviceNamesOf(server: Config['servers'][number]): string[] {
  return [...server.services.map((s) => s.name), ...(server.boot?.order ?? []).map((e) => e.service)];
}

/** An escalation channel that is not configured would escalate to nobody, silently. */
function escalationProblems(config: Config): Problem[] {
  const notify = config.notify;
  if (!notify?.escalate) return [];
  const configured = (channel: string) => {
    const value = (notify as Record<string, unknown>)[channel];
    return value !== undefined && value !== null && typeof value === 'object';
  };
  return notify.escalate.channels.flatMap((channel, i): Problem[] =>
    configured(channel)
      ? []
      : [
          {
            path: ['notify', 'escalate', 'channels', i],
            text: `notify.escalate.channels[${i}]: "${channel}" is not configured under notify:`,
          },
        ],
  );
}

/** `schedule:` feeds missed-run detection: a cron it cannot read would silently turn that off. */
function scheduleProblems(config: Config): Problem[] {
  if (config.schedule === undefined || parseCron(config.schedule)) return [];
  return [
    {
      path: ['schedule'],
      text: `schedule: "${config.schedule.slice(0, 80)}" is not a 5-field cron expression (minute hour day month weekday, e.g. "*/30 * * * *")`,
    },
  ];
}

/**
 * Longest string a config value may be, by its key: names 64, URLs 2 048, paths 1 024,
 * everything else (commands, patterns, secrets) 4 096. A 10 MB value is a mistake or an attack.
 */
const LENGTH_LIMITS: [RegExp, number, string][] = [
  [/^(?:name|jump|user)$/, 64, 'a name'],
  [/^(?:url|webhook|smtp|heartbeat_url|link)$/, 2_048, 'a URL'],
  [/(?:path|paths|dir|file|files|mount|mounts|runbooks|known_hosts)$/, 1_024, 'a path'],
];
const MAX_STRING = 4_096;

function lengthProblems(data: unknown): Problem[] {
  const problems: Problem[] = [];
  const walk = (value: unknown, path: PropertyKey[], key: string): void => {
    if (typeof value === 'string') {
      const [, max, what] = LENGTH_LIMITS.find(([re]) => re.test(key)) ?? [undefined, MAX_STRING, 'a value'];
      if (value.length > max)
        problems.push({
          path,
          text: `${format(path)}: ${value.length} characters, more than the ${max} allowed for ${what}`,
        });
    } else if (Array.isArray(value)) {
      for (const [i, v] of value.entries()) walk(v, [...path, i], key);
    } else if (value && typeof value === 'object')
      for (const [k, v] of Object.entries(value)) walk(v, [...path, k], k);
  };
  walk(data, [], '');
  return problems;
}

function serverProblems(config: Config): Problem[] {
  const seen = new Set<string>();
  return config.servers.flatMap((server, i): Problem[] => {
    const problems: Problem[] = [];
    if (seen.has(server.name)) {
      problems.push({
        path: ['servers', i, 'name'],
        text: `servers[${i}].name: duplicate server name "${server.name}"`,
      });
    }
    seen.add(server.name);
    if (server.transport === 'ssh' && !server.host) {
      problems.push({
        path: ['servers', i],
        text: `servers[${i}]: host is required for transport ssh (or set transport: local)`,
      });
    }
    return problems;
  });
}

function jumpProblems(config: Config, names: Set<string>): Problem[] {
  return config.servers.flatMap((server, i): Problem[] =>
    server.jump && (!names.has(server.jump) || server.jump === server.name)
      ? [
          {
            path: ['servers', i, 'jump'],
            text: `servers[${i}].jump: "${server.jump}" is not another configured server`,
          },
        ]
      : [],
  );
}

/** A window names servers, `tag:NAME` (a tag some server has) or `*` (every server). */
function maintenanceProblems(config: Config, names: Set<string>): Problem[] {
  const tags = new Set(config.servers.flatMap((s) => s.tags));
  const known = (entry: string) =>
    entry === '*' || names.has(entry) || (entry.startsWith('tag:') && tags.has(entry.slice(4)));
  return config.maintenance.flatMap((window, i): Problem[] => [
    ...window.servers.flatMap((entry, j): Problem[] =>
      known(entry)
        ? []
        : [
            {
              path: ['maintenance', i, 'servers', j],
              text: `maintenance[${i}].servers[${j}]: unknown server or tag "${entry}"`,
            },
          ],
    ),
    ...(Date.parse(window.from) >= Date.parse(window.to)
      ? [{ path: ['maintenance', i, 'to'], text: `maintenance[${i}].to: must be after from` }]
      : []),
  ]);
}

/** `servers[2].endpoints[0].timeout` */
export function format(path: Path): string {
  return (
    path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`)).join('') ||
    '(top level)'
  );
}

/** The YAML node at a data path (the deepest one that exists), or the key node of an unknown key. */
function nodeAt(root: unknown, path: Path, key?: string): Node | undefined {
  let node = root as Node | undefined;
  for (const part of path) {
    const next = (node as { get?: (k: unknown, keep: boolean) => unknown })?.get?.(part, true) as
      | Node
      | undefined;
    if (!next) return node;
    node = next;
  }
  if (key !== undefined && isMap(node)) {
    const pair = node.items.find((item) => isScalar(item.key) && item.key.value === key);
    if (pair && isScalar(pair.key)) return pair.key;
  }
  return node;
}

/**
 * `${NAME}` in notify and heartbeat settings and redact.secrets reads the environment, so webhook URLs and
 * tokens live in GitHub secrets rather than in the committed config.
 */
function expandEnv(data: unknown, env: NodeJS.ProcessEnv): unknown {
  if (!data || typeof data !== 'object') return data;
  const record = data as Record<string, unknown>;
  const expand = (value: unknown): unknown => {
    if (typeof value === 'string')
      return value.replace(/\$\{([A-Z0-9_]+)\}/g, (_, name: string) => env[name] ?? '');
    if (Array.isArray(value)) return value.map(expand);
    if (value && typeof value === 'object')
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, expand(v)]));
    return value;
  };
  const out = { ...record };
  if ('notify' in out) out.notify = expand(out.notify);
  if ('heartbeat' in out) out.heartbeat = expand(out.heartbeat);
  if (out.redact && typeof out.redact === 'object') out.redact = expand(out.redact);
  return out;
}
