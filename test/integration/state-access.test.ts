/**
 * doctor's state branch check (adapters/state-access.ts) against real git: a smart-HTTP server
 * (git http-backend) that lets anyone read and only the token write, as GitHub does; and the
 * CLI's local directory. The check writes nothing: the remote's refs are the same afterwards.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localStateAccess, remoteStateAccess } from '../../src/adapters/state-access.js';
import { type GitHttp, startGitHttp } from '../support/git-http.js';

const TOKEN = 'ghs_doctorcheck0123456789abcdefghijklmn';
let root: string;
let server: GitHttp;

const refs = async () => (await execa('git', ['-C', join(root, 'state.git'), 'for-each-ref'])).stdout;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'claudeops-state-access-'));
  const seed = join(root, 'seed');
  await execa('git', ['init', '-q', '--bare', join(root, 'state.git')]);
  await execa('git', ['init', '-q', '-b', 'claudeops-state', seed]);
  writeFileSync(join(seed, 'README.md'), 'state\n');
  await execa('git', ['-C', seed, 'add', '.']);
  await execa('git', ['-C', seed, '-c', 'user.name=t', '-c', 'user.email=t@e', 'commit', '-qm', 'seed']);
  await execa('git', ['-C', seed, 'push', '-q', join(root, 'state.git'), 'claudeops-state']);
  server = await startGitHttp(root, { token: TOKEN });
});

afterAll(async () => {
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

describe('state branch access (remote)', () => {
  it('with a token that may push: ok, and nothing on the remote changed', async () => {
    const before = await refs();
    const masked: string[] = [];
    const access = remoteStateAccess({
      remoteUrl: server.url('state.git'),
      token: TOKEN,
      branch: 'claudeops-state',
      mask: (s) => masked.push(s),
    });
    expect(await access.check()).toEqual({ ok: true });
    expect(await refs()).toBe(before);
    expect(masked).toContain(TOKEN);
    expect(server.requests.some((r) => r.includes('service=git-receive-pack'))).toBe(true);
  });

  it('a token that may only read: readable, but the push is refused (403), said without the token', async () => {
    for (const token of [undefined, 'ghs_readonly_not_the_write_token_000000']) {
      const access = remoteStateAccess({
        remoteUrl: server.url('state.git'),
        ...(token ? { token } : {}),
        branch: 'claudeops-state',
      });
      const result = await access.check();
      expect(result).toMatchObject({ ok: false, reason: 'read-only' });
      if (!result.ok) {
        expect(result.message).toMatch(/^readable, but a push is refused: .*403/);
        if (token) expect(result.message).not.toContain(token);
      }
    }
  });

  it('no such repository, and nothing listening: unreachable', async () => {
    const missing = await remoteStateAccess({
      remoteUrl: server.url('nope.git'),
      token: TOKEN,
      branch: 'claudeops-state',
    }).check();
    expect(missing).toMatchObject({
      ok: false,
      reason: 'unreachable',
      message: expect.stringMatching(/^cannot read: /),
    });
    const closed = await remoteStateAccess({
      remoteUrl: 'http://127.0.0.1:9/x.git',
      branch: 'claudeops-state',
    }).check();
    expect(closed).toMatchObject({ ok: false, reason: 'unreachable' });
  });
});

describe('state branch access (the CLI: a local directory)', () => {
  it('a repository, an empty directory or a directory yet to be made is fine; other files are not', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'claudeops-local-access-'));
    try {
      expect(await localStateAccess(join(dir, 'a/b/state')).check()).toEqual({ ok: true });
      mkdirSync(join(dir, 'empty'));
      expect(await localStateAccess(join(dir, 'empty')).check()).toEqual({ ok: true });
      await execa('git', ['init', '-q', join(dir, 'repo')]);
      expect(await localStateAccess(join(dir, 'repo')).check()).toEqual({ ok: true });
      mkdirSync(join(dir, 'other'));
      writeFileSync(join(dir, 'other', 'notes.txt'), 'x');
      expect(await localStateAccess(join(dir, 'other')).check()).toMatchObject({
        ok: false,
        reason: 'not-a-repository',
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
