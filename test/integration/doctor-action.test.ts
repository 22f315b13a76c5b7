/**
 * `task: doctor` in the bundled Action (dist/index.js under Node 24, as the runner runs it): the
 * workspace's origin is a real smart-HTTP git server (git http-backend) that lets the token push
 * or not, the server a real sshd on loopback. A problem is an error annotation with its fix, a
 * row in the job summary, output status=error and a failed step; a clean setup is status=ok.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GitHttp, startGitHttp } from '../support/git-http.js';
import { type LoopbackSshd, loopbackSshdSkipReason, startLoopbackSshd } from '../support/loopback-sshd.js';
import { git, makeWorkspace, runBundle, type Workspace } from '../support/runner.js';

const TOKEN = 'ghs_doctoraction0123456789abcdefghijklm';
const skip = loopbackSshdSkipReason();
const unmasked = (stdout: string) =>
  stdout
    .split('\n')
    .filter((l) => !l.startsWith('::add-mask::'))
    .join('\n');

describe.skipIf(skip !== undefined)('task: doctor in the bundled Action', { timeout: 240_000 }, () => {
  let sshd: LoopbackSshd;
  let ws: Workspace;
  let http: GitHttp;

  beforeAll(async () => {
    sshd = await startLoopbackSshd();
    ws = await makeWorkspace(
      `version: 1\nservers:\n  - { name: box, host: 127.0.0.1, port: ${sshd.port}, user: root, host_key: "${sshd.fingerprint}" }\n`,
    );
    http = await startGitHttp(ws.dir, { token: TOKEN });
    await git(ws.workspace, 'remote', 'set-url', 'origin', http.url('origin.git'));
  }, 60_000);

  afterAll(async () => {
    await http?.close();
    await sshd?.stop();
    if (ws) rmSync(ws.dir, { recursive: true, force: true });
  });

  it('all good: status ok, exit 0, the summary says what was checked', async () => {
    const run = await runBundle('index.js', ws, {
      task: 'doctor',
      'ssh-private-key': sshd.clientKey,
      'github-token': TOKEN,
    });
    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    expect(run.outputs.status).toBe('ok');
    expect(run.summary).toMatch(/^## ClaudeOps doctor: all good/);
    // the token only ever in the runner's own masking command
    expect(unmasked(run.stdout)).not.toContain(TOKEN);
  });

  it('a token that may not push and a missing SSH key: one error annotation each with its fix, status error, exit 1', async () => {
    const run = await runBundle('index.js', ws, {
      task: 'doctor',
      'github-token': 'ghs_readonly0000000000000000000000000000',
    });
    expect(run.exitCode).toBe(1);
    expect(run.outputs).toMatchObject({ status: 'error', findings: '2' });
    const annotations = run.stdout.split('\n').filter((l) => l.startsWith('::error::✗'));
    expect(annotations).toEqual([
      expect.stringMatching(
        /^::error::✗ box config: .*no SSH private key given.* → fix: set what the message names/,
      ),
      expect.stringMatching(
        /^::error::✗ state: state branch \(http:\/\/127\.0\.0\.1:\d+\/origin\.git\): readable, but a push is refused: .*403.* → fix: give the workflow `permissions: contents: write`/,
      ),
    ]);
    expect(run.summary).toMatch(/^## ClaudeOps doctor: 2 problems\n\n- ✗ box config: .*\n- ✗ state: /);
    expect(unmasked(run.stdout)).not.toContain('ghs_readonly0000000000000000000000000000');
  });
});
