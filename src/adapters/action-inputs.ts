import * as core from '@actions/core';
import {
  choiceProblem,
  DEFAULT_CONFIG_PATH,
  DEFAULT_MODEL,
  DEFAULT_STATE_BRANCH,
  MODES,
  parseShard,
  type RunInputs,
} from '../config/run-inputs.js';
import type { Mode } from '../config/schema.js';
import { TASK_NAMES } from '../core/tasks.js';

/**
 * The only place that reads action inputs (docs/architecture.md#interfaces): the only caller of
 * `getInput`. Every secret is masked before anything can log it.
 * Reports every input problem at once rather than the first.
 */
export function readActionInputs(): RunInputs {
  const problems: string[] = [];
  const note = (problem: string | undefined) => problem && problems.push(problem);
  const task = input('task') || 'check';
  note(choiceProblem('task', task, TASK_NAMES));
  const mode = input('mode');
  if (mode) note(choiceProblem('mode', mode, MODES));
  const shardText = input('shard');
  const shard = shardText ? parseShard(shardText) : undefined;
  if (typeof shard === 'string') note(shard);
  const dryRun = booleanInput('dry-run', note);
  const secrets = readSecrets();
  if (problems.length > 0) throw new Error(`invalid inputs:\n  - ${problems.join('\n  - ')}`);
  return {
    configPath: input('config') || DEFAULT_CONFIG_PATH,
    task: task as RunInputs['task'],
    mode: (mode || undefined) as Mode | undefined,
    dryRun,
    servers: input('servers') || undefined,
    shard: typeof shard === 'object' ? shard : undefined,
    knownHosts: input('known-hosts') || undefined,
    model: input('model') || DEFAULT_MODEL,
    stateBranch: input('state-branch') || DEFAULT_STATE_BRANCH,
    ...secrets,
  };
}

/**
 * The heartbeat-url input alone, masked: a run refused before it started (a bad input or config)
 * still tells the dead man's switch.
 */
export function heartbeatUrlInput(): string | undefined {
  return secretInput('heartbeat-url');
}

function readSecrets(): Pick<
  RunInputs,
  'sshPrivateKey' | 'sshPassphrase' | 'anthropicApiKey' | 'githubToken' | 'heartbeatUrl'
> {
  const sshPrivateKey = secretInput('ssh-private-key');
  // The runner masks whole registered values; a key logged line by line needs each line masked too.
  for (const line of sshPrivateKey?.split('\n') ?? [])
    if (line.trim().length > 8) core.setSecret(line.trim());
  return {
    sshPrivateKey,
    sshPassphrase: secretInput('ssh-passphrase'),
    anthropicApiKey: secretInput('anthropic-api-key'),
    githubToken: secretInput('github-token'),
    heartbeatUrl: heartbeatUrlInput(),
  };
}

function secretInput(name: string): string | undefined {
  const value = input(name);
  if (value) core.setSecret(value);
  return value || undefined;
}

/** YAML-ish booleans as workflows write them; empty means false. */
function booleanInput(name: string, note: (problem: string) => void): boolean {
  const text = input(name).toLowerCase();
  if (['true', 'yes', 'on', '1'].includes(text)) return true;
  if (text && !['false', 'no', 'off', '0'].includes(text))
    note(`${name}: expected true or false (got "${text}")`);
  return false;
}

/**
 * An input as the runner passes it. A value that still reads `${{ … }}` is an expression nothing
 * evaluated (a local runner passes action.yml's `default: ${{ github.token }}` literally): using it
 * would send the text as a token, so it counts as unset, with a warning naming the input.
 */
function input(name: string): string {
  const value = core.getInput(name);
  if (!/\$\{\{[\s\S]*\}\}/.test(value)) return value;
  core.warning(
    // the value itself is not echoed: it is whatever the input held, possibly a secret
    `input ${name} reads an unevaluated \${{ … }} expression: treated as unset (set INPUT_${name.toUpperCase()} to a real value)`,
  );
  return '';
}
