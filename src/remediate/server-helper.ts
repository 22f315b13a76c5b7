/**
 * The on-server helper (docs/least-privilege.md#the-helper-claudeops-helper): one POSIX shell program,
 * `claudeops-helper`, that does the root side of every catalog action that deletes a path or
 * signals a process — clear-directory, remove-stale-lock, free-port — with the checks made
 * where the action happens, as root, at that moment:
 *
 *   - a path is resolved there (`cd -P`), must stay inside what the action may touch, every
 *     directory above it must be root's and unwritable by anyone else, and the action then works
 *     from inside the resolved directory (its inode), so a swapped name changes nothing;
 *   - a process is signalled only as (PID, start time), judged just before each signal by its
 *     systemd unit, its container and its whole ancestry (never sshd or an SSH session, systemd,
 *     init, a container runtime or shim, a supervisor, or a configured service's process).
 *
 * Under `sudo: actions` the installed helper (HELPER_PATH) is what sudoers allows, with exact
 * arguments, after the action checked it is this version's (its sha256); elsewhere the same text
 * is sent inline. The text is src/remediate/claudeops-helper.sh with this module's lists filled in.
 * Pure: no I/O.
 */
import { createHash } from 'node:crypto';
import type { ServerConfig } from '../config/schema.js';
import { PROTECTED_DIRS, PROTECTED_TREES } from '../core/util/safe-path.js';
import { HELPER_TEMPLATE } from './claudeops-helper.generated.js';
import { type Fragment, type Word, wordsToFragments } from './command-template.js';

/** Where the user installs the helper (root-owned, 0755); sudoers names it. */
export const HELPER_PATH = '/usr/local/sbin/claudeops-helper';

/** Bumped whenever the helper's arguments change meaning (its sha256 changes with any edit anyway). */
export const HELPER_VERSION = '1';

/**
 * Process names (shell patterns, compared with the kernel's 15-character `comm`) that are never
 * signalled, nor anything that descends from them: SSH (the daemon and, since OpenSSH 9.8, the
 * per-connection `sshd-session` and `sshd-auth`, which hold `ssh -R` listeners), systemd and its
 * helpers (`systemd-resolve` on port 53), init, container runtimes and shims, and supervisors.
 */
export const NEVER_SIGNALLED = [
  'sshd',
  'sshd-*',
  'systemd',
  'systemd-*',
  'init',
  'docker-init',
  'tini',
  'dockerd',
  'docker-proxy',
  'containerd',
  'containerd-shim*',
  'runc',
  'conmon',
  'supervisord',
  'PM2*',
  'runsv',
  'runsvdir',
  's6-supervise',
] as const;

/** cgroup path steps that mean "a container's process" (Docker, Podman, Kubernetes, LXC, CRI-O, machined). */
export const CONTAINER_STEPS = [
  'docker',
  'docker-*.scope',
  'libpod-*',
  'kubepods*',
  'lxc.payload*',
  'crio-*',
  'machine.slice',
] as const;

/** Where remove-stale-lock may remove a file: these directories and up to two levels below. */
export const LOCK_ROOTS = ['/run', '/var/run', '/run/lock', '/var/lock', '/tmp', '/var/tmp'] as const;

/**
 * A stale lock or pid file's path as a POSIX ERE (what the helper checks with `grep -E`); `.` and
 * `..` steps are refused separately (the helper's plain_path, the catalog's LOCK_FILE_PATTERN).
 */
export const LOCK_FILE_ERE =
  '^/(run|var/run|run/lock|var/lock|tmp|var/tmp)/([A-Za-z0-9_.-]+/){0,2}[A-Za-z0-9_.-]+\\.(pid|lock|lck)$';

/** The programs free-port may start a service with (its manager's CLI). */
export const START_PROGRAMS = ['systemctl', 'service', 'supervisorctl', 'docker', 'docker-compose'] as const;

let script: string | undefined;

/** The helper's text: what `claudeops helper` prints and what runs. */
export function helperScript(): string {
  script ??= HELPER_TEMPLATE.replaceAll('@VERSION@', HELPER_VERSION)
    .replaceAll('@PROTECTED_TREES@', PROTECTED_TREES.join(' '))
    .replaceAll('@PROTECTED_DIRS@', [...PROTECTED_DIRS].join(' '))
    .replaceAll('@LOCK_ROOTS@', LOCK_ROOTS.join(' '))
    .replaceAll('@LOCK_ERE@', LOCK_FILE_ERE)
    .replaceAll('@NEVER@', NEVER_SIGNALLED.join(' '))
    .replaceAll('@CONTAINER_STEPS@', CONTAINER_STEPS.join(' '))
    .replaceAll('@START_PROGRAMS@', START_PROGRAMS.join(' '));
  return script;
}

/** sha256 of the helper's text: an installed helper must be exactly this one. */
export function helperDigest(): string {
  return createHash('sha256').update(helperScript()).digest('hex');
}

/** One helper call as argv words: the installed path, the command, its arguments. */
export function helperWords(command: string, args: readonly Word[]): Word[] {
  return [[HELPER_PATH], [command], ...args];
}

/**
 * Before `sudo -n HELPER_PATH …`: the installed helper must be root's, writable by nobody else,
 * and exactly this version's text; otherwise the action stops with a line that says what to do.
 */
function installedCheck(): string {
  return [
    `h=${HELPER_PATH}`,
    'set -- $(stat -Lc "%u %a" "$h" 2>/dev/null)',
    `if [ "$#" != 2 ] || [ "$1" != 0 ] || [ $((0$2 & 022)) != 0 ] || [ "$(sha256sum < "$h" | cut -c1-64)" != ${helperDigest()} ]; then`,
    '  echo "refusing: $h is missing, not root-only or not the helper of this ClaudeOps version: install the output of \'claudeops helper\' there (docs/least-privilege.md)"; exit 4',
    'fi',
  ].join('\n');
}

/**
 * The command of an action the helper carries out: under `sudo: actions` the installed helper
 * through `sudo -n` (after `installedCheck`); otherwise this version's text inline — `set -- ARGS`,
 * then the script — as the whole script of the server's shell (root under `sudo: true`). Records
 * show the inline form as the call (core/render/command-text.ts).
 */
export function helperTemplate(server: Pick<ServerConfig, 'sudo'>, words: readonly Word[]): Fragment[] {
  if (server.sudo === 'actions') return [installedCheck(), '\nsudo -n ', ...wordsToFragments(words)];
  const [, ...args] = words;
  return ['set -- ', ...wordsToFragments(args), '\n', helperScript()];
}
