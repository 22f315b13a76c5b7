/**
 * The task registry (src/core/tasks.ts) is the one list of tasks: the Action's input, the CLI, the
 * runners and the documentation all follow it, so adding a task is one entry there.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parse } from 'yaml';
import { readActionInputs } from '../../../src/adapters/action-inputs.js';
import { COMMANDS, helpOrVersion, parseCliArgs, USAGE } from '../../../src/config/cli-args.js';
import { isOwnFlow, TASK_NAMES, TASKS } from '../../../src/core/tasks.js';
import { TASK_RUNNERS } from '../../../src/tasks.js';

const noFile = () => {
  throw new Error('no file expected');
};

describe('task registry', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('holds at least the tasks the documentation names', () => {
    expect(TASK_NAMES).toEqual(expect.arrayContaining(['check', 'recover', 'execute-approved', 'summarize']));
  });

  it('every task is accepted by the Action input and by the CLI, with its own --help', () => {
    for (const task of TASK_NAMES) {
      vi.stubEnv('INPUT_TASK', task);
      expect(readActionInputs().task).toBe(task);
      expect(parseCliArgs([task], {}, noFile).task).toBe(task);
      expect(COMMANDS).toContain(task);
      expect(helpOrVersion([task, '--help'], '0')).toContain(TASKS[task].help);
      expect(USAGE).toContain(TASKS[task].summary);
    }
    vi.stubEnv('INPUT_TASK', 'chek');
    expect(() => readActionInputs()).toThrow(/task: expected one of check, recover/);
  });

  it('a task with a flow of its own has a runner, and only such a task', () => {
    const own = TASK_NAMES.filter(isOwnFlow);
    expect(own).toContain('summarize');
    expect(Object.keys(TASK_RUNNERS).sort()).toEqual([...own].sort());
  });

  it('action.yml and the README name every task, and no other', () => {
    const action = parse(readFileSync('action.yml', 'utf8')) as { inputs: { task: { description: string } } };
    // "check (the health loop, …) | recover (…) | …": the first word of each alternative
    const named = action.inputs.task.description.split(' | ').map((part) => /^[a-z-]+/.exec(part)?.[0]);
    expect(new Set(named)).toEqual(new Set(TASK_NAMES));
    const readmeRow = readFileSync('README.md', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('| `task` |'));
    // "`check` \| `recover` \| … (what the last one does …)": the alternatives before the prose
    const choices = (readmeRow ?? '').split(/(?<!\\)\|/)[3]?.split('(')[0] ?? '';
    const tasksInRow = [...choices.matchAll(/`([a-z-]+)`/g)].map((m) => m[1]);
    expect(new Set(tasksInRow)).toEqual(new Set(TASK_NAMES));
  });
});
