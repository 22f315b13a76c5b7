import type { DatabaseConfig } from '../config/schema.js';
import { finding, type Severity } from '../core/types.js';
import { shellQuote } from '../core/util/shell-quote.js';
import { blocksOf, int, keyValues, quotedLines } from './output-text.js';
import type { Probe } from './probe.js';

export type DatabaseStatus =
  | 'ok'
  /** alive but refusing new sessions: the pool is exhausted */
  | 'too-many-clients'
  | 'down'
  /** alive, but our login was refused: the check is misconfigured, the service is up */
  | 'auth'
  | 'loading'
  | 'timeout'
  | 'error'
  /** the client tool is not installed */
  | 'missing';

export interface DatabaseResult {
  kind: DatabaseConfig['kind'];
  target: string;
  status: DatabaseStatus;
  detail: string;
  /** postgres only: pg_isready's answer when the real query failed */
  acceptsConnections?: boolean;
  /**
   * postgres only, when the query answered: client sessions besides the check's own, the
   * server's max_connections, and the slots reserved for superusers (and pg_use_reserved_connections)
   */
  connections?: { others: number; max: number; reserved: number };
}

export interface DatabasesData {
  databases: DatabaseResult[];
}

const DEFAULT_PORT = { postgres: 5432, mysql: 3306, redis: 6379 } as const;

/** Stable finding target: the kind, plus where when the config says where. */
export function databaseTarget(db: DatabaseConfig): string {
  const where = db.host || db.port ? `@${db.host ?? 'localhost'}:${db.port ?? DEFAULT_PORT[db.kind]}` : '';
  return `${db.kind}${where}${db.database ? `/${db.database}` : ''}`;
}

function opt(flag: string, value: string | number | undefined): string {
  return value === undefined ? '' : ` ${flag} ${shellQuote(value)}`;
}

/** Prints rc= and the client's first lines; `$o`/`$rc` stay set for follow-ups. */
const REPORT = ['rc=$?; echo "rc=$rc"', 'co_q 3 "$o" 300'].join('\n');

/**
 * Connection slots, asked once the login worked. A check that logs in as a superuser (the
 * default: peer login as postgres) gets in through a reserved slot when every ordinary slot is
 * taken, so its own success does not prove the application can connect: compare the sessions
 * in use with what non-superusers may have. Needs PostgreSQL 10+ (backend_type); older servers
 * fail this query quietly and are judged by `select 1` alone.
 */
const PG_SLOTS_SQL =
  "select count(*) filter (where backend_type = 'client backend' and pid <> pg_backend_pid()) || ' ' || " +
  "current_setting('max_connections') || ' ' || (current_setting('superuser_reserved_connections')::int + " +
  "coalesce(nullif(current_setting('reserved_connections', true), ''), '0')::int) from pg_stat_activity";

/**
 * A libpq connection string of literal values: psql's `-d` reads a value with `=` (or a URI) as
 * connection settings, so every configured value goes in quoted (`dbname='…'`) and means only
 * itself, never an option or another setting.
 */
export function pgConninfo(db: Pick<DatabaseConfig, 'host' | 'port' | 'user' | 'database'>): string {
  const literal = (v: string | number) => `'${String(v).replace(/[\\']/g, (c) => `\\${c}`)}'`;
  const pairs: [string, string | number | undefined][] = [
    ['host', db.host],
    ['port', db.port],
    ['user', db.user],
    ['dbname', db.database],
  ];
  return pairs
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${literal(v as string | number)}`)
    .join(' ');
}

/** `--name=value` as one shell word: a value starting with `-` stays the option's value. */
function attached(flag: string, value: string | number | undefined): string {
  return value === undefined ? '' : ` ${shellQuote(`${flag}=${value}`)}`;
}

function postgresScript(db: DatabaseConfig): string {
  const conninfo = pgConninfo(db);
  const args = conninfo ? ` -d ${shellQuote(conninfo)}` : '';
  // A real query, not pg_isready: a saturated server still answers pg_isready but refuses sessions.
  // As root with no login configured, ask as the postgres account (peer authentication).
  const local = db.host === undefined && db.user === undefined;
  return [
    'if co_have psql; then',
    'PGCONNECT_TIMEOUT=5; export PGCONNECT_TIMEOUT; cd / 2>/dev/null',
    local
      ? "as=''; if [ \"$(id -u)\" = 0 ] && id postgres >/dev/null 2>&1 && co_have runuser; then as='runuser -u postgres --'; fi"
      : "as=''",
    `o=$(co_t 15 $as psql -X -A -t -q -w${args} -c 'select 1' 2>&1); ${REPORT}`,
    `if [ "$rc" = 0 ]; then s=$(co_t 10 $as psql -X -A -t -q -w${args} -c ${shellQuote(PG_SLOTS_SQL)} 2>/dev/null) && echo "slots=$s"; fi`,
    `if [ "$rc" != 0 ] && co_have pg_isready; then pg_isready -q${attached('--host', db.host)}${attached('--port', db.port)} >/dev/null 2>&1; echo "ready=$?"; fi`,
    "else echo 'missing'; fi",
  ].join('\n');
}

function mysqlScript(db: DatabaseConfig): string {
  // attached `--opt=value` words, the database too: `--tee=/tmp/x` as a database name is a name
  const args = `${attached('--host', db.host)}${attached('--port', db.port)}${attached('--user', db.user)}`;
  return [
    "c=''; if co_have mysql; then c=mysql; elif co_have mariadb; then c=mariadb; fi",
    `if [ -n "$c" ]; then o=$(co_t 15 "$c" --connect-timeout=5 -N -B${args}${attached('--database', db.database)} -e 'select 1' 2>&1); ${REPORT}`,
    `elif co_have mysqladmin; then o=$(co_t 15 mysqladmin --connect-timeout=5${args} ping 2>&1); ${REPORT}`,
    "else echo 'missing'; fi",
  ].join('\n');
}

function redisScript(db: DatabaseConfig): string {
  return [
    // redis-cli takes the word after -h/-p as its value whatever it starts with
    `if co_have redis-cli; then o=$(co_t 10 redis-cli${opt('-h', db.host)}${opt('-p', db.port)} PING 2>&1); ${REPORT}`,
    "else echo 'missing'; fi",
  ].join('\n');
}

const SCRIPTS = { postgres: postgresScript, mysql: mysqlScript, redis: redisScript } as const;

/** Error texts, first match wins; each maps the client's words to a status. */
const PATTERNS: [RegExp, DatabaseStatus][] = [
  [
    /too many (clients|connections)|remaining connection slots are reserved|max number of clients reached/i,
    'too-many-clients',
  ],
  [/LOADING|starting up|in recovery/i, 'loading'],
  [
    /authentication failed|access denied|NOAUTH|WRONGPASS|does not exist|no password supplied|authentication required/i,
    'auth',
  ],
  [
    /connection refused|could not connect|can't connect|no such file or directory|timeout expired|lost connection/i,
    'down',
  ],
];

function classify(kind: DatabaseConfig['kind'], rc: number | undefined, said: string[]): DatabaseStatus {
  const text = said.join('\n');
  const first = said[0]?.trim() ?? '';
  if (rc === 0) {
    // redis-cli exits 0 on error replies, so only PONG counts; the others print 1 or "mysqld is alive".
    if (kind === 'redis' && first !== 'PONG') return PATTERNS.find(([re]) => re.test(text))?.[1] ?? 'error';
    return 'ok';
  }
  if (rc === 124) return 'timeout';
  return PATTERNS.find(([re]) => re.test(text))?.[1] ?? 'error';
}

function parseDatabase(db: DatabaseConfig, lines: string[]): DatabaseResult {
  const base = { kind: db.kind, target: databaseTarget(db) };
  if (lines.includes('missing'))
    return { ...base, status: 'missing', detail: `${db.kind} client not installed` };
  const kv = keyValues(lines);
  const said = quotedLines(lines).filter((l) => l.trim() !== '');
  const status = classify(db.kind, int(kv.rc), said);
  const detail = status === 'timeout' ? 'no answer within 15 s' : (said[0]?.trim() ?? `exit ${kv.rc}`);
  const ready = int(kv.ready);
  const result: DatabaseResult = {
    ...base,
    status,
    detail,
    ...(ready !== undefined ? { acceptsConnections: ready === 0 } : {}),
  };
  const slots = /^(\d+) (\d+) (\d+)$/.exec(kv.slots?.trim() ?? '');
  if (db.kind === 'postgres' && slots) {
    const [others, max, reserved] = slots.slice(1).map(Number) as [number, number, number];
    result.connections = { others, max, reserved };
    if (status === 'ok' && others >= max - reserved) {
      result.status = 'too-many-clients';
      result.detail = `${others} of ${max} connections in use: only the ${reserved} reserved for superusers are left, other logins are refused`;
    }
  }
  return result;
}

const SEVERITY: Record<DatabaseStatus, Severity> = {
  ok: 'ok',
  auth: 'warning',
  loading: 'warning',
  missing: 'warning',
  'too-many-clients': 'critical',
  down: 'critical',
  timeout: 'critical',
  error: 'critical',
};

function summaryOf(r: DatabaseResult): string {
  switch (r.status) {
    case 'ok':
      return `${r.target} answers queries`;
    case 'too-many-clients':
      return `${r.target} refuses queries: too many clients (${r.detail})`;
    case 'auth':
      return `${r.target} is up but refused the check's login: ${r.detail}`;
    case 'missing':
      return `cannot check ${r.target}: ${r.detail}`;
    default: {
      const ready = r.acceptsConnections ? ' (pg_isready still says it accepts connections)' : '';
      return `${r.target} ${r.status === 'timeout' ? 'timed out' : `is ${r.status}`}: ${r.detail}${ready}`;
    }
  }
}

export const databasesProbe: Probe<DatabasesData> = {
  id: 'databases',
  applies: (server) => server.databases.length > 0,
  script: (server) => server.databases.map((db, i) => `echo '@db ${i}'\n${SCRIPTS[db.kind](db)}`).join('\n'),
  parse(output, server) {
    const blocks = blocksOf(output, 'db');
    return {
      databases: server.databases.map((db, i) => {
        const block = blocks.find((b) => b.head === String(i));
        return block
          ? parseDatabase(db, block.lines)
          : {
              kind: db.kind,
              target: databaseTarget(db),
              status: 'error',
              detail: 'no output for this database',
            };
      }),
    };
  },
  evaluate: (data, server) =>
    data.databases.map((r) => finding(server.name, 'database', r.target, SEVERITY[r.status], summaryOf(r))),
};
