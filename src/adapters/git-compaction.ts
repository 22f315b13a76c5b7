/**
 * Compacting the state branch's history on its remote (docs/state-branch.md#compaction), with the
 * git CLI in the store's private clone. The new history (core/state-branch/compaction.ts) reuses
 * every tree, so the push carries commit objects only: it fetches the kept days' commits and
 * trees (no blobs), writes the new commits, and tells the remote's push negotiation which of its
 * objects the new commits reuse by naming the old commits under temporary refs for the length of
 * the push — without them git would send (and first fetch) every file version of the kept days.
 * The branch moves with --force-with-lease: a run that landed meanwhile is never overwritten.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CompactResult } from '../core/ports/index.js';
import { commitId, compactedHistory, type RawCommit } from '../core/state-branch/compaction.js';
import { type Git, readBlobs } from './git-cli.js';

/** How far before the cut the first fetch reaches, to find the last commit before it. */
const LOOKBACK_MS = 7 * 86_400_000;
/** Temporary refs per push (each a line of the command). */
const REFS_PER_PUSH = 200;

export interface CompactionPlace {
  git: Git;
  branch: string;
  /** the clone's directory (temporary files of the new commits go under its .git) */
  dir: string;
  /** runs a push holding the store's push lock */
  push: (args: string[]) => Promise<{ exitCode: number; stderr: string; stdout: string }>;
}

export type Attempt = { result: CompactResult } | { raced: string };

/** One attempt: `raced` when another run moved the branch between the fetch and the push. */
export async function compactOnce(place: CompactionPlace, cut: Date): Promise<Attempt> {
  const { git, branch } = place;
  const ref = `refs/remotes/origin/${branch}`;
  const since = new Date(cut.getTime() - LOOKBACK_MS).toISOString();
  const fetched = await git.run(
    [
      'fetch',
      '-q',
      '--no-tags',
      `--shallow-since=${since}`,
      '--filter=blob:none',
      'origin',
      `+refs/heads/${branch}:${ref}`,
    ],
    { allowFailure: true },
  );
  if (fetched.exitCode !== 0) {
    if (/couldn't find remote ref/i.test(fetched.stderr))
      return { result: nothing(`there is no branch ${branch} yet`) };
    throw new Error(git.scrub(`compaction: fetch of ${branch} failed: ${fetched.stderr.trim()}`));
  }
  const tip = (await git.run(['rev-parse', ref])).stdout.trim();
  const line = await firstParentLine(git, ref, cut);
  if (!line.base) return { result: nothing(`no commit on ${branch} is older than ${cut.toISOString()}`) };
  const commits = await readBlobs(git, [line.base, ...line.kept]);
  const raw = (id: string): RawCommit => ({ id, raw: commits.get(id) ?? '' });
  const base = raw(line.base);
  if (!/^parent /m.test(base.raw.split('\n\n')[0] ?? ''))
    return { result: nothing(`nothing before ${cut.toISOString()} but the branch's first commit`) };
  const fresh = compactedHistory(base, line.kept.map(raw), cut);
  const newTip = fresh.at(-1)?.id ?? '';
  await writeCommits(
    place,
    fresh.map((c) => c.raw),
  );
  const warnings = await approvalBranches(git);
  const temp = [line.base, ...line.kept].map((id, i) => ({ id, ref: `refs/claudeops/compaction/${i}` }));
  try {
    for (let i = 0; i < temp.length; i += REFS_PER_PUSH) {
      const batch = temp.slice(i, i + REFS_PER_PUSH);
      const named = await place.push(['push', '-q', 'origin', ...batch.map((t) => `${t.id}:${t.ref}`)]);
      if (named.exitCode !== 0) throw new Error(git.scrub(`compaction: ${named.stderr.trim()}`));
    }
    const moved = await place.push([
      'push',
      '--porcelain',
      `--force-with-lease=refs/heads/${branch}:${tip}`,
      'origin',
      `${newTip}:refs/heads/${branch}`,
    ]);
    if (moved.exitCode !== 0) {
      // --porcelain puts the refusal on stdout ("[rejected] (stale info)"), git's summary on stderr
      const why = git.scrub(`${moved.stdout}\n${moved.stderr}`.trim());
      const refused = why.split('\n').find((l) => l.startsWith('!')) ?? why.split('\n').at(-1) ?? why;
      if (/\[rejected\] \((stale info|fetch first|non-fast-forward)\)/.test(why)) return { raced: refused };
      throw new Error(
        `compaction: the remote refused the rewritten branch (${refused}); compaction replaces ` +
          `${branch} with a new history (a force push): allow that for this token, or do not compact`,
      );
    }
  } finally {
    await cleanUp(
      place,
      temp.map((t) => t.ref),
      warnings,
    );
  }
  return {
    result: {
      compacted: true,
      summary:
        `history before ${cut.toISOString()} replaced by one commit with the files of ${line.base.slice(0, 12)}; ` +
        `${line.kept.length} later commits kept (re-made on it, same files); tip ${tip.slice(0, 12)} → ${newTip.slice(0, 12)}, same tree`,
      kept: line.kept.length,
      oldTip: tip,
      newTip,
      warnings,
    },
  };
}

function nothing(why: string): CompactResult {
  return { compacted: false, summary: `nothing to compact: ${why}`, kept: 0, warnings: [] };
}

/**
 * The branch's own line (first parents), newest first, split at the cut: the kept commits (oldest
 * first) and the newest commit before the cut. A history whose fetched part does not reach
 * before the cut (a gap of more than a week between runs) is deepened until it does.
 */
async function firstParentLine(git: Git, ref: string, cut: Date): Promise<{ kept: string[]; base?: string }> {
  const seconds = Math.floor(cut.getTime() / 1000);
  for (let round = 0; round < 20; round++) {
    const { stdout } = await git.run(['log', '--first-parent', '--format=%H %ct %P', ref]);
    const line = stdout
      .trim()
      .split('\n')
      .map((l) => l.split(' '))
      .map(([id = '', time = '0', ...parents]) => ({ id, time: Number(time), parents }));
    const older = line.findIndex((c) => c.time < seconds);
    if (older >= 0) {
      return {
        kept: line
          .slice(0, older)
          .map((c) => c.id)
          .reverse(),
        base: line[older]?.id,
      };
    }
    const oldest = line.at(-1);
    const shallow = await git.run(['rev-parse', '--is-shallow-repository']);
    if (!oldest || shallow.stdout.trim() !== 'true') return { kept: [] };
    await git.run([
      'fetch',
      '-q',
      '--no-tags',
      '--deepen=200',
      '--filter=blob:none',
      'origin',
      ref.replace('refs/remotes/origin/', ''),
    ]);
  }
  return { kept: [] };
}

/** Writes the new commit objects in one `hash-object` and checks git computed the same ids. */
async function writeCommits(place: CompactionPlace, raws: readonly string[]): Promise<void> {
  const dir = join(place.dir, '.git', 'claudeops-compaction');
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const files = await Promise.all(
    raws.map(async (raw, i) => {
      const file = join(dir, String(i));
      await writeFile(file, raw);
      return file;
    }),
  );
  const { stdout } = await place.git.run(['hash-object', '-t', 'commit', '-w', '--stdin-paths'], {
    input: `${files.join('\n')}\n`,
  });
  const ids = stdout.trim().split('\n');
  raws.forEach((raw, i) => {
    if (ids[i] !== commitId(raw))
      throw new Error(`compaction: commit ${i} was written as ${ids[i]}, expected ${commitId(raw)}`);
  });
  await rm(dir, { recursive: true, force: true });
}

/** Approval branches on the remote: each keeps the history its pull request was based on. */
async function approvalBranches(git: Git): Promise<string[]> {
  const listed = await git.run(['ls-remote', '--heads', 'origin', 'claudeops/approve-*'], {
    allowFailure: true,
  });
  const names = listed.stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split('\t')[1]?.replace('refs/heads/', '') ?? '');
  return names.length === 0
    ? []
    : [
        `compaction: ${names.length} approval branch(es) (${names.slice(0, 5).join(', ')}${names.length > 5 ? ', …' : ''}) ` +
          'keep the history they were based on reachable; merge or close their pull requests and delete the branches ' +
          'for the remote to shrink (GitHub also keeps refs/pull/<n>/head of every pull request)',
      ];
}

async function cleanUp(place: CompactionPlace, refs: readonly string[], warnings: string[]): Promise<void> {
  for (let i = 0; i < refs.length; i += REFS_PER_PUSH) {
    const batch = refs.slice(i, i + REFS_PER_PUSH);
    const done = await place.push(['push', '-q', 'origin', ...batch.map((r) => `:${r}`)]);
    if (done.exitCode !== 0)
      warnings.push(
        `compaction: temporary refs under refs/claudeops/compaction/ could not be deleted (${place.git.scrub(done.stderr.trim())}); ` +
          'delete them by hand: they keep the old history reachable',
      );
  }
}
