/** Helpers for state-branch tests: a bare "remote" under a temp dir, stores pointing at it. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { GitStateStore, type GitStateStoreOptions } from '../../src/adapters/git-state-store.js';
import { emptyServerState, type ServerState } from '../../src/core/memory/memory.js';
import { serializeServerState } from '../../src/core/memory/server-state.js';

export interface Sandbox {
  root: string;
  remote: string;
  store(options?: Partial<GitStateStoreOptions>): GitStateStore;
  git(...args: string[]): Promise<string>;
  /** files on the remote branch tip */
  files(branch?: string): Promise<string[]>;
  show(path: string, branch?: string): Promise<string>;
  cleanup(): Promise<void>;
}

export async function sandbox(): Promise<Sandbox> {
  const root = await mkdtemp(join(tmpdir(), 'claudeops-state-test-'));
  const remote = join(root, 'remote.git');
  await execa('git', ['init', '-q', '--bare', remote]);
  // GitHub serves partial clones; a local bare repository must be told to
  await execa('git', ['-C', remote, 'config', 'uploadpack.allowFilter', 'true']);
  const git = async (...args: string[]) => (await execa('git', ['-C', remote, ...args])).stdout;
  return {
    root,
    remote,
    store: (options = {}) =>
      new GitStateStore({ remoteUrl: remote, workDir: join(root, 'work'), retryBaseMs: 10, ...options }),
    git,
    files: async (branch = 'claudeops-state') =>
      (await git('ls-tree', '-r', '--name-only', branch)).split('\n').filter(Boolean),
    show: (path, branch = 'claudeops-state') => git('show', `${branch}:${path}`),
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}

/** What one run does to a server's state, minimally: count itself. */
export function bumped(
  previous: ServerState | undefined,
  server: string,
  runId: string,
  at: Date,
): ServerState {
  const base = previous ?? emptyServerState(server);
  return {
    ...base,
    lastRun: at.toISOString(),
    lastChecked: at.toISOString(),
    runs: base.runs + 1,
    recentRuns: [...base.recentRuns, runId],
    samples: { ...base.samples, 'disk:/': [...(base.samples['disk:/'] ?? []), [at.toISOString(), 50]] },
  };
}

export function stateFile(state: ServerState): string {
  return serializeServerState(state);
}
