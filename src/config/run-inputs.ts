import type { Task } from '../core/tasks.js';
import type { Mode } from './schema.js';

/** What one invocation asks for, from action inputs or CLI flags (docs/architecture.md#interfaces). */
export interface RunInputs {
  configPath: string;
  task: Task;
  /** overrides the config's mode when set */
  mode?: Mode;
  dryRun: boolean;
  /** comma list of names and tag:NAME */
  servers?: string;
  shard?: { index: number; count: number };
  sshPrivateKey?: string;
  sshPassphrase?: string;
  knownHosts?: string;
  anthropicApiKey?: string;
  model: string;
  githubToken?: string;
  stateBranch: string;
  /** heartbeat ping URL (a secret): the heartbeat-url input, or CLAUDEOPS_HEARTBEAT_URL for the CLI */
  heartbeatUrl?: string;
  /** CLI only: a local state repository directory */
  stateRepo?: string;
}

export const DEFAULT_MODEL = 'claude-sonnet-4-6';
export const DEFAULT_STATE_BRANCH = 'claudeops-state';
export const DEFAULT_CONFIG_PATH = '.github/claudeops.yml';
export const MODES = ['report', 'safe', 'full'] as const;

/** A problem sentence when `value` is not one of `allowed`, else undefined. */
export function choiceProblem(label: string, value: string, allowed: readonly string[]): string | undefined {
  return allowed.includes(value)
    ? undefined
    : `${label}: expected one of ${allowed.join(', ')} (got "${value}")`;
}

/** Parses `i/n` (1-based i): this job takes every n-th server starting at i. */
export function parseShard(text: string): { index: number; count: number } | string {
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (!match || count < 1 || index < 1 || index > count) {
    return `shard: expected i/n with 1 <= i <= n, like 2/4 (got "${text}")`;
  }
  return { index, count };
}
