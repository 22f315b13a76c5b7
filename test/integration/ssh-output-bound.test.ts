/**
 * What a server prints is outside input: a compromised or broken server can answer any script with
 * output without end, at wire speed, within the command's timeout. The runner keeps at most
 * OUTPUT_CAP_BYTES of one script's output, then kills the session's command and says it cut it —
 * it does not hold hundreds of megabytes (a fleet run would die of memory, every server with it).
 * A real sshd on loopback whose ForceCommand ignores our script and prints what the test says.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSshTransport } from '../../src/adapters/ssh.js';
import { OUTPUT_CAP_BYTES } from '../../src/adapters/ssh-shell.js';
import { serverSchema } from '../../src/config/schema.js';
import { type LoopbackSshd, loopbackSshdSkipReason, startLoopbackSshd } from '../support/loopback-sshd.js';

const skip = loopbackSshdSkipReason();
if (skip) console.warn(`SSH output bound tests skipped: ${skip}`);

describe.skipIf(skip !== undefined)(
  'a server that answers with too much output',
  { timeout: 120_000 },
  () => {
    let sshd: LoopbackSshd;
    const dir = mkdtempSync(join(tmpdir(), 'claudeops-hostile-output-'));
    const answer = join(dir, 'answer.sh');

    beforeAll(async () => {
      writeFileSync(answer, 'echo ok\n');
      sshd = await startLoopbackSshd({ forceCommand: `sh ${answer}` });
    }, 60_000);

    afterAll(async () => {
      await sshd?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    async function runAgainst(script: string, timeoutMs = 60_000) {
      writeFileSync(answer, script);
      const transport = createSshTransport({
        privateKey: sshd.clientKey,
        knownHosts: `${sshd.hostKeyLine}\n`,
      });
      const shell = await transport.connect(
        serverSchema.parse({ name: 'loud', host: '127.0.0.1', port: sshd.port, user: 'root' }),
      );
      try {
        const started = performance.now();
        const result = await shell.run('echo asked', { timeoutMs });
        return { result, ms: performance.now() - started };
      } finally {
        await shell.close();
      }
    }

    it('a quiet answer is kept whole', async () => {
      const { result } = await runAgainst('echo ok; echo note >&2\n');
      expect(result).toMatchObject({ stdout: 'ok\n', stderr: 'note\n', code: 0, timedOut: false });
    });

    it('64 MiB of stdout: at most the cap is kept, the command is killed, the cut is said', async () => {
      const { result } = await runAgainst("head -c 67108864 /dev/zero | tr '\\0' x\n");
      expect(result.stdout.length).toBeLessThanOrEqual(OUTPUT_CAP_BYTES);
      expect(result.stdout.length).toBeGreaterThan(0);
      expect(result.code).toBeNull();
      expect(result.timedOut).toBe(false);
      expect(result.stderr).toMatch(/output cut at \d+ bytes/);
    });

    it('output without end, on stderr too: returns long before its timeout', async () => {
      const { result, ms } = await runAgainst('yes stdout & yes stderr >&2; wait\n', 60_000);
      expect(result.stdout.length + result.stderr.length).toBeLessThanOrEqual(OUTPUT_CAP_BYTES + 200);
      expect(result.stderr).toMatch(/output cut at \d+ bytes/);
      expect(ms).toBeLessThan(30_000);
    });
  },
);
