/**
 * `claudeops doctor` and `task: doctor` (README "Quick start"): everything the first scheduled
 * run would trip over, found before it runs. Per server, in parallel, through the Transport port:
 * reachable, host key pinned and matching, key accepted, sudo allowing every command the config
 * needs, each probe's tools installed, the clock right. Then the state branch (StateAccess port)
 * and the API key (one tiny request through the Model port). Reads only; runs no fix.
 */
import { randomBytes } from 'node:crypto';
import { DEFAULT_PARALLELISM } from '../config/defaults.js';
import type { Config, ServerConfig } from '../config/schema.js';
import {
  type Clock,
  ConnectError,
  type ExecResult,
  type Model,
  ModelError,
  type RemoteShell,
  type StateAccess,
  type Transport,
} from '../core/ports/index.js';
import { mapLimited } from '../core/util/each-limited.js';
import { errorMessage } from '../core/util/error-message.js';
import { splitSections } from '../probes/collector-script.js';
import type { Problem } from './problem.js';
import { answerProblems, doctorScript, parseAnswer, serverAsk } from './server-checks.js';

export interface DoctorDeps {
  transport: Transport;
  /** absent: the state branch is not asked about */
  state?: StateAccess;
  /** set when an API key is: the key is tried */
  model?: Model;
  clock: Clock;
  /** called as each server is done (progress lines) */
  onServer?: (result: ServerResult) => void;
}

export interface ServerResult {
  server: string;
  problems: Problem[];
  durationMs: number;
}

export interface DoctorReport {
  servers: ServerResult[];
  /** every problem: the servers' in config order, then the state branch's, then the API key's */
  problems: Problem[];
  /** the state branch: where, and whether it can be written (absent: not asked) */
  state?: { location: string; ok: boolean };
  api: 'skipped' | 'ok' | 'failed';
}

export async function runDoctor(config: Config, configPath: string, deps: DoctorDeps): Promise<DoctorReport> {
  const [servers, state, api] = await Promise.all([
    mapLimited(config.servers, config.defaults.parallelism ?? DEFAULT_PARALLELISM, async (server) => {
      const started = deps.clock.now().getTime();
      const problems = await checkServer(config, configPath, server, deps);
      const result = { server: server.name, problems, durationMs: deps.clock.now().getTime() - started };
      deps.onServer?.(result);
      return result;
    }),
    deps.state ? checkState(deps.state) : Promise.resolve(undefined),
    deps.model ? checkApiKey(deps.model) : Promise.resolve(undefined),
  ]);
  return {
    servers,
    problems: [...servers.flatMap((s) => s.problems), ...(state ?? []), ...(api ?? [])],
    ...(deps.state && state ? { state: { location: deps.state.location, ok: state.length === 0 } } : {}),
    api: api === undefined ? 'skipped' : api.length === 0 ? 'ok' : 'failed',
  };
}

async function checkServer(
  config: Config,
  configPath: string,
  server: ServerConfig,
  deps: DoctorDeps,
): Promise<Problem[]> {
  const ask = serverAsk(config, server);
  let shell: RemoteShell;
  try {
    // unprivileged on purpose: whether sudo works is one of the questions, asked with sudo -n -l
    shell = await deps.transport.connect({ ...server, sudo: false });
  } catch (error) {
    return [connectProblem(server, error)];
  }
  try {
    const problems: Problem[] = server.insecure_ignore_host_key ? [unpinnedHostKey(server, shell)] : [];
    const nonce = randomBytes(12).toString('hex');
    const sentAt = deps.clock.now().getTime();
    const result = await shell.run(doctorScript(ask, nonce), { timeoutMs: 60_000 });
    const answeredAt = deps.clock.now().getTime();
    const sections = splitSections(result.stdout, nonce);
    if (!sections.has('clock')) return [...problems, scriptDidNotRun(server, result)];
    const answer = parseAnswer(sections);
    return [
      ...problems,
      ...answerProblems(server, ask, answer, { sentAt, answeredAt, configPath, mode: config.mode }),
    ];
  } catch (error) {
    return [
      {
        server: server.name,
        check: 'reach',
        message: `the session failed: ${errorMessage(error)}`,
        fix: 'run doctor again; if it persists, check the server',
      },
    ];
  } finally {
    await shell.close();
  }
}

function unpinnedHostKey(server: ServerConfig, shell: RemoteShell): Problem {
  return {
    server: server.name,
    check: 'host-key',
    message:
      'the host key is not verified (insecure_ignore_host_key: true): anyone on the path can pose as this server',
    fix: `pin it: host_key: "${shell.fingerprint ?? 'SHA256:…'}" (after checking it on the server: ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub)`,
  };
}

/** Connected, but the doctor script's first section never came back. */
function scriptDidNotRun(server: ServerConfig, result: ExecResult): Problem {
  const why = result.timedOut
    ? 'timed out after 60 s'
    : `exit ${result.code}: ${result.stderr.trim().slice(0, 200)}`;
  return {
    server: server.name,
    check: 'reach',
    message: `connected, but a shell script did not run (${why})`,
    fix: 'the SSH user needs a POSIX sh as its shell, and no forced command that refuses scripts (see `claudeops forced-command`)',
  };
}

const CONNECT_FIXES: Record<ConnectError['kind'], { check: Problem['check']; fix: string }> = {
  'host-key': {
    check: 'host-key',
    fix: 'check the fingerprint on the server itself (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub), then pin it as said (`claudeops init` pins what you confirm)',
  },
  auth: {
    check: 'auth',
    fix: 'add the public half of the key to ~USER/.ssh/authorized_keys on the server (`claudeops authorized-keys` writes a restricted line), and check the user',
  },
  unreachable: {
    check: 'reach',
    fix: 'check host and port, that sshd runs, and that this machine may connect (firewall, VPN)',
  },
  timeout: {
    check: 'reach',
    fix: 'check that the server is up and that nothing drops the connection (firewall, security group)',
  },
  config: {
    check: 'config',
    fix: 'set what the message names (in the config, or the SSH key as it says)',
  },
};

function connectProblem(server: ServerConfig, error: unknown): Problem {
  const kind = error instanceof ConnectError ? error.kind : 'unreachable';
  const { check, fix } = CONNECT_FIXES[kind];
  const message = errorMessage(error).replace(/\s*\n\s*/g, ' ');
  return { server: server.name, check, message, fix: fix.replace('USER', server.user ?? 'the user') };
}

async function checkState(state: StateAccess): Promise<Problem[]> {
  const result = await state.check().catch((error: unknown) => ({
    ok: false as const,
    reason: 'unreachable' as const,
    message: errorMessage(error),
  }));
  if (result.ok) return [];
  const fix = {
    unreachable: 'check the repository URL and that the token may read it (actions/checkout, github-token)',
    'read-only':
      'give the workflow `permissions: contents: write` (or a github-token that may push), and let it push the state branch if it is protected',
    'not-a-repository':
      'point --state-repo at a git repository, or at a directory that does not exist yet (it is created)',
  }[result.reason];
  return [{ check: 'state', message: `state branch (${state.location}): ${result.message}`, fix }];
}

/** One Messages API request of one output token: the key, the model id and the endpoint, tried. */
async function checkApiKey(model: Model): Promise<Problem[]> {
  try {
    await model.create({
      model: model.name,
      max_tokens: 1,
      system: [{ type: 'text', text: 'Answer with one word.' }],
      tools: [],
      messages: [{ role: 'user', content: 'Ready?' }],
    });
    return [];
  } catch (error) {
    const kind = error instanceof ModelError ? error.kind : 'api';
    const fix =
      kind === 'auth'
        ? 'create a key in the Anthropic console and set it (ANTHROPIC_API_KEY / the anthropic-api-key secret); without one the rule-based planner decides'
        : kind === 'bad-request'
          ? `check the model id (${model.name}: the model input / CLAUDEOPS_MODEL)`
          : 'check that this machine reaches the Messages API (ANTHROPIC_BASE_URL, proxy), then try again';
    return [
      { check: 'anthropic', message: `the Messages API refused a test request: ${errorMessage(error)}`, fix },
    ];
  }
}
