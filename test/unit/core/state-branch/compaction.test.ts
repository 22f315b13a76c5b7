import { describe, expect, it } from 'vitest';
import {
  commitId,
  committedAt,
  compactedHistory,
  reparent,
  treeOf,
} from '../../../../src/core/state-branch/compaction.js';

const BOT = 'claudeops[bot] <claudeops[bot]@users.noreply.github.com>';
const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';
const commit = (tree: string, parents: string[], at: number, message: string, extra = '') =>
  `tree ${tree}\n${parents.map((p) => `parent ${p}\n`).join('')}author ${BOT} ${at} +0000\ncommitter ${BOT} ${at} +0000\n${extra}\n${message}\n`;

describe('state branch compaction (pure)', () => {
  it('computes the object id git does', () => {
    // `git hash-object -t commit --stdin` of the same text
    expect(commitId(commit(EMPTY_TREE, [], 1767225600, 'claudeops check: ok (50 servers)'))).toBe(
      '93b91979dc52b25b5dcf9f58770e144b5ee6b648',
    );
  });

  it('re-parents a commit keeping its tree, people, times and message; drops signatures and merge parents', () => {
    const signature =
      'gpgsig -----BEGIN PGP SIGNATURE-----\n \n wsBcBAABCAAQBQJ\n -----END PGP SIGNATURE-----\n';
    const merge = commit(
      'a'.repeat(40),
      ['b'.repeat(40), 'c'.repeat(40)],
      1767225600,
      'Merge pull request #7',
      signature,
    );
    const again = reparent(merge, 'd'.repeat(40));
    expect(again).toBe(commit('a'.repeat(40), ['d'.repeat(40)], 1767225600, 'Merge pull request #7'));
    expect(treeOf(again)).toBe('a'.repeat(40));
    expect(committedAt(again)).toBe(1767225600);
  });

  it('builds a root with the files of the last commit before the cut, then every kept commit on it', () => {
    const base = { id: 'e'.repeat(40), raw: commit('1'.repeat(40), ['f'.repeat(40)], 100, 'run 1') };
    const kept = [
      { id: '2'.repeat(40), raw: commit('3'.repeat(40), [base.id], 200, 'run 2') },
      { id: '4'.repeat(40), raw: commit('5'.repeat(40), ['2'.repeat(40)], 300, 'run 3') },
    ];
    const history = compactedHistory(base, kept, new Date(150_000));
    expect(history.map((c) => treeOf(c.raw))).toEqual(['1'.repeat(40), '3'.repeat(40), '5'.repeat(40)]);
    expect(history[0]?.raw).not.toMatch(/^parent /m);
    expect(history[0]?.raw).toMatch(/claudeops: history before 1970-01-01T00:02:30\.000Z compacted/);
    expect(history[1]?.raw).toContain(`parent ${history[0]?.id}\n`);
    expect(history[2]?.raw).toContain(`parent ${history[1]?.id}\n`);
    expect(history.map((c) => c.replaces)).toEqual([undefined, '2'.repeat(40), '4'.repeat(40)]);
    for (const c of history) expect(c.id).toBe(commitId(c.raw));
  });
});
