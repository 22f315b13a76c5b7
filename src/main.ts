/** The Action's composition root: runner inputs and environment → real adapters → run(). */
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as core from '@actions/core';
import { heartbeatUrlInput, readActionInputs } from './adapters/action-inputs.js';
import { actionLogger, actionSink } from './adapters/action-io.js';
import { loadConfig } from './adapters/config-file.js';
import { workspaceRemoteUrl } from './adapters/git-state-store.js';
import { createOctokitGitHub, tuningFromEnv } from './adapters/github-octokit.js';
import { httpPing } from './adapters/http-retry.js';
import { writeSiteFiles } from './adapters/site-files.js';
import { remoteStateAccess } from './adapters/state-access.js';
import { buildContext, journalDir, RunJournal, remoteStateStore, runIdFrom } from './compose.js';
import type { SummaryLinks } from './core/render/render-summary.js';
import { errorMessage } from './core/util/error-message.js';
import { pingUrl } from './core/util/heartbeat-url.js';
import { notifySecrets } from './record/build-state-changes.js';
import type { SiteOutput } from './report/publish-status-page.js';
import { run as runPipeline } from './run.js';

/**
 * The Action's entry point, as GitHub's runner and `@github/local-action` (which imports this file and
 * calls `run()`) expect it: the one place that sets the process exit status.
 */
export async function run(): Promise<void> {
  process.exitCode = await runAction();
}

/** Returns the process exit code (tests call it with their own environment). */
export async function runAction(env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let prepared: Awaited<ReturnType<typeof prepare>>;
  try {
    prepared = await prepare(env);
  } catch (error) {
    // Nothing was touched: a bad input or config is refused before any server or branch.
    core.setOutput('status', 'error');
    core.error(errorMessage(error));
    await pingFailure();
    return 1;
  }
  const { record, exitCode } = await runPipeline(prepared);
  // the status page builder loads only here, after the run: nothing before it waits for it
  const site = await core.group('Status page', async () =>
    (await import('./report/publish-status-page.js')).publishStatusPage(prepared, record, siteOutput(env)),
  );
  if (site) core.setOutput('status-page', site);
  // the failed phases were annotated once each by the report; this says only that the job failed
  if (exitCode !== 0)
    core.error(
      `claudeops: run status ${record.status}${record.errors.length ? ` (${record.errors.length} problem${record.errors.length === 1 ? '' : 's'}: see the warnings and the job summary)` : ''}`,
    );
  return exitCode;
}

async function prepare(env: NodeJS.ProcessEnv) {
  const inputs = readActionInputs();
  const workspace = env.GITHUB_WORKSPACE ?? process.cwd();
  const config = await loadConfig(resolve(workspace, inputs.configPath), env);
  for (const secret of [...config.redact.secrets, ...notifySecrets(config)]) core.setSecret(secret);
  const runId = runIdFrom(env);
  const journal = RunJournal.open(journalDir(env), runId);
  const state = await remoteStateStore(inputs, env, {
    retentionDays: config.state.retention_days,
    maxStateBytes: config.state.max_file_size,
    journal,
    mask: core.setSecret,
    log: core.info,
  });
  const remoteUrl = await workspaceRemoteUrl(env);
  // doctor's question (can the token push the state branch?), asked only by `task: doctor`
  const stateAccess = remoteUrl
    ? remoteStateAccess({
        remoteUrl,
        token: inputs.githubToken,
        branch: inputs.stateBranch,
        workDir: journalDir(env),
        mask: core.setSecret,
      })
    : undefined;
  const repository = env.GITHUB_REPOSITORY;
  const github =
    inputs.githubToken && repository
      ? createOctokitGitHub({
          token: inputs.githubToken,
          repository,
          baseUrl: env.GITHUB_API_URL,
          mask: core.setSecret,
          warn: core.warning,
          info: core.info,
          tuning: tuningFromEnv(env),
          requestTimeoutMs: config.github.request_timeout,
        })
      : undefined;
  return buildContext({
    config,
    inputs,
    env,
    logger: actionLogger,
    sink: actionSink,
    state,
    ...(stateAccess ? { stateAccess } : {}),
    github,
    links: linksFrom(env, inputs.stateBranch),
    runId,
    workspace,
  });
}

/** The status site goes under RUNNER_TEMP, for a later step to upload (output `status-page`). */
function siteOutput(env: NodeJS.ProcessEnv): SiteOutput {
  const dir = join(env.RUNNER_TEMP || tmpdir(), 'claudeops-status-page');
  return { dir, write: (files) => writeSiteFiles(dir, files, { replace: true }) };
}

function linksFrom(env: NodeJS.ProcessEnv, branch: string): SummaryLinks {
  const server = env.GITHUB_SERVER_URL ?? 'https://github.com';
  const repo = env.GITHUB_REPOSITORY;
  if (!repo) return {};
  const repoUrl = `${server}/${repo}`;
  return {
    repoUrl,
    stateUrl: `${repoUrl}/blob/${branch}/`,
    ...(env.GITHUB_RUN_ID ? { runUrl: `${repoUrl}/actions/runs/${env.GITHUB_RUN_ID}` } : {}),
  };
}

/**
 * A run refused before it started (bad input or config) still tells the dead man's switch, when
 * the heartbeat-url input is set (the config's own URL is unreadable then).
 */
async function pingFailure(): Promise<void> {
  const url = heartbeatUrlInput();
  if (!url) return;
  let target: string | undefined;
  try {
    target = pingUrl({ url, start: '/start', success: '', fail: '/fail' }, 'fail');
  } catch {
    core.warning('heartbeat: the heartbeat-url input is not a valid URL; no fail ping sent');
    return;
  }
  const result = target ? await httpPing(target, 10_000) : { ok: true as const };
  if (!result.ok) core.warning(`heartbeat: the fail ping failed (${result.error})`);
}
