import { describe, expect, it } from 'vitest';
import { emptyServerState } from '../../../../src/core/memory/memory.js';
import { parseServerState, serializeServerState } from '../../../../src/core/memory/server-state.js';
import {
  appendAtTip,
  appendChanges,
  mergeAtTip,
  mergeCandidates,
  mustMerge,
} from '../../../../src/core/state-branch/merge-at-tip.js';

describe('re-applying a run onto a newer tip (pure)', () => {
  it('merges state and issue files this run writes, nothing it deletes or other kinds', () => {
    expect(
      mergeCandidates([
        { path: 'state/web1.json', content: '{}' },
        { path: 'issues/a.md', content: 'x' },
        { path: 'issues/b.md' },
        { path: 'health/2026-03-10/r.md', content: 'x' },
      ]),
    ).toEqual(['state/web1.json', 'issues/a.md']);
  });

  it('merges an issue file always, a state file only when another run changed it', () => {
    expect(mustMerge({ type: 'blob', oid: 'x', path: 'issues/a.md' }, 'x')).toBe(true);
    expect(mustMerge({ type: 'blob', oid: 'x', path: 'state/web1.json' }, 'x')).toBe(false);
    expect(mustMerge({ type: 'blob', oid: 'y', path: 'state/web1.json' }, 'x')).toBe(true);
    expect(mustMerge({ type: 'tree', oid: 'y', path: 'state/web1.json' }, 'x')).toBe(false);
  });

  it('counts both runs in a state file both touched', () => {
    const base = { ...emptyServerState('web1'), runs: 5 };
    const ours = serializeServerState({ ...base, runs: 6, recentRuns: ['r-ours'] });
    const theirs = serializeServerState({ ...base, runs: 6, recentRuns: ['r-theirs'] });
    const merged = mergeAtTip('state/web1.json', ours, theirs, base);
    expect(merged.byMeaning).toBe(true);
    const parsed = parseServerState(merged.content, 'web1');
    expect(parsed.ok && parsed.state.runs).toBe(7);
  });

  it('keeps our state file when the tip holds one that cannot be read', () => {
    const ours = serializeServerState({ ...emptyServerState('web1'), runs: 2 });
    expect(mergeAtTip('state/web1.json', ours, '{ broken', undefined).content).toBe(ours);
  });

  it('adds each appended line once to the file as the tip holds it', () => {
    const appends = appendChanges([
      { path: 'history/web1/2026-03.tsv', content: 'b\nc\n', append: true },
      { path: 'state/web1.json', content: '{}' },
    ]);
    expect(appends.map((c) => c.path)).toEqual(['history/web1/2026-03.tsv']);
    const [change] = appendAtTip(appends, new Map([['history/web1/2026-03.tsv', 'a\nb\n']]));
    expect(change?.content?.split('\n').filter(Boolean)).toEqual(['a', 'b', 'c']);
  });
});
