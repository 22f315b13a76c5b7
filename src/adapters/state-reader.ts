/**
 * Reads the state branch out of a local git repository, without a work tree: the CLI's own
 * `.claudeops/state`, any clone of a repository with the branch fetched (`origin/claudeops-state`),
 * or the run's private partial clone (GitStateStore.openReader, which fetches the blobs first).
 * Bounded whatever the branch holds (docs/state-branch.md#bounded-reading): regular files only,
 * whole-file reads capped, long files streamed. Counts the bytes it reads, so "uptime reads a
 * bounded number of bytes" is measured, not claimed.
 */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { StateBranchNotFound, type StateReader } from '../core/ports/index.js';
import {
  DEFAULT_MAX_FILE_BYTES,
  isRegularFile,
  MAX_LINE_BYTES,
  nonRegularWarning,
} from '../core/state-branch/read-limits.js';
import { blobSizes, Git, lsTree, readBlobsCapped, streamBlobs, type TreeEntry } from './git-cli.js';

export { StateBranchNotFound };

export interface ReaderOptions {
  /** whole-file reads larger than this are refused (state.max_file_size) */
  maxBytes?: number;
  /** where warnings go (each distinct one once) */
  warn?: (message: string) => void;
  /** a partial clone: brings these blobs in, in one request, before they are read */
  prefetch?: (oids: readonly string[]) => Promise<void>;
}

export async function openStateReader(
  dir: string,
  branch = 'claudeops-state',
  options: ReaderOptions = {},
): Promise<StateReader> {
  const path = resolve(dir);
  if (!(await stat(path).catch(() => undefined))) {
    throw new StateBranchNotFound(`${dir}: no such directory (run a check first, or pass --state-repo DIR)`);
  }
  const git = new Git(path);
  const ref = await resolveRef(git, branch);
  if (!ref) {
    throw new StateBranchNotFound(
      `${dir}: no branch ${branch} here (nor origin/${branch}); run a check first, or fetch the branch`,
    );
  }
  return gitStateReader(git, ref, options);
}

/** Warnings said once each; past 50 distinct ones, one line says how many more there were. */
const WARNINGS_SHOWN = 50;

/** A StateReader over one commit of a repository (`tip` undefined: an empty branch). */
export function gitStateReader(git: Git, tip: string | undefined, options: ReaderOptions = {}): StateReader {
  const max = options.maxBytes ?? DEFAULT_MAX_FILE_BYTES;
  const said = new Set<string>();
  let bytes = 0;
  const warn = (message: string) => {
    if (said.has(message)) return;
    said.add(message);
    if (said.size <= WARNINGS_SHOWN) options.warn?.(message);
    else if (said.size === WARNINGS_SHOWN + 1) options.warn?.('state branch: further warnings not shown');
  };
  /** Regular files only: a symlink or submodule entry is skipped, with a warning. */
  const regular = (entries: readonly TreeEntry[]) =>
    entries.filter((e) => {
      if (e.type === 'tree') return false;
      if (e.type === 'blob' && isRegularFile(e.mode)) return true;
      warn(nonRegularWarning(e.path, e.mode));
      return false;
    });
  const files = async (paths: readonly string[]) => {
    if (!tip || paths.length === 0) return [];
    const entries = regular(await lsTree(git, tip, [...paths]));
    await options.prefetch?.(entries.map((e) => e.oid));
    return entries;
  };

  return {
    get bytesRead() {
      return bytes;
    },
    warn,
    async list(prefix) {
      if (!tip) return [];
      return regular(await lsTree(git, tip, [prefix], true)).map((e) => e.path);
    },
    async read(paths, readOptions = {}) {
      const limit = readOptions.maxBytes ?? max;
      const out = new Map<string, string>();
      const entries = await files(paths);
      const { contents, sizes } = await readBlobsCapped(
        git,
        entries.map((e) => e.oid),
        limit,
      );
      const small = entries.filter((e) => {
        const size = sizes.get(e.oid) ?? 0;
        if (size <= limit) return true;
        warn(`state branch: ${e.path} is ${size} bytes, over the ${limit}-byte limit: not read`);
        return false;
      });
      for (const e of small) {
        const text = contents.get(e.oid);
        if (text === undefined) continue;
        bytes += Buffer.byteLength(text);
        out.set(e.path, text);
      }
      return out;
    },
    async heads(paths, size, visit) {
      const entries = await files(paths);
      const pathsOf = groupByOid(entries);
      let kept = 0;
      let parts: Buffer[] = [];
      await streamBlobs(git, [...pathsOf.keys()], {
        start: () => {
          parts = [];
          kept = 0;
        },
        data: (chunk) => {
          bytes += chunk.length;
          if (kept >= size) return;
          const part = chunk.subarray(0, size - kept);
          parts.push(Buffer.from(part));
          kept += part.length;
        },
        end: (oid) => {
          // a multi-byte character cut at the edge decodes as U+FFFD: a head is a prefix, not a file
          const head = Buffer.concat(parts).toString('utf8');
          parts = [];
          for (const p of pathsOf.get(oid) ?? []) visit(p, head);
        },
      });
    },
    async scan(paths, visit, scanOptions = {}) {
      const entries = await files(paths);
      const tail = scanOptions.tailBytes ?? Number.POSITIVE_INFINITY;
      // sizes from the headers first: of a blob over the tail only its end is sent here at all
      const sizes = Number.isFinite(tail)
        ? await blobSizes(
            git,
            entries.map((e) => e.oid),
          )
        : new Map();
      const over = (e: TreeEntry) => (sizes.get(e.oid) ?? 0) > tail;
      const splitter = (targets: readonly string[]) =>
        new LineSplitter(
          (line, n) => {
            for (const p of targets) visit(p, line, n);
          },
          (n) => warn(`state branch: ${targets[0]} line ${n} is over ${MAX_LINE_BYTES} bytes: skipped`),
        );
      const whole = groupByOid(entries.filter((e) => !over(e)));
      let lines: LineSplitter | undefined;
      await streamBlobs(git, [...whole.keys()], {
        start: (oid) => {
          lines = splitter(whole.get(oid) ?? []);
        },
        data: (chunk) => {
          bytes += chunk.length;
          lines?.push(chunk);
        },
        end: () => lines?.end(),
      });
      for (const [oid, targets] of groupByOid(entries.filter(over))) {
        warn(
          `state branch: ${targets[0]} is ${sizes.get(oid)} bytes, over the ${tail} a read takes: only its last ${tail} bytes read`,
        );
        const tailLines = splitter(targets);
        // one byte more than the tail: the byte before it says whether the tail starts a line
        let before = true;
        await git.streamTail(['cat-file', 'blob', oid], tail + 1, (chunk) => {
          let data = chunk;
          if (before) {
            before = false;
            // the tail starts mid-line unless the byte before it ended one: that cut line is dropped
            if (chunk[0] !== 10) tailLines.dropFirst();
            data = chunk.subarray(1);
          }
          bytes += data.length;
          if (data.length > 0) tailLines.push(data);
        });
        tailLines.end();
      }
    },
  };
}

/** Paths per blob: two files with the same content are one blob, streamed once. */
function groupByOid(entries: readonly TreeEntry[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const e of entries) out.set(e.oid, [...(out.get(e.oid) ?? []), e.path]);
  return out;
}

/**
 * Splits a byte stream into lines without holding more than one line (capped at MAX_LINE_BYTES).
 * Each line is decoded on its own (a newline byte never sits inside a UTF-8 sequence), so a line
 * the caller keeps holds only its own text, never the 64 KB chunk it arrived in: a window of kept
 * lines costs what those lines weigh, whatever the file's size.
 */
class LineSplitter {
  private carry: Buffer[] = [];
  private carried = 0;
  private tooLong = false;
  /** the first line is the end of one cut off before the read started: not a line */
  private partial = false;
  private n = 0;

  constructor(
    private readonly line: (text: string, n: number) => void,
    private readonly overlong: (n: number) => void,
  ) {}

  push(chunk: Buffer): void {
    let at = 0;
    for (let eol = chunk.indexOf(10); eol >= 0; eol = chunk.indexOf(10, at)) {
      this.emit(chunk.subarray(at, eol));
      at = eol + 1;
    }
    const rest = chunk.subarray(at);
    if (rest.length === 0 || this.tooLong) return;
    if (this.carried + rest.length > MAX_LINE_BYTES) {
      // the rest of this line is dropped as it comes; the line counts as skipped once
      this.tooLong = true;
      this.carry = [];
      this.carried = 0;
      return;
    }
    this.carry.push(Buffer.from(rest));
    this.carried += rest.length;
  }

  dropFirst(): void {
    this.partial = true;
  }

  end(): void {
    if (this.carried > 0 || this.tooLong) this.emit(Buffer.alloc(0));
  }

  private emit(tail: Buffer): void {
    if (this.partial) {
      this.partial = false;
      this.carry = [];
      this.carried = 0;
      this.tooLong = false;
      return;
    }
    this.n += 1;
    if (this.tooLong || this.carried + tail.length > MAX_LINE_BYTES) this.overlong(this.n);
    else if (this.carried === 0) this.line(tail.toString('utf8'), this.n);
    else this.line(Buffer.concat([...this.carry, tail]).toString('utf8'), this.n);
    this.carry = [];
    this.carried = 0;
    this.tooLong = false;
  }
}

async function resolveRef(git: Git, branch: string): Promise<string | undefined> {
  for (const candidate of [`refs/heads/${branch}`, `refs/remotes/origin/${branch}`]) {
    const r = await git.run(['rev-parse', '--verify', '--quiet', `${candidate}^{commit}`], {
      allowFailure: true,
    });
    if (r.exitCode === 0) return r.stdout.trim();
  }
  return undefined;
}
