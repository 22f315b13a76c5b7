/**
 * GitHub's local runner (`@github/local-action`) imports src/main.ts and calls its `run()`, with the
 * runner's environment from a .env file and action.yml's input defaults as written (so
 * `github-token` reads `${{ github.token }}` literally). This is what CONTRIBUTING.md tells a
 * contributor to run: here against a local-transport config and a local bare repository as origin.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { git, makeWorkspace, ROOT } from '../support/runner.js';
import { PIPELINE_RUNS_TIMEOUT } from '../support/timeouts.js';

const CONFIG = `version: 1
mode: report
servers:
  - name: runner
    transport: local
    thresholds: { disk: { warn: 99, crit: 100 }, inodes: { warn: 99, crit: 100 }, memory: { warn: 99, crit: 100 }, load: { warn: 1000, crit: 1000 } }
`;

describe('npx local-action run . src/main.ts .env', { timeout: PIPELINE_RUNS_TIMEOUT }, () => {
  it('runs a check from source and pushes the report to the local origin', async () => {
    const ws = await makeWorkspace(CONFIG);
    const summary = join(ws.dir, 'summary.md');
    writeFileSync(summary, '');
    mkdirSync(join(ws.dir, 'home'));
    const env = join(ws.dir, '.env');
    writeFileSync(
      env,
      [
        `GITHUB_WORKSPACE=${ws.workspace}`,
        'GITHUB_REPOSITORY=acme/fleet',
        'GITHUB_RUN_ID=4242',
        `GITHUB_STEP_SUMMARY=${summary}`,
        `RUNNER_TEMP=${ws.temp}`,
        'INPUT_CONFIG=.github/claudeops.yml',
        '',
      ].join('\n'),
    );
    const run = await execa(join(ROOT, 'node_modules/.bin/local-action'), ['run', '.', 'src/main.ts', env], {
      cwd: ROOT,
      reject: false,
      extendEnv: false,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: join(ws.dir, 'home'), NO_COLOR: '1' },
      timeout: PIPELINE_RUNS_TIMEOUT,
    });
    const log = `${run.stdout}\n${run.stderr}`;
    expect(run.exitCode, log).toBe(0);
    expect(log).toContain('::group::Collect');
    expect(log).toMatch(/::warning::input github-token reads an unevaluated/);
    expect(log).not.toMatch(/::error::/);

    // local-action's @actions/core stub prints outputs as workflow commands, not to GITHUB_OUTPUT
    const outputs = Object.fromEntries(
      [...log.matchAll(/^::set-output name=([\w-]+)::(.*)$/gm)].map((m) => [m[1], m[2]]),
    );
    expect(outputs.status).toBe('ok');
    expect(outputs.report).toMatch(/^health\/\d{4}-\d{2}-\d{2}\/\d{6}-4242\.md$/);
    const report = await git(ws.origin, 'show', `claudeops-state:${outputs.report}`);
    expect(report).toContain('| runner | local | yes |');
    expect(readFileSync(summary, 'utf8')).toContain('## Fleet');
  });
});
