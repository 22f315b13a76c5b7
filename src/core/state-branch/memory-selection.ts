/**
 * What a run remembers (docs/architecture.md#state-branch): which files of the branch tip memory
 * reads, and the memory built from them. Pure: the store's adapter lists and reads what these
 * functions name, so loading costs the same however long the history is.
 */

import { emptyMemory, type Memory, type MemoryFile, type ServerState } from '../memory/memory.js';
import { parseStateFile, stemOf } from '../memory/server-state.js';
import type { BranchEntry } from './branch-entry.js';
import { frontMatter } from './front-matter.js';
import { isOpenIssue } from './issue-files.js';
import { dayDir, historyEndpointsPath, historyMonthPath, SET_ASIDE_FILE, setAsidePath } from './paths.js';

/** The top-level directories memory lists, one level deep. */
export const MEMORY_DIRS: readonly string[] = ['health/', 'actions/', 'issues/', 'approvals/', 'state/'];

/** Reports memory keeps: the newest this many. */
const REPORTS = 3;
/** Actions memory keeps: those of the last day. */
const ACTIONS_MS = 86_400_000;
const DAY_DIR = /^\d{4}-\d{2}-\d{2}$/;

export interface MemorySelection {
  reports: BranchEntry[];
  actions: BranchEntry[];
  issues: BranchEntry[];
  approvals: BranchEntry[];
  states: BranchEntry[];
}

function dayDirs(top: readonly BranchEntry[], prefix: string): string[] {
  return top
    .filter((e) => e.type === 'tree' && e.path.startsWith(prefix))
    .map((e) => e.path.slice(prefix.length))
    .filter((d) => DAY_DIR.test(d))
    .sort();
}

function since(now: Date): string {
  return new Date(now.getTime() - ACTIONS_MS).toISOString();
}

/** The day directories to list next: the newest report days and the action days of the last 24 h. */
export function memoryDayDirs(top: readonly BranchEntry[], now: Date): string[] {
  const day = since(now).slice(0, 10);
  return [
    ...dayDirs(top, 'health/')
      .slice(-REPORTS)
      .map((d) => dayDir('health', d)),
    ...dayDirs(top, 'actions/')
      .filter((d) => d >= day)
      .map((d) => dayDir('actions', d)),
  ];
}

/** The files memory reads, from the top listing and the listing of memoryDayDirs(). */
export function selectMemoryFiles(
  top: readonly BranchEntry[],
  days: readonly BranchEntry[],
  now: Date,
): MemorySelection {
  const flat = (dir: string, ext: string) =>
    top.filter((e) => e.type === 'blob' && e.path.startsWith(dir) && e.path.endsWith(ext));
  return {
    reports: days
      .filter((e) => e.path.startsWith('health/') && e.path.endsWith('.md'))
      .sort((a, b) => a.path.localeCompare(b.path))
      .slice(-REPORTS),
    actions: days.filter((e) => e.path.startsWith('actions/') && stampOf(e.path) >= since(now)),
    // a file set aside for its size (state/<server>.corrupt-<time>.json) is kept for a human, never read
    issues: flat('issues/', '.md').filter((e) => !SET_ASIDE_FILE.test(e.path)),
    approvals: flat('approvals/', '.md'),
    states: flat('state/', '.json').filter((e) => !SET_ASIDE_FILE.test(e.path)),
  };
}

/**
 * The files this run's commit will append to (this month's history of every server memory
 * knows, and its endpoint names): fetched with memory, so a run makes one blob request whatever
 * the fleet size. A server that is new, or a name that maps elsewhere, is fetched at commit.
 */
export function appendTargets(states: readonly BranchEntry[], now: Date): string[] {
  const month = now.toISOString().slice(0, 7);
  return states.flatMap((e) => {
    const server = /^state\/(.+)\.json$/.exec(e.path)?.[1];
    return server ? [historyMonthPath(server, month), historyEndpointsPath(server)] : [];
  });
}

export interface SetAside {
  from: BranchEntry;
  /** the new name of the same blob */
  path: string;
  warning: string;
}

const SET_ASIDE_OUTCOME: Record<string, string> = {
  state: 'the server starts with fresh memory this run',
  issues: 'the problem continues in a fresh file',
  history: "this month's series continues in a fresh file",
};

/**
 * Files over the size limit are not read (a 300 MB file would stall every run). A state file,
 * an issue file or a history file — rewritten by every run — is kept under a new name,
 * `<name>.corrupt-<time>.<ext>` (the same blob: nothing read or copied), with a warning, and
 * continues fresh; any other file (a report, an action log, an approval) is only left unread.
 */
export function splitBySize(
  entries: readonly BranchEntry[],
  sizes: ReadonlyMap<string, number>,
  maxBytes: number,
  now: Date,
): { keep: BranchEntry[]; setAside: SetAside[]; unread: string[] } {
  const keep: BranchEntry[] = [];
  const setAside: SetAside[] = [];
  const unread: string[] = [];
  for (const e of entries) {
    const bytes = sizes.get(e.oid) ?? 0;
    if (bytes <= maxBytes) {
      keep.push(e);
      continue;
    }
    const over = `${e.path} is ${bytes} bytes, over the ${maxBytes}-byte limit`;
    const outcome = SET_ASIDE_OUTCOME[e.path.slice(0, e.path.indexOf('/'))];
    if (!outcome) {
      unread.push(`memory: ${over}: not read`);
      continue;
    }
    const path = setAsidePath(e.path, now);
    const limit = e.path.startsWith('history/') ? '' : ' (state.max_file_size)';
    setAside.push({ from: e, path, warning: `memory: ${over}${limit}: set aside as ${path}; ${outcome}` });
  }
  return { keep, setAside, unread };
}

/**
 * Memory from the selected files' contents. Markdown documents are parsed once, here: memory holds
 * their fields, not only their text. `states` is each state file as read (null: unreadable), the
 * base a later merge compares with.
 */
export function buildMemory(
  selection: MemorySelection,
  contents: ReadonlyMap<string, string>,
  warnings: readonly string[] = [],
): { memory: Memory; states: Record<string, ServerState | null> } {
  const memory = emptyMemory();
  memory.warnings.push(...warnings);
  const file = (e: BranchEntry): MemoryFile => ({ path: e.path, content: contents.get(e.path) ?? '' });
  const document = (e: BranchEntry): MemoryFile => {
    const f = file(e);
    return { ...f, meta: frontMatter(f.content) };
  };
  memory.reports = selection.reports.map(document);
  memory.recentActions = selection.actions.map(document);
  memory.approvals = selection.approvals.map((e) => ({ ...document(e), blob: e.oid }));
  memory.openIssues = selection.issues
    .map(document)
    .filter((f) => f.meta?.status === 'open' && isOpenIssue(f.content, f.meta));
  const states = readStates(memory, selection.states.map(file));
  memory.lastRunAt = lastRunOf(memory, selection.reports.at(-1)?.path);
  return { memory, states };
}

function readStates(memory: Memory, files: readonly MemoryFile[]): Record<string, ServerState | null> {
  const states: Record<string, ServerState | null> = {};
  for (const f of files) {
    const server = stemOf(f.path);
    const parsed = parseStateFile(f.path, f.content);
    if (parsed.ok) {
      memory.servers[parsed.state.server] = parsed.state;
      states[f.path] = parsed.state;
    } else {
      states[f.path] = null;
      memory.warnings.push(
        `memory: ${f.path} on the state branch is unreadable (${parsed.error}); ${server} starts with fresh ` +
          'memory this run and the file will be rewritten',
      );
    }
  }
  return states;
}

/** health/2026-01-02/101500-… and actions/2026-01-02/101500-… → 2026-01-02T10:15:00 */
function stampOf(path: string): string {
  const m = /\/(\d{4}-\d{2}-\d{2})(?:\/|-)(\d{2})(\d{2})(\d{2})/.exec(path);
  return m ? `${m[1]}T${m[2]}:${m[3]}:${m[4]}.000Z` : '';
}

function lastRunOf(memory: Memory, newestReport: string | undefined): string | undefined {
  const times = Object.values(memory.servers)
    .map((s) => s.lastRun)
    .filter((t): t is string => Boolean(t));
  const fromReport = newestReport ? stampOf(newestReport) : '';
  if (fromReport) times.push(fromReport);
  return times.sort().at(-1);
}
