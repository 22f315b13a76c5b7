/**
 * Local mode's state repository (the CLI's `.claudeops/state`, or a `--state-repo` directory) as
 * the state store writes to it. A push into it costs about ten git processes (receive-pack,
 * index-pack, the working-tree update, `gc --auto`), each a fork of the CLI; when nothing a push
 * runs could see the difference, the commit lands directly instead, as receive-pack would land it:
 * the new pack copied in, then at once the checked-out working tree moved (`read-tree -u -m`,
 * updateInstead's own step) and the branch moved with a compare-and-swap on the old tip; if either
 * fails, the other is put back.
 *
 * "Nothing could see the difference" means: the branch already exists, no hook a push runs is
 * installed (pre-receive, update, … wherever core.hooksPath points), and the repository's own
 * config sets no `receive.*` rule other than `denyCurrentBranch = updateInstead`. Otherwise the
 * commit is pushed, so a refusing hook still refuses.
 */
import { constants } from 'node:fs';
import { access, copyFile, readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Git, type GitResult } from './git-cli.js';

/** Hooks `git push` makes the receiving repository run. */
export const PUSH_HOOKS = [
  'pre-receive',
  'update',
  'post-receive',
  'post-update',
  'reference-transaction',
  'push-to-checkout',
  'proc-receive',
] as const;

/** git's own `gc.autoPackLimit`: more packs than this and `gc --auto` repacks. */
const AUTO_PACK_LIMIT = 50;

export class LocalStateRepo {
  private hooksDir?: string;
  /** packs of the private clone already copied in (a retry writes a new one) */
  private readonly copied = new Set<string>();
  private readonly git: Git;

  constructor(
    /** the repository's git directory */
    readonly gitDir: string,
    /** its working tree; undefined for a bare repository */
    readonly workTree: string | undefined,
    private readonly branch: string,
  ) {
    this.git = new Git(gitDir);
  }

  /** The branch tip and its tree (one process; it also says where the hooks live). */
  async tip(): Promise<{ tip?: string; tree?: string }> {
    const ref = `refs/heads/${this.branch}`;
    const { stdout } = await this.git.run([
      'rev-parse',
      '--git-path',
      'hooks',
      '--revs-only',
      ref,
      `${ref}^{tree}`,
    ]);
    const [hooks = 'hooks', tip, tree] = stdout.trim().split('\n');
    this.hooksDir = resolve(this.gitDir, hooks);
    return { ...(tip ? { tip } : {}), ...(tree ? { tree } : {}) };
  }

  /**
   * Lands `sha` (built on `old` in the private clone at `cloneGitDir`) without a push; undefined
   * when a push is needed (see the module comment). A failed step is returned as a push's
   * rejection would be, and leaves the branch and working tree as they were.
   */
  async land(
    cloneGitDir: string,
    sha: string,
    old: string | undefined,
    /** landsDirectly()'s answer when asked already (beside fast-import, in the same push lock) */
    direct?: boolean,
  ): Promise<GitResult | undefined> {
    if (!old || !(direct ?? (await this.landsDirectly()))) return undefined;
    await this.copyPacks(join(cloneGitDir, 'objects', 'pack'));
    const tree = (await this.branchCheckedOut()) ? new Git(this.workTree ?? '') : undefined;
    const ref = `refs/heads/${this.branch}`;
    // the working tree (index.lock) and the branch (its ref lock) move at once: two processes
    // side by side instead of one after the other; whichever fails, the other is put back
    const [moved, updated] = await Promise.all([
      tree?.run(['read-tree', '-u', '-m', old, sha], { allowFailure: true }),
      this.git.run(['update-ref', '-m', 'claudeops: run recorded', ref, sha, old], { allowFailure: true }),
    ]);
    if (updated.exitCode !== 0) {
      // the branch moved under us (not through a run: runs hold the lock): put the files back
      if (moved?.exitCode === 0) await tree?.run(['read-tree', '-u', '-m', sha, old], { allowFailure: true });
      return updated;
    }
    if (moved && moved.exitCode !== 0) {
      // the working tree refused (a file in the way): the branch goes back to where it was
      await this.git.run(
        ['update-ref', '-m', 'claudeops: run not recorded (working tree refused)', ref, old, sha],
        {
          allowFailure: true,
        },
      );
      return moved;
    }
    await this.repackIfNeeded();
    return updated;
  }

  /** No push hook installed and no receive rule a direct update would skip. */
  async landsDirectly(): Promise<boolean> {
    if (!this.hooksDir) await this.tip();
    const hooks = this.hooksDir ?? '';
    const installed = await Promise.all(PUSH_HOOKS.map((hook) => executable(join(hooks, hook))));
    if (installed.some(Boolean)) return false;
    const config = await readFile(join(this.gitDir, 'config'), 'utf8').catch(() => '');
    const rules = receiveRules(config);
    // a checked-out branch takes a push only with updateInstead (git refuses it by default)
    return rules.direct && (rules.updateInstead || !(await this.branchCheckedOut()));
  }

  private async branchCheckedOut(): Promise<boolean> {
    if (!this.workTree) return false;
    const head = await readFile(join(this.gitDir, 'HEAD'), 'utf8').catch(() => '');
    return head.trim() === `ref: refs/heads/${this.branch}`;
  }

  /** The clone's new packs into the repository: data first, the index (which makes it visible) last. */
  private async copyPacks(from: string): Promise<void> {
    const to = join(this.gitDir, 'objects', 'pack');
    const names = (await readdir(from)).filter((n) => n.startsWith('pack-') && !this.copied.has(n));
    const order = (n: string) => (n.endsWith('.idx') ? 1 : 0);
    for (const name of names.sort((a, b) => order(a) - order(b))) {
      await copyFile(join(from, name), join(to, name));
      this.copied.add(name);
    }
  }

  /** `gc --auto` only when git's own pack limit is passed: counting packs costs no process. */
  private async repackIfNeeded(): Promise<void> {
    const packs = (await readdir(join(this.gitDir, 'objects', 'pack'))).filter((n) => n.endsWith('.pack'));
    if (packs.length > AUTO_PACK_LIMIT) await this.git.run(['gc', '--auto', '-q'], { allowFailure: true });
  }
}

/**
 * What the repository's config asks of a push: `direct` when a direct update can stand in for it
 * (no `receive.*` key but `denyCurrentBranch = updateInstead`, no include whose file could hold
 * one); `updateInstead` when that key is set.
 */
export function receiveRules(config: string): { direct: boolean; updateInstead: boolean } {
  let section = '';
  let updateInstead = false;
  for (const raw of config.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const header = /^\[\s*([A-Za-z0-9.-]+)(?:\s+"[^"]*")?\s*\]/.exec(line);
    if (header) {
      section = (header[1] ?? '').toLowerCase();
      if (section === 'include' || section === 'includeif') return { direct: false, updateInstead };
      continue;
    }
    if (!line || (section !== 'receive' && !section.startsWith('receive.'))) continue;
    const [key = '', value = ''] = line.split('=').map((s) => s.trim().toLowerCase());
    if (key !== 'denycurrentbranch' || value !== 'updateinstead') return { direct: false, updateInstead };
    updateInstead = true;
  }
  return { direct: true, updateInstead };
}

async function executable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
