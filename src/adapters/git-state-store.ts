/**
 * The state branch as the run's memory (docs/architecture.md#state-branch), with the real git CLI, in a private clone.
 *
 * Load: one shallow, blob-less fetch of the branch tip, then only the trees and blobs memory
 * needs (newest report days, actions of the last 24 h, issues, approvals, state): the cost does
 * not grow with the number of past runs.
 * Commit: one commit per run on top of the fetched tip, fast-forward push; on rejection fetch the
 * new tip, re-apply this run's changes (state files merged by meaning, issue files by history)
 * and retry, bounded and jittered. If no push lands, the local commit is kept and reported.
 */

import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { emptyMemory, type Memory, type ServerState } from '../core/memory/memory.js';
import type { CommitResult, CompactResult, StateStore } from '../core/ports/index.js';
import { type Clock, type StateReader, systemClock } from '../core/ports/index.js';
import type { BranchEntry } from '../core/state-branch/branch-entry.js';
import { STATE_BRANCH_README } from '../core/state-branch/branch-readme.js';
import {
  appendTargets,
  buildMemory,
  MEMORY_DIRS,
  memoryDayDirs,
  type SetAside,
  selectMemoryFiles,
  splitBySize,
} from '../core/state-branch/memory-selection.js';
import {
  appendAtTip,
  appendChanges,
  mergeAtTip,
  mergeCandidates,
  mustMerge,
} from '../core/state-branch/merge-at-tip.js';
import { dailyHistoryPath, dayDir, summaryPath } from '../core/state-branch/paths.js';
import {
  DEFAULT_MAX_FILE_BYTES,
  isRegularFile,
  MAX_HISTORY_FILE_BYTES,
  nonRegularWarning,
} from '../core/state-branch/read-limits.js';
import {
  expiredDayDirs,
  expiredHistoryFiles,
  monthsOf,
  ROLLED_KINDS,
  type RolledKind,
  rollUpDayChanges,
  rollUpHistoryChanges,
} from '../core/state-branch/retention.js';
import type { FileChange } from '../core/types.js';
import { Git, type GitResult, type TreeEntry, tokenAuth } from './git-cli.js';
import { compactOnce } from './git-compaction.js';
import { ObjectSession } from './git-objects.js';
import type { JournalTarget, RunJournal } from './journal.js';
import { LocalStateRepo } from './local-state-repo.js';
import { gitStateReader } from './state-reader.js';

export const DEFAULT_IDENTITY = {
  name: 'claudeops[bot]',
  email: 'claudeops[bot]@users.noreply.github.com',
};

export interface GitStateStoreOptions {
  /** remote mode: the repository holding the branch (e.g. the workspace's origin) */
  remoteUrl?: string;
  /** remote mode: a token sent as an HTTP auth header per command, never stored */
  token?: string;
  /** local mode: a directory repository, created on first use (CLI default .claudeops/state) */
  localDir?: string;
  branch?: string;
  /** where the private clone goes: RUNNER_TEMP, else the OS temp dir */
  workDir?: string;
  identity?: { name: string; email: string };
  /** state.retention_days: older reports are rolled into monthly summaries; undefined keeps all */
  retentionDays?: number;
  /** a state file larger than this (bytes, default 1 MiB) is set aside, not read */
  maxStateBytes?: number;
  /** push attempts before giving up and keeping the local commit */
  maxAttempts?: number;
  /** first retry delay in ms; doubles per attempt, jittered, capped at 5 s */
  retryBaseMs?: number;
  clock?: Clock;
  random?: () => number;
  /** registers a secret with the log masker (core.setSecret) */
  mask?: (secret: string) => void;
  /** the run journal: gets the base on load, the changes before each push, cleared once pushed */
  journal?: RunJournal;
  log?: (message: string) => void;
}

export interface GitCommitResult extends CommitResult {
  /** push attempts made (1 when nothing raced) */
  attempts: number;
  /** state files merged by meaning with another run's version */
  merged: string[];
  /** the last push error, when pushed is false */
  error?: string;
}

interface Base {
  tip?: string;
  /** blob id per path as loaded: an unchanged file needs no merge */
  oids: Map<string, string>;
  states: Record<string, ServerState | null>;
}

export class GitStateStore implements StateStore, JournalTarget {
  readonly branch: string;
  private readonly clock: Clock;
  private git?: Git;
  private cloneDir?: string;
  private partial = true;
  private base: Base = { oids: new Map(), states: {} };
  private loaded = false;
  /** blobs known to be in the private clone (no fetch needed) */
  private readonly present = new Set<string>();
  /** files over their size limit, by path: kept under a new name (same blob) by the next commit */
  private readonly setAside = new Map<string, { path: string; blob: string }>();
  /** local mode: serializes pushes into the shared working tree */
  private lockFile?: string;
  /** local mode: the state repository's git directory (its objects are the clone's alternates) */
  private localGitDir?: string;
  /** local mode: the state repository, read and (when no push is needed) written directly */
  private local?: LocalStateRepo;
  /** tree id of each tip seen: a commit that would not change it is not made */
  private readonly tipTrees = new Map<string, string>();
  /** listings and reads of the private clone, one `cat-file` process for the run */
  private session?: ObjectSession;
  /** the landed run's private clone being removed (beside the report); dispose() waits for it */
  private removing?: Promise<void>;

  constructor(private readonly options: GitStateStoreOptions) {
    if (!options.remoteUrl === !options.localDir) {
      throw new Error('state store: give exactly one of remoteUrl (remote mode) or localDir (local mode)');
    }
    this.branch = options.branch ?? 'claudeops-state';
    this.clock = options.clock ?? systemClock;
    const journal = options.journal;
    if (journal) this.stage = (changes, message) => journal.stage(changes, message);
  }

  /** Where the record lives: the remote URL or the local directory. */
  get location(): string {
    return this.options.remoteUrl ?? resolve(this.options.localDir ?? '');
  }

  /** The private clone (kept when a commit could not be pushed). */
  get workTree(): string | undefined {
    return this.cloneDir;
  }

  async load(): Promise<Memory> {
    const git = await this.repo();
    const tip = await this.fetchTip(git);
    this.loaded = true;
    this.base = { oids: new Map(), states: {}, ...(tip ? { tip } : {}) };
    this.setAside.clear();
    if (!tip) {
      this.options.journal?.setBase({});
      return emptyMemory();
    }
    const memory = await this.readMemory(git, tip);
    this.options.journal?.setBase(this.base.states);
    return memory;
  }

  /**
   * Records changes in the journal before anything can go wrong (the post step pushes it).
   * Absent without a journal (the CLI has no post step): a run then renders nothing to stage.
   */
  readonly stage?: (changes: FileChange[], message?: string) => Promise<void>;

  async commit(
    changes: FileChange[],
    message: string,
    options: { baseStates?: Record<string, ServerState | null> } = {},
  ): Promise<GitCommitResult> {
    await this.options.journal?.stage(changes, message);
    const git = await this.repo();
    const baseStates = options.baseStates ?? this.base.states;
    const max = Math.max(1, this.options.maxAttempts ?? 8);
    let last: { sha: string; error: string } | undefined;
    for (let attempt = 1; attempt <= max; attempt++) {
      const tip = attempt === 1 && this.loaded ? this.base.tip : await this.fetchTip(git);
      const { final, merged } = await this.rebase(git, tip, changes, baseStates);
      const { sha, push } = await this.withPushLock(() => this.writeAndPush(git, tip, final, message));
      if (!sha || !push) return this.done(tip ?? '', attempt, merged);
      if (push.exitCode === 0) return this.done(sha, attempt, merged);
      last = { sha, error: git.scrub(push.stderr.trim() || push.stdout.trim()) };
      this.log(`state branch: push attempt ${attempt}/${max} rejected: ${last.error.split('\n').at(-1)}`);
      if (attempt < max) await this.clock.sleep(this.backoff(attempt));
    }
    return this.keepLocal(git, last, max);
  }

  /**
   * One attempt's commit and push, inside the push lock. The state repository's working tree is
   * checked (`git status`, local mode), and whether a push can be skipped (its hooks and config),
   * while fast-import builds the commit: at once instead of one after the other. Nothing to
   * commit: no sha, and nothing stashed.
   */
  private async writeAndPush(
    git: Git,
    tip: string | undefined,
    final: FileChange[],
    message: string,
  ): Promise<{ sha?: string; push?: GitResult }> {
    // all settle before an error is thrown: `git status` may be refreshing the state
    // repository's index, and the lock must outlive it
    const [sha, edited, direct] = await settleAll([
      this.writeCommit(git, tip, final, message),
      this.localEdits(),
      this.local?.landsDirectly(),
    ]);
    if (!sha) return {};
    if (edited) await this.stashLocalEdits(edited);
    const landed = await this.local?.land(join(this.cloneDir ?? '', '.git'), sha, tip, direct);
    if (landed) return { sha, push: landed };
    // a whole pack, no delta against an object of the tip: the receiving index-pack --fix-thin
    // would read each such base out of the repository's delta chains, a cost that grows with the
    // branch's age. Over HTTP(S) git ignores --no-thin (git-remote-http always asks for a thin
    // pack), so no delta search either (pack.window=0): the pack keeps the deltas fast-import
    // wrote among this run's own files, as small as a searched one (docs/state-branch.md)
    const ref = `${sha}:refs/heads/${this.branch}`;
    const push = await git.run(['-c', 'pack.window=0', 'push', '--porcelain', '--no-thin', 'origin', ref], {
      allowFailure: true,
    });
    return { sha, push };
  }

  /**
   * Removes the private clone. commit() does it itself once pushed; call it after load() when no
   * commit follows. Skip it when a commit was kept there unpushed (`location` of the result).
   */
  async dispose(): Promise<void> {
    this.session?.close();
    this.session = undefined;
    const dir = this.cloneDir;
    const removing = this.removing;
    this.cloneDir = undefined;
    this.git = undefined;
    this.loaded = false;
    this.present.clear();
    if (dir) await rm(dir, { recursive: true, force: true });
    await removing;
  }

  /**
   * Read access to the branch tip as it is now (the status page after this run's commit): a
   * fresh blob-less fetch, then only the files asked for, in one request per read. Call
   * dispose() when done.
   */
  async openReader(): Promise<StateReader> {
    const git = await this.repo();
    const tip = await this.fetchTip(git);
    return gitStateReader(git, tip, {
      prefetch: (oids) => this.fetchBlobs(git, oids),
      ...(this.options.maxStateBytes ? { maxBytes: this.options.maxStateBytes } : {}),
      warn: (message) => this.log(message),
    });
  }

  /**
   * Compaction (opt-in: `task: compact`, docs/state-branch.md#compaction): the history older
   * than `keepDays` becomes one commit with the files as they were then; later commits are kept
   * (re-made on it) and the tip's files do not change. A run that lands meanwhile is never
   * overwritten (the branch moves with a lease): compaction starts over, at most three times. In
   * local mode the state repository is pruned at once; a remote prunes in its own maintenance.
   */
  async compact(options: { keepDays: number }): Promise<CompactResult> {
    const cut = new Date(this.clock.now().getTime() - options.keepDays * 86_400_000);
    try {
      for (let attempt = 1; attempt <= 3; attempt++) {
        const git = await this.repo();
        const push = (args: string[]) =>
          this.withPushLock(async () => {
            await this.setAsideLocalEdits();
            return git.run(args, { allowFailure: true });
          });
        const outcome = await compactOnce({ git, branch: this.branch, dir: this.cloneDir ?? '', push }, cut);
        if ('result' in outcome) {
          if (outcome.result.compacted && this.options.localDir) await this.pruneLocal();
          return outcome.result;
        }
        this.log(
          `compaction: attempt ${attempt}/3 met a run that landed meanwhile: ${outcome.raced.split('\n').at(-1)}`,
        );
        await this.dispose();
      }
      throw new Error('compaction: runs kept landing during compaction (3 attempts); try again later');
    } finally {
      await this.dispose();
    }
  }

  /** Local mode: the dropped history leaves the state repository now (its reflog kept it). */
  private async pruneLocal(): Promise<void> {
    const dir = resolve(this.options.localDir ?? '');
    const local = new Git(dir, this.gitOptions());
    await local.run(['reflog', 'expire', '--expire=now', '--all'], { allowFailure: true });
    await local.run(['gc', '-q', '--prune=now'], { allowFailure: true });
  }

  // ---- private clone and fetch ------------------------------------------------------------

  private async repo(): Promise<Git> {
    if (this.git) return this.git;
    const url = this.options.localDir
      ? await this.ensureLocalRepo(this.options.localDir)
      : this.options.remoteUrl;
    const root = this.options.workDir ?? process.env.RUNNER_TEMP ?? tmpdir();
    await mkdir(root, { recursive: true });
    this.cloneDir = await mkdtemp(join(root, 'claudeops-state-'));
    const options = this.gitOptions();
    // `origin` given per command: no `git remote add` process
    const git = new Git(this.cloneDir, {
      ...options,
      config: { ...options.config, 'remote.origin.url': url ?? '' },
    });
    if (this.localGitDir) {
      // local mode: the clone reads the state repository's objects in place, so nothing is
      // fetched; a git directory is three entries, made here without a `git init` process
      this.partial = false;
      const dotGit = join(this.cloneDir, '.git');
      await mkdir(join(dotGit, 'objects', 'info'), { recursive: true });
      await mkdir(join(dotGit, 'objects', 'pack'));
      await mkdir(join(dotGit, 'refs', 'heads'), { recursive: true });
      await writeFile(join(dotGit, 'HEAD'), 'ref: refs/heads/main\n');
      await writeFile(
        join(dotGit, 'objects', 'info', 'alternates'),
        `${join(this.localGitDir, 'objects')}\n`,
      );
    } else await git.run(['init', '-q']);
    this.git = git;
    return git;
  }

  /** The run's one `cat-file` process over the private clone. */
  private objects(git: Git): ObjectSession {
    this.session ??= new ObjectSession(git);
    return this.session;
  }

  private gitOptions() {
    const identity = this.options.identity ?? DEFAULT_IDENTITY;
    const config: Record<string, string> = {
      'user.name': identity.name,
      'user.email': identity.email,
      'commit.gpgSign': 'false',
      'core.hooksPath': '/dev/null',
      'gc.auto': '0',
      'maintenance.auto': 'false',
    };
    const token = this.options.token;
    return token ? { config, ...tokenAuth(token, this.options.mask) } : { config };
  }

  /**
   * Local mode: a plain repository whose checked-out branch follows every push (updateInstead),
   * so people can read the files. Updating a working tree is not safe under concurrent pushes, so
   * pushes into it take a lock file (runs that share a directory share a machine).
   */
  private async ensureLocalRepo(dir: string): Promise<string> {
    const path = resolve(dir);
    this.localGitDir = join(path, '.git');
    if (await exists(join(path, '.git'))) {
      this.lockFile = join(path, '.git', 'claudeops-push.lock');
      return path;
    }
    this.lockFile = join(path, 'claudeops-push.lock');
    if ((await exists(join(path, 'HEAD'))) && (await exists(join(path, 'objects')))) {
      this.localGitDir = path;
      return path;
    }
    this.lockFile = join(path, '.git', 'claudeops-push.lock');
    await mkdir(path, { recursive: true });
    const git = new Git(path);
    await git.run(['init', '-q', `--initial-branch=${this.branch}`]);
    await git.run(['config', 'receive.denyCurrentBranch', 'updateInstead']);
    await git.run(['config', 'uploadpack.allowFilter', 'true']);
    return path;
  }

  /**
   * Shallow, blob-less fetch of the branch tip; undefined when the branch does not exist yet.
   * Local mode: the tip is read from the state repository, whose objects the clone already has.
   */
  private async fetchTip(git: Git): Promise<string | undefined> {
    if (this.localGitDir) return this.localTip();
    const ref = `refs/remotes/origin/${this.branch}`;
    const args = ['fetch', '-q', '--depth=1', '--no-tags', 'origin', `+refs/heads/${this.branch}:${ref}`];
    const result = await git.run(
      this.partial ? [...args.slice(0, 2), '--filter=blob:none', ...args.slice(2)] : args,
      {
        allowFailure: true,
      },
    );
    if (result.stderr.includes('filtering not recognized')) this.partial = false;
    if (result.exitCode !== 0) {
      if (/couldn't find remote ref/i.test(result.stderr)) return undefined;
      throw new Error(git.scrub(`state branch: fetch of ${this.branch} failed: ${result.stderr.trim()}`));
    }
    // through the run's cat-file session: no `rev-parse` process
    const [tip = '', tree = ''] = (await this.objects(git).sizes([ref, `${ref}^{tree}`])).keys();
    if (!tip || !tree) throw new Error(`state branch: ${this.branch} was fetched but its tip cannot be read`);
    this.tipTrees.set(tip, tree);
    return tip;
  }

  private async localTip(): Promise<string | undefined> {
    const gitDir = this.localGitDir ?? '';
    const dir = resolve(this.options.localDir ?? '');
    const workTree = gitDir === join(dir, '.git') ? dir : undefined;
    this.local ??= new LocalStateRepo(gitDir, workTree, this.branch);
    const { tip, tree } = await this.local.tip();
    if (!tip) return undefined;
    if (tree) this.tipTrees.set(tip, tree);
    return tip;
  }

  /** Fetches the blobs a blob-less clone lacks, all in one request. */
  private async fetchBlobs(git: Git, oids: readonly string[]): Promise<void> {
    const missing = [...new Set(oids)].filter((o) => !this.present.has(o));
    if (this.partial && missing.length) {
      const args = [
        '-c',
        'fetch.negotiationAlgorithm=noop',
        'fetch',
        '-q',
        '--no-tags',
        '--no-write-fetch-head',
      ];
      await git.run([...args, '--recurse-submodules=no', '--filter=blob:none', '--stdin', 'origin'], {
        input: `${missing.join('\n')}\n`,
      });
    }
    for (const o of missing) this.present.add(o);
  }

  /**
   * The contents of these files, fetched in one request (a partial clone lacks them), each read
   * only when at most `maxBytes`: a larger one is absent from `contents` and listed in `oversize`.
   */
  private async read(
    git: Git,
    entries: readonly BranchEntry[],
    maxBytes = this.maxBytes,
  ): Promise<{ contents: Map<string, string>; oversize: BranchEntry[]; sizes: Map<string, number> }> {
    const blobs = entries.filter((e) => e.type === 'blob');
    await this.fetchBlobs(
      git,
      blobs.map((e) => e.oid),
    );
    const { contents, sizes } = await this.objects(git).blobsCapped(
      blobs.map((e) => e.oid),
      maxBytes,
    );
    return {
      contents: new Map(
        blobs.flatMap((e) => (contents.has(e.oid) ? [[e.path, contents.get(e.oid) ?? '']] : [])),
      ),
      oversize: blobs.filter((e) => (sizes.get(e.oid) ?? 0) > maxBytes),
      sizes,
    };
  }

  private get maxBytes(): number {
    return this.options.maxStateBytes ?? DEFAULT_MAX_FILE_BYTES;
  }

  /** Regular files and directories only: a symlink or submodule on the branch is ignored, with a warning. */
  private regular(entries: readonly TreeEntry[], warnings: string[]): TreeEntry[] {
    return entries.filter((e) => {
      if (e.type === 'tree' || (e.type === 'blob' && isRegularFile(e.mode))) return true;
      warnings.push(`memory: ${nonRegularWarning(e.path, e.mode)}`);
      return false;
    });
  }

  /** Keeps a file under a new name in this run's commit (same blob), and never merges the old one. */
  private setFileAside(aside: SetAside): void {
    this.setAside.set(aside.from.path, { path: aside.path, blob: aside.from.oid });
    // known as read: this run's fresh file replaces it without merging (reading) it
    this.base.oids.set(aside.from.path, aside.from.oid);
    if (aside.from.path.startsWith('state/')) this.base.states[aside.from.path] = null;
  }

  // ---- load -------------------------------------------------------------------------------

  private async readMemory(git: Git, tip: string): Promise<Memory> {
    const now = this.clock.now();
    const warnings: string[] = [];
    const objects = this.objects(git);
    const top = this.regular(await objects.list(tip, [...MEMORY_DIRS]), warnings);
    // the day directories memory reads and the files the commit appends to, in one listing
    const appendTo = appendTargets(selectMemoryFiles(top, [], now).states, now);
    const listed = this.regular(await objects.list(tip, [...memoryDayDirs(top, now), ...appendTo]), warnings);
    const targets = listed.filter((e) => e.path.startsWith('history/'));
    const selection = selectMemoryFiles(
      top,
      listed.filter((e) => !e.path.startsWith('history/')),
      now,
    );
    const { reports, actions, issues, approvals, states } = selection;
    const wanted = [...reports, ...actions, ...issues, ...approvals, ...states];
    // what the commit appends to comes in the same request: one blob fetch per run, any fleet size
    await this.fetchBlobs(
      git,
      [...wanted, ...targets].map((e) => e.oid),
    );
    const { contents, oversize, sizes } = await this.read(git, wanted);
    const split = splitBySize(oversize, sizes, this.maxBytes, now);
    const series = splitBySize(
      targets,
      await objects.sizes(targets.map((e) => e.oid)),
      MAX_HISTORY_FILE_BYTES,
      now,
    );
    for (const aside of [...split.setAside, ...series.setAside]) this.setFileAside(aside);
    const read = (list: BranchEntry[]) => list.filter((e) => contents.has(e.path));
    const built = buildMemory(
      {
        reports: read(reports),
        actions: read(actions),
        issues: read(issues),
        approvals: read(approvals),
        states: read(states),
      },
      contents,
      [...warnings, ...split.unread, ...[...split.setAside, ...series.setAside].map((a) => a.warning)],
    );
    for (const e of [...read(issues), ...read(states)]) this.base.oids.set(e.path, e.oid);
    Object.assign(this.base.states, built.states);
    return built.memory;
  }

  // ---- commit -----------------------------------------------------------------------------

  /** This run's changes as they must land on `tip`: state and issue files merged, README, retention. */
  private async rebase(
    git: Git,
    tip: string | undefined,
    changes: readonly FileChange[],
    baseStates: Record<string, ServerState | null>,
  ): Promise<{ final: FileChange[]; merged: string[] }> {
    const final = new Map(changes.map((c) => [c.path, c]));
    const merged: string[] = [];
    const appends = appendChanges(changes);
    if (!tip) {
      for (const change of appendAtTip(appends, new Map())) final.set(change.path, change);
      if (!final.has('README.md'))
        final.set('README.md', { path: 'README.md', content: STATE_BRANCH_README });
      return { final: [...final.values()], merged };
    }
    // retention lists the tip's directories beside the merge's own listing and reads (the cat-file
    // session answers them in turn, with no wait in between); what it reads comes after, as before
    const plan = this.retentionPlan(git, tip);
    plan.catch(() => undefined); // awaited below; an earlier failure must not leave it unhandled
    const candidates = new Set(mergeCandidates(changes));
    const listed = await this.objects(git).list(tip, [
      ...new Set([...appends.map((c) => c.path), ...candidates, ...this.setAside.keys()]),
    ]);
    const at = new Map(listed.map((e) => [e.path, e]));
    // a series file too large to rewrite is set aside; this run's lines start it afresh
    const series = await this.read(
      git,
      appends.flatMap((c) => at.get(c.path) ?? []),
      MAX_HISTORY_FILE_BYTES,
    );
    const now = this.clock.now();
    for (const aside of splitBySize(series.oversize, series.sizes, MAX_HISTORY_FILE_BYTES, now).setAside) {
      if (this.setAside.has(aside.from.path)) continue;
      this.setFileAside(aside);
      this.log(aside.warning);
    }
    for (const change of appendAtTip(appends, series.contents)) final.set(change.path, change);
    // a set-aside holds while the tip still has that blob there (another run may have done it)
    const stillAside = (path: string) => {
      const aside = this.setAside.get(path);
      return aside !== undefined && at.get(path)?.oid === aside.blob;
    };
    for (const [from, aside] of this.setAside)
      if (stillAside(from)) final.set(aside.path, { path: aside.path, blob: aside.blob });
    const theirs = await this.read(
      git,
      listed.filter(
        (e) => candidates.has(e.path) && !stillAside(e.path) && mustMerge(e, this.base.oids.get(e.path)),
      ),
    );
    for (const [path, content] of theirs.contents) {
      const ours = final.get(path)?.content;
      if (ours === undefined) continue;
      const result = mergeAtTip(path, ours, content, baseStates[path]);
      final.set(path, { path, content: result.content });
      if (result.byMeaning) merged.push(path);
    }
    for (const change of await this.retention(git, tip, await plan))
      if (!final.has(change.path)) final.set(change.path, change);
    return { final: [...final.values()], merged };
  }

  /**
   * Reports and action logs older than the retention window → monthly summaries, history months
   * → rolled-up days; originals deleted. Everything it reads comes in one request.
   */
  private async retention(git: Git, tip: string, plan: RetentionPlan | undefined): Promise<FileChange[]> {
    if (!plan || plan.paths.length === 0) return [];
    const listed = await this.objects(git).list(tip, plan.paths);
    const { contents } = await this.read(git, listed, MAX_HISTORY_FILE_BYTES);
    return [
      ...plan.rolled.flatMap((r) => rollUpDayChanges(r.kind, r.expired, r.files, contents)),
      ...(plan.expired.length ? rollUpHistoryChanges(plan.expired, contents) : []),
    ];
  }

  /** What retention rolls up at this tip, from listings alone (nothing fetched). */
  private async retentionPlan(git: Git, tip: string): Promise<RetentionPlan | undefined> {
    const days = this.options.retentionDays;
    if (days === undefined) return undefined;
    const now = this.clock.now();
    const objects = this.objects(git);
    // the listings asked at once: the session answers them in turn, with no wait in between
    const [top, historyEntries] = await Promise.all([
      objects.list(
        tip,
        ROLLED_KINDS.map((k) => `${k}/`),
      ),
      objects.list(tip, ['history/'], true),
    ]);
    const rolled = await Promise.all(
      expiredDayDirs(top, now, days).map(async ({ kind, days: expired }) => {
        const listed = await objects.list(
          tip,
          expired.map((d) => dayDir(kind, d)),
          true,
        );
        const files = listed.map((e) => e.path);
        return { kind, expired, files, summaries: monthsOf(expired).map((m) => summaryPath(kind, m)) };
      }),
    );
    const history = historyEntries.map((e) => e.path);
    const expired = expiredHistoryFiles(history, now, days);
    const dailies = new Set(expired.map(dailyHistoryPath));
    const paths = [
      ...rolled.flatMap((r) => [...r.files, ...r.summaries]),
      ...expired,
      ...history.filter((p) => dailies.has(p)),
    ];
    return { rolled, expired, paths };
  }

  /**
   * Builds the commit with one `git fast-import` on top of the tip (blobs, the trees along the
   * changed paths, the commit); undefined when it would change nothing. Only the changed
   * directories' trees are read: the tip's blobs this run never read stay on the remote.
   */
  private async writeCommit(
    git: Git,
    tip: string | undefined,
    changes: readonly FileChange[],
    message: string,
  ): Promise<string | undefined> {
    const identity = this.options.identity ?? DEFAULT_IDENTITY;
    // unpackLimit=0: its pack stays a pack (a handful of objects would go to `unpack-objects`)
    const { stdout } = await git.run(
      ['-c', 'fastimport.unpackLimit=0', 'fast-import', '--quiet', '--force', '--done'],
      {
        input: fastImportStream(changes, message, identity, tip),
      },
    );
    const sha = stdout.trim().split('\n').at(-1) ?? '';
    if (!/^[0-9a-f]{40,64}$/.test(sha))
      throw new Error(`state branch: git fast-import gave no commit (${stdout.trim()})`);
    const tree = (await this.objects(git).sizes([`${sha}^{tree}`])).keys().next().value;
    const tipTree =
      tip && (this.tipTrees.get(tip) ?? (await git.run(['rev-parse', `${tip}^{tree}`])).stdout.trim());
    if (tip && tipTree === tree) return undefined;
    return sha;
  }

  /** The record landed: the journal and the private clone have nothing left to keep. */
  private async done(sha: string, attempts: number, merged: string[]): Promise<GitCommitResult> {
    await this.options.journal?.markCommitted();
    // the clone goes while the run writes its report: the run's dispose() (the CLI's and watch's
    // last step) waits for it, and a process exits only once its pending removal is done
    this.removing = this.dispose().catch((error) =>
      this.log(`state branch: the private clone could not be removed: ${String(error)}`),
    );
    return { sha, pushed: true, branch: this.branch, location: this.location, attempts, merged };
  }

  /**
   * Every push failed: the commit stays in the private clone's branch, and the run says so. In
   * local mode (the CLI, no post step) it is kept in the state repository itself under
   * refs/claudeops/unpushed/, which no checkout touches, and the private clone is removed.
   */
  private async keepLocal(
    git: Git,
    last: { sha: string; error: string } | undefined,
    attempts: number,
  ): Promise<GitCommitResult> {
    if (last) await git.run(['update-ref', `refs/heads/${this.branch}`, last.sha]);
    let location = this.cloneDir ?? '';
    if (last && this.options.localDir) {
      const ref = `refs/claudeops/unpushed/${this.branch}-${last.sha.slice(0, 12)}`;
      const kept = await git.run(['push', '-q', 'origin', `${last.sha}:${ref}`], { allowFailure: true });
      if (kept.exitCode === 0) {
        location = `${this.location} (${ref})`;
        await this.dispose();
      }
    }
    const result: GitCommitResult = {
      sha: last?.sha ?? '',
      pushed: false,
      branch: this.branch,
      location,
      attempts,
      merged: [],
    };
    if (last) result.error = last.error;
    return result;
  }

  /**
   * Local mode: the checked-out state repository refuses a push (updateInstead) while its working
   * tree differs from its branch — a hand edit, or a checkout that failed half-way. That would
   * refuse every later run too, so such changes are stashed (kept, never discarded) first.
   */
  private async setAsideLocalEdits(): Promise<void> {
    const edited = await this.localEdits();
    if (edited) await this.stashLocalEdits(edited);
  }

  /** Local mode: the state repository's working tree when it differs from its branch. */
  private async localEdits(): Promise<Git | undefined> {
    const dir = this.options.localDir;
    if (!dir || !(await exists(join(resolve(dir), '.git')))) return undefined;
    const tree = new Git(resolve(dir), this.gitOptions());
    const status = await tree.run(['status', '--porcelain', '--untracked-files=no'], { allowFailure: true });
    return status.exitCode !== 0 || status.stdout.trim() === '' ? undefined : tree;
  }

  private async stashLocalEdits(tree: Git): Promise<void> {
    const dir = this.options.localDir;
    const stash = await tree.run(
      ['stash', 'push', '-q', '-m', 'claudeops: working tree set aside before a push'],
      {
        allowFailure: true,
      },
    );
    this.log(
      stash.exitCode === 0
        ? `state repository: its working tree had changes; kept with git stash (git -C ${dir} stash list)`
        : `state repository: its working tree has changes git stash could not keep: ${stash.stderr.trim()}`,
    );
  }

  /** Runs fn holding the local push lock (remote mode: no lock, the server serializes). */
  private async withPushLock<T>(fn: () => Promise<T>): Promise<T> {
    const lock = this.lockFile;
    if (!lock) return fn();
    const deadline = Date.now() + LOCK_WAIT_MS;
    for (;;) {
      try {
        await writeFile(lock, String(process.pid), { flag: 'wx' });
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || Date.now() > deadline) throw error;
        await removeIfStale(lock);
        await new Promise((r) => setTimeout(r, 20 + Math.random() * 30));
      }
    }
    try {
      return await fn();
    } finally {
      await rm(lock, { force: true });
    }
  }

  private backoff(attempt: number): number {
    const base = (this.options.retryBaseMs ?? 200) * 2 ** (attempt - 1);
    const random = this.options.random ?? Math.random;
    return Math.min(5000, base) * (0.5 + random());
  }

  private log(message: string): void {
    this.options.log?.(message);
  }
}

/**
 * The `git fast-import` input for one commit: this run's files inline, a set-aside file by its
 * existing blob, deletions; then the new commit's id printed (get-mark).
 */
function fastImportStream(
  changes: readonly FileChange[],
  message: string,
  identity: { name: string; email: string },
  tip: string | undefined,
): Buffer {
  const now = new Date();
  const offset = -now.getTimezoneOffset();
  const zone = `${offset < 0 ? '-' : '+'}${String(Math.floor(Math.abs(offset) / 60)).padStart(2, '0')}${String(Math.abs(offset) % 60).padStart(2, '0')}`;
  const who = `${identity.name} <${identity.email}> ${Math.floor(now.getTime() / 1000)} ${zone}`;
  const data = (content: string | Buffer) => {
    const bytes = Buffer.isBuffer(content) ? content : Buffer.from(content, 'utf8');
    return [Buffer.from(`data ${bytes.length}\n`), bytes, Buffer.from('\n')];
  };
  const parts: Buffer[] = [
    Buffer.from(
      `feature done\nreset refs/claudeops/commit\ncommit refs/claudeops/commit\nmark :1\nauthor ${who}\ncommitter ${who}\n`,
    ),
    ...data(message),
  ];
  // after `reset`, a commit without `from` is a root commit (the branch's first)
  if (tip) parts.push(Buffer.from(`from ${tip}\n`));
  for (const c of changes) {
    const path = fastImportPath(c.path);
    if (c.content !== undefined) parts.push(Buffer.from(`M 100644 inline ${path}\n`), ...data(c.content));
    // an existing blob under a new name (a state file set aside): nothing read or copied
    else if (c.blob) parts.push(Buffer.from(`M 100644 ${c.blob} ${path}\n`));
    else parts.push(Buffer.from(`D ${path}\n`));
  }
  parts.push(Buffer.from('\nget-mark :1\ndone\n'));
  return Buffer.concat(parts);
}

/** A path as fast-import reads it: C-quoted when it holds a quote, backslash or control character. */
function fastImportPath(path: string): string {
  if (!path.startsWith('"') && ![...path].some((ch) => ch === '\\' || ch.charCodeAt(0) < 0x20)) return path;
  return `"${[...Buffer.from(path, 'utf8')]
    .map((b) =>
      b === 0x22
        ? '\\"'
        : b === 0x5c
          ? '\\\\'
          : b < 0x20 || b > 0x7e
            ? `\\${b.toString(8).padStart(3, '0')}`
            : String.fromCharCode(b),
    )
    .join('')}"`;
}

/** Retention's rolled-up work at one tip: the expired day directories and history months, and every file it reads. */
interface RetentionPlan {
  rolled: { kind: RolledKind; expired: string[]; files: string[]; summaries: string[] }[];
  expired: string[];
  paths: string[];
}

/** Promise.all, but an error is thrown only once every promise has settled. */
async function settleAll<T extends readonly unknown[]>(
  values: {
    [K in keyof T]: Promise<T[K]> | T[K];
  },
): Promise<T> {
  const settled = await Promise.allSettled(values);
  for (const result of settled) if (result.status === 'rejected') throw result.reason;
  return settled.map((result) => (result.status === 'fulfilled' ? result.value : undefined)) as unknown as T;
}

const LOCK_WAIT_MS = 60_000;
/** A lock older than this belongs to a process that died holding it. */
const LOCK_STALE_MS = 120_000;

async function removeIfStale(lock: string): Promise<void> {
  try {
    const info = await stat(lock);
    if (Date.now() - info.mtimeMs > LOCK_STALE_MS) await rm(lock, { force: true });
  } catch {
    // gone already
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** The workspace checkout's `origin` (GITHUB_WORKSPACE), else GITHUB_SERVER_URL/GITHUB_REPOSITORY. */
export async function workspaceRemoteUrl(env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  if (env.GITHUB_WORKSPACE) {
    const result = await new Git(env.GITHUB_WORKSPACE).run(['remote', 'get-url', 'origin'], {
      allowFailure: true,
    });
    if (result.exitCode === 0 && result.stdout.trim()) return result.stdout.trim();
  }
  if (env.GITHUB_SERVER_URL && env.GITHUB_REPOSITORY)
    return `${env.GITHUB_SERVER_URL}/${env.GITHUB_REPOSITORY}.git`;
  return undefined;
}

export function createGitStateStore(options: GitStateStoreOptions): GitStateStore {
  return new GitStateStore(options);
}
