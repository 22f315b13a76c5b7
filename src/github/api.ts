/**
 * The GitHub calls the run makes (issues, comments, labels, pulls, refs). The real adapter is
 * Octokit with retry + throttling; tests use the same adapter against a fake GitHub that
 * validates every request against GitHub's OpenAPI description.
 * Owned by the GitHub module: extend as it needs.
 */
export interface GitHubApi {
  readonly owner: string;
  readonly repo: string;
}
