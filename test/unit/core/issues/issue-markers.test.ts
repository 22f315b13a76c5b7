import { describe, expect, it } from 'vitest';
import { keyMarker, keyOf, memoMarker, memoOf } from '../../../../src/core/issues/issue-markers.js';

describe('hidden issue markers', () => {
  it('markers survive awkward fingerprints', () => {
    const fp = 'web1/endpoint/https://x.test/a b-->%41';
    expect(keyOf(`text ${keyMarker(fp)} more`)).toBe(fp);
    expect(keyMarker(fp)).not.toMatch(/-->.*-->/);
  });

  it('a memo reads back as written, and a damaged one reads as none', () => {
    const memo = { severity: 'critical' as const, since: '2026-11-21T08:00:00Z', members: ['web1/disk//'] };
    expect(memoOf(`body\n${memoMarker(memo)}`)).toEqual({ ...memo, diagnosis: undefined });
    expect(memoOf('<!-- claudeops:state=bm90IGpzb24= -->')).toBeUndefined();
    expect(keyOf('<!-- claudeops:fingerprint=%E0%A4%A -->')).toBeUndefined();
  });
});
