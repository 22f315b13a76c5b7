/**
 * Every state-branch path comes from src/core/state-branch/paths.ts, so a server name long enough
 * to be bounded (116–128 characters: a readable prefix and a hash) is written, linked, read back,
 * merged and listed under the same name everywhere.
 */
import { describe, expect, it } from 'vitest';
import { emptyServerState } from '../../../../src/core/memory/memory.js';
import { parseStateFile, serializeServerState } from '../../../../src/core/memory/server-state.js';
import type { StateReader } from '../../../../src/core/ports/index.js';
import { renderSummary } from '../../../../src/core/render/render-summary.js';
import { newRunRecord } from '../../../../src/core/run-record.js';
import { buildMemory } from '../../../../src/core/state-branch/memory-selection.js';
import { mergeAtTip } from '../../../../src/core/state-branch/merge-at-tip.js';
import { historyDir, MAX_FILE_NAME, serverStatePath } from '../../../../src/core/state-branch/paths.js';
import { fleetNow, serverNames } from '../../../../src/core/state-branch/state-views.js';

const NAMES = [116, 120, 128].map((n) => `web-${'x'.repeat(n - 8)}.lan`);

/** The StateReader port over a map of files (what the git adapter does over a branch tip). */
function readerOf(files: Map<string, string>): StateReader {
  const read = async (paths: readonly string[]) =>
    new Map(paths.flatMap((p): [string, string][] => (files.has(p) ? [[p, files.get(p) ?? '']] : [])));
  return {
    bytesRead: 0,
    list: async (prefix) => [...files.keys()].filter((p) => p.startsWith(prefix)),
    read,
    heads: async (paths, bytes, visit) => {
      for (const [p, text] of await read(paths)) visit(p, text.slice(0, bytes));
    },
    scan: async (paths, visit) => {
      for (const [p, text] of await read(paths)) {
        const lines = text.split('\n');
        for (let i = 0; i < lines.length; i++) visit(p, lines[i] ?? '', i + 1);
      }
    },
    warn: () => {},
  };
}

describe('state-branch paths for long server names', () => {
  it('are bounded, distinct, and history directories are bounded too', () => {
    for (const name of NAMES) {
      expect(name.length).toBeGreaterThanOrEqual(116);
      const file = serverStatePath(name).split('/').at(-1) ?? '';
      expect(file.length).toBeLessThanOrEqual(MAX_FILE_NAME);
      expect(file).not.toBe(`${name}.json`);
      expect((historyDir(name).split('/').at(-1) ?? '').length).toBeLessThanOrEqual(MAX_FILE_NAME);
    }
    expect(new Set(NAMES.map(serverStatePath)).size).toBe(NAMES.length);
  });

  it('the job summary links the state file the run wrote', () => {
    const record = newRunRecord({
      runId: 'r1',
      task: 'check',
      mode: 'safe',
      dryRun: false,
      startedAt: '2026-03-10T12:00:00Z',
    });
    for (const name of NAMES) record.serverStates[name] = emptyServerState(name);
    const summary = renderSummary(record, { stateUrl: 'https://github.com/o/r/blob/claudeops-state/' });
    for (const name of NAMES)
      expect(summary).toContain(`(https://github.com/o/r/blob/claudeops-state/${serverStatePath(name)})`);
    expect(summary).not.toContain(`state/${NAMES[0]}.json`);
  });

  it('the next run reads the state back as memory, and a merge keeps both runs', () => {
    const [name = ''] = NAMES;
    const path = serverStatePath(name);
    const state = { ...emptyServerState(name), runs: 4, lastRun: '2026-03-10T11:00:00.000Z' };
    const text = serializeServerState(state);
    expect(parseStateFile(path, text)).toEqual({ ok: true, state });
    expect(parseStateFile('state/other.json', text).ok).toBe(false);
    const blob = { type: 'blob' as const, oid: 'o', path };
    const { memory } = buildMemory(
      { reports: [], actions: [], issues: [], approvals: [], states: [blob] },
      new Map([[path, text]]),
    );
    expect(memory.servers[name]?.runs).toBe(4);
    expect(memory.warnings).toEqual([]);
    const ours = serializeServerState({ ...state, runs: 5, recentRuns: ['a'] });
    const theirs = serializeServerState({ ...state, runs: 5, recentRuns: ['b'] });
    const merged = parseStateFile(path, mergeAtTip(path, ours, theirs, state).content);
    expect(merged.ok && merged.state.runs).toBe(6);
  });

  it('the read commands list the server by its own name, with its state', async () => {
    const files = new Map(
      NAMES.map((name) => [
        serverStatePath(name),
        serializeServerState({ ...emptyServerState(name), lastRun: '2026-03-10T11:00:00.000Z' }),
      ]),
    );
    const reader = readerOf(files);
    expect(await serverNames(reader)).toEqual([...NAMES].sort());
    const fleet = await fleetNow(reader, new Date('2026-03-10T12:00:00Z'));
    expect(fleet.servers.map((s) => [s.server, s.lastRun])).toEqual(
      [...NAMES].sort().map((n) => [n, '2026-03-10T11:00:00.000Z']),
    );
  });
});
