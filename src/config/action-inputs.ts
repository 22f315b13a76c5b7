import * as core from '@actions/core';
import {
  DEFAULT_CONFIG_PATH,
  DEFAULT_MODEL,
  DEFAULT_STATE_BRANCH,
  parseShard,
  type RunInputs,
  TASKS,
} from './run-inputs.js';
import type { Mode } from './schema.js';

const MODES = ['report', 'safe', 'full'] as const;

/**
 * The only place that reads action inputs. Every secret is masked before anything can log it.
 * Returns every input problem at once rather than the first.
 */
export function readActionInputs(): RunInputs {
  const secret = (name: string) => {
    const value = core.getInput(name);
    if (value) core.setSecret(value);
    return value || undefined;
  };
  const sshPrivateKey = secret('ssh-private-key');
  // A multi-line key is masked line by line too: the runner masks whole log lines only.
  for (const line of sshPrivateKey?.split('\n') ?? [])
    if (line.trim().length > 8) core.setSecret(line.trim());
  const problems: string[] = [];
  const task = core.getInput('task') || 'check';
  if (!(TASKS as readonly string[]).includes(task))
    problems.push(`task: expected one of ${TASKS.join(', ')} (got "${task}")`);
  const mode = core.getInput('mode');
  if (mode && !(MODES as readonly string[]).includes(mode))
    problems.push(`mode: expected one of ${MODES.join(', ')} (got "${mode}")`);
  const shardText = core.getInput('shard');
  const shard = shardText ? parseShard(shardText) : undefined;
  if (typeof shard === 'string') problems.push(shard);
  const dryRunText = core.getInput('dry-run').toLowerCase();
  const dryRun = ['true', 'yes', 'on', '1'].includes(dryRunText);
  if (dryRunText && !dryRun && !['false', 'no', 'off', '0'].includes(dryRunText)) {
    problems.push(`dry-run: expected true or false (got "${dryRunText}")`);
  }
  if (problems.length > 0) throw new Error(`invalid inputs:\n  - ${problems.join('\n  - ')}`);
  return {
    configPath: core.getInput('config') || DEFAULT_CONFIG_PATH,
    task: task as RunInputs['task'],
    mode: (mode || undefined) as Mode | undefined,
    dryRun,
    servers: core.getInput('servers') || undefined,
    shard: typeof shard === 'object' ? shard : undefined,
    sshPrivateKey,
    sshPassphrase: secret('ssh-passphrase'),
    knownHosts: core.getInput('known-hosts') || undefined,
    anthropicApiKey: secret('anthropic-api-key'),
    model: core.getInput('model') || DEFAULT_MODEL,
    githubToken: secret('github-token'),
    stateBranch: core.getInput('state-branch') || DEFAULT_STATE_BRANCH,
  };
}
