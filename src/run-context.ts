import type { RunInputs } from './config/run-inputs.js';
import type { Config, Mode } from './config/schema.js';
import type {
  ChannelHttp,
  Clock,
  GitHubApi,
  Logger,
  Model,
  Notifier,
  ReportSink,
  RunnerChecks,
  StateAccess,
  StateStore,
  Transport,
  UrlPing,
} from './core/ports/index.js';
import type { SummaryLinks } from './core/render/render-summary.js';

/** The real or in-memory parts a run talks through. Built by a composition root (index.ts, cli.ts, tests). */
export interface Adapters {
  transport: Transport;
  state: StateStore;
  /** absent when there is no token (CLI): issues and PRs are skipped, the report says so */
  github?: GitHubApi;
  /** absent without an API key: the rule-based planner decides */
  model?: Model;
  clock: Clock;
  sink: ReportSink;
  /** loud warnings the transport collected (host-key checking disabled, ...) */
  transportWarnings?: () => string[];
  /** checks made from the runner (endpoints `from: runner`, TLS expiry); absent: none */
  runnerChecks?: RunnerChecks;
  /** GETs for `from: server` http:// endpoints over the SSH connection (adapters/http-over-channel.ts) */
  channelHttp?: ChannelHttp;
  /** the configured notification channels; absent when `notify:` is not configured */
  notifier?: Notifier;
  /** HTTP pings of the heartbeat (dead man's switch); absent: no pings */
  ping?: UrlPing;
  /** doctor: can the state branch be written, asked without writing; absent: not asked */
  stateAccess?: StateAccess;
}

import type { Runbook } from './agent/runbooks.js';

export interface RunContext {
  config: Config;
  inputs: RunInputs;
  /** effective mode: the input, else the config's */
  mode: Mode;
  runId: string;
  /** random per run: collector section markers, file name uniqueness */
  nonce: string;
  adapters: Adapters;
  logger: Logger;
  /** web links (state-branch files, repository, this workflow run) for issues, chat and the summary */
  links?: SummaryLinks;
  /** the repository's runbooks (config `runbooks:`), read at start */
  runbooks?: readonly Runbook[];
}
