/**
 * `claudeops sudoers` (docs/architecture.md#security, docs/least-privilege.md): a sudoers drop-in that lets the SSH
 * user run, as root and without a password, exactly the root commands the catalog runs on a server
 * with `sudo: actions`, and nothing else. Built from the catalog's own `rootCommand` words, so the
 * file allows precisely what `renderAction` renders. Pure: no I/O.
 *
 * Parameters are enumerated from the config (services, clearable directories); a regex-bounded
 * parameter cannot be listed, so its action is left out with a comment saying so (its default
 * value, when it has one, is listed: `journalctl --vacuum-size=500M`) — unless the root command is
 * the on-server helper, which checks the value again itself: then the parameter's sudoers
 * wildcards are written (`claudeops-helper remove-stale-lock /run/*`). Left-out actions fail with
 * a clear sudo error ("a password is required") unless the server uses `sudo: true`. Deletes and
 * kills go through the helper only: no rule allows `find … -delete`, `rm` or `kill`.
 */
import type { Config, ServerConfig } from '../config/schema.js';
import { buildCatalog } from './catalog.js';
import type { CatalogAction } from './catalog-action.js';
import { wordsToArgv } from './command-template.js';
import { HELPER_PATH } from './server-helper.js';

/** Where each program the catalog runs as root lives on a merged-/usr system (Debian 12, Ubuntu 20.04+, RHEL 8+). */
export const DEFAULT_PROGRAM_PATHS: Readonly<Record<string, string>> = {
  systemctl: '/usr/bin/systemctl',
  service: '/usr/sbin/service',
  supervisorctl: '/usr/bin/supervisorctl',
  docker: '/usr/bin/docker',
  'docker-compose': '/usr/bin/docker-compose',
  journalctl: '/usr/bin/journalctl',
  logrotate: '/usr/sbin/logrotate',
  '/bin/sh': '/bin/sh',
};

/** A user name sudoers takes as a plain word (no `%group`, `#uid`, `+netgroup`, no escaping games). */
const USER_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,31}$/;
/** An absolute program path that needs no sudoers escaping. */
const PROGRAM_PATH = /^\/[A-Za-z0-9_.+/-]+$/;

/** Characters sudoers treats as syntax in a command line (`,` `:` `=` `#` `!`) or as wildcards (`*` `?` `[` `]`). */
const ESCAPED = new Set([',', ':', '=', '#', '!', '*', '?', '[', ']', ' ', '\t']);

/**
 * Escapes one argument for a sudoers command line, or undefined when sudoers cannot match it
 * exactly: an empty argument (it vanishes from the joined command line), a newline or another
 * control character. A backslash becomes four: sudoers' parser makes it two, fnmatch one.
 * Spaces and tabs are escaped so runs of them survive (unescaped, sudoers collapses them).
 */
export function sudoersArg(arg: string): string | undefined {
  if (arg === '') return undefined;
  if (hasControl(arg, true)) return undefined;
  let out = '';
  for (const ch of arg) {
    if (ch === '\\') out += '\\\\\\\\';
    else if (ESCAPED.has(ch)) out += `\\${ch}`;
    else out += ch;
  }
  return out;
}

/** A control character (a tab too unless `allowTab`): sudoers has no way to write most of them. */
export function hasControl(text: string, allowTab = false): boolean {
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    if ((code < 0x20 || code === 0x7f) && !(allowTab && ch === '\t')) return true;
  }
  return false;
}

export type SudoersLine = { ok: true; line: string } | { ok: false; reason: string };

/**
 * The sudoers command for one argv (program name first): `/usr/bin/systemctl restart -- nginx`.
 * `paths` maps program names to absolute paths (sudoers needs them; sudo resolves the bare name the
 * product runs through its secure_path and compares the files).
 */
export function sudoersCommand(
  argv: readonly string[],
  paths: Readonly<Record<string, string>>,
  /** arguments written as they are (sudoers wildcards standing for a checked parameter) */
  raw: ReadonlyMap<string, string> = new Map(),
): SudoersLine {
  const [program, ...args] = argv;
  if (program === undefined) return { ok: false, reason: 'no command' };
  const path = paths[program] ?? (program.startsWith('/') ? program : undefined);
  if (!path)
    return { ok: false, reason: `no absolute path known for ${program} (pass --path ${program}=/abs/path)` };
  if (!PROGRAM_PATH.test(path))
    return { ok: false, reason: `program path ${JSON.stringify(path)} needs escaping` };
  const escaped: string[] = [];
  for (const arg of args) {
    const e = raw.get(arg) ?? sudoersArg(arg);
    if (e === undefined) {
      return {
        ok: false,
        reason:
          arg === ''
            ? 'an empty argument, which sudoers cannot match'
            : 'an argument with a newline or control character, which sudoers cannot match',
      };
    }
    escaped.push(e);
  }
  const joined = escaped.join(' ');
  // sudo 1.9.10+ reads a command line that starts with ^ and ends with $ as a regular expression
  if (joined.startsWith('^') && joined.endsWith('$'))
    return { ok: false, reason: 'arguments that sudoers would read as a regular expression (^…$)' };
  // `""` alone means "no arguments at all" to sudoers
  if (joined === '""') return { ok: false, reason: 'arguments that sudoers reads as "no arguments"' };
  return { ok: true, line: joined ? `${path} ${joined}` : `${path} ""` };
}

export interface SudoersInput {
  config: Config;
  /** the servers the file is for (one per file is least privilege; several: their union) */
  servers: readonly ServerConfig[];
  /** the SSH user the rules are for */
  user: string;
  /** what the header names as the source */
  source: { path: string; sha256?: string };
  now: Date;
  /** program name → absolute path, over DEFAULT_PROGRAM_PATHS */
  paths?: Readonly<Record<string, string>>;
}

export interface SudoersEntry {
  action: string;
  server: string;
  /** the command as the catalog runs it after `sudo -n` (program name first; a value a wildcard matches where the line has one) */
  argv: string[];
  line: string;
  /** params that were not the config's to enumerate (a default was used) */
  note?: string;
  /** a shell text containing spaces: prefixes are reachable (see the file's note) */
  shellText?: boolean;
}

/**
 * An argument as a real call could pass it: a wildcard's stand-in becomes a value the wildcard
 * matches (`/run/*` → `/run/claudeops-doctor.pid`), so `sudo -n -l` can be asked about the entry.
 */
function sampleFor(arg: string, globs: ReadonlyMap<string, string>): string {
  const glob = globs.get(arg);
  return glob === undefined ? arg : glob.replaceAll('*', 'claudeops-doctor.pid');
}

/** A stand-in parameter value for a sudoers wildcard, swapped for the wildcard once the line is escaped. */
const globMark = (i: number): string => `\u0000glob${i}\u0000`;

interface Combinations {
  ok: true;
  combos: Record<string, string>[];
  defaults: string[];
  /** stand-in value → the sudoers wildcard written in its place */
  globs: Map<string, string>;
}

/** The parameter combinations sudoers can list for an action, or why it cannot. */
function combinations(action: CatalogAction): Combinations | { ok: false; reason: string } {
  let combos: Record<string, string>[] = [{}];
  const defaults: string[] = [];
  const globs = new Map<string, string>();
  for (const [name, spec] of Object.entries(action.params)) {
    let values: readonly string[];
    if (spec.kind === 'enum') values = spec.values;
    else if (spec.sudoers) {
      values = spec.sudoers.map((glob) => {
        const mark = globMark(globs.size);
        globs.set(mark, glob);
        return mark;
      });
    } else if (spec.default !== undefined) {
      values = [spec.default];
      defaults.push(`${name}=${spec.default}`);
    } else {
      return {
        ok: false,
        reason: `its ${name} parameter is bounded by a pattern (${spec.description}), not a list sudoers can hold`,
      };
    }
    combos = combos.flatMap((c) => values.map((v) => ({ ...c, [name]: v })));
  }
  return { ok: true, combos, defaults, globs };
}

export function generateSudoers(input: SudoersInput): string {
  if (!USER_NAME.test(input.user)) {
    throw new Error(
      `user ${JSON.stringify(input.user)}: expected a plain user name (letters, digits, _ . -), not a group or uid`,
    );
  }
  const rules = sudoersRules(input);
  const out = [
    ...headerLines(
      input,
      rules.notes,
      rules.entries.some((e) => e.line.startsWith(`${HELPER_PATH} `)),
    ),
    '',
    ...ruleLines(input, rules.entries),
    ...omittedLines(rules.omitted),
  ];
  return `${out.join('\n')}\n`;
}

/** What the file allows, what it cannot allow and why, and notes on servers it does not fit. */
export interface Rules {
  entries: SudoersEntry[];
  omitted: string[];
  notes: string[];
}

/**
 * What the file allows (each entry with the argv the catalog runs), what it cannot and why.
 * `claudeops doctor` asks the server's sudo about exactly these entries.
 */
export function sudoersRules(input: Pick<SudoersInput, 'config' | 'servers' | 'paths'>): Rules {
  const paths = { ...DEFAULT_PROGRAM_PATHS, ...(input.paths ?? {}) };
  const rules: Rules = { entries: [], omitted: [], notes: [] };
  for (const server of input.servers) {
    const note = sudoModeNote(server);
    if (note) rules.notes.push(note);
    for (const action of buildCatalog(server, input.config).actions.values()) {
      if (action.rootCommand) addActionRules(rules, action, server, paths);
    }
  }
  return rules;
}

function sudoModeNote(server: ServerConfig): string | undefined {
  if (server.sudo === 'actions') return undefined;
  return server.sudo === true
    ? `server ${server.name} has sudo: true: its scripts run as \`sudo -n sh -s\`, which needs full root and which this file does NOT grant. Set sudo: actions to use these rules.`
    : `server ${server.name} has sudo: false: nothing runs through sudo there. Set sudo: actions to use these rules.`;
}

/** One rule per parameter combination of an action's root command, or why one cannot be written. */
function addActionRules(
  rules: Rules,
  action: CatalogAction,
  server: ServerConfig,
  paths: Readonly<Record<string, string>>,
): void {
  const combos = combinations(action);
  if (!combos.ok) {
    rules.omitted.push(`${action.id} on ${server.name}: ${combos.reason}`);
    return;
  }
  const note =
    combos.defaults.length > 0
      ? { note: `only ${combos.defaults.join(', ')} (the default); other values are not allowed` }
      : combos.globs.size > 0
        ? {
            note: "sudo's * matches any text, several arguments too: claudeops-helper checks the value itself and refuses the rest",
          }
        : {};
  for (const params of combos.combos) {
    const words = action.rootCommand?.(params);
    if (!words) continue; // e.g. a pm2 service: runs as the SSH user
    const argv = wordsToArgv(words, params);
    const line = ruleFor(action, argv, paths, combos.globs);
    if (!line.ok) {
      rules.omitted.push(`${action.id} on ${server.name} (${argv.join(' ').slice(0, 60)}): ${line.reason}`);
      continue;
    }
    rules.entries.push({
      action: action.id,
      server: server.name,
      argv: argv.map((arg) => sampleFor(arg, combos.globs)),
      line: line.line,
      ...note,
      ...(action.source === 'config' && /\s/.test(argv[2] ?? '') ? { shellText: true } : {}),
    });
  }
}

function ruleFor(
  action: CatalogAction,
  argv: readonly string[],
  paths: Readonly<Record<string, string>>,
  globs: ReadonlyMap<string, string>,
): SudoersLine {
  if (action.source === 'builtin' && argv.slice(1).some((a) => /\s/.test(a))) {
    // sudo matches the space-joined arguments: `'/srv/my cache'` would also allow `/srv/my cache`
    return { ok: false, reason: 'an argument with a space, which sudo could not tell from two arguments' };
  }
  return sudoersCommand(argv, paths, globs);
}

function headerLines(input: SudoersInput, notes: readonly string[], helperUsed: boolean): string[] {
  const several = input.servers.length > 1;
  const names = input.servers.map((s) => s.name).join(', ');
  const digest = input.source.sha256 ? ` (sha256 ${input.source.sha256.slice(0, 16)}…)` : '';
  return [
    '# /etc/sudoers.d/claudeops: generated by `claudeops sudoers`. Do not edit; regenerate.',
    `# From config ${input.source.path}${digest}, server${input.servers.length === 1 ? '' : 's'} ${names}, at ${input.now.toISOString()}.`,
    `# Lets ${input.user} run, as root and without a password, exactly the commands the ClaudeOps`,
    '# catalog runs through `sudo -n` on a server with `sudo: actions`, and nothing else.',
    '# Regenerate and reinstall whenever services, clearable directories or remediations change:',
    '# a command not listed here is refused by sudo and its action fails ("a password is required").',
    '# Install: visudo -cf FILE && install -o root -g root -m 0440 FILE /etc/sudoers.d/claudeops',
    '# Program paths assume a merged /usr; check `command -v systemctl journalctl ...` on the',
    '# server and regenerate with --path NAME=/abs/path where yours differ.',
    ...(helperUsed
      ? [
          `# Deletes and kills run only through ${HELPER_PATH}: install the output of`,
          '# `claudeops helper` there (install -o root -g root -m 0755); each action checks its sha256.',
        ]
      : []),
    ...(several
      ? ['# Several servers: this is the union of their commands (use --server NAME for one each).']
      : []),
    ...notes.map((note) => `# NOTE: ${note}`),
  ];
}

/** The rules, each line once, under a comment heading per action (and server, when several). */
function ruleLines(input: SudoersInput, entries: readonly SudoersEntry[]): string[] {
  if (entries.length === 0) {
    return ['# No catalog command needs root for this configuration: nothing is allowed.'];
  }
  const out = [`Defaults:${input.user} !requiretty`];
  const seen = new Set<string>();
  let group = '';
  for (const entry of entries) {
    if (seen.has(entry.line)) continue;
    seen.add(entry.line);
    const heading = `${entry.action}${input.servers.length > 1 ? ` (${entry.server})` : ''}`;
    if (heading !== group) {
      out.push('', ...headingLines(heading, entry));
      group = heading;
    }
    out.push(`${input.user} ALL=(root) NOPASSWD: ${entry.line}`);
  }
  return out;
}

function headingLines(heading: string, entry: SudoersEntry): string[] {
  const lines = [`# ${heading}${entry.note ? `: ${entry.note}` : ''}`];
  if (entry.shellText) {
    lines.push(
      '# sudo compares the space-joined arguments, so the user can also run any prefix of this text',
      '# that ends at a space: make sure each is harmless, or point the remediation at a root-owned',
      '# script without spaces (command: /usr/local/sbin/NAME).',
    );
  }
  return lines;
}

function omittedLines(omitted: readonly string[]): string[] {
  if (omitted.length === 0) return [];
  return [
    '',
    '# Not allowed (these actions need sudo: true on the server, or they fail with a sudo error):',
    ...omitted.map((o) => `#   ${o.replace(/[\r\n]+/g, ' ')}`),
  ];
}
