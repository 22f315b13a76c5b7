import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createOctokitGitHub } from '../../../src/adapters/github-octokit.js';
import type { GitHubApi } from '../../../src/core/ports/index.js';
import { type FakeGitHub, startFakeGitHub } from '../../support/fake-github.js';
import { fastTuning } from '../../support/github-tuning.js';

describe('octokit adapter against the fake GitHub', () => {
  let gh: FakeGitHub;
  let api: GitHubApi;
  const warnings: string[] = [];
  const infos: string[] = [];
  beforeEach(async () => {
    warnings.length = 0;
    infos.length = 0;
    gh = await startFakeGitHub({ owner: 'acme', repo: 'ops', maxPerPage: 2 });
    api = createOctokitGitHub({
      token: 'test-token',
      repository: 'acme/ops',
      baseUrl: gh.url,
      tuning: fastTuning(),
      warn: (m) => warnings.push(m),
      info: (m) => infos.push(m),
    });
  });
  afterEach(async () => {
    expect(gh.violations).toEqual([]);
    await gh.close();
  });

  it('creates, lists across pages, updates and comments on issues', async () => {
    for (const n of [1, 2, 3])
      await api.createIssue({ title: `t${n}`, body: `b${n}`, labels: ['claudeops', `server:s${n}`] });
    const all = await api.listIssues({ labels: ['claudeops'], state: 'open' });
    expect(all.map((i) => i.title).sort()).toEqual(['t1', 't2', 't3']);
    await api.updateIssue(1, { state: 'closed', stateReason: 'completed' });
    await api.comment(1, 'done');
    expect(gh.state.comments.map((c) => c.body)).toEqual(['done']);
    const closed = await api.listIssues({ labels: ['claudeops'], state: 'closed' });
    expect(closed.map((i) => i.number)).toEqual([1]);
    expect(closed[0]?.closedAt).toBeTruthy();
  });
  it('branches, files and pull requests', async () => {
    const main = await api.branchSha('main');
    expect(main).toMatch(/^[0-9a-f]{40}$/);
    expect(await api.branchSha('nope')).toBeUndefined();
    await api.createBranch('claudeops/approve-x', main ?? '');
    await api.putFile({
      branch: 'claudeops/approve-x',
      path: 'approvals/x.md',
      content: 'hello',
      message: 'add',
    });
    expect((await api.getFile('approvals/x.md', 'claudeops/approve-x'))?.content).toBe('hello');
    expect(await api.getFile('approvals/x.md', 'main')).toBeUndefined();
    const pr = await api.createPull({
      title: 'approve',
      body: 'b',
      head: 'claudeops/approve-x',
      base: 'main',
    });
    expect(
      (await api.listPulls({ state: 'open', head: 'claudeops/approve-x' })).map((p) => p.number),
    ).toEqual([pr.number]);
    gh.mergePull(pr.number);
    expect(gh.files('main')['approvals/x.md']).toBe('hello');
    const [merged] = await api.listPulls({ state: 'closed', base: 'main' });
    expect(merged?.merged).toBe(true);
  });
  it('retries a 502 and a rate limit, but not a 422', async () => {
    gh.inject('502', { times: 1 });
    await api.createLabel({ name: 'a', color: '5319e7' });
    gh.inject('rate-limit', { times: 1 });
    expect(await api.listLabels()).toEqual(['a']);
    const before = gh.requests.length;
    await expect(api.createLabel({ name: 'a', color: '5319e7' })).rejects.toThrow(
      /GitHub API failed: create label a: 422/,
    );
    expect(gh.requests.length - before).toBe(1);
    // each retried call is one plain log line, never an annotation
    expect(infos).toHaveLength(2);
    expect(infos.filter((m) => /^GitHub (GET|POST) \S+: server error, retrying$/.test(m))).toHaveLength(1);
    expect(infos.filter((m) => /^GitHub rate limit on GET \S+: retrying in \d+s$/.test(m))).toHaveLength(1);
    expect(warnings).toEqual([]);
  });

  it('a call that stays rate-limited is one retry line and one warning', async () => {
    gh.inject('rate-limit', { times: 5 });
    await expect(api.listLabels()).rejects.toThrow(/GitHub API failed/);
    expect(infos.filter((m) => m.includes('rate limit'))).toHaveLength(1);
    expect(warnings.filter((m) => m.includes('giving up'))).toHaveLength(1);
  });
});
