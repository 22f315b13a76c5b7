/**
 * The StateAccess port (`claudeops doctor`): can the state branch be read and written, asked
 * without writing anything.
 *
 * Remote (the Action): `git ls-remote` reads; `git push --dry-run` of a commit to the branch asks
 * for the push service, which a server refuses to a token without write access (GitHub answers
 * 403 "Permission … denied", as `git http-backend` does to an unauthenticated push) before any
 * object is sent. `--dry-run` sends nothing and changes no ref; `--force` only keeps git from
 * refusing locally because the dry-run commit does not descend from the branch tip.
 * Local (the CLI): the directory is a git repository (or can be created) and is writable.
 */
import { constants } from 'node:fs';
import { access, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { StateAccess, StateAccessResult } from '../core/ports/index.js';
import { errorMessage } from '../core/util/error-message.js';
import { Git, tokenAuth } from './git-cli.js';

export function remoteStateAccess(options: {
  remoteUrl: string;
  token?: string;
  branch: string;
  workDir?: string;
  mask?: (secret: string) => void;
}): StateAccess {
  return {
    location: options.remoteUrl,
    async check(): Promise<StateAccessResult> {
      const dir = await mkdtemp(join(options.workDir ?? tmpdir(), 'claudeops-doctor-'));
      try {
        const git = new Git(dir, {
          config: { 'core.hooksPath': '/dev/null', 'commit.gpgSign': 'false' },
          timeoutMs: 60_000,
          ...(options.token ? tokenAuth(options.token, options.mask) : {}),
        });
        await git.run(['init', '-q']);
        const read = await git.run(['ls-remote', '--heads', options.remoteUrl, options.branch], {
          allowFailure: true,
        });
        if (read.exitCode !== 0)
          return { ok: false, reason: 'unreachable', message: `cannot read: ${lastLine(git, read.stderr)}` };
        const tree = (await git.run(['hash-object', '-t', 'tree', '--stdin'], { input: '' })).stdout.trim();
        const commit = (
          await git.run(['commit-tree', tree, '-m', 'claudeops doctor: dry run, never pushed'], {
            env: identity,
          })
        ).stdout.trim();
        const push = await git.run(
          [
            'push',
            '--dry-run',
            '--force',
            '--porcelain',
            options.remoteUrl,
            `${commit}:refs/heads/${options.branch}`,
          ],
          { allowFailure: true },
        );
        if (push.exitCode !== 0)
          return {
            ok: false,
            reason: 'read-only',
            message: `readable, but a push is refused: ${lastLine(git, push.stderr || push.stdout)}`,
          };
        return { ok: true };
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}

const identity = {
  GIT_AUTHOR_NAME: 'claudeops doctor',
  GIT_AUTHOR_EMAIL: 'claudeops-doctor@localhost',
  GIT_COMMITTER_NAME: 'claudeops doctor',
  GIT_COMMITTER_EMAIL: 'claudeops-doctor@localhost',
};

function lastLine(git: Git, text: string): string {
  const lines = git
    .scrub(text)
    .trim()
    .split('\n')
    .filter((l) => l.trim() && !/^To |^Done$/.test(l));
  return lines.slice(-2).join(' / ') || 'no reason given';
}

async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

async function writable(path: string): Promise<boolean> {
  return access(path, constants.W_OK).then(
    () => true,
    () => false,
  );
}

/** The CLI's local state repository: created on first use, so a missing one is fine where it can be made. */
export function localStateAccess(dir: string): StateAccess {
  const path = resolve(dir);
  return {
    location: path,
    async check(): Promise<StateAccessResult> {
      try {
        if (!(await isDirectory(path))) {
          let parent = dirname(path);
          while (!(await isDirectory(parent)) && parent !== dirname(parent)) parent = dirname(parent);
          return (await writable(parent))
            ? { ok: true }
            : { ok: false, reason: 'read-only', message: `does not exist and ${parent} is not writable` };
        }
        const repo = (await isDirectory(join(path, '.git')))
          ? join(path, '.git')
          : (await isDirectory(join(path, 'objects')))
            ? path
            : undefined;
        // an empty directory becomes the repository on first use; anything else is someone's files
        if (!repo && (await readdir(path)).length > 0)
          return { ok: false, reason: 'not-a-repository', message: 'exists but is not a git repository' };
        return (await writable(repo ?? path)) && (await writable(path))
          ? { ok: true }
          : { ok: false, reason: 'read-only', message: 'is not writable for this user' };
      } catch (error) {
        return { ok: false, reason: 'unreachable', message: errorMessage(error) };
      }
    },
  };
}
