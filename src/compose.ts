/**
 * What both composition roots (the Action and the CLI) build the same way: the transport routing,
 * the model, the run's identity. Each root adds its own state store, GitHub, logger and sink.
 */
import { tmpdir } from 'node:os';
import { resolve } from 'node:path';
import { anthropicModel } from './adapters/anthropic-model.js';
import { createGitStateStore, type GitStateStore, workspaceRemoteUrl } from './adapters/git-state-store.js';
import { httpOverChannel } from './adapters/http-over-channel.js';
import { httpPing } from './adapters/http-retry.js';
import { RunJournal } from './adapters/journal.js';
import { transportBySetting } from './adapters/local-transport.js';
import { notify } from './adapters/notify.js';
import { page } from './adapters/paging.js';
import { loadRunbooks } from './adapters/runbooks-dir.js';
import { type SshTransport, sshTransportFor } from './adapters/ssh.js';
import type { RunInputs } from './config/run-inputs.js';
import type { Config, ServerConfig } from './config/schema.js';
import type {
  GitHubApi,
  Model,
  Notifier,
  ReportSink,
  RunnerCheckResults,
  StateAccess,
} from './core/ports/index.js';
import { type Logger, systemClock } from './core/ports/index.js';
import type { SummaryLinks } from './core/render/render-summary.js';
import type { RunContext } from './run-context.js';
import { newNonce, runIdFrom } from './run-identity.js';

export interface RootParts {
  config: Config;
  inputs: RunInputs;
  env: NodeJS.ProcessEnv;
  logger: Logger;
  sink: ReportSink;
  state: GitStateStore;
  /** doctor: whether the state branch can be written */
  stateAccess?: StateAccess;
  github?: GitHubApi;
  links?: SummaryLinks;
  runId: string;
  /** where the repository is checked out: the runbooks directory is relative to it */
  workspace?: string;
  /** the SSH transport, when the root built it early (its first connections already opening) */
  ssh?: SshTransport;
}

export function buildContext(parts: RootParts): RunContext {
  const { config, inputs, logger } = parts;
  const ssh = parts.ssh ?? sshTransportFor(config, inputs, logger);
  return {
    config,
    inputs,
    mode: inputs.mode ?? config.mode,
    runId: parts.runId,
    nonce: newNonce(),
    logger,
    links: parts.links,
    runbooks: loadRunbooks(resolve(parts.workspace ?? process.cwd(), config.runbooks), (m) =>
      logger.warning(m),
    ),
    adapters: {
      transport: transportBySetting(() => ssh),
      state: parts.state,
      github: parts.github,
      model: modelFor(inputs),
      clock: systemClock,
      sink: parts.sink,
      transportWarnings: () => [...ssh.warnings()],
      runnerChecks,
      channelHttp: httpOverChannel,
      notifier: notifierFor(config, parts.env),
      ping: httpPing,
      ...(parts.stateAccess ? { stateAccess: parts.stateAccess } : {}),
    },
  };
}

/**
 * Checks made from the runner (endpoints `from: runner`, certificates): their module, and Node's TLS
 * with it, load only for a server that has some; for the others the answer is the empty one
 * runnerChecks gives.
 */
async function runnerChecks(server: ServerConfig): Promise<RunnerCheckResults> {
  if (server.certificates.length === 0 && !server.endpoints.some((e) => e.from === 'runner'))
    return { probes: {}, errors: {} };
  return (await import('./adapters/runner-checks.js')).runnerChecks(server);
}

/** Every channel's requests give up after the same per-request timeout as GitHub's (github.request_timeout). */
export function notifierFor(config: Config, env: NodeJS.ProcessEnv): Notifier | undefined {
  const targets = config.notify;
  if (!targets) return undefined;
  const timeoutMs = config.github.request_timeout;
  const { pagerduty, opsgenie } = targets;
  return {
    send: (message, payload, channels) =>
      notify(
        { config: targets, telegramApi: env.CLAUDEOPS_TELEGRAM_API, timeoutMs },
        message,
        payload,
        channels,
      ),
    ...(pagerduty || opsgenie
      ? {
          page: (events, link) =>
            page({ pagerduty, opsgenie, policy: { timeoutMs }, now: () => new Date() }, events, link),
        }
      : {}),
  };
}

function modelFor(inputs: RunInputs): Model | undefined {
  if (!inputs.anthropicApiKey) return undefined;
  return anthropicModel({ apiKey: inputs.anthropicApiKey, model: inputs.model });
}

export { runIdFrom };

/** The journal lives in RUNNER_TEMP so the post step finds it after a crashed main step. */
export function journalDir(env: NodeJS.ProcessEnv): string {
  return env.RUNNER_TEMP || tmpdir();
}

/** The state store of the Action: `origin` of the workspace, authenticated with the token. */
export async function remoteStateStore(
  inputs: Pick<RunInputs, 'githubToken' | 'stateBranch'>,
  env: NodeJS.ProcessEnv,
  extra: {
    retentionDays?: number;
    maxStateBytes?: number;
    journal?: RunJournal;
    mask?: (s: string) => void;
    log?: (m: string) => void;
  },
): Promise<GitStateStore> {
  const remoteUrl = await workspaceRemoteUrl(env);
  if (!remoteUrl) {
    throw new Error(
      'state branch: no remote found (GITHUB_WORKSPACE has no origin and GITHUB_REPOSITORY is unset)',
    );
  }
  return createGitStateStore({
    remoteUrl,
    token: inputs.githubToken,
    branch: inputs.stateBranch,
    workDir: journalDir(env),
    ...extra,
  });
}

export { RunJournal };
