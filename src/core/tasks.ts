/**
 * Every task a run can do (the `task` input, the CLI's run commands; docs/architecture.md#pipeline),
 * in one table: adding a task is one entry here. What a task changes in the health loop is a trait
 * read where it matters, never a comparison with a task's name; a task with a flow of its own
 * (`healthLoop: false`) has its runner in src/tasks.ts, which the compiler asks for.
 */

/** The options of the CLI's run commands (and the Action inputs they stand for). */
export type RunOption = 'config' | 'mode' | 'dry-run' | 'servers' | 'shard' | 'state-repo';

export interface TaskTraits {
  /** what it does, in one line (CLI usage, docs) */
  summary: string;
  /** what `claudeops <task> --help` says above the options */
  help: string;
  /** runs the health loop (collect … report); false: a flow of its own, in src/tasks.ts */
  healthLoop: boolean;
  /** boot recovery on every server with a `boot.order`, rebooted or not */
  recoverAlways?: boolean;
  /** runs plans approved by merged PRs first, and proposes nothing new */
  approvedPlansOnly?: boolean;
  /** the record speaks for the whole fleet of a sharded workflow run, from its shards' records */
  fleetWide?: boolean;
  /** the CLI options it honours (default: all): its help lists only these, the others are refused */
  options?: readonly RunOption[];
  /**
   * the CLI's command of that name is a read command (it prints, and writes nothing): the task
   * itself runs in the Action (`task: digest` writes the digest; `claudeops digest` shows it)
   */
  cliReads?: boolean;
  /** commits no record of its own (compact, doctor): its status is `error` only when it failed */
  commitsNothing?: boolean;
}

export const TASKS = {
  check: {
    summary: 'collect, evaluate, diagnose, remediate (per mode), record and report',
    help: 'Collect, evaluate, diagnose, remediate (per mode), record and report.',
    healthLoop: true,
  },
  recover: {
    summary: "boot recovery: start each server's boot.order in order",
    help: "Boot recovery: start each server's boot.order in order, waiting for each.",
    healthLoop: true,
    recoverAlways: true,
  },
  'execute-approved': {
    summary: 'run the plans approved by merged approval PRs, once each',
    help: 'Run the plans approved by merged approval PRs, once each.',
    healthLoop: true,
    approvedPlansOnly: true,
  },
  summarize: {
    summary: 'one fleet-wide report of a sharded workflow run, from its shards',
    help:
      'One fleet-wide report for the workflow run in GITHUB_RUN_ID whose servers were split over\n' +
      "shards: which shards reported (a missing one makes the status error), the fleet's findings and\n" +
      'actions, from the state branch. Collects nothing from servers. --shard i/n gives the shard count\n' +
      "(default: read from the shards' report names).",
    healthLoop: false,
    fleetWide: true,
    // collects nothing and acts on nothing: a mode or a dry run would change nothing
    options: ['config', 'servers', 'shard', 'state-repo'],
  },
  compact: {
    summary: 'replace state-branch history older than state.compact_keep_days by one commit (opt-in)',
    help:
      'Compact the state branch (opt-in; docs/state-branch.md#compaction): the history older than\n' +
      'state.compact_keep_days (default 365) becomes one commit holding the files as they were then;\n' +
      "later commits are kept and the tip's files do not change. Rewrites the branch (a force push\n" +
      'with a lease: a run that lands meanwhile is never overwritten). Collects nothing from servers.',
    healthLoop: false,
    commitsNothing: true,
  },
  doctor: {
    summary: 'check the setup: SSH, host keys, sudo, tools, clocks, state branch, API key',
    help:
      'Checks the setup before the first scheduled run finds out: per server, in parallel, that it is\n' +
      'reachable, its host key pinned and matching, the key accepted, sudo allowing every command the\n' +
      "config needs (sudo -n -l, as `claudeops sudoers` allows them), each probe's tools installed and\n" +
      'the clock right; that the state branch can be written; and, with ANTHROPIC_API_KEY, that the key\n' +
      'works (one Messages API request of one token). One line per problem with its fix; exit 1 (the\n' +
      'Action: status error) when there is any. Records nothing, changes nothing.',
    healthLoop: false,
    commitsNothing: true,
  },
  digest: {
    summary: 'the week: uptime, incidents and time to resolve, actions, what recurs and flaps, model cost',
    help:
      'The weekly digest (docs/alerting.md#weekly-digest), from the state branch, over the 7 days up\n' +
      'to now: per server uptime and availability, incidents opened and resolved with their time to\n' +
      'resolve, actions run and their outcomes, what recurs, flapping checks, model cost. Collects\n' +
      'nothing from servers. The Action (task: digest) writes it to digests/<YYYY>-W<WW>.md on the\n' +
      'state branch and to the job summary, and with notify.digest: true sends one notification;\n' +
      '`claudeops digest` prints it.',
    healthLoop: false,
    cliReads: true,
  },
} as const satisfies Record<string, TaskTraits>;

export type Task = keyof typeof TASKS;

/** Tasks with a flow of their own: each needs a runner in src/tasks.ts. */
export type OwnFlowTask = { [K in Task]: (typeof TASKS)[K]['healthLoop'] extends false ? K : never }[Task];

export const TASK_NAMES = Object.keys(TASKS) as Task[];

export function isTask(name: string): name is Task {
  return Object.hasOwn(TASKS, name);
}

/** Whether the task has a flow of its own (a runner in src/tasks.ts) rather than the health loop. */
export function isOwnFlow(task: Task): task is OwnFlowTask {
  return !TASKS[task].healthLoop;
}

export function taskTraits(task: Task): TaskTraits {
  return TASKS[task];
}
