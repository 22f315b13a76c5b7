/**
 * Command templates (docs/architecture.md#remediation): how a fixed command is built from typed,
 * validated parameters. Literal fragments are trusted text; a parameter only ever enters
 * shell-quoted, through `{ param }`. The remediation catalog and the read-only diagnostics both
 * build their commands here, and `claudeops sudoers` reads the same words. Pure: no I/O.
 */
import type { ServerConfig } from '../config/schema.js';
import { shellQuote } from '../core/util/shell-quote.js';

export type ParamSpec =
  | { kind: 'enum'; values: readonly string[]; description: string }
  | {
      kind: 'pattern';
      pattern: RegExp;
      maxLength: number;
      description: string;
      default?: string;
      /**
       * sudoers wildcards covering every valid value (`/run/*`), for a root command that checks the
       * value again itself (the on-server helper): `claudeops sudoers` writes them as they are
       */
      sudoers?: readonly string[];
    };

/**
 * A piece of a command template: trusted literal text (verbatim), a parameter inserted
 * shell-quoted, or trusted text inserted shell-quoted as one word (`{ text }`).
 */
export type Fragment = string | { param: string } | { text: string };

/**
 * One argument of a command: its fragments concatenated (`['--vacuum-size=', { param: 'size' }]`).
 * Literal fragments in words are plain (no shell syntax), so the shell word is the argument.
 */
export type Word = readonly Fragment[];

/**
 * A command built from a fixed template and validated parameters: what the remediation catalog's
 * actions and the read-only diagnostics have in common.
 */
export interface TemplatedCommand {
  id: string;
  description: string;
  params: Readonly<Record<string, ParamSpec>>;
  /** builds the command from validated parameters; parameters only enter through `{ param }` */
  template(params: Readonly<Record<string, string>>): Fragment[];
}

/** `sudo -n` before root commands, or nothing: from the server's `sudo` setting. */
export type SudoPrefix = '' | 'sudo -n ';

export function sudoPrefix(server: Pick<ServerConfig, 'sudo'>): SudoPrefix {
  return server.sudo === 'actions' ? 'sudo -n ' : '';
}

/** Words joined by single spaces, as template fragments. */
export function wordsToFragments(words: readonly Word[]): Fragment[] {
  return words.flatMap((word, i) => (i === 0 ? [...word] : [' ', ...word]));
}

/** One fragment's text: literals verbatim, trusted text and parameter values through `quote`. */
function fragmentText(
  fragment: Fragment,
  params: Readonly<Record<string, string>>,
  quote: (value: string) => string,
): string {
  if (typeof fragment === 'string') return fragment;
  if ('text' in fragment) return quote(fragment.text);
  const value = params[fragment.param];
  if (value === undefined) throw new Error(`template uses an undeclared parameter ${fragment.param}`);
  return quote(value);
}

const verbatim = (value: string): string => value;

/** The argv the words stand for, with validated parameter values (what sudo sees after `-n`). */
export function wordsToArgv(words: readonly Word[], params: Readonly<Record<string, string>>): string[] {
  return words.map((word) => word.map((fragment) => fragmentText(fragment, params, verbatim)).join(''));
}

/** A root command's fragments: `sudo -n ` (under `sudo: actions`) and the words. */
export function asRoot(prefix: SudoPrefix, words: readonly Word[]): Fragment[] {
  return prefix ? [prefix, ...wordsToFragments(words)] : wordsToFragments(words);
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: string };

function checkParam(name: string, spec: ParamSpec, value: unknown): Result<string> {
  if (value === undefined && spec.kind === 'pattern' && spec.default !== undefined) {
    return { ok: true, value: spec.default };
  }
  if (typeof value !== 'string')
    return { ok: false, error: `${name}: expected a string (${spec.description})` };
  if (spec.kind === 'enum') {
    return spec.values.includes(value)
      ? { ok: true, value }
      : {
          ok: false,
          error: `${name}: expected one of ${spec.values.join(', ')} (got ${JSON.stringify(value)})`,
        };
  }
  if (value.length > spec.maxLength || !spec.pattern.test(value)) {
    return {
      ok: false,
      error: `${name}: expected ${spec.description} (got ${JSON.stringify(value.slice(0, 80))})`,
    };
  }
  return { ok: true, value };
}

/** Validates untrusted parameters (from the model or an approval file) against the action's specs. */
export function validateParams(
  action: Pick<TemplatedCommand, 'id' | 'params'>,
  input: unknown,
): Result<Record<string, string>> {
  const given = input ?? {};
  if (typeof given !== 'object' || Array.isArray(given))
    return { ok: false, error: 'params: expected an object' };
  const entries = given as Record<string, unknown>;
  const errors: string[] = [];
  const unknown = Object.keys(entries).filter((k) => !Object.hasOwn(action.params, k));
  if (unknown.length > 0) errors.push(`unknown parameter(s) ${unknown.join(', ')} for ${action.id}`);
  const params: Record<string, string> = {};
  for (const [name, spec] of Object.entries(action.params)) {
    const checked = checkParam(name, spec, entries[name]);
    if (checked.ok) params[name] = checked.value;
    else errors.push(checked.error);
  }
  return errors.length > 0 ? { ok: false, error: errors.join('; ') } : { ok: true, value: params };
}

/** Joins a template: literals verbatim, parameters shell-quoted. */
export function renderFragments(
  fragments: readonly Fragment[],
  params: Readonly<Record<string, string>>,
): string {
  return fragments.map((fragment) => fragmentText(fragment, params, shellQuote)).join('');
}

/** `name: one of [a, b]; other: its description`, or '' when there are none: for prompts. */
export function describeParams(params: Readonly<Record<string, ParamSpec>>): string {
  return Object.entries(params)
    .map(([name, spec]) =>
      spec.kind === 'enum' ? `${name}: one of [${spec.values.join(', ')}]` : `${name}: ${spec.description}`,
    )
    .join('; ');
}

/** The POSIX shell a config remediation runs in under `sudo: actions` (an absolute path for sudoers). */
export const CONFIG_SHELL = '/bin/sh';
