import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github.js';
import { type BundleRun, git, makeWorkspace, runBundle, type Workspace } from '../support/runner.js';

const OWNER = 'acme';
const REPO = 'fleet';
const TOKEN = 'test-token';
const BRANCH = 'claudeops-state';

interface Lab {
  ws: Workspace;
  gh: FakeGitHub;
  health: string;
  setHealth(value: 0 | 1): void;
  run(inputs?: Record<string, string>, env?: Record<string, string>): Promise<BundleRun>;
}

const labs: Lab[] = [];
let runCounter = 5000;

afterEach(async () => {
  for (const lab of labs.splice(0)) await lab.gh.close();
});

function config(dir: string, extra = ''): string {
  return `version: 1
mode: report
servers:
  - name: runner
    transport: local
    thresholds: { disk: { warn: 99, crit: 100 }, inodes: { warn: 99, crit: 100 }, memory: { warn: 99, crit: 100 } }
    checks:
      - { name: app-health, command: "cat ${join(dir, 'health')}", crit: "> 0" }
github: { close_after_ok_runs: 2 }
${extra}`;
}

async function startLab(extra = ''): Promise<Lab> {
  const gh = await startFakeGitHub({ owner: OWNER, repo: REPO, token: TOKEN });
  // the config needs the health file's path, which needs the workspace's directory: make it twice
  const probe = await makeWorkspace('version: 1\n');
  const ws = await makeWorkspace(config(probe.dir, extra));
  const health = join(probe.dir, 'health');
  const lab: Lab = {
    ws,
    gh,
    health,
    setHealth: (value) => writeFileSync(health, `${value}\n`),
    run: (inputs = {}, env = {}) =>
      runBundle(
        'index.js',
        ws,
        { 'github-token': TOKEN, ...inputs },
        {
          GITHUB_API_URL: gh.url,
          GITHUB_REPOSITORY: `${OWNER}/${REPO}`,
          GITHUB_RUN_ID: String(runCounter++),
          ...env,
        },
      ),
  };
  labs.push(lab);
  return lab;
}

describe('scenarios with the bundled action and a fake GitHub', () => {
  it('fault → one issue → no duplicate → closed after ok runs → reopened on recurrence', async () => {
    const lab = await startLab();
    lab.setHealth(1);
    const r1 = await lab.run();
    console.log(r1.exitCode, r1.outputs, r1.stderr, r1.stdout.slice(-3000));
    console.log(JSON.stringify(lab.gh.state.issues, null, 1), lab.gh.violations);
    console.log(await git(lab.ws.origin, 'ls-tree', '-r', '--name-only', BRANCH));
  });
});
