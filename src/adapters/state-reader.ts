/**
 * Reads the state branch out of a local git repository, without a work tree: the CLI's own
 * `.claudeops/state`, or any clone of a repository with the branch fetched (`origin/claudeops-state`).
 * Counts the bytes it reads, so "uptime reads a bounded number of bytes" is measured, not claimed.
 */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { StateReader } from '../core/ports/index.js';
import { Git, lsTree, readBlobs } from './git-cli.js';

export class StateBranchNotFound extends Error {}

export async function openStateReader(dir: string, branch = 'claudeops-state'): Promise<StateReader> {
  const path = resolve(dir);
  if (!(await stat(path).catch(() => undefined))) {
    throw new StateBranchNotFound(`${dir}: no such directory (run a check first, or pass --state-repo DIR)`);
  }
  const git = new Git(path);
  const ref = await resolveRef(git, branch);
  if (!ref) {
    throw new StateBranchNotFound(
      `${dir}: no branch ${branch} here (nor origin/${branch}); run a check first, or fetch the branch`,
    );
  }
  let bytes = 0;
  return {
    get bytesRead() {
      return bytes;
    },
    async list(prefix) {
      const entries = await lsTree(git, ref, [prefix], true);
      return entries.filter((e) => e.type === 'blob').map((e) => e.path);
    },
    async read(paths) {
      const out = new Map<string, string>();
      if (paths.length === 0) return out;
      const entries = await lsTree(git, ref, [...paths]);
      const blobs = entries.filter((e) => e.type === 'blob');
      const contents = await readBlobs(
        git,
        blobs.map((e) => e.oid),
      );
      for (const e of blobs) {
        const text = contents.get(e.oid);
        if (text === undefined) continue;
        bytes += Buffer.byteLength(text);
        out.set(e.path, text);
      }
      return out;
    },
  };
}

async function resolveRef(git: Git, branch: string): Promise<string | undefined> {
  for (const candidate of [`refs/heads/${branch}`, `refs/remotes/origin/${branch}`]) {
    const r = await git.run(['rev-parse', '--verify', '--quiet', `${candidate}^{commit}`], {
      allowFailure: true,
    });
    if (r.exitCode === 0) return r.stdout.trim();
  }
  return undefined;
}
