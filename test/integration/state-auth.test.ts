import { mkdir, readFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GitStateStore, workspaceRemoteUrl } from '../../src/adapters/git-state-store.js';
import { type Sandbox, sandbox } from './state-support.js';

let box: Sandbox;
beforeEach(async () => {
  box = await sandbox();
});
afterEach(async () => {
  await box.cleanup();
});

describe('remote auth', () => {
  it('sends the token as a per-command auth header, masks it, and never writes or prints it', async () => {
    const seen: IncomingHttpHeaders[] = [];
    const server = createServer((req, res) => {
      seen.push(req.headers);
      res.writeHead(403, { 'content-type': 'text/plain' });
      res.end('forbidden');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    const token = 'ghs_0123456789abcdefghijklmnopqrstuvwxyzAB';
    const masked: string[] = [];
    const store = new GitStateStore({
      remoteUrl: `http://127.0.0.1:${port}/owner/repo.git`,
      token,
      workDir: join(box.root, 'work'),
      mask: (s) => masked.push(s),
    });
    try {
      const error = await store.load().then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(error?.message).toMatch(/fetch of claudeops-state failed/);
      expect(error?.message).not.toContain(token);
      const expected = `basic ${Buffer.from(`x-access-token:${token}`).toString('base64')}`;
      expect(seen[0]?.authorization).toBe(expected);
      expect(masked).toEqual([token, expected.slice('basic '.length)]);
      const config = await readFile(join(store.workTree ?? '', '.git', 'config'), 'utf8');
      expect(config).not.toContain(token);
      expect(config).not.toContain(expected.slice('basic '.length));
    } finally {
      server.close();
    }
  });

  it('finds the workspace origin, else the server URL and repository', async () => {
    const ws = join(box.root, 'ws');
    await mkdir(ws);
    await execa('git', ['init', '-q', ws]);
    await execa('git', ['-C', ws, 'remote', 'add', 'origin', 'https://github.com/acme/ops.git']);
    expect(await workspaceRemoteUrl({ GITHUB_WORKSPACE: ws })).toBe('https://github.com/acme/ops.git');
    expect(
      await workspaceRemoteUrl({ GITHUB_SERVER_URL: 'http://127.0.0.1:9', GITHUB_REPOSITORY: 'acme/ops' }),
    ).toBe('http://127.0.0.1:9/acme/ops.git');
    expect(await workspaceRemoteUrl({})).toBeUndefined();
  });
});
