/**
 * The run journal: this run's pending state-branch changes, written to RUNNER_TEMP as the run
 * goes, so that a main step that crashes after acting on a server but before committing still
 * leaves a record the post step pushes (docs/architecture.md#state-branch: never lose a record).
 */
import { randomBytes } from 'node:crypto';
import { readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ServerState } from '../core/memory/memory.js';
import type { CommitResult } from '../core/ports/index.js';
import type { FileChange } from '../core/types.js';
import { errorMessage } from '../core/util/error-message.js';

export interface JournalEntry {
  version: 1;
  runId: string;
  message: string;
  /** the run's changes so far, one per path (later stages replace earlier ones) */
  changes: FileChange[];
  /** state/<server>.json as the run read it (null: absent or unreadable): the 3-way merge base */
  baseStates: Record<string, ServerState | null>;
  updatedAt: string;
}

/** What a journal flush commits through: the git state store's commit with an explicit base. */
export interface JournalTarget {
  commit(
    changes: FileChange[],
    message: string,
    options?: { baseStates?: Record<string, ServerState | null> },
  ): Promise<CommitResult>;
}

const PREFIX = 'claudeops-journal-';

export function journalPath(dir: string, runId: string): string {
  return join(dir, `${PREFIX}${runId.replace(/[^A-Za-z0-9._-]/g, '-')}.json`);
}

export class RunJournal {
  private entry: JournalEntry;

  constructor(
    readonly file: string,
    runId: string,
  ) {
    this.entry = {
      version: 1,
      runId,
      message: `claudeops: ${runId}`,
      changes: [],
      baseStates: {},
      updatedAt: '',
    };
  }

  static open(dir: string, runId: string): RunJournal {
    return new RunJournal(journalPath(dir, runId), runId);
  }

  /** The state files as loaded: what the post step merges against. */
  setBase(baseStates: Record<string, ServerState | null>): void {
    this.entry.baseStates = baseStates;
  }

  /** Adds changes (replacing earlier ones for the same paths) and writes the journal atomically. */
  async stage(changes: readonly FileChange[], message?: string): Promise<void> {
    const byPath = new Map(this.entry.changes.map((c) => [c.path, c]));
    for (const change of changes) byPath.set(change.path, change);
    this.entry = {
      ...this.entry,
      changes: [...byPath.values()],
      ...(message ? { message } : {}),
      updatedAt: new Date().toISOString(),
    };
    const temp = `${this.file}.${randomBytes(4).toString('hex')}.tmp`;
    await writeFile(temp, JSON.stringify(this.entry), { mode: 0o600 });
    await rename(temp, this.file);
  }

  /** The run's commit reached the branch: nothing is left for the post step. */
  async markCommitted(): Promise<void> {
    await rm(this.file, { force: true });
  }

  get staged(): readonly FileChange[] {
    return this.entry.changes;
  }
}

export interface FlushOutcome {
  file: string;
  runId: string;
  result?: CommitResult;
  error?: string;
}

/**
 * The post step: pushes every journal left behind by a run that did not finish committing.
 * A journal is deleted only once its commit is pushed; otherwise it stays for a later look.
 */
export async function flushJournal(options: {
  dir: string;
  target: JournalTarget | ((entry: JournalEntry) => JournalTarget);
  log?: (message: string) => void;
}): Promise<FlushOutcome[]> {
  const log = options.log ?? (() => {});
  const outcomes: FlushOutcome[] = [];
  for (const file of await journalFiles(options.dir)) {
    const entry = await readEntry(file);
    if (!entry) {
      outcomes.push({ file, runId: '?', error: 'unreadable journal (left in place)' });
      continue;
    }
    if (entry.changes.length === 0) {
      await rm(file, { force: true });
      continue;
    }
    outcomes.push(await flushOne(file, entry, options.target, log));
  }
  return outcomes;
}

async function flushOne(
  file: string,
  entry: JournalEntry,
  target: JournalTarget | ((entry: JournalEntry) => JournalTarget),
  log: (message: string) => void,
): Promise<FlushOutcome> {
  const store = typeof target === 'function' ? target(entry) : target;
  try {
    const message = `${entry.message} (recovered from the run journal by the post step)`;
    const result = await store.commit(entry.changes, message, { baseStates: entry.baseStates });
    if (result.pushed) await rm(file, { force: true });
    log(
      `journal of run ${entry.runId}: ${result.pushed ? 'pushed' : 'committed locally only'} as ${result.sha}`,
    );
    return { file, runId: entry.runId, result };
  } catch (error) {
    const message = errorMessage(error);
    log(`journal of run ${entry.runId}: could not be recorded: ${message}`);
    return { file, runId: entry.runId, error: message };
  }
}

async function journalFiles(dir: string): Promise<string[]> {
  try {
    const names = await readdir(dir);
    return names.filter((n) => n.startsWith(PREFIX) && n.endsWith('.json')).map((n) => join(dir, n));
  } catch {
    return [];
  }
}

async function readEntry(file: string): Promise<JournalEntry | undefined> {
  try {
    const entry = JSON.parse(await readFile(file, 'utf8')) as Partial<JournalEntry>;
    if (entry.version !== 1 || !Array.isArray(entry.changes) || typeof entry.runId !== 'string')
      return undefined;
    return {
      version: 1,
      runId: entry.runId,
      message: entry.message ?? `claudeops: ${entry.runId}`,
      changes: entry.changes,
      baseStates: entry.baseStates ?? {},
      updatedAt: entry.updatedAt ?? '',
    };
  } catch {
    return undefined;
  }
}
