import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FakeGitHub, startFakeGitHub } from '../../support/fake-github.js';

/** The fake is only worth something if it refuses what GitHub's description refuses. */
describe('fake GitHub validates every request against the OpenAPI description', () => {
  let gh: FakeGitHub;
  const call = (method: string, path: string, body?: unknown) =>
    fetch(`${gh.url}${path}`, {
      method,
      headers: { authorization: 'token test-token', 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  beforeEach(async () => {
    gh = await startFakeGitHub({ owner: 'acme', repo: 'ops' });
  });
  afterEach(async () => {
    await gh.close();
  });

  it('accepts a valid request and records nothing', async () => {
    const res = await call('POST', '/repos/acme/ops/issues', { title: 'x', labels: ['a'] });
    expect(res.status).toBe(201);
    expect(gh.violations).toEqual([]);
  });

  it('refuses an unknown route', async () => {
    expect((await call('POST', '/repos/acme/ops/issue', { title: 'x' })).status).toBe(404);
    expect(gh.violations).toEqual([
      "POST /repos/acme/ops/issue: no such route in GitHub's OpenAPI description",
    ]);
  });

  it('refuses a body the description rejects: missing required, wrong type, bad enum, unknown query', async () => {
    expect((await call('POST', '/repos/acme/ops/issues/1/comments', {})).status).toBe(422);
    expect((await call('POST', '/repos/acme/ops/issues', { title: 'x', labels: 'a,b' })).status).toBe(422);
    expect((await call('PATCH', '/repos/acme/ops/issues/1', { state: 'resolved' })).status).toBe(422);
    expect((await call('GET', '/repos/acme/ops/issues?status=open')).status).toBe(422);
    expect(gh.violations).toEqual([
      expect.stringContaining('body: missing required property "body"'),
      expect.stringContaining('body.labels: expected array, got string'),
      expect.stringContaining('body.state: "resolved" is not one of ["open","closed"]'),
      expect.stringContaining('query: unknown parameter "status"'),
    ]);
  });

  it('refuses a request without the token', async () => {
    const res = await fetch(`${gh.url}/repos/acme/ops/issues`);
    expect(res.status).toBe(401);
  });

  it('injects rate limits with the real headers', async () => {
    gh.inject('rate-limit');
    const res = await call('GET', '/repos/acme/ops/labels');
    expect(res.status).toBe(403);
    expect(res.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(Number(res.headers.get('x-ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000 - 1);
    expect((await call('GET', '/repos/acme/ops/labels')).status).toBe(200);
  });
});
