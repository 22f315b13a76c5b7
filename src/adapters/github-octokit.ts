/**
 * GitHubApi over Octokit (docs/architecture.md#github): retry for transient server errors, throttling for GitHub's
 * rate limits, and nothing else retried: a 4xx other than a rate limit is a bug or a permission
 * problem, and retrying it only hides it. The base URL comes from GITHUB_API_URL so GitHub
 * Enterprise Server works as-is.
 */
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { Octokit } from '@octokit/rest';
import {
  type CommentInfo,
  type FileInfo,
  type FileWrite,
  type GitHubApi,
  GitHubApiError,
  type IssueInfo,
  type IssuePatch,
  type LabelEvent,
  type PullDetail,
  type PullFile,
  type PullInfo,
  type RepoPermission,
} from '../core/ports/index.js';
import { errorMessage } from '../core/util/error-message.js';

type ThrottleOptions = NonNullable<ConstructorParameters<typeof Octokit>[0]>['throttle'];

export interface OctokitGitHubOptions {
  token: string;
  /** "owner/name" */
  repository: string;
  /** default: GITHUB_API_URL, else https://api.github.com */
  baseUrl?: string;
  /** registers the token with the runner's log masking (core.setSecret in the Action) */
  mask?: (secret: string) => void;
  /** where a call that failed after its retries is announced (an annotation in the Action) */
  warn?: (message: string) => void;
  /** where a retry is announced: once per call, plain log (core.info), not an annotation */
  info?: (message: string) => void;
  /** retries of a 5xx / network failure, and of a rate-limited request */
  retries?: number;
  /** longest rate-limit wait worth sitting through, seconds; a longer one fails the call */
  maxRateLimitWaitSeconds?: number;
  /**
   * Per-request timeout (default 30 s): an API that accepts the connection and never answers
   * fails the call instead of holding the run.
   */
  requestTimeoutMs?: number;
  /**
   * Tests shrink the waits: the base of retry backoff and of the rate-limit wait (ms per second),
   * and GitHub's recommended spacing of writes (1 s) and notifying writes (3 s).
   */
  tuning?: {
    retryAfterBaseMs?: number;
    throttle?: Partial<Pick<NonNullable<ThrottleOptions>, 'write' | 'notifications'>>;
  };
}

const PluggedOctokit = Octokit.plugin(throttling, retry);
type Client = InstanceType<typeof PluggedOctokit>;

/** Statuses the retry plugin must leave alone: client errors, and rate limits (the throttler's). */
const DO_NOT_RETRY = [400, 401, 403, 404, 409, 410, 422, 429, 451];

export function createOctokitGitHub(options: OctokitGitHubOptions): GitHubApi {
  const [owner, repo] = options.repository.split('/');
  if (!owner || !repo) throw new Error(`GITHUB_REPOSITORY: expected owner/name, got "${options.repository}"`);
  options.mask?.(options.token);
  const limits: Limits = { budget: Number.POSITIVE_INFINITY, spent: 0 };
  return new OctokitGitHub(buildClient(options, limits), owner, repo, options.token, limits);
}

/**
 * The run's time budget for GitHub: the time its calls took, added up (waits between retries
 * included). Shared by every attempt and by startBudget(): once it is spent no request is sent.
 */
interface Limits {
  budget: number;
  spent: number;
}

const leftOf = (limits: Limits) => limits.budget - limits.spent;

function buildClient(options: OctokitGitHubOptions, limits: Limits): Client {
  const retries = options.retries ?? 2;
  const maxWait = options.maxRateLimitWaitSeconds ?? 90;
  const base = options.tuning?.retryAfterBaseMs ?? 1000;
  const warn = (message: string) => options.warn?.(scrub(message, options.token));
  const info = (message: string) => options.info?.(scrub(message, options.token));
  // Bounded: a limit handler that returns true retries after `after` seconds; a long reset
  // (the hourly quota) is not worth blocking the run for, so it fails and is reported.
  const onLimit =
    (kind: string) =>
    (after: number, request: { method: string; url: string }, _o: unknown, count: number) => {
      const retrying = count < retries && after <= maxWait;
      // one line per call: the first retry says it waits; later attempts say nothing more
      if (!retrying) warn(`GitHub ${kind} on ${request.method} ${request.url}: giving up`);
      else if (count === 0) info(`GitHub ${kind} on ${request.method} ${request.url}: retrying in ${after}s`);
      return retrying;
    };
  const client = new PluggedOctokit({
    auth: options.token,
    baseUrl: (options.baseUrl ?? process.env.GITHUB_API_URL ?? 'https://api.github.com').replace(/\/+$/, ''),
    userAgent: 'claudeops-action',
    // Octokit logs every failed attempt at error level; a failed call is reported once by call(),
    // and a retry once at info, so per-attempt lines would only repeat them as annotations.
    log: { debug: () => {}, info: () => {}, warn, error: () => {} },
    retry: { retries, doNotRetry: DO_NOT_RETRY, retryAfterBaseValue: base },
    // fetch is called once per attempt (retries included), so each attempt gets its own timeout
    request: { fetch: boundedFetch(options.requestTimeoutMs ?? 30_000, limits) },
    throttle: {
      onRateLimit: onLimit('rate limit'),
      onSecondaryRateLimit: onLimit('secondary rate limit'),
      retryAfterBaseValue: base,
      ...options.tuning?.throttle,
    },
  });
  // The retry plugin re-sends a 5xx or network failure with request.retryCount set: say so once.
  client.hook.before('request', (request) => {
    const attempt = (request.request as { retryCount?: number } | undefined)?.retryCount;
    if (attempt === 1) info(`GitHub ${request.method} ${request.url}: server error, retrying`);
  });
  return client;
}

/**
 * Each attempt ends after `timeout`, and none starts once the budget is spent: an API that accepts
 * and never answers cannot hold a call.
 */
function boundedFetch(timeout: number, limits: Limits): typeof fetch {
  return async (input, init) => {
    const left = leftOf(limits);
    if (left <= 0) throw new Error(BUDGET_SPENT);
    const controller = new AbortController();
    const wait = Math.min(timeout, left);
    const shown = wait < 1000 ? `${wait} ms` : `${Math.round(wait / 1000)} s`;
    const timer = setTimeout(() => controller.abort(new Error(`no answer within ${shown}`)), wait);
    const outer = init?.signal;
    const forward = () => controller.abort(outer?.reason);
    outer?.addEventListener('abort', forward, { once: true });
    try {
      return await fetch(input, { ...init, signal: controller.signal });
    } finally {
      clearTimeout(timer);
      outer?.removeEventListener('abort', forward);
    }
  };
}

const BUDGET_SPENT = 'the time budget for GitHub is spent: request not sent';

type PacingGroup = NonNullable<NonNullable<ThrottleOptions>['write']>;

/**
 * A stand-in for the throttling plugin's Bottleneck groups (it calls only `.key(id).schedule`):
 * jobs start at least `minTimeMs` apart, in order.
 */
function spacedGroup(minTimeMs: number): PacingGroup {
  let next = 0;
  const limiter = {
    async schedule(...args: unknown[]): Promise<unknown> {
      const [first, ...rest] = args;
      const [fn, ...fnArgs] = (typeof first === 'function' ? args : rest) as [
        (...a: unknown[]) => unknown,
        ...unknown[],
      ];
      const now = Date.now();
      const start = Math.max(now, next);
      next = start + minTimeMs;
      if (start > now) await new Promise((resolve) => setTimeout(resolve, start - now));
      return fn(...fnArgs);
    },
  };
  return { key: () => limiter } as unknown as PacingGroup;
}

/**
 * `CLAUDEOPS_GITHUB_WAIT_SCALE` (for tests of the bundled action; leave unset in workflows): a
 * factor in [0, 1) on every wait Octokit makes — retry backoff, rate-limit waits, and GitHub's
 * recommended spacing of writes (1 s) and of writes that notify (3 s). The retry and throttling
 * logic stays the same; only the clock is shorter. Unset or out of range: the real waits.
 */
export function tuningFromEnv(env: NodeJS.ProcessEnv): OctokitGitHubOptions['tuning'] {
  const text = env.CLAUDEOPS_GITHUB_WAIT_SCALE;
  const scale = Number(text);
  if (!text || !Number.isFinite(scale) || scale < 0 || scale >= 1) return undefined;
  return {
    retryAfterBaseMs: 1000 * scale,
    throttle: { write: spacedGroup(1000 * scale), notifications: spacedGroup(3000 * scale) },
  };
}

function scrub(text: string, token: string): string {
  return token.length >= 4 ? text.split(token).join('***') : text;
}

interface RawLabel {
  name?: string;
}
interface RawIssue {
  number: number;
  state: string;
  title: string;
  body?: string | null;
  labels: (string | RawLabel)[];
  closed_at: string | null;
  updated_at: string;
  html_url: string;
  pull_request?: unknown;
}
interface RawPull {
  number: number;
  state: string;
  merged_at: string | null;
  title: string;
  body: string | null;
  head: { ref: string; sha: string; repo: { full_name: string } | null };
  base: { ref: string; repo: { full_name: string } };
  html_url: string;
}

function toIssue(raw: RawIssue): IssueInfo {
  return {
    number: raw.number,
    state: raw.state === 'closed' ? 'closed' : 'open',
    title: raw.title,
    body: raw.body ?? '',
    labels: raw.labels.map((l) => (typeof l === 'string' ? l : (l.name ?? ''))).filter((l) => l !== ''),
    closedAt: raw.closed_at ?? undefined,
    updatedAt: raw.updated_at,
    htmlUrl: raw.html_url,
  };
}

function toPull(raw: RawPull): PullInfo {
  return {
    number: raw.number,
    state: raw.state === 'closed' ? 'closed' : 'open',
    merged: raw.merged_at !== null,
    title: raw.title,
    body: raw.body ?? '',
    head: raw.head.ref,
    headSha: raw.head.sha,
    headRepo: raw.head.repo?.full_name ?? null,
    base: raw.base.ref,
    baseRepo: raw.base.repo.full_name,
    htmlUrl: raw.html_url,
  };
}

interface RawPullDetail extends RawPull {
  merged_by?: { login: string } | null;
}

const PERMISSIONS: readonly RepoPermission[] = ['admin', 'maintain', 'write', 'triage', 'read', 'none'];

/** `role_name` names maintain and triage, which `permission` folds into write and read. */
function toPermission(data: { permission: string; role_name?: string }): RepoPermission {
  const named = PERMISSIONS.find((p) => p === data.role_name);
  return named ?? PERMISSIONS.find((p) => p === data.permission) ?? 'none';
}

function statusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' ? status : undefined;
}

class OctokitGitHub implements GitHubApi {
  constructor(
    private readonly client: Client,
    readonly owner: string,
    readonly repo: string,
    private readonly token: string,
    private readonly limits: Limits = { budget: Number.POSITIVE_INFINITY, spent: 0 },
  ) {}

  startBudget(ms: number): void {
    this.limits.budget = ms;
    this.limits.spent = 0;
  }

  /** The retry plugin's waits between attempts know no budget: the call itself ends when it is spent. */
  private async withinBudget<T>(fn: () => Promise<T>): Promise<T> {
    const left = leftOf(this.limits);
    if (left <= 0) throw new Error(BUDGET_SPENT);
    if (!Number.isFinite(left)) return fn();
    const started = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const spent = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error('the time budget for GitHub ran out: no answer in time')),
        left,
      );
    });
    try {
      return await Promise.race([fn(), spent]);
    } finally {
      clearTimeout(timer);
      this.limits.spent += Date.now() - started;
    }
  }

  /** Every call goes through here: one error shape, the token never in a message. */
  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await this.withinBudget(fn);
    } catch (error) {
      const status = statusOf(error);
      const detail = errorMessage(error);
      const text = `GitHub API failed: ${what}: ${status ? `${status} ` : ''}${detail}`;
      throw new GitHubApiError(scrub(text, this.token), status);
    }
  }

  private get where() {
    return { owner: this.owner, repo: this.repo };
  }

  listIssues(query: {
    labels: string[];
    state: 'open' | 'closed' | 'all';
    since?: string;
  }): Promise<IssueInfo[]> {
    return this.call('list issues', async () => {
      const raw = (await this.client.paginate(this.client.rest.issues.listForRepo, {
        ...this.where,
        labels: query.labels.join(','),
        state: query.state,
        ...(query.since ? { since: query.since } : {}),
        per_page: 100,
      })) as RawIssue[];
      return raw.filter((i) => i.pull_request === undefined).map(toIssue);
    });
  }

  createIssue(issue: { title: string; body: string; labels: string[] }): Promise<IssueInfo> {
    return this.call('create issue', async () => {
      const { data } = await this.client.rest.issues.create({ ...this.where, ...issue });
      return toIssue(data as RawIssue);
    });
  }

  updateIssue(issueNumber: number, patch: IssuePatch): Promise<IssueInfo> {
    return this.call(`update issue #${issueNumber}`, async () => {
      const { stateReason, ...rest } = patch;
      const { data } = await this.client.rest.issues.update({
        ...this.where,
        issue_number: issueNumber,
        ...rest,
        ...(stateReason ? { state_reason: stateReason } : {}),
      });
      return toIssue(data as RawIssue);
    });
  }

  comment(issueNumber: number, body: string): Promise<void> {
    return this.call(`comment on #${issueNumber}`, async () => {
      await this.client.rest.issues.createComment({ ...this.where, issue_number: issueNumber, body });
    });
  }

  listLabels(): Promise<string[]> {
    return this.call('list labels', async () => {
      const labels = await this.client.paginate(this.client.rest.issues.listLabelsForRepo, {
        ...this.where,
        per_page: 100,
      });
      return labels.map((l) => l.name);
    });
  }

  createLabel(label: { name: string; color: string; description?: string }): Promise<void> {
    return this.call(`create label ${label.name}`, async () => {
      await this.client.rest.issues.createLabel({ ...this.where, ...label });
    });
  }

  branchSha(branch: string): Promise<string | undefined> {
    return this.call(`get branch ${branch}`, async () => {
      try {
        const { data } = await this.client.rest.git.getRef({ ...this.where, ref: `heads/${branch}` });
        return data.object.sha;
      } catch (error) {
        if (statusOf(error) === 404) return undefined;
        throw error;
      }
    });
  }

  createBranch(branch: string, sha: string): Promise<void> {
    return this.call(`create branch ${branch}`, async () => {
      await this.client.rest.git.createRef({ ...this.where, ref: `refs/heads/${branch}`, sha });
    });
  }

  getFile(path: string, ref: string): Promise<FileInfo | undefined> {
    return this.call(`get ${path}@${ref}`, async () => {
      try {
        const { data } = await this.client.rest.repos.getContent({ ...this.where, path, ref });
        if (Array.isArray(data) || data.type !== 'file' || !('content' in data)) return undefined;
        return { content: Buffer.from(data.content, 'base64').toString('utf8'), sha: data.sha };
      } catch (error) {
        if (statusOf(error) === 404) return undefined;
        throw error;
      }
    });
  }

  putFile(file: FileWrite): Promise<void> {
    return this.call(`write ${file.path} on ${file.branch}`, async () => {
      await this.client.rest.repos.createOrUpdateFileContents({
        ...this.where,
        path: file.path,
        branch: file.branch,
        message: file.message,
        content: Buffer.from(file.content, 'utf8').toString('base64'),
        ...(file.sha ? { sha: file.sha } : {}),
      });
    });
  }

  createPull(pull: { title: string; body: string; head: string; base: string }): Promise<PullInfo> {
    return this.call(`open pull request from ${pull.head}`, async () => {
      const { data } = await this.client.rest.pulls.create({ ...this.where, ...pull });
      return toPull(data as RawPull);
    });
  }

  listPulls(query: { state: 'open' | 'closed' | 'all'; base?: string; head?: string }): Promise<PullInfo[]> {
    return this.call('list pull requests', async () => {
      const raw = (await this.client.paginate(this.client.rest.pulls.list, {
        ...this.where,
        state: query.state,
        ...(query.base ? { base: query.base } : {}),
        ...(query.head ? { head: `${this.owner}:${query.head}` } : {}),
        per_page: 100,
      })) as RawPull[];
      return raw.map(toPull);
    });
  }

  getPull(pullNumber: number): Promise<PullDetail> {
    return this.call(`get pull request #${pullNumber}`, async () => {
      const { data } = await this.client.rest.pulls.get({ ...this.where, pull_number: pullNumber });
      const raw = data as RawPullDetail;
      return {
        ...toPull(raw),
        ...(raw.merged_at ? { mergedAt: raw.merged_at } : {}),
        ...(raw.merged_by?.login ? { mergedBy: raw.merged_by.login } : {}),
      };
    });
  }

  listPullFiles(pullNumber: number): Promise<PullFile[]> {
    return this.call(`list files of pull request #${pullNumber}`, async () => {
      const files = await this.client.paginate(this.client.rest.pulls.listFiles, {
        ...this.where,
        pull_number: pullNumber,
        per_page: 100,
      });
      return files.map((f) => ({ path: f.filename, status: f.status, sha: f.sha ?? '' }));
    });
  }

  listComments(issueNumber: number, since?: string): Promise<CommentInfo[]> {
    return this.call(`list comments of #${issueNumber}`, async () => {
      const comments = await this.client.paginate(this.client.rest.issues.listComments, {
        ...this.where,
        issue_number: issueNumber,
        ...(since ? { since } : {}),
        per_page: 100,
      });
      return comments.map((c) => ({
        body: c.body ?? '',
        author: c.user?.login ?? '',
        createdAt: c.created_at,
        id: c.id,
      }));
    });
  }

  listLabelEvents(issueNumber: number): Promise<LabelEvent[]> {
    return this.call(`list events of #${issueNumber}`, async () => {
      const events = (await this.client.paginate(this.client.rest.issues.listEvents, {
        ...this.where,
        issue_number: issueNumber,
        per_page: 100,
      })) as {
        event?: string;
        label?: { name?: string };
        actor?: { login?: string } | null;
        created_at?: string;
      }[];
      return events.flatMap((e): LabelEvent[] =>
        (e.event === 'labeled' || e.event === 'unlabeled') && e.label?.name
          ? [
              {
                action: e.event,
                label: e.label.name,
                actor: e.actor?.login ?? '',
                createdAt: e.created_at ?? '',
              },
            ]
          : [],
      );
    });
  }

  permissionOf(login: string): Promise<RepoPermission> {
    return this.call(`permission of ${login}`, async () => {
      try {
        const { data } = await this.client.rest.repos.getCollaboratorPermissionLevel({
          ...this.where,
          username: login,
        });
        return toPermission(data);
      } catch (error) {
        // not a user GitHub knows: certainly no write access
        if (statusOf(error) === 404) return 'none';
        throw error;
      }
    });
  }
}
