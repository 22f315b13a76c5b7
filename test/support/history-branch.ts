/**
 * A state branch as years of real runs leave it, written in seconds-to-minutes with
 * `git fast-import` instead of years: one commit per run of a fleet (a health report, every
 * server's state file, every server's monthly history file rewritten with its line added), the
 * product's own file shapes (paths, state serializer, history line format, issue files) and its
 * own retention (`state.retention_days`: reports rolled into monthly summaries and history months
 * into yearly daily files by the same functions a run calls, in the run that would do it).
 *
 * Blobs are streamed path by path (every version of state/web1.json, then of web2's, …), so git
 * stores each version as a delta of the one before, as a repacked remote does; the commits then
 * name them by mark. Used by scripts/bench-history.mjs (history growth) and by tests.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { endpointId, pointLine } from '../../src/core/memory/history-series.js';
import { emptyServerState, type ServerState } from '../../src/core/memory/memory.js';
import { serializeServerState } from '../../src/core/memory/server-state.js';
import type { BranchEntry } from '../../src/core/state-branch/branch-entry.js';
import { STATE_BRANCH_README } from '../../src/core/state-branch/branch-readme.js';
import { renderIssueFile } from '../../src/core/state-branch/issue-files.js';
import {
  dailyHistoryPath,
  healthReportPath,
  historyEndpointsPath,
  historyMonthPath,
  issuePath,
  serverStatePath,
  summaryPath,
} from '../../src/core/state-branch/paths.js';
import {
  expiredDayDirs,
  expiredHistoryFiles,
  monthsOf,
  rollUpDayChanges,
  rollUpHistoryChanges,
} from '../../src/core/state-branch/retention.js';
import type { FileChange } from '../../src/core/types.js';

export interface GrowthShape {
  servers: number;
  /** history length; 0 makes an empty remote (no branch) */
  days: number;
  /** minutes between runs (120: every 2 h) */
  everyMinutes: number;
  /** the last run's time */
  now: Date;
  /** state.retention_days (the default 90) */
  retentionDays?: number;
  /** server names; default web1, db1, cache1, api1, worker1, web2, … */
  names?: string[];
  /**
   * Only the tip as the last run leaves it, in one commit (no history): for what reads the tip
   * alone (the read commands), where writing every run's commit would only cost time.
   */
  tipOnly?: boolean;
}

export interface GrowthBranch {
  names: string[];
  runs: number;
  /** the branch tip (undefined for days 0) */
  tip?: string;
}

export function fleetName(i: number): string {
  return `${['web', 'db', 'cache', 'api', 'worker'][i % 5]}${Math.floor(i / 5) + 1}`;
}

const SAMPLE_KEYS = ['disk:/', 'inodes:/', 'memory:-'];
const MOUNTS = ['/', '/var', '/srv/data', '/boot'];
const SAMPLES = 48;

/** Server i at run r: what its state file holds after that run (runs every step, all healthy). */
function stateAt(
  name: string,
  i: number,
  r: number,
  times: readonly string[],
  ids: readonly string[],
): ServerState {
  const state = emptyServerState(name);
  const first = Math.max(0, r - SAMPLES + 1);
  state.lastRun = times[r];
  state.lastChecked = times[r];
  state.runs = r + 1;
  state.recentRuns = ids.slice(Math.max(0, r - 49), r + 1);
  state.bootId = `boot-${i}-${Math.floor(r / 500)}`;
  state.uptimeSeconds = (r % 500) * 7200;
  for (const [k, key] of SAMPLE_KEYS.entries()) {
    state.samples[key] = [];
    for (let j = first; j <= r; j++) state.samples[key].push([times[j] ?? '', figure(i, j, k)]);
  }
  return state;
}

/** A deterministic figure that wanders like a real one. */
function figure(i: number, r: number, k: number): number {
  return (
    Math.round((30 + ((i * 7 + k * 13) % 40) + 8 * Math.sin(r / 40 + i) + ((r * 37 + i) % 10) / 10) * 10) / 10
  );
}

function historyLine(name: string, i: number, r: number, time: string, id: string): string {
  const url = `https://${name}.example.test/health`;
  return pointLine({
    at: time,
    run: id,
    status: (r * 31 + i) % 97 === 0 ? 'warning' : 'ok',
    disk: figure(i, r, 0),
    memory: figure(i, r, 2),
    load: Math.round(((r * 13 + i * 7) % 90) / 10) / 10,
    endpoints: { [endpointId(url)]: { up: true, code: 200, latencyMs: 60 + ((r * 17 + i) % 80) } },
  });
}

/** A health report of a healthy fleet, shaped as the product renders one (front matter, fleet, every mount). */
export function healthReport(names: readonly string[], r: number, time: string, id: string): string {
  const rows = names.map(
    (n, i) =>
      `| ${n} | ssh | yes | ok | 0 | ${figure(i, r, 0)}% | 3% | ${figure(i, r, 2)}% | 0% | 0.12 | 12d | ${60 + ((r + i) % 80)} ms | 0.4s |`,
  );
  return [
    '---',
    `run: "${id}"`,
    'task: check',
    'mode: safe',
    'dry_run: false',
    `started: ${time}`,
    `finished: ${time}`,
    'status: ok',
    `servers: ${names.length}`,
    'unreachable: []',
    `round_trips: ${names.length}`,
    `bytes: ${names.length * 4100}`,
    'findings: []',
    'resolved: []',
    'actions: []',
    'planner: rules',
    'tokens: 0',
    '---',
    '',
    `# Health report ${time.slice(0, 16).replace('T', ' ')} UTC`,
    '',
    `**Status: 🟢 ok** · ${names.length} servers · 0 findings · 0 actions · planner: rules · took 4s`,
    '',
    `Task \`check\`, mode \`safe\`, run \`${id}\`.`,
    '',
    '## Fleet',
    '',
    '| server | transport | reachable | status | findings | disk (worst) | inodes | memory | swap | load/CPU | uptime | latency | checked in |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    'Figures show their thresholds as (warn/crit).',
    '',
    '<details><summary>Every mount and endpoint</summary>',
    '',
    '| server | kind | target | value | warn | crit |',
    '|---|---|---|---|---|---|',
    ...names.flatMap((n, i) => [
      ...MOUNTS.flatMap((m, k) => [
        `| ${n} | disk | ${m} | ${figure(i, r, k)}% | 80 | 90 |`,
        `| ${n} | inodes | ${m} | ${Math.round(figure(i, r, k + 1) / 10)}% | 80 | 90 |`,
      ]),
      `| ${n} | endpoint | https&#8203;://${n}.example.test/health | up 200 ${60 + ((r + i) % 80)} ms | 2000 ms | 5000 ms |`,
    ]),
    '',
    '</details>',
    '',
    '## Findings',
    '',
    'None.',
    '',
  ].join('\n');
}

/** The runs a branch is made of: who, when, under which id, with which retention. */
interface Runs {
  names: readonly string[];
  times: readonly string[];
  ids: readonly string[];
  retentionDays: number;
}

class Stream {
  constructor(private readonly out: Writable) {}
  private pending: string[] = [];
  private size = 0;
  async write(text: string): Promise<void> {
    this.pending.push(text);
    this.size += text.length;
    if (this.size > 1 << 20) await this.flush();
  }
  async data(text: string): Promise<void> {
    await this.write(`data ${Buffer.byteLength(text)}\n${text}\n`);
  }
  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const chunk = this.pending.join('');
    this.pending = [];
    this.size = 0;
    if (!this.out.write(chunk)) await once(this.out, 'drain');
  }
}

/** Writes the branch `claudeops-state` into the bare repository `repo` (which must exist). */
export async function generateGrowthBranch(repo: string, shape: GrowthShape): Promise<GrowthBranch> {
  const names = shape.names ?? Array.from({ length: shape.servers }, (_, i) => fleetName(i));
  const step = shape.everyMinutes * 60_000;
  const last = Math.floor(shape.now.getTime() / step) * step;
  const runs = Math.floor((shape.days * 86_400_000) / step);
  if (runs === 0) return { names, runs: 0 };
  const times = Array.from({ length: runs }, (_, r) => new Date(last - (runs - 1 - r) * step).toISOString());
  const ids = times.map((_, r) => String(1_000_000 + r));
  const fi = spawn('git', ['--git-dir', repo, 'fast-import', '--quiet', '--depth=50'], {
    stdio: ['pipe', 'inherit', 'inherit'],
  });
  const done = once(fi, 'close');
  const out = new Stream(fi.stdin);
  const plan: Runs = { names, times, ids, retentionDays: shape.retentionDays ?? 90 };
  if (shape.tipOnly) await writeTip(out, plan);
  else await writeHistory(out, plan);
  await out.flush();
  fi.stdin.end();
  const [code] = await done;
  if (code !== 0) throw new Error(`git fast-import failed (exit ${code})`);
  const tip = await new Promise<string>((resolve, reject) => {
    const p = spawn('git', ['--git-dir', repo, 'rev-parse', 'refs/heads/claudeops-state']);
    let s = '';
    p.stdout.on('data', (c: Buffer) => {
      s += c.toString();
    });
    p.on('close', (c) => (c === 0 ? resolve(s.trim()) : reject(new Error('rev-parse failed'))));
  });
  return { names, runs, tip };
}

function commitHeader(time: string, servers: number): string {
  const seconds = Math.floor(Date.parse(time) / 1000);
  return (
    'commit refs/heads/claudeops-state\n' +
    `committer claudeops[bot] <claudeops[bot]@users.noreply.github.com> ${seconds} +0000\n` +
    `data ${Buffer.byteLength(`claudeops check: ok (${servers} servers)`)}\nclaudeops check: ok (${servers} servers)\n`
  );
}

/** What the first run writes besides its own files: the README, endpoint names, two open issues. */
async function writeFirstFiles(out: Stream, names: readonly string[], time: string): Promise<void> {
  await out.write('M 100644 inline README.md\n');
  await out.data(STATE_BRANCH_README);
  for (const [i, name] of names.entries()) {
    const url = `https://${name}.example.test/health`;
    await out.write(`M 100644 inline ${historyEndpointsPath(name)}\n`);
    await out.data(`${endpointId(url)}\t${url}\n`);
    if (i < 2) {
      await out.write(`M 100644 inline ${issuePath(`${name}/disk//`)}\n`);
      await out.data(openIssue(name, time));
    }
  }
}

async function writeChanges(out: Stream, changes: readonly FileChange[]): Promise<void> {
  for (const change of changes) {
    if (change.content === undefined) await out.write(`D ${change.path}\n`);
    else {
      await out.write(`M 100644 inline ${change.path}\n`);
      await out.data(change.content);
    }
  }
}

/** The tip alone: retention played through every run, then one commit of what is left. */
async function writeTip(out: Stream, plan: Runs): Promise<void> {
  const { names, times, ids } = plan;
  const retention = new Retention(plan);
  for (let r = 0; r < times.length; r++) {
    retention.wrote(r, healthReportPath(new Date(times[r] ?? ''), ids[r] ?? ''));
    retention.at(r);
  }
  const last = times.length - 1;
  await out.write(commitHeader(times[last] ?? '', names.length));
  await writeFirstFiles(out, names, times[0] ?? '');
  for (const [path, r] of retention.reports()) {
    await out.write(`M 100644 inline ${path}\n`);
    await out.data(healthReport(names, r, times[r] ?? '', ids[r] ?? ''));
  }
  for (const [i, name] of names.entries()) {
    await out.write(`M 100644 inline ${serverStatePath(name)}\n`);
    await out.data(serializeServerState(stateAt(name, i, last, times, ids)));
  }
  await writeChanges(out, retention.files());
}

/** Every run's commit: blobs first, path by path (each a delta of its previous version), then commits. */
async function writeHistory(out: Stream, plan: Runs): Promise<void> {
  const { names, times, ids } = plan;
  const runs = times.length;
  const S = names.length;
  const stateMark = (i: number, r: number) => 1 + 2 * i * runs + r;
  const seriesMark = (i: number, r: number) => 1 + (2 * i + 1) * runs + r;
  const reportMark = (r: number) => 1 + 2 * S * runs + r;

  // every version of one file after the other: each stored as a delta of the one before
  for (const [i, name] of names.entries()) {
    for (let r = 0; r < runs; r++) {
      await out.write(`blob\nmark :${stateMark(i, r)}\n`);
      await out.data(serializeServerState(stateAt(name, i, r, times, ids)));
    }
    let month = '';
    let text = '';
    for (let r = 0; r < runs; r++) {
      const time = times[r] ?? '';
      if (time.slice(0, 7) !== month) {
        month = time.slice(0, 7);
        text = '';
      }
      text += `${historyLine(name, i, r, time, ids[r] ?? '')}\n`;
      await out.write(`blob\nmark :${seriesMark(i, r)}\n`);
      await out.data(text);
    }
  }
  for (let r = 0; r < runs; r++) {
    await out.write(`blob\nmark :${reportMark(r)}\n`);
    await out.data(healthReport(names, r, times[r] ?? '', ids[r] ?? ''));
  }

  // the commits, one per run, with retention as the run itself would apply it
  const retention = new Retention(plan);
  for (let r = 0; r < runs; r++) {
    const time = times[r] ?? '';
    await out.write(commitHeader(time, S));
    if (r === 0) await writeFirstFiles(out, names, time);
    const path = healthReportPath(new Date(time), ids[r] ?? '');
    await out.write(`M 100644 :${reportMark(r)} ${path}\n`);
    for (const [i, name] of names.entries()) {
      await out.write(`M 100644 :${stateMark(i, r)} ${serverStatePath(name)}\n`);
      await out.write(`M 100644 :${seriesMark(i, r)} ${historyMonthPath(name, time.slice(0, 7))}\n`);
    }
    retention.wrote(r, path);
    await writeChanges(out, retention.at(r));
  }
}

function openIssue(name: string, since: string): string {
  const fingerprint = `${name}/disk//`;
  return renderIssueFile({
    meta: {
      fingerprint,
      status: 'open',
      severity: 'warning',
      servers: [name],
      check: 'disk',
      target: '/',
      first_seen: since,
      last_seen: since,
      updated: since,
    },
    summary: 'disk / 82% used',
    history: [`- ${since} — opened (warning): disk / 82% used (run 1)`],
  });
}

/** What retention does in each run, with the product's own roll-up functions. */
class Retention {
  private readonly reportDays = new Map<string, { path: string; r: number }[]>();
  private readonly summaries = new Map<string, string>();
  private readonly dailies = new Map<string, string>();
  private readonly months = new Set<string>();

  private readonly names: readonly string[];
  private readonly times: readonly string[];
  private readonly ids: readonly string[];
  private readonly days: number;

  constructor(plan: Runs) {
    this.names = plan.names;
    this.times = plan.times;
    this.ids = plan.ids;
    this.days = plan.retentionDays;
  }

  wrote(r: number, reportPath: string): void {
    const day = reportPath.split('/')[1] ?? '';
    this.reportDays.set(day, [...(this.reportDays.get(day) ?? []), { path: reportPath, r }]);
    const month = (this.times[r] ?? '').slice(0, 7);
    for (const name of this.names) this.months.add(historyMonthPath(name, month));
  }

  at(r: number): FileChange[] {
    const now = new Date(this.times[r] ?? '');
    const dirs: BranchEntry[] = [...this.reportDays.keys()].map((d) => ({
      type: 'tree',
      oid: d,
      path: `health/${d}`,
    }));
    const out: FileChange[] = [];
    for (const { kind, days } of expiredDayDirs(dirs, now, this.days)) {
      const files = days.flatMap((d) => this.reportDays.get(d) ?? []);
      const contents = new Map<string, string>();
      for (const f of files)
        contents.set(f.path, healthReport(this.names, f.r, this.times[f.r] ?? '', this.ids[f.r] ?? ''));
      for (const m of monthsOf(days)) {
        const existing = this.summaries.get(summaryPath(kind, m));
        if (existing !== undefined) contents.set(summaryPath(kind, m), existing);
      }
      const changes = rollUpDayChanges(
        kind,
        days,
        files.map((f) => f.path),
        contents,
      );
      for (const c of changes) if (c.content !== undefined) this.summaries.set(c.path, c.content);
      for (const d of days) this.reportDays.delete(d);
      out.push(...changes);
    }
    const expired = expiredHistoryFiles([...this.months], now, this.days);
    if (expired.length > 0) {
      const contents = new Map<string, string>();
      for (const path of expired) contents.set(path, this.monthText(path));
      for (const path of expired) {
        const daily = dailyHistoryPath(path);
        const existing = this.dailies.get(daily);
        if (existing !== undefined) contents.set(daily, existing);
      }
      const changes = rollUpHistoryChanges(expired, contents);
      for (const c of changes) if (c.content !== undefined) this.dailies.set(c.path, c.content);
      for (const p of expired) this.months.delete(p);
      out.push(...changes);
    }
    return out;
  }

  /** The reports still at the tip: path → run. */
  reports(): [string, number][] {
    return [...this.reportDays.values()].flat().map((f) => [f.path, f.r]);
  }

  /** Summaries, rolled-up days and the month files still at the tip, as they are now. */
  files(): FileChange[] {
    return [
      ...[...this.summaries].map(([path, content]) => ({ path, content })),
      ...[...this.dailies].map(([path, content]) => ({ path, content })),
      ...[...this.months].map((path) => ({ path, content: this.monthText(path) })),
    ];
  }

  /** A month file as its last run left it. */
  private monthText(path: string): string {
    const m = /^history\/([^/]+)\/(\d{4}-\d{2})\.tsv$/.exec(path);
    const i = this.names.findIndex((n) => historyMonthPath(n, m?.[2] ?? '') === path);
    const name = this.names[i] ?? '';
    let text = '';
    this.times.forEach((time, r) => {
      if (time.slice(0, 7) === m?.[2]) text += `${historyLine(name, i, r, time, this.ids[r] ?? '')}\n`;
    });
    return text;
  }
}
