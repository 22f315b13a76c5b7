/**
 * scripts/test.sh runs the lab's files in two halves at once, one per lab (`--shard=1/2` and
 * `--shard=2/2`, each vitest process on its own lab): the split must give every lab file to exactly
 * one half, the same in both processes, with about the same known seconds in each.
 */
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { balancedShards, LAB_SECONDS } from '../slow-first-sequencer.js';

const LAB_FILES = readdirSync('test/e2e/lab')
  .filter((f) => f.endsWith('.test.ts'))
  .map((f) => `test/e2e/lab/${f}`);
const seconds = (paths: string[]) => paths.reduce((sum, p) => sum + (LAB_SECONDS[p] ?? 5), 0);

describe('the lab split into two shards (balancedShards)', () => {
  it('gives every lab file to exactly one shard, whatever order vitest lists them in', () => {
    const [one, two] = balancedShards(LAB_FILES, 2);
    expect([...(one ?? []), ...(two ?? [])].sort()).toEqual([...LAB_FILES].sort());
    expect(balancedShards([...LAB_FILES].reverse(), 2)).toEqual([one, two]);
  });

  it('balances the known seconds: the halves differ by less than the longest file', () => {
    const [one = [], two = []] = balancedShards(LAB_FILES, 2);
    const longest = Math.max(...LAB_FILES.map((p) => LAB_SECONDS[p] ?? 5));
    expect(Math.abs(seconds(one) - seconds(two))).toBeLessThan(longest);
    // the two longest files run at once, one in each half
    expect(one[0]).toBe('test/e2e/lab/recover-scenario.test.ts');
    expect(two[0]).toBe('test/e2e/lab/efficacy.test.ts');
  });

  it('counts a file with no known seconds, and puts it somewhere', () => {
    const shards = balancedShards(['b.test.ts', 'a.test.ts', 'test/e2e/lab/efficacy.test.ts'], 2);
    expect(shards).toEqual([['test/e2e/lab/efficacy.test.ts'], ['a.test.ts', 'b.test.ts']]);
  });
});
