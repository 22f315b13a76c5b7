/**
 * A state branch made by the real pipeline pieces from a scripted timeline: for every scheduled run,
 * the scripted findings go through the lifecycle (trackFindings) and the record through the real
 * state-branch writer (buildStateChanges: health report, state files, issue files, action logs,
 * history series), merged the way the state store merges (issue files by meaning, series by
 * line), then committed to a git repository as one branch. What the digest reads is what real
 * runs write; the expected figures are worked out by the test from the script alone.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import type { Config } from '../../src/config/schema.js';
import { mergeLines } from '../../src/core/memory/history-series.js';
import { trackFindings } from '../../src/core/memory/lifecycle.js';
import { emptyMemory, type Memory } from '../../src/core/memory/memory.js';
import { parseServerState } from '../../src/core/memory/server-state.js';
import { type ActionRecord, newRunRecord } from '../../src/core/run-record.js';
import { isOpenIssue, mergeIssueFiles } from '../../src/core/state-branch/issue-files.js';
import { healthReportPath } from '../../src/core/state-branch/paths.js';
import { type Finding, finding, type ServerReport } from '../../src/core/types.js';
import { buildStateChanges } from '../../src/record/build-state-changes.js';
import { runContext } from './agent-fixtures.js';

export interface ScriptedRun {
  at: Date;
  /** servers that could not be reached in this run */
  down: string[];
  /** non-ok findings this run (server, check, target, severity) */
  findings: Finding[];
  actions: Omit<ActionRecord, 'id' | 'at' | 'path' | 'requestedBy' | 'params' | 'risk' | 'reason'>[];
  costUsd: number;
  tokens: number;
}

export const bad = (
  server: string,
  check: string,
  target: string,
  summary = `${check} ${target} failing`,
): Finding => finding(server, check, target, 'critical', summary);

/** Runs the script through the pipeline's pieces; returns the branch's files. */
export function buildBranch(config: Config, runs: readonly ScriptedRun[]): Map<string, string> {
  const tree = new Map<string, string>();
  for (const [i, run] of runs.entries()) {
    const runId = String(5000 + i);
    const ctx = runContext(config);
    const memory = memoryOf(tree, config);
    const servers: ServerReport[] = config.servers.map((server) => {
      const reachable = !run.down.includes(server.name);
      const findings = reachable
        ? run.findings.filter((f) => f.server === server.name)
        : [finding(server.name, 'unreachable', '-', 'critical', `${server.name} could not be reached`)];
      return {
        server,
        observation: {
          server: server.name,
          reachable,
          startedAt: run.at.toISOString(),
          durationMs: 1000,
          bytes: 100,
          roundTrips: 1,
          probes: {},
          probeErrors: {},
        },
        findings,
      };
    });
    const tracked = trackFindings(servers, memory, config, run.at, { runId });
    const record = newRunRecord({
      runId,
      task: 'check',
      mode: 'safe',
      dryRun: false,
      startedAt: run.at.toISOString(),
      finishedAt: run.at.toISOString(),
      reportPath: healthReportPath(run.at, runId),
      servers,
      findings: tracked.findings,
      resolved: tracked.resolved,
      serverStates: tracked.serverStates,
      changes: tracked.changes,
    });
    record.usage.costUsd = run.costUsd;
    record.usage.inputTokens = run.tokens;
    record.actions = run.actions.map((a, n) => ({
      ...a,
      id: `${runId}-${n + 1}`,
      at: run.at.toISOString(),
      path: `actions/${run.at.toISOString().slice(0, 10)}/${run.at.toISOString().slice(11, 19).replaceAll(':', '')}-${a.server}-${a.action}-${runId}-${n}.md`,
      requestedBy: 'rules',
      params: {},
      risk: 'low',
      reason: 'scripted',
    }));
    for (const change of buildStateChanges(ctx, record, memory)) {
      if (change.content === undefined) {
        tree.delete(change.path);
        continue;
      }
      const existing = tree.get(change.path);
      if (change.append) tree.set(change.path, mergeLines(existing, change.content));
      else if (change.path.startsWith('issues/') && existing)
        tree.set(change.path, mergeIssueFiles(change.content, existing));
      else tree.set(change.path, change.content);
    }
  }
  return tree;
}

/** What the next run loads: state files and open issue files, as the store selects them. */
function memoryOf(tree: Map<string, string>, config: Config): Memory {
  const memory = emptyMemory();
  for (const server of config.servers) {
    const text = tree.get(`state/${server.name}.json`);
    const parsed = text ? parseServerState(text, server.name) : undefined;
    if (parsed?.ok) memory.servers[server.name] = parsed.state;
  }
  for (const [path, content] of tree) {
    if (path.startsWith('issues/') && isOpenIssue(content)) memory.openIssues.push({ path, content });
  }
  const last = Object.values(memory.servers)
    .map((s) => s.lastRun ?? '')
    .sort()
    .at(-1);
  if (last) memory.lastRunAt = last;
  return memory;
}

/** The branch as a git repository the CLI and the state store can use (`claudeops-state`). */
export async function writeBranch(tree: Map<string, string>): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'claudeops-digest-'));
  const git = (...args: string[]) =>
    execa('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.com', ...args], { cwd: dir });
  await git('init', '-q', '--initial-branch=claudeops-state');
  await git('config', 'receive.denyCurrentBranch', 'updateInstead');
  await git('config', 'uploadpack.allowFilter', 'true');
  for (const [path, content] of tree) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  await git('add', '-A');
  await git('commit', '-qm', 'generated history');
  return dir;
}
