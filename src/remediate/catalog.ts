/**
 * The remediation catalog (docs/architecture.md#remediation): the only commands the Action may run to change a server.
 * Built-ins are parameterised by typed, validated values (enums drawn from the server's config, or
 * regex-bounded strings) that are shell-quoted into fixed templates; the config's own
 * `remediations:` are repo-trusted text, run as written, with no parameters at all. `renderAction`
 * is the only way to turn a catalog entry into a command line. Pure: no I/O. Templates, parameter
 * checks and sudo prefixes: command-template.ts; how managers restart a service: service-words.ts.
 *
 * Least privilege (a server's `sudo: actions`, docs/least-privilege.md): every action declares the
 * one command it needs root for as argv words (`rootCommand`); its template runs exactly that argv
 * as `sudo -n <argv>` (never `sudo sh`), and `claudeops sudoers` (remediate/sudoers.ts) allows exactly
 * those argv, from the same words. A config remediation's root command is `/bin/sh -c <its text>`.
 */
import type { Config, RemediationConfig, ServerConfig, ServiceConfig } from '../config/schema.js';
import type { CatalogAction, RenderedAction } from './catalog-action.js';
import { checkClearable, safeClearable } from './clearable.js';
import {
  asRoot,
  CONFIG_SHELL,
  describeParams,
  type Fragment,
  type ParamSpec,
  type Result,
  renderFragments,
  sudoPrefix,
  validateParams,
  type Word,
  wordsToFragments,
} from './command-template.js';
import { freePortActions } from './free-port.js';
import { helperTemplate, helperWords, LOCK_FILE_ERE, LOCK_ROOTS } from './server-helper.js';
import { ROOT_MANAGERS, serviceWords } from './service-words.js';

/** An action whose whole command is one root command with fixed words. */
function rootCommandOnly(
  server: ServerConfig,
  words: readonly Word[],
): Pick<CatalogAction, 'rootCommand' | 'template'> {
  return { rootCommand: () => words, template: () => asRoot(sudoPrefix(server), words) };
}

const HOUR = 3_600_000;
const MINUTE = 60_000;

/**
 * A stale lock or pid file: only in run/lock/tmp directories, a plain name, no `.` or `..` step.
 * The helper checks the same expression (LOCK_FILE_ERE) where it removes the file.
 */
export const LOCK_FILE_PATTERN = new RegExp(`^(?!.*/\\.\\.?(?:/|$))${LOCK_FILE_ERE.slice(1)}`);

export const JOURNAL_SIZE_PATTERN = /^[1-9][0-9]{0,4}[MG]$/;

function serviceOf(server: ServerConfig, params: Readonly<Record<string, string>>): ServiceConfig {
  const service = server.services.find((s) => s.name === params.service);
  if (!service) throw new Error(`unknown service ${params.service}`);
  return service;
}

function serviceCommand(server: ServerConfig, verb: 'restart' | 'start') {
  const rootCommand = (params: Readonly<Record<string, string>>): readonly Word[] | undefined => {
    const service = serviceOf(server, params);
    return ROOT_MANAGERS.has(service.manager) ? serviceWords(service, verb) : undefined;
  };
  const template = (params: Readonly<Record<string, string>>): Fragment[] => {
    const root = rootCommand(params);
    return root
      ? asRoot(sudoPrefix(server), root)
      : wordsToFragments(serviceWords(serviceOf(server, params), verb));
  };
  return { rootCommand, template };
}

function serviceActions(server: ServerConfig): CatalogAction[] {
  if (server.services.length === 0) return [];
  return [
    {
      ...serviceActionBase(server),
      id: 'restart-service',
      description:
        'Restart a configured service with its manager (systemd, sysv, supervisor, pm2, docker, compose).',
      cooldownMs: 30 * MINUTE,
      maxPerDay: 3,
      ...serviceCommand(server, 'restart'),
    },
    {
      ...serviceActionBase(server),
      id: 'start-service',
      description: 'Start a configured service that is stopped (boot recovery).',
      cooldownMs: 10 * MINUTE,
      maxPerDay: 6,
      ...serviceCommand(server, 'start'),
    },
  ];
}

/** What restart-service and start-service share: one of the server's services, verified by the services probe. */
function serviceActionBase(server: ServerConfig) {
  const service: ParamSpec = {
    kind: 'enum',
    values: server.services.map((s) => s.name),
    description: 'a service configured on this server',
  };
  return {
    source: 'builtin' as const,
    params: { service },
    targetParam: 'service',
    verify: ['service'],
    risk: 'low' as const,
    timeoutMs: 120_000,
  };
}

/** The helper resolves the directory as root, checks it and empties it from inside (server-helper.ts). */
const CLEAR_WORDS: readonly Word[] = helperWords('clear-directory', [[{ param: 'directory' }]]);

function clearDirectory(server: ServerConfig): CatalogAction[] {
  const dirs = safeClearable(server);
  if (dirs.length === 0) return [];
  return [
    {
      id: 'clear-directory',
      description:
        'Delete everything inside a directory the config lists as clearable (the directory stays).',
      source: 'builtin',
      params: {
        directory: { kind: 'enum', values: dirs, description: 'a clearable directory of this server' },
      },
      targetParam: 'directory',
      risk: 'low',
      verify: ['disk', 'inodes'],
      cooldownMs: HOUR,
      maxPerDay: 4,
      timeoutMs: 300_000,
      rootCommand: () => CLEAR_WORDS,
      template: () => helperTemplate(server, CLEAR_WORDS),
    },
  ];
}

const VACUUM_WORDS: readonly Word[] = [['journalctl'], ['--vacuum-size=', { param: 'size' }]];
/** The helper resolves the lock's directory as root, checks it and the file, and removes it from inside. */
const REMOVE_LOCK_WORDS: readonly Word[] = helperWords('remove-stale-lock', [[{ param: 'path' }]]);
const LOGROTATE_WORDS: readonly Word[] = [['logrotate'], ['-f'], ['/etc/logrotate.conf']];

function housekeeping(server: ServerConfig): CatalogAction[] {
  return [vacuumJournal(server), removeStaleLock(server), rotateLogs(server)];
}

function vacuumJournal(server: ServerConfig): CatalogAction {
  return {
    id: 'vacuum-journal',
    description: 'Shrink the systemd journal to a size (default 500M) with journalctl --vacuum-size.',
    source: 'builtin',
    params: {
      size: {
        kind: 'pattern',
        pattern: JOURNAL_SIZE_PATTERN,
        maxLength: 6,
        description: 'target size like 500M or 2G',
        default: '500M',
      },
    },
    risk: 'low',
    verify: ['disk'],
    cooldownMs: 6 * HOUR,
    maxPerDay: 2,
    timeoutMs: 300_000,
    ...rootCommandOnly(server, VACUUM_WORDS),
  };
}

function removeStaleLock(server: ServerConfig): CatalogAction {
  return {
    id: 'remove-stale-lock',
    description:
      'Remove a stale lock or pid file under /run, /var/run, /var/lock or /tmp; refuses while the process it names is alive or any process holds a lock on it.',
    source: 'builtin',
    params: {
      path: {
        kind: 'pattern',
        pattern: LOCK_FILE_PATTERN,
        maxLength: 200,
        description: 'absolute path of a .pid/.lock/.lck file under /run, /var/run, /var/lock, /tmp',
        // one wildcard per lock directory not already under another (/run/* covers /run/lock)
        sudoers: LOCK_ROOTS.filter((r) => !LOCK_ROOTS.some((o) => r.startsWith(`${o}/`))).map(
          (r) => `${r}/*`,
        ),
      },
    },
    targetParam: 'path',
    targetOf: lockTarget,
    risk: 'medium',
    verify: ['service'],
    cooldownMs: HOUR,
    maxPerDay: 3,
    timeoutMs: 30_000,
    rootCommand: () => REMOVE_LOCK_WORDS,
    template: () => helperTemplate(server, REMOVE_LOCK_WORDS),
  };
}

/**
 * A lock path as the file it names: /var/run is /run and /var/lock is /run/lock (symlinks on every
 * current distribution; where they are not, two files share one count, which only limits more).
 */
function lockTarget(path: string): string {
  return path.replace(/^\/var\/run\//, '/run/').replace(/^\/var\/lock\//, '/run/lock/');
}

function rotateLogs(server: ServerConfig): CatalogAction {
  return {
    id: 'rotate-logs',
    description: 'Force a logrotate run with the system configuration (/etc/logrotate.conf).',
    source: 'builtin',
    params: {},
    risk: 'medium',
    verify: ['disk'],
    cooldownMs: 6 * HOUR,
    maxPerDay: 2,
    timeoutMs: 300_000,
    ...rootCommandOnly(server, LOGROTATE_WORDS),
  };
}

function appliesTo(remediation: RemediationConfig, server: ServerConfig): boolean {
  if (!remediation.servers) return true;
  return remediation.servers.some(
    (s) => s === server.name || s === '*' || (s.startsWith('tag:') && server.tags.includes(s.slice(4))),
  );
}

function configAction(id: string, remediation: RemediationConfig, server: ServerConfig): CatalogAction {
  // repo-trusted text written by the repository's owners: run as written, nothing interpolated;
  // under `sudo: actions` as ONE argument of `sudo -n /bin/sh -c`, which sudoers matches exactly
  const root: readonly Word[] | undefined =
    remediation.sudo === false ? undefined : [[CONFIG_SHELL], ['-c'], [{ text: remediation.command }]];
  return {
    id,
    description: remediation.description ?? `Repository-defined remediation: ${remediation.command}`,
    source: 'config',
    params: {},
    risk: remediation.risk,
    verify: remediation.verify,
    cooldownMs: remediation.cooldown,
    maxPerDay: remediation.max_per_day,
    timeoutMs: remediation.timeout,
    ...(remediation.settle !== undefined ? { settleMs: remediation.settle } : {}),
    ...(root ? { rootCommand: () => root } : {}),
    template: () => (root && server.sudo === 'actions' ? asRoot('sudo -n ', root) : [remediation.command]),
  };
}

export interface Catalog {
  actions: ReadonlyMap<string, CatalogAction>;
  /** config entries left out (a name that would shadow a built-in) */
  warnings: string[];
}

/** The actions allowed on one server: built-ins that fit its config, plus the config's own. */
export function buildCatalog(server: ServerConfig, config: Pick<Config, 'remediations'>): Catalog {
  const actions = new Map<string, CatalogAction>();
  for (const action of [
    ...serviceActions(server),
    ...freePortActions(server),
    ...clearDirectory(server),
    ...housekeeping(server),
  ]) {
    actions.set(action.id, action);
  }
  const warnings: string[] = [...checkClearable(server).refused];
  for (const [id, remediation] of Object.entries(config.remediations)) {
    if (!appliesTo(remediation, server)) continue;
    if (BUILTIN_IDS.has(id)) {
      warnings.push(`remediations.${id}: the name of a built-in action; rename it (left out)`);
      continue;
    }
    actions.set(id, configAction(id, remediation, server));
  }
  return { actions, warnings };
}

export const BUILTIN_IDS = new Set([
  'restart-service',
  'start-service',
  'clear-directory',
  'vacuum-journal',
  'remove-stale-lock',
  'rotate-logs',
  'free-port',
]);

/** The only way to build a remediation command: validate, then render the template. */
export function renderAction(action: CatalogAction, input: unknown): Result<RenderedAction> {
  const validated = validateParams(action, input);
  if (!validated.ok) return validated;
  const params = validated.value;
  const given = action.targetParam ? params[action.targetParam] : undefined;
  const target = given === undefined ? '-' : (action.targetOf?.(given) ?? given);
  return {
    ok: true,
    value: {
      action,
      params,
      command: renderFragments(action.template(params), params),
      target,
      key: `${action.id}:${target}`,
    },
  };
}

/** A line per action, for prompts and reports: id, risk, parameters. */
export function describeCatalog(actions: Iterable<CatalogAction>): string {
  const lines: string[] = [];
  for (const a of actions) {
    const params = describeParams(a.params);
    lines.push(`- ${a.id} (risk ${a.risk}${params ? `; ${params}` : '; no parameters'}): ${a.description}`);
  }
  return lines.join('\n');
}
