/**
 * Compaction of the state branch's history (docs/state-branch.md#compaction), the pure part: from
 * the raw commit objects of the branch, the new history that keeps the last days as they are and
 * replaces everything older by one root commit holding the tree of the last commit before the
 * cut. Trees are never touched, so the tip's files are exactly what they were; only commit
 * objects are new. The adapter fetches the commits, writes these objects and pushes them.
 */
import { createHash } from 'node:crypto';

export interface RawCommit {
  id: string;
  /** the commit object as `git cat-file commit` prints it */
  raw: string;
}

export interface NewCommit {
  id: string;
  raw: string;
  /** the commit it stands for (undefined for the new root) */
  replaces?: string;
}

/** git's object id of a commit: SHA-1 of `commit <bytes>\0` and the object. */
export function commitId(raw: string): string {
  const body = Buffer.from(raw, 'utf8');
  return createHash('sha1')
    .update(Buffer.concat([Buffer.from(`commit ${body.length}\0`), body]))
    .digest('hex');
}

function split(raw: string): { headers: string[]; message: string } {
  const at = raw.indexOf('\n\n');
  const head = at < 0 ? raw : raw.slice(0, at);
  return { headers: head.split('\n'), message: at < 0 ? '' : raw.slice(at + 2) };
}

/** Header lines without continuation lines (a signature spans many, each starting with a space). */
function fields(headers: readonly string[]): { name: string; lines: string[] }[] {
  const out: { name: string; lines: string[] }[] = [];
  for (const line of headers) {
    const last = out.at(-1);
    if (line.startsWith(' ') && last) last.lines.push(line);
    else out.push({ name: line.slice(0, line.indexOf(' ')), lines: [line] });
  }
  return out;
}

/** The committer time of a commit, in seconds since the epoch. */
export function committedAt(raw: string): number {
  const line = split(raw).headers.find((h) => h.startsWith('committer '));
  return Number(/ (\d+) [+-]\d{4}$/.exec(line ?? '')?.[1] ?? Number.NaN);
}

export function treeOf(raw: string): string {
  return /^tree ([0-9a-f]{40})$/m.exec(split(raw).headers[0] ?? '')?.[1] ?? '';
}

/**
 * The commit re-made on a new parent: same tree, author, committer and message; the first parent
 * replaced, any other parent dropped (the history becomes the branch's own line: an approval
 * merge keeps its files, not the pull request's commits), and signatures dropped (they signed the
 * old parent; git would report them as bad).
 */
const DROPPED = ['parent', 'gpgsig', 'gpgsig-sha256', 'mergetag'];

export function reparent(raw: string, parent: string): string {
  const { headers, message } = split(raw);
  const kept = fields(headers).filter((f) => !DROPPED.includes(f.name));
  const tree = kept.findIndex((f) => f.name === 'tree');
  kept.splice(tree + 1, 0, { name: 'parent', lines: [`parent ${parent}`] });
  return `${kept.flatMap((f) => f.lines).join('\n')}\n\n${message}`;
}

/**
 * The new history: a root with `base`'s tree (base: the newest commit older than the cut), then
 * every kept commit, oldest first, each on the one before. The last one's tree is the old tip's.
 */
export function compactedHistory(base: RawCommit, kept: readonly RawCommit[], cut: Date): NewCommit[] {
  const { headers } = split(base.raw);
  const who = (name: string) => headers.find((h) => h.startsWith(`${name} `)) ?? '';
  const root =
    `tree ${treeOf(base.raw)}\n${who('author')}\n${who('committer')}\n\n` +
    `claudeops: history before ${cut.toISOString()} compacted\n\n` +
    `The files as commit ${base.id} left them; the commits before it were dropped by compaction\n` +
    '(docs/state-branch.md#compaction).\n';
  const out: NewCommit[] = [{ id: commitId(root), raw: root }];
  for (const commit of kept) {
    const raw = reparent(commit.raw, out.at(-1)?.id ?? '');
    out.push({ id: commitId(raw), raw, replaces: commit.id });
  }
  return out;
}
