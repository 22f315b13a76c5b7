/**
 * The GitHub calls the run makes, shaped by what sync needs rather than by Octokit: issues,
 * comments, labels, branches, one file on a branch, pull requests. The real adapter
 * (src/adapters/github-octokit.ts) is Octokit with retry + throttling; tests run that same adapter
 * against a fake GitHub that validates every request against GitHub's OpenAPI description.
 *
 * Every method throws GitHubApiError (message starts "GitHub API failed:") on a failed call.
 */
/** An issue as the issue planner needs to see it (from GitHub's list of issues). */
export interface IssueSnapshot {
  number: number;
  state: 'open' | 'closed';
  title: string;
  body: string;
  labels: string[];
  /** ISO time; set for closed issues */
  closedAt?: string;
}

export interface IssueUpdate {
  title?: string;
  body?: string;
  labels?: string[];
  state?: 'open' | 'closed';
  stateReason?: 'completed' | 'reopened';
}

/** An issue as GitHub lists it: the planner's snapshot plus what links and windows need. */
export interface IssueInfo extends IssueSnapshot {
  updatedAt: string;
  htmlUrl: string;
}

/** One file written to a branch as one commit; `sha` is the blob replaced, when it exists. */
export interface FileWrite {
  branch: string;
  path: string;
  content: string;
  message: string;
  sha?: string;
}

export interface IssuePatch {
  title?: string;
  body?: string;
  /** replaces the issue's labels */
  labels?: string[];
  state?: 'open' | 'closed';
  stateReason?: 'completed' | 'not_planned' | 'reopened';
}

export interface PullInfo {
  number: number;
  state: 'open' | 'closed';
  merged: boolean;
  title: string;
  body: string;
  /** head branch name (no refs/heads/) */
  head: string;
  headSha: string;
  /**
   * `owner/name` of the repository the head branch lives in (this one, or a fork); null when
   * GitHub has none to name (the fork was deleted)
   */
  headRepo: string | null;
  base: string;
  /** `owner/name` of the repository the pull request merges into */
  baseRepo: string;
  htmlUrl: string;
}

/** A pull request as `pulls.get` answers: who merged it and when. */
export interface PullDetail extends PullInfo {
  mergedAt?: string;
  /** login of the account that merged it */
  mergedBy?: string;
}

/** One file a pull request changes: its path, how, and the blob it ends with. */
export interface PullFile {
  path: string;
  status: string;
  /** blob sha of the file at the pull request's head (git's object id) */
  sha: string;
}

/** A label put on or taken off an issue, and by whom (docs/alerting.md#acknowledge). */
export interface LabelEvent {
  action: 'labeled' | 'unlabeled';
  label: string;
  /** login of the account that did it */
  actor: string;
  createdAt: string;
}

export interface CommentInfo {
  body: string;
  /** login of the author */
  author: string;
  /** ISO time it was written (absent from stand-ins that do not say) */
  createdAt?: string;
  id?: number;
}

/** A collaborator's permission as GitHub names it; `none` for accounts that are not collaborators. */
export type RepoPermission = 'admin' | 'maintain' | 'write' | 'triage' | 'read' | 'none';

export interface FileInfo {
  content: string;
  /** blob sha, needed to replace the file */
  sha: string;
}

export interface GitHubApi {
  readonly owner: string;
  readonly repo: string;
  /** from now on, the calls together take at most `ms` (waits included); then none is sent (github.report_budget) */
  startBudget?(ms: number): void;

  /** issues only (pull requests are filtered out), every page */
  listIssues(query: {
    labels: string[];
    state: 'open' | 'closed' | 'all';
    since?: string;
  }): Promise<IssueInfo[]>;
  createIssue(issue: { title: string; body: string; labels: string[] }): Promise<IssueInfo>;
  updateIssue(issueNumber: number, patch: IssuePatch): Promise<IssueInfo>;
  /** a comment on an issue or a pull request */
  comment(issueNumber: number, body: string): Promise<void>;

  listLabels(): Promise<string[]>;
  createLabel(label: { name: string; color: string; description?: string }): Promise<void>;

  /** the commit sha a branch points at, undefined when the branch does not exist */
  branchSha(branch: string): Promise<string | undefined>;
  createBranch(branch: string, sha: string): Promise<void>;
  /** undefined when the file does not exist at ref */
  getFile(path: string, ref: string): Promise<FileInfo | undefined>;
  /** creates or replaces one file on a branch as one commit */
  putFile(file: FileWrite): Promise<void>;

  createPull(pull: { title: string; body: string; head: string; base: string }): Promise<PullInfo>;
  /** every page; head is a branch name of this repository */
  listPulls(query: { state: 'open' | 'closed' | 'all'; base?: string; head?: string }): Promise<PullInfo[]>;
  getPull(pullNumber: number): Promise<PullDetail>;
  /** every page */
  listPullFiles(pullNumber: number): Promise<PullFile[]>;
  /** every page */
  /** every page; `since`: only comments updated at or after that ISO time */
  listComments(issueNumber: number, since?: string): Promise<CommentInfo[]>;
  /** every page; the labels put on or taken off the issue, oldest first */
  listLabelEvents(issueNumber: number): Promise<LabelEvent[]>;
  /** the account's permission on this repository */
  permissionOf(login: string): Promise<RepoPermission>;
}

export class GitHubApiError extends Error {
  constructor(
    message: string,
    /** HTTP status, when the server answered */
    readonly status?: number,
  ) {
    super(message);
    this.name = 'GitHubApiError';
  }
}
