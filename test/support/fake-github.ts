/**
 * A small stateful GitHub on 127.0.0.1 for integration tests: issues, comments, labels, pulls,
 * refs and file contents. Every request is checked against GitHub's OpenAPI description first:
 * an unknown route, an unknown query parameter or a body the description rejects gets a 4xx AND a
 * recorded violation, which tests assert is empty. Pull requests are answered in GitHub's own
 * shape (built from the description's examples) and those answers are checked against the
 * description too. Faults (502, primary and secondary rate limits with GitHub's real headers) can
 * be injected on demand; `listIgnoresBase` makes the pull list answer as if `?base=` were not
 * there, and `openPull({ fromRepo })` opens a pull request from a fork.
 *
 *   const gh = await startFakeGitHub({ owner: 'acme', repo: 'ops' });
 *   ... GITHUB_API_URL = gh.url ...
 *   expect(gh.violations).toEqual([]);
 *   await gh.close();
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { githubOpenApi, type Matched } from './openapi.js';

export interface FakeIssue {
  number: number;
  title: string;
  body: string;
  state: 'open' | 'closed';
  stateReason: string | null;
  labels: string[];
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
  /** set when this number is a pull request */
  pull?: {
    head: string;
    base: string;
    headSha: string;
    /** `owner/name` the head branch lives in when it is a fork (default: this repository) */
    headRepo?: string;
    merged: boolean;
    /** login of the account that merged it */
    mergedBy?: string;
    /** the files it changed, frozen when it was merged (path → content) */
    files?: Map<string, { content: string; added: boolean }>;
  };
}

export interface FakeComment {
  id: number;
  issueNumber: number;
  body: string;
  createdAt: string;
  /** login of the author (the token's account, github-actions[bot], for comments made through the API) */
  author?: string;
}

/** A label put on or taken off an issue, by whom (GET …/issues/{n}/events). */
export interface FakeIssueEvent {
  id: number;
  issueNumber: number;
  event: 'labeled' | 'unlabeled';
  label: string;
  actor: string;
  createdAt: string;
}

export interface FakeState {
  issues: FakeIssue[];
  comments: FakeComment[];
  events: FakeIssueEvent[];
  labels: Map<string, { name: string; color: string; description: string | null }>;
  /** branch name → commit sha */
  refs: Map<string, string>;
  /** commit sha → its whole tree (path → text) */
  commits: Map<string, Map<string, string>>;
  /** branch name → the commit it was created from (for merges) */
  forkedFrom: Map<string, string>;
  /** login → repository permission (GitHub's `permission` field); others are not collaborators */
  collaborators: Map<string, 'admin' | 'write' | 'read'>;
}

export interface RequestLogEntry {
  method: string;
  path: string;
  operationId?: string;
  status: number;
  body?: unknown;
}

export type Fault = '502' | 'rate-limit' | 'secondary-rate-limit';

export interface FakeGitHub {
  url: string;
  state: FakeState;
  violations: string[];
  requests: RequestLogEntry[];
  /** the next `times` requests matching `match` ("METHOD /path") fail with `fault` */
  inject(fault: Fault, options?: { times?: number; match?: RegExp }): void;
  /**
   * merges a pull request as the merge button would (head's changes applied onto base), by `by`
   * (default `maintainer`, a collaborator with write permission)
   */
  mergePull(number: number, by?: string): void;
  /** closes a pull request without merging */
  closePull(number: number): void;
  /**
   * opens a pull request as a person would: a head branch made from base's tip plus `files`,
   * living in `fromRepo` (a fork, `owner/name`) or in this repository
   */
  openPull(pull: {
    title: string;
    head: string;
    base: string;
    files: Record<string, string>;
    fromRepo?: string;
  }): FakeIssue;
  /** a comment by a person (`author`), as the web UI would post it */
  commentAs(issueNumber: number, author: string, body: string): FakeComment;
  /** a person puts a label on an issue, or takes it off, as the web UI would */
  labelAs(issueNumber: number, actor: string, label: string, action?: 'add' | 'remove'): void;
  /** creates or replaces a branch holding exactly these files */
  seedBranch(branch: string, files: Record<string, string>): string;
  /** the files on a branch now */
  files(branch: string): Record<string, string>;
  /** how the fake misbehaves, changeable mid-test (starts from the options) */
  behaviour: { listIgnoresBase: boolean };
  close(): Promise<void>;
}

export interface FakeGitHubOptions {
  owner: string;
  repo: string;
  token?: string;
  defaultBranch?: string;
  /** the fake's clock (timestamps it stamps on issues); default the real one */
  now?: () => Date;
  /** largest page the fake returns, to exercise pagination */
  maxPerPage?: number;
  /** the pull list returns every base, as an API that ignores `?base=` would */
  listIgnoresBase?: boolean;
}

interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

type Handler = (req: FakeRequest) => Reply;

interface FakeRequest {
  matched: Matched;
  query: URLSearchParams;
  body: Record<string, unknown>;
  path: string;
}

export async function startFakeGitHub(options: FakeGitHubOptions): Promise<FakeGitHub> {
  const fake = new Fake(options);
  const server = createServer((req, res) => {
    fake.handle(req, res).catch((error: unknown) => {
      fake.violations.push(`fake crashed: ${String(error)}`);
      send(res, { status: 500, body: { message: 'fake crashed' } });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  fake.url = `http://127.0.0.1:${port}`;
  return {
    get url() {
      return fake.url;
    },
    state: fake.state,
    violations: fake.violations,
    requests: fake.requests,
    inject: (fault, o) => fake.faults.push({ fault, times: o?.times ?? 1, match: o?.match }),
    mergePull: (n, by) => fake.merge(n, by),
    closePull: (n) => fake.closeWithoutMerge(n),
    openPull: (pull) => fake.openPull(pull),
    commentAs: (n, author, body) => fake.addComment(n, body, author),
    labelAs: (n, actor, label, action = 'add') => fake.relabel(n, actor, label, action),
    seedBranch: (branch, files) => fake.commitTree(branch, new Map(Object.entries(files))),
    files: (branch) => Object.fromEntries(fake.tree(branch) ?? new Map()),
    behaviour: fake.behaviour,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function send(res: ServerResponse, reply: Reply): void {
  const text = reply.body === undefined ? '' : JSON.stringify(reply.body);
  res.writeHead(reply.status, { 'content-type': 'application/json; charset=utf-8', ...reply.headers });
  res.end(text);
}

function error(status: number, message: string, extra: Record<string, unknown> = {}): Reply {
  return { status, body: { message, documentation_url: 'https://docs.github.com/rest', ...extra } };
}

/** Operations whose answers the fake builds in GitHub's shape and checks against the description. */
/** The account the Action's token acts as. */
const BOT = 'github-actions[bot]';

const RESPONSES_CHECKED = new Set(['pulls/get', 'pulls/list', 'pulls/create', 'issues/list-events']);

function blobSha(content: string): string {
  return createHash('sha1')
    .update(`blob ${Buffer.byteLength(content)}\0`)
    .update(content)
    .digest('hex');
}

class Fake {
  url = '';
  readonly violations: string[] = [];
  readonly requests: RequestLogEntry[] = [];
  readonly faults: { fault: Fault; times: number; match?: RegExp }[] = [];
  readonly behaviour: { listIgnoresBase: boolean };
  readonly state: FakeState = {
    issues: [],
    comments: [],
    events: [],
    labels: new Map(),
    refs: new Map(),
    commits: new Map(),
    forkedFrom: new Map(),
    collaborators: new Map([
      ['maintainer', 'write'],
      ['owner', 'admin'],
    ]),
  };
  private nextNumber = 1;
  private nextId = 1000;
  private commitCounter = 0;
  private readonly handlers: Record<string, Handler>;

  constructor(private readonly options: FakeGitHubOptions) {
    this.behaviour = { listIgnoresBase: options.listIgnoresBase ?? false };
    this.commitTree(options.defaultBranch ?? 'main', new Map([['README.md', '# repo\n']]));
    this.handlers = {
      'issues/list-for-repo': (r) => this.listIssues(r),
      'issues/get': (r) => this.getIssue(r),
      'issues/create': (r) => this.createIssue(r),
      'issues/update': (r) => this.updateIssue(r),
      'issues/create-comment': (r) => this.createComment(r),
      'issues/list-comments': (r) => this.listComments(r),
      'issues/list-events': (r) => this.listEvents(r),
      'issues/list-labels-for-repo': (r) =>
        this.page(
          r,
          [...this.state.labels.values()].map((l) => this.labelJson(l.name)),
        ),
      'issues/create-label': (r) => this.createLabel(r),
      'git/get-ref': (r) => this.getRef(r),
      'git/create-ref': (r) => this.createRef(r),
      'repos/get-content': (r) => this.getContent(r),
      'repos/create-or-update-file-contents': (r) => this.putContent(r),
      'pulls/create': (r) => this.createPull(r),
      'pulls/list': (r) => this.listPulls(r),
      'pulls/get': (r) => this.getPull(r),
      'pulls/list-files': (r) => this.listPullFiles(r),
      'repos/get-collaborator-permission-level': (r) => this.permission(r),
    };
  }

  private get now(): string {
    return (this.options.now?.() ?? new Date()).toISOString();
  }

  private get defaultBranch(): string {
    return this.options.defaultBranch ?? 'main';
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const method = req.method ?? 'GET';
    const raw = await readBody(req);
    const log: RequestLogEntry = { method, path: url.pathname, status: 0 };
    this.requests.push(log);
    const reply = this.route(req, method, url, raw, log);
    log.status = reply.status;
    send(res, reply);
  }

  private route(req: IncomingMessage, method: string, url: URL, raw: string, log: RequestLogEntry): Reply {
    const where = `${method} ${url.pathname}`;
    const token = this.options.token ?? 'test-token';
    if (req.headers.authorization !== `token ${token}` && req.headers.authorization !== `Bearer ${token}`) {
      return error(401, 'Bad credentials');
    }
    const matched = githubOpenApi().match(method, url.pathname);
    if (!matched) {
      this.violations.push(`${where}: no such route in GitHub's OpenAPI description`);
      return error(404, 'Not Found');
    }
    log.operationId = matched.operationId;
    let body: unknown;
    try {
      body = raw === '' ? undefined : JSON.parse(raw);
    } catch {
      this.violations.push(`${where}: body is not JSON`);
      return error(400, 'Problems parsing JSON');
    }
    log.body = body;
    const problems = githubOpenApi().check(matched, url.searchParams, body, raw !== '');
    if (problems.length > 0) {
      this.violations.push(...problems.map((p) => `${where} (${matched.operationId}): ${p}`));
      return error(422, 'Validation Failed', { errors: problems });
    }
    if (!this.isThisRepo(matched)) return error(404, 'Not Found');
    const fault = this.takeFault(where);
    if (fault) return fault;
    const handler = this.handlers[matched.operationId];
    if (!handler) {
      this.violations.push(`${where}: ${matched.operationId} is valid but the fake does not implement it`);
      return error(501, 'not implemented by the fake');
    }
    const reqBody = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
    const reply = handler({ matched, query: url.searchParams, body: reqBody, path: url.pathname });
    if (RESPONSES_CHECKED.has(matched.operationId) && reply.status < 300) {
      const problems = githubOpenApi().checkResponse(matched, reply.status, reply.body);
      this.violations.push(...problems.map((p) => `${where} (${matched.operationId}) answered: ${p}`));
    }
    return reply;
  }

  private isThisRepo(matched: Matched): boolean {
    const { owner, repo } = matched.params;
    return owner === this.options.owner && repo === this.options.repo;
  }

  private takeFault(where: string): Reply | undefined {
    const index = this.faults.findIndex((f) => f.times > 0 && (!f.match || f.match.test(where)));
    const entry = this.faults[index];
    if (!entry) return undefined;
    entry.times -= 1;
    if (entry.times === 0) this.faults.splice(index, 1);
    if (entry.fault === '502') return { status: 502, body: { message: 'Server Error' } };
    const reset = String(Math.floor(Date.now() / 1000) + 1);
    if (entry.fault === 'secondary-rate-limit') {
      return { ...error(403, 'You have exceeded a secondary rate limit.'), headers: { 'retry-after': '1' } };
    }
    return {
      ...error(403, 'API rate limit exceeded for installation ID 1.'),
      headers: {
        'x-ratelimit-limit': '5000',
        'x-ratelimit-remaining': '0',
        'x-ratelimit-reset': reset,
        'x-ratelimit-used': '5000',
      },
    };
  }

  // ---- pagination -------------------------------------------------------------------------

  private page(r: FakeRequest, items: unknown[]): Reply {
    const perPage = Math.min(Number(r.query.get('per_page') ?? 30), this.options.maxPerPage ?? 100);
    const page = Number(r.query.get('page') ?? 1);
    const last = Math.max(1, Math.ceil(items.length / perPage));
    const headers: Record<string, string> = {};
    if (page < last) {
      const next = new URLSearchParams(r.query);
      next.set('page', String(page + 1));
      headers.link = `<${this.url}${r.path}?${next}>; rel="next"`;
    }
    return { status: 200, body: items.slice((page - 1) * perPage, page * perPage), headers };
  }

  // ---- issues -----------------------------------------------------------------------------

  private htmlUrl(kind: 'issues' | 'pull', n: number): string {
    return `https://github.test/${this.options.owner}/${this.options.repo}/${kind}/${n}`;
  }

  private labelJson(name: string) {
    const label = this.state.labels.get(name);
    return {
      id: name.length,
      node_id: `L_${name}`,
      url: `${this.url}/repos/${this.options.owner}/${this.options.repo}/labels/${encodeURIComponent(name)}`,
      name,
      description: label?.description ?? null,
      color: label?.color ?? 'ededed',
      default: false,
    };
  }

  private issueJson(issue: FakeIssue) {
    return {
      id: issue.number + 10_000,
      node_id: `I_${issue.number}`,
      number: issue.number,
      title: issue.title,
      body: issue.body,
      state: issue.state,
      state_reason: issue.stateReason,
      labels: issue.labels.map((l) => this.labelJson(l)),
      created_at: issue.createdAt,
      updated_at: issue.updatedAt,
      closed_at: issue.closedAt,
      html_url: this.htmlUrl(issue.pull ? 'pull' : 'issues', issue.number),
      comments: this.state.comments.filter((c) => c.issueNumber === issue.number).length,
      user: { login: 'github-actions[bot]', id: 41898282, type: 'Bot' },
      ...(issue.pull ? { pull_request: { url: `${this.url}/pulls/${issue.number}`, merged_at: null } } : {}),
    };
  }

  private findIssue(r: FakeRequest): FakeIssue | undefined {
    return this.state.issues.find((i) => i.number === Number(r.matched.params.issue_number));
  }

  private listIssues(r: FakeRequest): Reply {
    const state = r.query.get('state') ?? 'open';
    const labels = (r.query.get('labels') ?? '').split(',').filter((l) => l !== '');
    const since = r.query.get('since');
    const matching = this.state.issues
      .filter((i) => state === 'all' || i.state === state)
      .filter((i) => labels.every((l) => i.labels.includes(l)))
      .filter((i) => !since || i.updatedAt >= since)
      .sort((a, b) => b.number - a.number);
    return this.page(
      r,
      matching.map((i) => this.issueJson(i)),
    );
  }

  private getIssue(r: FakeRequest): Reply {
    const issue = this.findIssue(r);
    return issue ? { status: 200, body: this.issueJson(issue) } : error(404, 'Not Found');
  }

  private labelNames(value: unknown): string[] {
    if (!Array.isArray(value)) return [];
    const names = value.map((l) =>
      typeof l === 'string' ? l : String((l as { name?: unknown }).name ?? ''),
    );
    // GitHub creates a label that does not exist yet when an issue is given it
    for (const name of names)
      if (!this.state.labels.has(name))
        this.state.labels.set(name, { name, color: 'ededed', description: null });
    return [...new Set(names)];
  }

  private createIssue(r: FakeRequest): Reply {
    const now = this.now;
    const issue: FakeIssue = {
      number: this.nextNumber++,
      title: String(r.body.title),
      body: typeof r.body.body === 'string' ? r.body.body : '',
      state: 'open',
      stateReason: null,
      labels: this.labelNames(r.body.labels),
      createdAt: now,
      updatedAt: now,
      closedAt: null,
    };
    this.state.issues.push(issue);
    return { status: 201, body: this.issueJson(issue) };
  }

  private updateIssue(r: FakeRequest): Reply {
    const issue = this.findIssue(r);
    if (!issue) return error(404, 'Not Found');
    const b = r.body;
    if (b.title !== undefined && b.title !== null) issue.title = String(b.title);
    if (typeof b.body === 'string') issue.body = b.body;
    if (b.labels !== undefined) {
      const before = new Set(issue.labels);
      issue.labels = this.labelNames(b.labels);
      const after = new Set(issue.labels);
      for (const l of after) if (!before.has(l)) this.recordEvent(issue, 'labeled', l, BOT);
      for (const l of before) if (!after.has(l)) this.recordEvent(issue, 'unlabeled', l, BOT);
    }
    if (b.state === 'closed' && issue.state === 'open') {
      issue.state = 'closed';
      issue.closedAt = this.now;
      issue.stateReason = typeof b.state_reason === 'string' ? b.state_reason : 'completed';
    } else if (b.state === 'open' && issue.state === 'closed') {
      issue.state = 'open';
      issue.closedAt = null;
      issue.stateReason = 'reopened';
    }
    issue.updatedAt = this.now;
    return { status: 200, body: this.issueJson(issue) };
  }

  addComment(issueNumber: number, body: string, author: string): FakeComment {
    const issue = this.state.issues.find((i) => i.number === issueNumber);
    if (!issue) throw new Error(`no issue #${issueNumber}`);
    const comment: FakeComment = { id: this.nextId++, issueNumber, body, createdAt: this.now, author };
    this.state.comments.push(comment);
    issue.updatedAt = comment.createdAt;
    return comment;
  }

  relabel(issueNumber: number, actor: string, label: string, action: 'add' | 'remove'): void {
    const issue = this.state.issues.find((i) => i.number === issueNumber);
    if (!issue) throw new Error(`no issue #${issueNumber}`);
    const has = issue.labels.includes(label);
    if (action === 'add' && !has) issue.labels = [...this.labelNames([...issue.labels, label])];
    else if (action === 'remove' && has) issue.labels = issue.labels.filter((l) => l !== label);
    else return;
    this.recordEvent(issue, action === 'add' ? 'labeled' : 'unlabeled', label, actor);
    issue.updatedAt = this.now;
  }

  private recordEvent(issue: FakeIssue, event: FakeIssueEvent['event'], label: string, actor: string): void {
    this.state.events.push({
      id: this.nextId++,
      issueNumber: issue.number,
      event,
      label,
      actor,
      createdAt: this.now,
    });
  }

  /** GET …/issues/{n}/events: GitHub's event shape (its example, with this event's values). */
  private listEvents(r: FakeRequest): Reply {
    const n = Number(r.matched.params.issue_number);
    const template =
      (githubOpenApi().example('issue-event-for-issue-items') as unknown as Record<string, unknown>[])[0] ??
      {};
    const actorTemplate = template.actor as Record<string, unknown>;
    const events = this.state.events
      .filter((e) => e.issueNumber === n)
      .map((e) => ({
        ...structuredClone(template),
        id: e.id,
        node_id: `LE_${e.id}`,
        url: `${this.url}/repos/${this.options.owner}/${this.options.repo}/issues/events/${e.id}`,
        actor: { ...structuredClone(actorTemplate), ...this.userJson(e.actor) },
        event: e.event,
        commit_id: null,
        commit_url: null,
        created_at: e.createdAt,
        label: { name: e.label, color: this.state.labels.get(e.label)?.color ?? 'ededed' },
      }));
    return this.page(r, events);
  }

  private createComment(r: FakeRequest): Reply {
    const issue = this.findIssue(r);
    if (!issue) return error(404, 'Not Found');
    const comment = this.addComment(issue.number, String(r.body.body), BOT);
    return {
      status: 201,
      body: {
        id: comment.id,
        node_id: `IC_${comment.id}`,
        body: comment.body,
        created_at: comment.createdAt,
        updated_at: comment.createdAt,
        html_url: `${this.htmlUrl('issues', issue.number)}#issuecomment-${comment.id}`,
        user: { login: 'github-actions[bot]', id: 41898282, type: 'Bot' },
      },
    };
  }

  private listComments(r: FakeRequest): Reply {
    const n = Number(r.matched.params.issue_number);
    const since = r.query.get('since');
    // GitHub's `since`: comments updated at or after that time
    const comments = this.state.comments.filter(
      (c) => c.issueNumber === n && (!since || c.createdAt >= since),
    );
    return this.page(
      r,
      comments.map((c) => ({
        id: c.id,
        body: c.body,
        created_at: c.createdAt,
        updated_at: c.createdAt,
        user: this.userJson(c.author ?? BOT),
      })),
    );
  }

  private createLabel(r: FakeRequest): Reply {
    const name = String(r.body.name);
    if (this.state.labels.has(name)) {
      return error(422, 'Validation Failed', {
        errors: [{ resource: 'Label', code: 'already_exists', field: 'name' }],
      });
    }
    const color = typeof r.body.color === 'string' ? r.body.color : 'ededed';
    if (!/^[0-9a-fA-F]{6}$/.test(color))
      return error(422, 'Validation Failed', {
        errors: [{ resource: 'Label', code: 'invalid', field: 'color' }],
      });
    const description = typeof r.body.description === 'string' ? r.body.description : null;
    this.state.labels.set(name, { name, color, description });
    return { status: 201, body: this.labelJson(name) };
  }

  // ---- git data ---------------------------------------------------------------------------

  tree(refOrSha: string): Map<string, string> | undefined {
    const sha = this.state.refs.get(refOrSha) ?? refOrSha;
    return this.state.commits.get(sha);
  }

  commitTree(branch: string, files: Map<string, string>): string {
    this.commitCounter += 1;
    const sha = createHash('sha1').update(`commit ${this.commitCounter} ${branch}`).digest('hex');
    this.state.commits.set(sha, new Map(files));
    this.state.refs.set(branch, sha);
    return sha;
  }

  private refJson(branch: string, sha: string) {
    return {
      ref: `refs/heads/${branch}`,
      node_id: `REF_${branch}`,
      url: `${this.url}/repos/${this.options.owner}/${this.options.repo}/git/refs/heads/${branch}`,
      object: {
        sha,
        type: 'commit',
        url: `${this.url}/repos/${this.options.owner}/${this.options.repo}/git/commits/${sha}`,
      },
    };
  }

  private getRef(r: FakeRequest): Reply {
    const ref = r.matched.params.ref ?? '';
    const branch = ref.replace(/^heads\//, '');
    const sha = ref.startsWith('heads/') ? this.state.refs.get(branch) : undefined;
    return sha ? { status: 200, body: this.refJson(branch, sha) } : error(404, 'Not Found');
  }

  private createRef(r: FakeRequest): Reply {
    const ref = String(r.body.ref);
    const sha = String(r.body.sha);
    const m = /^refs\/heads\/(.+)$/.exec(ref);
    if (!m?.[1]) return error(422, 'Reference name is invalid');
    if (this.state.refs.has(m[1])) return error(422, 'Reference already exists');
    if (!this.state.commits.has(sha)) return error(422, 'Object does not exist');
    this.state.refs.set(m[1], sha);
    this.state.forkedFrom.set(m[1], sha);
    return { status: 201, body: this.refJson(m[1], sha) };
  }

  private contentJson(path: string, content: string) {
    const sha = blobSha(content);
    const api = `${this.url}/repos/${this.options.owner}/${this.options.repo}/contents/${path}`;
    return {
      type: 'file',
      encoding: 'base64',
      size: Buffer.byteLength(content),
      name: path.split('/').pop() ?? path,
      path,
      content: Buffer.from(content).toString('base64'),
      sha,
      url: api,
      git_url: null,
      html_url: null,
      download_url: null,
      _links: { self: api, git: null, html: null },
    };
  }

  private getContent(r: FakeRequest): Reply {
    const path = r.matched.params.path ?? '';
    const tree = this.tree(r.query.get('ref') ?? this.defaultBranch);
    const content = tree?.get(path);
    return content === undefined
      ? error(404, 'Not Found')
      : { status: 200, body: this.contentJson(path, content) };
  }

  private putContent(r: FakeRequest): Reply {
    const path = r.matched.params.path ?? '';
    const branch = typeof r.body.branch === 'string' ? r.body.branch : this.defaultBranch;
    const tree = this.tree(branch);
    if (!tree || !this.state.refs.has(branch)) return error(404, `Branch ${branch} not found`);
    const existing = tree.get(path);
    if (existing !== undefined && r.body.sha === undefined) return error(422, '"sha" wasn\'t supplied.');
    if (existing !== undefined && r.body.sha !== blobSha(existing))
      return error(409, `${path} does not match ${String(r.body.sha)}`);
    const content = Buffer.from(String(r.body.content), 'base64').toString('utf8');
    const next = new Map(tree);
    next.set(path, content);
    const sha = this.commitTree(branch, next);
    return {
      status: existing === undefined ? 201 : 200,
      body: { content: this.contentJson(path, content), commit: { sha, message: r.body.message } },
    };
  }

  // ---- pull requests ----------------------------------------------------------------------

  /**
   * A pull request as GitHub answers it (`pull-request` for get and create, `pull-request-simple`
   * in lists): GitHub's example object with this pull request's values.
   */
  private pullJson(issue: FakeIssue, shape: 'pull-request' | 'pull-request-simple' = 'pull-request') {
    const pull = issue.pull;
    if (!pull) throw new Error(`#${issue.number} is not a pull request`);
    const json = githubOpenApi().example(shape);
    const thisRepo = `${this.options.owner}/${this.options.repo}`;
    const side = (ref: string, sha: string, fullName: string) => ({
      ...(json.head as Record<string, unknown>),
      ref,
      sha,
      label: `${fullName.split('/')[0]}:${ref}`,
      user: this.exampleUser(json, fullName.split('/')[0] ?? ''),
      repo: this.repoJson(json, fullName),
    });
    const api = `${this.url}/repos/${thisRepo}/pulls/${issue.number}`;
    Object.assign(json, {
      ...this.issueJson(issue),
      url: api,
      html_url: this.htmlUrl('pull', issue.number),
      user: this.exampleUser(json, 'github-actions[bot]'),
      labels: [],
      milestone: null,
      assignee: null,
      assignees: [],
      requested_reviewers: [],
      requested_teams: [],
      auto_merge: null,
      draft: false,
      merged_at: pull.merged ? issue.closedAt : null,
      head: side(pull.head, this.headSha(pull), pull.headRepo ?? thisRepo),
      base: side(pull.base, this.state.refs.get(pull.base) ?? '', thisRepo),
    });
    delete json.state_reason;
    delete json.comments;
    delete json.pull_request;
    if (shape === 'pull-request') {
      Object.assign(json, {
        merged: pull.merged,
        merged_by: pull.mergedBy ? this.exampleUser(json, pull.mergedBy) : null,
        comments: this.state.comments.filter((c) => c.issueNumber === issue.number).length,
      });
    }
    return json;
  }

  private headSha(pull: NonNullable<FakeIssue['pull']>): string {
    return this.state.refs.get(this.headKey(pull)) ?? pull.headSha;
  }

  /** Where the fake keeps a head branch: a fork's branches under the fork's name. */
  private headKey(pull: { head: string; headRepo?: string }): string {
    return pull.headRepo ? `${pull.headRepo}:${pull.head}` : pull.head;
  }

  private exampleUser(example: Record<string, unknown>, login: string) {
    return {
      ...(example.user as Record<string, unknown>),
      login,
      id: login.length + 100,
      node_id: `U_${login}`,
      type: login.endsWith('[bot]') ? 'Bot' : 'User',
    };
  }

  private repoJson(example: Record<string, unknown>, fullName: string) {
    const base = (example.head as { repo: Record<string, unknown> }).repo;
    const [owner = '', name = ''] = fullName.split('/');
    return {
      ...base,
      id: createHash('sha1').update(fullName).digest().readUInt32BE(0),
      node_id: `R_${fullName}`,
      name,
      full_name: fullName,
      owner: this.exampleUser(example, owner),
      fork: fullName !== `${this.options.owner}/${this.options.repo}`,
      html_url: `https://github.test/${fullName}`,
      url: `${this.url}/repos/${fullName}`,
      default_branch: this.defaultBranch,
    };
  }

  private userJson(login: string) {
    return { login, id: login.length + 100, node_id: `U_${login}`, type: 'User', site_admin: false };
  }

  /** GitHub answers `none` for an account that is not a collaborator (read on public repos). */
  private permission(r: FakeRequest): Reply {
    const login = r.matched.params.username ?? '';
    const permission = this.state.collaborators.get(login) ?? 'none';
    return {
      status: 200,
      body: { permission, role_name: permission, user: this.userJson(login) },
    };
  }

  private listPullFiles(r: FakeRequest): Reply {
    const issue = this.state.issues.find((i) => i.pull && i.number === Number(r.matched.params.pull_number));
    if (!issue?.pull) return error(404, 'Not Found');
    const key = this.headKey(issue.pull);
    const fork = this.state.commits.get(this.state.forkedFrom.get(key) ?? '');
    const files =
      issue.pull.files ??
      new Map(
        [...this.changedFiles(key)].map(([path, content]) => [
          path,
          { content, added: fork?.get(path) === undefined },
        ]),
      );
    return this.page(
      r,
      [...files].map(([filename, f]) => ({
        sha: blobSha(f.content),
        filename,
        status: f.added ? 'added' : 'modified',
        additions: f.content.split('\n').length,
        deletions: 0,
        changes: f.content.split('\n').length,
        blob_url: `https://github.test/blob/${filename}`,
        raw_url: `https://github.test/raw/${filename}`,
        contents_url: `${this.url}/repos/${this.options.owner}/${this.options.repo}/contents/${filename}`,
      })),
    );
  }

  private changedFiles(branch: string): Map<string, string> {
    const head = this.tree(branch) ?? new Map<string, string>();
    const fork = this.state.commits.get(this.state.forkedFrom.get(branch) ?? '') ?? new Map<string, string>();
    return new Map([...head].filter(([path, content]) => fork.get(path) !== content));
  }

  private createPull(r: FakeRequest): Reply {
    const head = String(r.body.head).replace(`${this.options.owner}:`, '');
    const base = String(r.body.base);
    if (!this.state.refs.has(head) || !this.state.refs.has(base)) {
      return error(422, 'Validation Failed', {
        errors: [{ resource: 'PullRequest', field: 'head', code: 'invalid' }],
      });
    }
    if (
      this.state.issues.some(
        (i) => i.pull && i.state === 'open' && i.pull.head === head && i.pull.base === base,
      )
    ) {
      return error(422, 'Validation Failed', {
        errors: [{ message: `A pull request already exists for ${this.options.owner}:${head}.` }],
      });
    }
    if (this.changedFiles(head).size === 0) {
      return error(422, 'Validation Failed', {
        errors: [{ message: `No commits between ${base} and ${head}` }],
      });
    }
    const now = this.now;
    const issue: FakeIssue = {
      number: this.nextNumber++,
      title: String(r.body.title),
      body: typeof r.body.body === 'string' ? r.body.body : '',
      state: 'open',
      stateReason: null,
      labels: [],
      createdAt: now,
      updatedAt: now,
      closedAt: null,
      pull: { head, base, headSha: this.state.refs.get(head) ?? '', merged: false },
    };
    this.state.issues.push(issue);
    return { status: 201, body: this.pullJson(issue) };
  }

  private listPulls(r: FakeRequest): Reply {
    const state = r.query.get('state') ?? 'open';
    const head = r.query.get('head')?.replace(`${this.options.owner}:`, '');
    const base = r.query.get('base');
    const pulls = this.state.issues
      .filter((i) => i.pull && (state === 'all' || i.state === state))
      .filter((i) => !head || (i.pull?.head === head && !i.pull.headRepo))
      .filter((i) => this.behaviour.listIgnoresBase || !base || i.pull?.base === base)
      .sort((a, b) => b.number - a.number);
    return this.page(
      r,
      pulls.map((i) => this.pullJson(i, 'pull-request-simple')),
    );
  }

  private getPull(r: FakeRequest): Reply {
    const issue = this.state.issues.find((i) => i.pull && i.number === Number(r.matched.params.pull_number));
    return issue ? { status: 200, body: this.pullJson(issue) } : error(404, 'Not Found');
  }

  private openPullNumbered(number: number): FakeIssue & { pull: NonNullable<FakeIssue['pull']> } {
    const issue = this.state.issues.find((i) => i.number === number);
    if (!issue?.pull || issue.state !== 'open') throw new Error(`#${number} is not an open pull request`);
    return issue as FakeIssue & { pull: NonNullable<FakeIssue['pull']> };
  }

  merge(number: number, by = 'maintainer'): void {
    const issue = this.openPullNumbered(number);
    const base = new Map(this.tree(issue.pull.base));
    const key = this.headKey(issue.pull);
    const fork = this.state.commits.get(this.state.forkedFrom.get(key) ?? '');
    issue.pull.files = new Map();
    for (const [path, content] of this.changedFiles(key)) {
      base.set(path, content);
      issue.pull.files.set(path, { content, added: fork?.get(path) === undefined });
    }
    this.commitTree(issue.pull.base, base);
    issue.pull.merged = true;
    issue.pull.mergedBy = by;
    issue.state = 'closed';
    issue.closedAt = this.now;
    issue.updatedAt = this.now;
  }

  openPull(o: {
    title: string;
    head: string;
    base: string;
    files: Record<string, string>;
    fromRepo?: string;
  }): FakeIssue {
    const from = this.state.refs.get(o.base);
    const tree = this.tree(o.base);
    if (!from || !tree) throw new Error(`no branch ${o.base}`);
    const key = this.headKey({ head: o.head, ...(o.fromRepo ? { headRepo: o.fromRepo } : {}) });
    const headSha = this.commitTree(key, new Map([...tree, ...Object.entries(o.files)]));
    this.state.forkedFrom.set(key, from);
    const now = this.now;
    const issue: FakeIssue = {
      number: this.nextNumber++,
      title: o.title,
      body: '',
      state: 'open',
      stateReason: null,
      labels: [],
      createdAt: now,
      updatedAt: now,
      closedAt: null,
      pull: {
        head: o.head,
        base: o.base,
        headSha,
        merged: false,
        ...(o.fromRepo ? { headRepo: o.fromRepo } : {}),
      },
    };
    this.state.issues.push(issue);
    return issue;
  }

  closeWithoutMerge(number: number): void {
    const issue = this.openPullNumbered(number);
    issue.state = 'closed';
    issue.closedAt = this.now;
    issue.updatedAt = this.now;
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
