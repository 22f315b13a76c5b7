/**
 * The scheduled workflow `claudeops init` writes beside the config (pure). The config pins every
 * host key, so the workflow needs no known-hosts secret: only the SSH key (and, optionally, the
 * Anthropic key). `task: doctor` is one click away in "Run workflow".
 */
import { createHash } from 'node:crypto';

/** Where the Action is published; the README says to replace OWNER (see "Use it in a workflow"). */
export const ACTION_REF = 'OWNER/claudeops-action@v1';

/**
 * An hourly cron at a minute drawn from the hosts (stable for the same fleet, different between
 * fleets), never :00 — GitHub delays many scheduled jobs at the full hour.
 */
export function hourlyCron(hosts: readonly string[]): string {
  const digest = createHash('sha256').update(hosts.join('\n')).digest();
  return `${1 + ((digest[0] ?? 0) % 59)} * * * *`;
}

export function renderWorkflow(options: { cron: string; configPath: string }): string {
  return `# ClaudeOps: scheduled check, written by \`claudeops init\`. Before the first run:
#   1. replace OWNER below with where the Action is published (see the README);
#   2. add the repository secret CLAUDEOPS_SSH_KEY: the private key init connected with;
#   3. optionally ANTHROPIC_API_KEY: Claude diagnoses what is new (else the rule-based planner).
# The servers must accept SSH from the runner (GitHub-hosted runners: from the internet).
name: ClaudeOps check

on:
  schedule:
    - cron: ${JSON.stringify(options.cron)}
  workflow_dispatch:
    inputs:
      task:
        description: "check: the health check; doctor: check the setup (SSH, host keys, sudo, tools, state branch, API key)"
        required: true
        default: check
        type: choice
        options: [check, doctor]

# One run at a time: a slow run is never overtaken by the next one.
concurrency:
  group: claudeops-check
  cancel-in-progress: false

# Push the state branch, manage issues, open approval PRs. Nothing else.
permissions:
  contents: write
  issues: write
  pull-requests: write

jobs:
  check:
    runs-on: ubuntu-latest
    timeout-minutes: 20
    steps:
      - uses: actions/checkout@v4
      - uses: ${ACTION_REF}
        with:
          task: \${{ inputs.task || 'check' }}
          config: ${JSON.stringify(options.configPath)}
          ssh-private-key: \${{ secrets.CLAUDEOPS_SSH_KEY }}
          anthropic-api-key: \${{ secrets.ANTHROPIC_API_KEY }}
`;
}
