/**
 * A state file over the size limit (a real git remote, a real oversized blob): it is not read, it
 * is kept as state/<server>.corrupt-<time>.json by the run's commit (the same blob, nothing
 * copied), the run warns and the server starts fresh; the next run loads normally. Git errors on
 * binary reads come out as text, never as a list of byte values.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Git } from '../../src/adapters/git-cli.js';
import { serverStatePath } from '../../src/core/state-branch/paths.js';
import { bumped, type Sandbox, sandbox, stateFile } from './state-support.js';

let box: Sandbox;
beforeEach(async () => {
  box = await sandbox();
});
afterEach(async () => {
  await box.cleanup();
});

describe('state file size limit', () => {
  it('sets an oversized state file aside, warns, and starts the server fresh', async () => {
    const at = new Date('2026-11-21T08:00:00Z');
    const seed = box.store();
    await seed.load();
    const huge = bumped(undefined, 'web1', 'r0', at);
    // 300 kB of samples: over a 100 kB limit (the default is 1 MiB; the test keeps it small)
    huge.samples['disk:/'] = Array.from({ length: 12_000 }, (_, i) => [
      new Date(at.getTime() - i * 60_000).toISOString(),
      50,
    ]);
    const big = stateFile(huge);
    expect(big.length).toBeGreaterThan(100_000);
    expect(
      (await seed.commit([{ path: serverStatePath('web1'), content: big }], 'a huge state')).pushed,
    ).toBe(true);
    await seed.dispose();
    const bigBlob = (await box.git('rev-parse', `claudeops-state:${serverStatePath('web1')}`)).trim();

    const store = box.store({ maxStateBytes: 100_000 });
    const memory = await store.load();
    expect(memory.servers.web1).toBeUndefined();
    expect(memory.warnings.join('\n')).toMatch(
      /state\/web1\.json is \d+ bytes, over the 100000-byte limit .*set aside as state\/web1\.corrupt-.*\.json/,
    );
    const fresh = bumped(undefined, 'web1', 'r1', at);
    const result = await store.commit([{ path: serverStatePath('web1'), content: stateFile(fresh) }], 'r1');
    await store.dispose();
    expect(result.pushed).toBe(true);
    const files = await box.files();
    const aside = files.filter((f) => /^state\/web1\.corrupt-.+\.json$/.test(f));
    expect(aside).toHaveLength(1);
    expect((await box.git('rev-parse', `claudeops-state:${aside[0]}`)).trim()).toBe(bigBlob);
    expect(JSON.parse(await box.show(serverStatePath('web1'))).runs).toBe(1);

    // the next run reads the fresh file and leaves the set-aside one alone
    const next = box.store({ maxStateBytes: 100_000 });
    const again = await next.load();
    await next.dispose();
    expect(again.servers.web1?.runs).toBe(1);
    expect(again.warnings).toEqual([]);
  });

  it('prints a failed binary git read as text', async () => {
    const git = new Git(box.remote);
    const error = await git.runBuffer(['cat-file', 'blob', 'f'.repeat(40)]).catch((e: unknown) => e);
    expect(String(error)).toMatch(/git cat-file failed: .*fatal/);
    expect(String(error)).not.toMatch(/\d+,\d+,\d+,\d+/);
  });
});
