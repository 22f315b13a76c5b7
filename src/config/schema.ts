import { z } from 'zod';
import { parseDuration } from '../core/util/duration.js';

/** A duration written as `5s`, `2h`, `1h30m` (or a bare number of seconds); parsed to milliseconds. */
export const duration = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const ms = typeof value === 'number' ? value * 1000 : parseDuration(value);
  if (ms === undefined || !Number.isFinite(ms) || ms < 0) {
    ctx.addIssue({ code: 'custom', message: 'expected a duration like 5s' });
    return z.NEVER;
  }
  return ms;
});

const percent = z.number({ message: 'expected a percentage (0-100)' }).min(0).max(100);
const level = z
  .strictObject({ warn: percent, crit: percent })
  .refine((t) => t.warn <= t.crit, { message: 'warn must not exceed crit' });

export const thresholdsSchema = z.strictObject({
  disk: level.optional(),
  inodes: level.optional(),
  memory: level.optional(),
  swap: level.optional(),
  /** load per CPU */
  load: z.strictObject({ warn: z.number().positive(), crit: z.number().positive() }).optional(),
  /** endpoint latency, milliseconds after parsing */
  latency: z.strictObject({ warn: duration, crit: duration }).optional(),
  /** certificate days left */
  certificate_days: z.strictObject({ warn: z.number().int(), crit: z.number().int() }).optional(),
});

/** A server, service or remediation name: what the config accepts, so anything else was not written by us. */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@:-]{0,127}$/;

const name = z.string().regex(NAME_PATTERN, 'expected a name of letters, digits, . _ @ : -');

/**
 * What a service or an endpoint needs: a service on the same server (`postgresql`), or another
 * server's (`db1:postgresql`). A finding on it folds the dependant's findings into one incident
 * (docs/alerting.md#one-incident-per-root-cause); references are checked by parse-config.
 */
const dependency = name;

export const managers = ['systemd', 'sysv', 'supervisor', 'pm2', 'docker', 'compose'] as const;
export const serviceSchema = z
  .strictObject({
    name,
    manager: z.enum(managers).default('systemd'),
    /** optional TCP port that must be listening */
    port: z.number().int().min(1).max(65535).optional(),
    /**
     * services this one needs (`SERVICE`, or `SERVER:SERVICE` on another server): a fix for this one
     * may restart a same-server one (the gate's scope rules); a failing one is this one's root cause
     */
    depends_on: z.array(dependency).default([]),
    /** compose: the Compose project (`name` is the Compose service in it) */
    project: name.optional(),
    /** compose: the project's compose file, absolute (what a restart is run with) */
    file: z
      .string()
      .regex(/^\/[A-Za-z0-9._@+/-]{1,255}$/, 'expected an absolute path of plain characters')
      .optional(),
    /** compose: the Compose CLI on the server */
    compose_command: z.enum(['docker compose', 'docker-compose']).optional(),
  })
  .superRefine((s, ctx) => {
    const composeKeys = (['project', 'file', 'compose_command'] as const).filter((k) => s[k] !== undefined);
    if (s.manager !== 'compose' && composeKeys.length > 0)
      ctx.addIssue({ code: 'custom', message: `${composeKeys.join(', ')}: only for manager: compose` });
    if (s.manager === 'compose' && (s.project === undefined || s.file === undefined))
      ctx.addIssue({
        code: 'custom',
        message: 'manager: compose needs project: (the Compose project) and file: (its compose file)',
      });
  });

export const endpointSchema = z
  .strictObject({
    // http(s) only: curl and fetch also read file:, ftp:, gopher: … and their answer is committed
    url: z.url({ protocol: /^https?$/, message: 'expected an http:// or https:// URL' }),
    status: z.number().int().min(100).max(599).default(200),
    contains: z.string().optional(),
    timeout: duration.default(5000),
    /** probe from the server itself (default) or from the runner */
    from: z.enum(['server', 'runner']).default('server'),
    /**
     * `curl`: a `from: server` check runs curl on the server even for an http:// URL (by default
     * the runner fetches those over the SSH connection, which connects from the server)
     */
    via: z.literal('curl').optional(),
    /** services the endpoint needs (`SERVICE` or `SERVER:SERVICE`): their failure is its root cause */
    depends_on: z.array(dependency).default([]),
  })
  .refine((e) => e.via === undefined || e.from === 'server', {
    message: 'via: curl is for endpoints checked from the server (from: server)',
    path: ['via'],
  });

export const databaseSchema = z.strictObject({
  kind: z.enum(['postgres', 'mysql', 'redis']),
  host: z.string().optional(),
  port: z.number().int().min(1).max(65535).optional(),
  user: z.string().optional(),
  database: z.string().optional(),
});

/**
 * Lines that mean a crash or a kill whatever pattern matched them: critical by default (a plain
 * pattern's match containing one of these is critical; other plain matches are warnings).
 */
export const CRITICAL_LOG_LINE = 'FATAL|panic|Out of memory|Killed process';

const logPattern = z
  .union([
    z.string().min(1),
    z.strictObject({ match: z.string().min(1), severity: z.enum(['warning', 'critical']) }),
  ])
  .transform((p): { match: string; severity?: 'warning' | 'critical' } =>
    typeof p === 'string' ? { match: p } : p,
  );

/** A log event counts once a run sees `threshold` matching lines (`warn` is its older name). */
const logEventLimits = {
  threshold: z.number().int().min(1).optional(),
  warn: z.number().int().min(1).default(1),
  crit: z.number().int().min(1).optional(),
};

export const logSchema = z.union([
  z.strictObject({
    path: z.string().startsWith('/', 'expected an absolute path'),
    patterns: z
      .array(logPattern)
      .min(1)
      .default([{ match: 'ERROR' }, { match: CRITICAL_LOG_LINE, severity: 'critical' }]),
    ...logEventLimits,
  }),
  z.strictObject({
    journal: z.string(),
    priority: z.enum(['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug']).default('err'),
    ...logEventLimits,
  }),
]);

const comparison = z
  .string()
  .regex(/^\s*(>|>=|<|<=|==|!=)\s*-?\d+(\.\d+)?\s*$/, 'expected a comparison like "> 100"');
export const checkSchema = z.strictObject({
  name,
  command: z.string().min(1),
  warn: comparison.optional(),
  crit: comparison.optional(),
  timeout: duration.default(10_000),
});

export const heartbeatSchema = z.strictObject({
  path: z.string().startsWith('/', 'expected an absolute path'),
  max_age: duration,
});

/** A boot.order entry: a service name (it depends on every earlier entry) or `{ service, after }`. */
const bootEntry = z
  .union([
    z.string().min(1),
    z.strictObject({ service: z.string().min(1), after: z.array(z.string()).default([]) }),
  ])
  .transform((e): { service: string; after?: string[] } => (typeof e === 'string' ? { service: e } : e));

/** A remediation run once every boot.order service is ready (migrations, cache warm-up), through the gate. */
const bootAfter = z
  .union([
    z.string().min(1),
    z.strictObject({ action: z.string().min(1), params: z.record(z.string(), z.string()).default({}) }),
  ])
  .transform((a): { action: string; params: Record<string, string> } =>
    typeof a === 'string' ? { action: a, params: {} } : a,
  );

export const bootSchema = z.strictObject({
  order: z.array(bootEntry).default([]),
  ready_timeout: duration.default(120_000),
  after: z.array(bootAfter).default([]),
});

export const serverSchema = z.strictObject({
  name,
  transport: z.enum(['ssh', 'local']).default('ssh'),
  host: z.string().optional(),
  port: z.number().int().min(1).max(65535).optional(),
  user: z.string().optional(),
  host_key: z
    .string()
    .regex(/^SHA256:[A-Za-z0-9+/]{43}=?$/, 'expected an OpenSSH fingerprint like SHA256:abc…')
    .optional(),
  insecure_ignore_host_key: z.boolean().default(false),
  tags: z.array(name).default([]),
  jump: z.string().optional(),
  /**
   * false: everything runs as the SSH user. true: each script runs as `sudo -n sh -s` (needs full
   * root in sudoers). `actions`: least privilege (docs/least-privilege.md): scripts run as the SSH
   * user and only the catalog's root commands run, each as `sudo -n <exact argv>`.
   */
  sudo: z
    .union([z.boolean(), z.literal('actions')], { message: 'expected true, false or actions' })
    .default(false),
  thresholds: thresholdsSchema.optional(),
  services: z.array(serviceSchema).default([]),
  endpoints: z.array(endpointSchema).default([]),
  ports: z.array(z.number().int().min(1).max(65535)).default([]),
  processes: z.array(z.string()).default([]),
  databases: z.array(databaseSchema).default([]),
  logs: z.array(logSchema).default([]),
  checks: z.array(checkSchema).default([]),
  heartbeats: z.array(heartbeatSchema).default([]),
  certificates: z.array(z.string().regex(/^[^\s:]+(:\d+)?$/, 'expected host:port')).default([]),
  security_updates: z.boolean().default(false),
  /** directories the clear-directory remediation may empty */
  clearable: z.array(z.string().startsWith('/', 'expected an absolute path')).default([]),
  boot: bootSchema.optional(),
  /** mounts neither checked nor shown: exact paths, or a prefix ending in `/*` (`/mnt/*`) */
  disks: z
    .strictObject({
      exclude: z.array(z.string().startsWith('/', 'expected an absolute mount path')).default([]),
    })
    .optional(),
});

export const remediationSchema = z.strictObject({
  command: z.string().min(1),
  description: z.string().optional(),
  risk: z.enum(['low', 'medium', 'high']).default('medium'),
  verify: z.array(z.string()).default([]),
  cooldown: duration.default(3_600_000),
  // the state keeps the last 50 attempts per action and target (core/memory/server-state.ts
  // LIMITS.attempts): a higher limit could never be reached, so it would bound nothing
  max_per_day: z
    .number()
    .int()
    .min(1)
    .max(50, 'at most 50 (the state keeps the last 50 attempts of an action: more could never be counted)')
    .default(3),
  timeout: duration.default(60_000),
  /** wait between running it and re-running the `verify` checks (default 5 s) */
  settle: duration.optional(),
  servers: z.array(z.string()).optional(),
  /** on a server with `sudo: actions`: run through `sudo -n /bin/sh -c '<command>'` (default) or, false, as the SSH user */
  sudo: z.boolean().optional(),
});

const isoTime = z
  .string()
  .refine(
    (s) =>
      /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(s) &&
      !Number.isNaN(Date.parse(s)),
    { message: 'expected an ISO time like 2026-12-01T02:00Z' },
  );

export const maintenanceSchema = z.strictObject({
  servers: z.array(z.string()).min(1),
  from: isoTime,
  to: isoTime,
  reason: z.string().optional(),
});

export const claudeSchema = z.strictObject({
  when: z.enum(['changes', 'always', 'never', 'after-rules']).default('changes'),
  max_turns: z.number().int().min(1).max(50).default(8),
  max_tokens_per_run: z.number().int().min(1000).default(60_000),
  timeout: duration.default(180_000),
  /** tool calls answered per model turn / per run (report_diagnosis not counted) */
  max_tool_calls_per_turn: z.number().int().min(1).max(100).default(8),
  max_tool_calls_per_run: z.number().int().min(1).max(1000).default(40),
});

export const githubSchema = z.strictObject({
  issues: z.boolean().default(true),
  labels: z.array(z.string()).default([]),
  close_after_ok_runs: z.number().int().min(1).default(2),
  reopen_within: duration.default(7 * 86_400_000),
  fleet_issue_min_servers: z.number().int().min(2).default(3),
  approvals: z.boolean().default(true),
  approval_expiry: duration.default(72 * 3_600_000),
  /**
   * an approval PR whose head branch lives in a fork counts only when this is true: by default the
   * head must be a branch of this repository, where only writers can push (docs/approvals.md)
   */
  approvals_from_forks: z.boolean().default(false),
  /** each GitHub API and notification request gives up after this long (a hung API cannot hold the run) */
  request_timeout: duration.default(30_000),
  /** the time all GitHub calls of the run take together (maintenance issues, approvals, issues, PRs) */
  report_budget: duration.default(180_000),
});

/** Every channel a notification can go to (escalate.channels names them). */
export const CHANNELS = [
  'slack',
  'telegram',
  'webhook',
  'discord',
  'teams',
  'email',
  'pagerduty',
  'opsgenie',
] as const;
export type Channel = (typeof CHANNELS)[number];

const positiveDuration = duration.refine((ms) => ms > 0, { message: 'expected a duration above zero' });
/** A service's own endpoint (EU region, tests); its key is sent in a header or the body, never here. */
const serviceUrl = z.url({ protocol: /^https?$/, message: 'expected an http:// or https:// URL' });

export const notifySchema = z.strictObject({
  slack: z.strictObject({ webhook: z.string() }).optional(),
  telegram: z.strictObject({ token: z.string(), chat: z.string() }).optional(),
  webhook: z.strictObject({ url: z.string() }).optional(),
  /** a Discord channel webhook URL (https://discord.com/api/webhooks/…) */
  discord: z.strictObject({ webhook: z.string() }).optional(),
  /** a Teams "Workflows" webhook URL (Post to a channel when a webhook request is received) */
  teams: z.strictObject({ webhook: z.string() }).optional(),
  email: z
    .strictObject({
      /** smtp://user:pass@host:587 (STARTTLS required), smtps://…:465 (TLS), or its parts */
      smtp: z.union([
        z.string().regex(/^smtps?:\/\//, 'expected smtp://user:password@host:587 or smtps://…'),
        z.strictObject({
          host: z.string().min(1),
          port: z.number().int().min(1).max(65535).default(587),
          user: z.string().optional(),
          password: z.string().optional(),
          /** true: TLS from the first byte (port 465); false: STARTTLS, required (never plain text) */
          secure: z.boolean().optional(),
        }),
      ]),
      from: z.string().min(3),
      to: z.union([z.string().min(3), z.array(z.string().min(3)).min(1)]),
    })
    .optional(),
  on: z.enum(['changes', 'always', 'critical']).default('changes'),
  /** an open critical no one acknowledged is announced again this often (off when unset) */
  repeat: positiveDuration.optional(),
  /** a critical still open and unacknowledged after `after` also goes to `channels` (and only then) */
  escalate: z
    .strictObject({
      after: positiveDuration,
      channels: z.array(z.enum(CHANNELS)).min(1),
    })
    .optional(),
  /**
   * PagerDuty Events API v2: the integration's routing key (a secret: "${PAGERDUTY_ROUTING_KEY}");
   * empty (the variable unset, as on a laptop) leaves the channel off, like an empty webhook
   */
  pagerduty: z
    .strictObject({
      routing_key: z.string(),
      url: serviceUrl.optional(),
    })
    .optional(),
  /** Opsgenie Alert API: an API integration's key (a secret: "${OPSGENIE_API_KEY}"); url for the EU region */
  opsgenie: z.strictObject({ api_key: z.string(), url: serviceUrl.optional() }).optional(),
  /** task digest sends one notification with the week's summary to the chat channels */
  digest: z.boolean().optional(),
});

const pingSuffix = z.union([
  z.string().regex(/^[A-Za-z0-9/_.-]*$/, 'expected a path suffix like /start'),
  z.literal(false),
]);
export const heartbeatPingSchema = z.strictObject({
  /** the check's ping URL (a secret: prefer "${HEARTBEAT_URL}" or the heartbeat-url input) */
  url: z
    .string()
    .refine((u) => u === '' || /^https?:\/\/[^\s]+$/.test(u), { message: 'expected an http(s) URL' })
    .optional(),
  start: pingSuffix.default('/start'),
  success: pingSuffix.default(''),
  fail: pingSuffix.default('/fail'),
  timeout: duration.default(10_000),
});

export const breakerSchema = z.strictObject({
  /** an open circuit breaker lets one trial through after this long (half-open) */
  cooloff: duration.default(24 * 3_600_000),
});

export const lifecycleSchema = z.strictObject({
  /** consecutive runs a warning must hold before it is raised */
  debounce_runs: z.number().int().min(1).default(2),
  flap_changes: z.number().int().min(2).default(4),
  flap_window: z.number().int().min(3).default(10),
});

/**
 * For a schema parsed once a run (the config, and its defaults when this module loads): zod's
 * compiled fast path (code generated per object schema, then eval'd) costs more to build than it
 * saves on one document. Same checks, same issues.
 */
export const PARSE_ONCE = { jitless: true } as const;

export const configSchema = z.strictObject({
  version: z.literal(1, { message: 'expected version: 1' }),
  mode: z.enum(['report', 'safe', 'full']).default('safe'),
  schedule: z.string().optional(),
  'fail-on': z.enum(['never', 'warning', 'critical']).default('never'),
  defaults: z
    .strictObject({
      user: z.string().optional(),
      port: z.number().int().min(1).max(65535).optional(),
      thresholds: thresholdsSchema.optional(),
      parallelism: z.number().int().min(1).max(200).optional(),
      connect_timeout: duration.optional(),
      command_timeout: duration.optional(),
    })
    .default({}),
  servers: z.array(serverSchema).min(1, 'expected at least one server'),
  remediations: z.record(name, remediationSchema).default({}),
  /** the repository's runbooks directory, relative to the checkout */
  runbooks: z
    .string()
    .max(500)
    .refine((p) => !p.startsWith('/') && !p.split('/').includes('..'), {
      message: 'expected a path inside the repository, like .github/claudeops/runbooks',
    })
    .default('.github/claudeops/runbooks'),
  maintenance: z.array(maintenanceSchema).default([]),
  claude: claudeSchema.default(claudeSchema.parse({}, PARSE_ONCE)),
  github: githubSchema.default(githubSchema.parse({}, PARSE_ONCE)),
  notify: notifySchema.optional(),
  heartbeat: heartbeatPingSchema.optional(),
  lifecycle: lifecycleSchema.default(lifecycleSchema.parse({}, PARSE_ONCE)),
  breaker: breakerSchema.default(breakerSchema.parse({}, PARSE_ONCE)),
  state: z
    .strictObject({
      retention_days: z.number().int().min(1).default(90),
      /** a state/<server>.json over this many bytes is set aside and the server starts fresh */
      max_file_size: z.number().int().min(65_536).default(1_048_576),
      /** task compact: history older than this many days becomes one commit */
      compact_keep_days: z.number().int().min(1).default(365),
    })
    .default({ retention_days: 90, max_file_size: 1_048_576, compact_keep_days: 365 }),
  redact: z
    .strictObject({ hosts: z.boolean().default(false), secrets: z.array(z.string()).default([]) })
    .default({ hosts: false, secrets: [] }),
  /** the public status page: `details: true` adds findings' summaries, fingerprints and disk charts (redacted) */
  status_page: z.strictObject({ details: z.boolean().default(false) }).default({ details: false }),
});

export type Config = z.output<typeof configSchema>;
export type ServerConfig = z.output<typeof serverSchema>;
export type ServiceConfig = z.output<typeof serviceSchema>;
export type EndpointConfig = z.output<typeof endpointSchema>;
export type DatabaseConfig = z.output<typeof databaseSchema>;
export type LogConfig = z.output<typeof logSchema>;
export type CheckConfig = z.output<typeof checkSchema>;
export type HeartbeatConfig = z.output<typeof heartbeatSchema>;
export type Thresholds = z.output<typeof thresholdsSchema>;
export type RemediationConfig = z.output<typeof remediationSchema>;
export type Mode = Config['mode'];
