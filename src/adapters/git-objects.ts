/**
 * One `git cat-file --batch-command` kept open for a run: tree listings, object sizes and blob
 * contents all come from the one process. Each git process costs the CLI a fork of itself (about
 * as much CPU as the git command's own work), so a run that used to start a process per listing
 * and per read now starts one.
 *
 * Listings are read from the tree objects themselves (`<treeish>:<dir>`), with `ls-tree`'s
 * meaning: `dir/` lists the directory's entries, `dir/file` that one entry, recursive lists every
 * file below. A blob over the cap is measured (`info`), never read.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import type { Git, TreeEntry } from './git-cli.js';

interface Pending {
  command: string;
  resolve: (reply: Reply) => void;
  reject: (error: Error) => void;
}

interface Reply {
  oid: string;
  type: string;
  size: number;
  /** contents (only for a `contents` command that found the object) */
  body?: Buffer;
}

export class ObjectSession {
  private child?: ChildProcessWithoutNullStreams;
  private readonly queue: Pending[] = [];
  private buffered: Buffer = Buffer.alloc(0);
  private stderr = '';
  private failed?: Error;

  constructor(private readonly git: Git) {}

  /** `git ls-tree [-r] <treeish> -- <paths>` read from the tree objects; entries in tree order. */
  async list(treeish: string, paths: readonly string[], recursive = false): Promise<TreeEntry[]> {
    const found = new Map<string, TreeEntry>();
    const add = (e: TreeEntry) => found.set(e.path, e);
    await Promise.all(
      [...new Set(paths)].map(async (path) => {
        if (path.endsWith('/')) {
          for (const e of await this.tree(treeish, path.slice(0, -1)))
            await this.emit(treeish, e, recursive, add);
          return;
        }
        const slash = path.lastIndexOf('/');
        const entry = (await this.tree(treeish, slash < 0 ? '' : path.slice(0, slash))).find(
          (e) => e.path === path,
        );
        if (entry) await this.emit(treeish, entry, recursive, add);
      }),
    );
    return [...found.values()].sort((a, b) => Buffer.compare(treeOrder(a), treeOrder(b)));
  }

  /** Sizes of objects present (a missing one is absent). */
  async sizes(oids: readonly string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    const replies = await Promise.all([...new Set(oids)].map((o) => this.ask(`info ${o}`)));
    for (const r of replies) if (r.type !== 'missing') out.set(r.oid, r.size);
    return out;
  }

  /** Blobs of at most `maxBytes` each; sizes for every blob present. */
  async blobsCapped(
    oids: readonly string[],
    maxBytes: number,
  ): Promise<{ contents: Map<string, string>; sizes: Map<string, number> }> {
    const sizes = await this.sizes(oids);
    const small = [...sizes].filter(([, size]) => size <= maxBytes).map(([oid]) => oid);
    const replies = await Promise.all(small.map((o) => this.ask(`contents ${o}`)));
    const contents = new Map<string, string>();
    for (const r of replies) if (r.body) contents.set(r.oid, r.body.toString('utf8'));
    return { contents, sizes };
  }

  /** Ends the process (idempotent). */
  close(): void {
    const child = this.child;
    this.child = undefined;
    if (!child) return;
    child.stdin.end();
    const error = new Error('git cat-file: session closed');
    for (const p of this.queue.splice(0)) p.reject(error);
  }

  private async emit(
    treeish: string,
    entry: TreeEntry,
    recursive: boolean,
    add: (e: TreeEntry) => void,
  ): Promise<void> {
    if (!recursive || entry.type !== 'tree') return add(entry);
    await Promise.all((await this.tree(treeish, entry.path)).map((e) => this.emit(treeish, e, true, add)));
  }

  /** The entries of the directory `dir` ('' = the root), with full paths; none when it is absent. */
  private async tree(treeish: string, dir: string): Promise<TreeEntry[]> {
    const reply = await this.ask(`contents ${treeish}:${dir}`);
    if (reply.type !== 'tree' || !reply.body) return [];
    return parseTree(reply.body, dir ? `${dir}/` : '', reply.oid.length / 2);
  }

  private ask(command: string): Promise<Reply> {
    if (this.failed) return Promise.reject(this.failed);
    const child = this.start();
    return new Promise<Reply>((resolve, reject) => {
      if (this.queue.length === 0) setReferenced(child, true);
      this.queue.push({ command, resolve, reject });
      child.stdin.write(`${command}\n`);
    });
  }

  private start(): ChildProcessWithoutNullStreams {
    if (this.child) return this.child;
    const { args, env } = this.git.invocation(['cat-file', '--batch-command']);
    const child = spawn('git', args, { cwd: this.git.cwd, env: { ...process.env, ...env }, detached: true });
    child.stdout.on('data', (chunk: Buffer) => this.receive(chunk));
    child.stderr.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString('utf8')).slice(-4000);
    });
    child.on('error', (error) => this.fail(error));
    child.on('close', (code) => {
      if (this.queue.length)
        this.fail(new Error(`git cat-file exited (${code}): ${this.git.scrub(this.stderr.trim())}`));
    });
    child.stdin.on('error', () => undefined); // a dead process is reported by 'close'
    // never keeps the CLI alive on its own: referenced only while a reply is awaited
    child.unref();
    setReferenced(child, false);
    this.child = child;
    return child;
  }

  private fail(error: Error): void {
    this.failed = error;
    for (const p of this.queue.splice(0)) p.reject(error);
  }

  private receive(chunk: Buffer): void {
    this.buffered = this.buffered.length ? Buffer.concat([this.buffered, chunk]) : chunk;
    for (;;) {
      const head = this.queue[0];
      if (!head) return;
      const eol = this.buffered.indexOf(10);
      if (eol < 0) return;
      const line = this.buffered.subarray(0, eol).toString('utf8');
      const reply = parseHeader(line);
      const wantsBody = head.command.startsWith('contents ') && reply.type !== 'missing';
      const end = eol + 1 + (wantsBody ? reply.size + 1 : 0);
      if (this.buffered.length < end) return;
      if (wantsBody) reply.body = Buffer.from(this.buffered.subarray(eol + 1, eol + 1 + reply.size));
      this.buffered = this.buffered.subarray(end);
      this.queue.shift();
      if (this.queue.length === 0 && this.child) setReferenced(this.child, false);
      head.resolve(reply);
    }
  }
}

/** git's tree order: a directory sorts as if its name ended in '/' */
function treeOrder(entry: TreeEntry): Buffer {
  return Buffer.from(entry.type === 'tree' ? `${entry.path}/` : entry.path);
}

function setReferenced(child: ChildProcessWithoutNullStreams, on: boolean): void {
  for (const stream of [child.stdout, child.stderr, child.stdin] as unknown as {
    ref(): void;
    unref(): void;
  }[])
    on ? stream.ref() : stream.unref();
}

/** `<oid> <type> <size>`, or `<name> missing` / `<name> ambiguous`. */
function parseHeader(line: string): Reply {
  const parts = line.split(' ');
  const last = parts.at(-1) ?? '';
  if (parts.length < 3 || !/^\d+$/.test(last)) return { oid: '', type: 'missing', size: 0 };
  return { oid: parts[0] ?? '', type: parts[1] ?? '', size: Number(last) };
}

/** A tree object's entries: `<mode> <name>\0<binary id>` each. */
function parseTree(body: Buffer, prefix: string, idBytes: number): TreeEntry[] {
  const out: TreeEntry[] = [];
  let at = 0;
  while (at < body.length) {
    const space = body.indexOf(32, at);
    const nul = body.indexOf(0, space);
    if (space < 0 || nul < 0) break;
    const mode = body.subarray(at, space).toString('latin1').padStart(6, '0');
    const name = body.subarray(space + 1, nul).toString('utf8');
    const oid = body.subarray(nul + 1, nul + 1 + idBytes).toString('hex');
    at = nul + 1 + idBytes;
    const type = mode === '040000' ? 'tree' : mode === '160000' ? 'commit' : 'blob';
    out.push({ mode, type: type as TreeEntry['type'], oid, path: `${prefix}${name}` });
  }
  return out;
}
