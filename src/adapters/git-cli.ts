/**
 * The `git` command line with per-command configuration only: nothing this process needs
 * (identity, auth header) is ever written to a config file, and the auth header travels in
 * GIT_CONFIG_* environment variables, so it shows neither in `ps` nor in error text. Spawned with
 * node:child_process itself: a run starts its git processes on the critical path after the
 * collection, and execa's layers cost about as much runner CPU again per process.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import type { BranchEntry } from '../core/state-branch/branch-entry.js';

export interface GitResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export class GitError extends Error {
  constructor(
    message: string,
    readonly result: GitResult,
  ) {
    super(message);
    this.name = 'GitError';
  }
}

export interface GitOptions {
  /** `-c key=value` pairs for every command (identity, safety switches) */
  config?: Record<string, string>;
  /** configuration passed through the environment (secrets: the auth header) */
  secretConfig?: Record<string, string>;
  /** strings scrubbed from any error message */
  secrets?: string[];
  timeoutMs?: number;
}

export interface RunOptions {
  input?: string | Uint8Array;
  env?: Record<string, string>;
  /** return the result instead of throwing on a non-zero exit */
  allowFailure?: boolean;
}

export class Git {
  constructor(
    readonly cwd: string,
    private readonly options: GitOptions = {},
  ) {}

  async run(args: string[], run: RunOptions = {}): Promise<GitResult> {
    const raw = await this.exec(args, run);
    const result = { stdout: raw.stdout.toString('utf8'), stderr: raw.stderr, exitCode: raw.exitCode };
    if (result.exitCode !== 0 && !run.allowFailure) throw this.error(args, result);
    return result;
  }

  /** stdout as bytes (cat-file --batch sizes are byte counts) */
  async runBuffer(args: string[], run: RunOptions = {}): Promise<Buffer> {
    const raw = await this.exec(args, run);
    if (raw.exitCode !== 0)
      throw this.error(args, { stdout: '', stderr: raw.stderr, exitCode: raw.exitCode });
    return raw.stdout;
  }

  /**
   * Runs git and hands its stdout to `onData` chunk by chunk as it arrives, never buffered whole
   * (a 100 MB blob costs a pipe's worth of memory). Throws on a non-zero exit, with git's message.
   */
  async stream(args: string[], input: string, onData: (chunk: Buffer) => void): Promise<void> {
    const done = await this.exec(args, { input }, onData);
    if (done.exitCode !== 0)
      throw this.error(args, { stdout: '', stderr: done.stderr, exitCode: done.exitCode });
  }

  /** The argument list and environment for running `git args` here (a long-lived process's spawn). */
  invocation(args: string[]): { args: string[]; env: Record<string, string> } {
    const config = Object.entries(this.options.config ?? {}).flatMap(([k, v]) => ['-c', `${k}=${v}`]);
    return { args: [...config, ...args], env: this.environment() };
  }

  /**
   * The last `bytes` bytes of git's stdout, through `tail -c`: only they reach this process, so a
   * 100 MB blob of which a read wants the end costs that end, not the whole blob in pipe chunks.
   */
  async streamTail(args: string[], bytes: number, onData: (chunk: Buffer) => void): Promise<void> {
    const git = this.invocation(args);
    const options = { cwd: this.cwd, detached: true } as const;
    const source = spawn('git', git.args, {
      ...options,
      env: { ...process.env, ...git.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // tail reads git's pipe itself: the bytes before the tail never pass through this process
    const tail = spawn('tail', ['-c', String(bytes)], { ...options, stdio: [source.stdout, 'pipe', 'pipe'] });
    source.stdout.destroy();
    const errors = [collect(source.stderr), collect(tail.stderr)];
    const exits = [exitOf(source), exitOf(tail)];
    const timer = setTimeout(() => {
      source.kill();
      tail.kill();
    }, this.options.timeoutMs ?? 120_000);
    try {
      for await (const chunk of tail.stdout) onData(chunk as Buffer);
      const codes = await Promise.all(exits);
      for (const [i, code] of codes.entries()) {
        if (code === 0) continue;
        const stderr = Buffer.concat(await (errors[i] ?? Promise.resolve([]))).toString('utf8');
        throw this.error(i === 0 ? args : ['tail'], { stdout: '', stderr, exitCode: code });
      }
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Runs git to its end: stdout whole (or chunk by chunk to `onData`), the end of stderr (for the
   * error message), exit code -1 when it was killed or could not start. Output is bounded as
   * execa bounded it (100 MB): past that git is stopped and the call fails.
   */
  private exec(
    args: string[],
    run: RunOptions,
    onData?: (chunk: Buffer) => void,
  ): Promise<{ stdout: Buffer; stderr: string; exitCode: number }> {
    const child = spawn('git', this.invocation(args).args, {
      cwd: this.cwd,
      env: { ...process.env, ...this.environment(), ...run.env },
      stdio: [run.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      // its own process group: a terminal's Ctrl-C meant for `claudeops watch` must not cut a push in half
      detached: true,
    });
    const out: Buffer[] = [];
    let size = 0;
    let failure = '';
    let thrown: { error: unknown } | undefined;
    child.stdout?.on('data', (chunk: Buffer) => {
      if (onData) {
        // a reader that throws stops git, and its error is the call's (never an uncaught one)
        if (thrown) return;
        try {
          onData(chunk);
        } catch (error) {
          thrown = { error };
          killHard(child);
        }
        return;
      }
      size += chunk.length;
      if (size <= MAX_OUTPUT) out.push(chunk);
      else if (!failure) {
        failure = `output over ${MAX_OUTPUT} bytes: stopped`;
        killHard(child);
      }
    });
    const err = tailOf(child.stderr as Readable);
    // a git that exits without reading all its input (an error) closes the pipe: its exit code says why
    child.stdin?.on('error', () => {});
    child.stdin?.end(run.input);
    const timer = setTimeout(() => {
      failure = `timed out after ${this.options.timeoutMs ?? 120_000} ms`;
      killHard(child);
    }, this.options.timeoutMs ?? 120_000);
    return new Promise((done, fail) => {
      const finish = (code: number, error?: Error) => {
        clearTimeout(timer);
        if (thrown) return fail(thrown.error);
        const why = [err.text(), error?.message ?? failure].filter(Boolean).join('\n');
        done({ stdout: Buffer.concat(out), stderr: why, exitCode: failure || error ? -1 : code });
      };
      child.once('error', (error) => finish(-1, error));
      child.once('close', (code) => finish(code ?? -1));
    });
  }

  private environment(): Record<string, string> {
    const env: Record<string, string> = { GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' };
    const secret = Object.entries(this.options.secretConfig ?? {});
    if (secret.length) {
      env.GIT_CONFIG_COUNT = String(secret.length);
      secret.forEach(([k, v], i) => {
        env[`GIT_CONFIG_KEY_${i}`] = k;
        env[`GIT_CONFIG_VALUE_${i}`] = v;
      });
    }
    return env;
  }

  private error(args: string[], result: GitResult): GitError {
    const detail = result.stderr.trim().split('\n').slice(-3).join(' / ') || `exit code ${result.exitCode}`;
    return new GitError(this.scrub(`git ${args[0] ?? ''} failed: ${detail}`), {
      ...result,
      stderr: this.scrub(result.stderr),
    });
  }

  scrub(text: string): string {
    let out = text;
    for (const s of this.options.secrets ?? []) if (s) out = out.split(s).join('***');
    return out;
  }
}

/**
 * How a token reaches git: an HTTP auth header in the environment of each command (GitHub's
 * `x-access-token` basic form), never in a config file or a URL; both forms are secrets.
 */
export function tokenAuth(
  token: string,
  mask?: (secret: string) => void,
): Required<Pick<GitOptions, 'secretConfig' | 'secrets'>> {
  const basic = Buffer.from(`x-access-token:${token}`).toString('base64');
  const header = `AUTHORIZATION: basic ${basic}`;
  mask?.(token);
  mask?.(basic);
  return { secretConfig: { 'http.extraHeader': header }, secrets: [token, header] };
}

/** A state-branch listing entry (core's BranchEntry) with its file mode. */
export interface TreeEntry extends BranchEntry {
  mode: string;
}

/** `git ls-tree -z` of some directories (each listed one level deep, or recursively). */
export async function lsTree(
  git: Git,
  treeish: string,
  paths: readonly string[],
  recursive = false,
): Promise<TreeEntry[]> {
  if (paths.length === 0) return [];
  const { stdout } = await git.run(['ls-tree', '-z', ...(recursive ? ['-r'] : []), treeish, '--', ...paths]);
  return stdout
    .split('\0')
    .filter(Boolean)
    .map((line) => {
      const tab = line.indexOf('\t');
      const [mode = '', type = 'blob', oid = ''] = line.slice(0, tab).split(' ');
      return { mode, type: type as TreeEntry['type'], oid, path: line.slice(tab + 1) };
    });
}

/** Sizes of blobs, from their headers only (`cat-file --batch-check`): missing ones are left out. */
export async function blobSizes(git: Git, oids: readonly string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const unique = [...new Set(oids)];
  if (unique.length === 0) return out;
  const { stdout } = await git.run(['cat-file', '--batch-check'], { input: `${unique.join('\n')}\n` });
  for (const line of stdout.split('\n')) {
    const [oid = '', type = '', size = ''] = line.split(' ');
    if (type === 'blob' && /^\d+$/.test(size)) out.set(oid, Number(size));
  }
  return out;
}

/** Reads many blobs with one `cat-file --batch`. */
export async function readBlobs(git: Git, oids: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const unique = [...new Set(oids)];
  if (unique.length === 0) return out;
  const buffer = await git.runBuffer(['cat-file', '--batch'], { input: `${unique.join('\n')}\n` });
  let at = 0;
  while (at < buffer.length) {
    const eol = buffer.indexOf(10, at);
    if (eol < 0) break;
    const [oid = '', type = '', size = '0'] = buffer.subarray(at, eol).toString('utf8').split(' ');
    at = eol + 1;
    if (type === 'missing' || type === '') continue;
    const length = Number(size);
    out.set(oid, buffer.subarray(at, at + length).toString('utf8'));
    at += length + 1;
  }
  return out;
}

/** Sizes of objects already in the repository (one `cat-file --batch-check`); a missing one is absent. */
export async function objectSizes(git: Git, oids: readonly string[]): Promise<Map<string, number>> {
  const unique = [...new Set(oids)];
  const out = new Map<string, number>();
  if (unique.length === 0) return out;
  const { stdout } = await git.run(['cat-file', '--batch-check=%(objectname) %(objectsize)'], {
    input: `${unique.join('\n')}\n`,
  });
  for (const line of stdout.split('\n')) {
    const [oid = '', size = ''] = line.split(' ');
    if (/^\d+$/.test(size)) out.set(oid, Number(size));
  }
  return out;
}

export interface BlobSink {
  /** a blob starts; its bytes follow through `data` */
  start(oid: string, size: number): void;
  data(chunk: Buffer): void;
  /** the blob's last byte went to `data` */
  end(oid: string): void;
}

/**
 * Streams many blobs through one `cat-file --batch`, in the order asked: each blob's bytes go to
 * the sink as they arrive. Nothing is held but the current chunk, whatever the blobs' sizes.
 */
export async function streamBlobs(git: Git, oids: readonly string[], sink: BlobSink): Promise<void> {
  if (oids.length === 0) return;
  let header = Buffer.alloc(0);
  /** bytes of the current blob still to come, then its trailing newline */
  let remaining = -1;
  let current = '';
  const push = (chunk: Buffer) => {
    let at = 0;
    while (at < chunk.length) {
      if (remaining < 0) {
        const eol = chunk.indexOf(10, at);
        if (eol < 0) {
          header = Buffer.concat([header, chunk.subarray(at)]);
          return;
        }
        const line = Buffer.concat([header, chunk.subarray(at, eol)]).toString('utf8');
        header = Buffer.alloc(0);
        at = eol + 1;
        const [oid = '', type = '', size = ''] = line.split(' ');
        if (type === 'missing' || !/^\d+$/.test(size)) continue;
        current = oid;
        sink.start(oid, Number(size));
        remaining = Number(size);
      }
      const take = Math.min(remaining, chunk.length - at);
      if (take > 0) sink.data(chunk.subarray(at, at + take));
      at += take;
      remaining -= take;
      if (remaining === 0 && at < chunk.length) {
        at += 1; // the newline after the blob
        remaining = -1;
        sink.end(current);
      }
    }
  };
  await git.stream(['cat-file', '--batch'], `${oids.join('\n')}\n`, push);
  if (remaining === 0) sink.end(current);
}

/**
 * Blobs of at most `maxBytes` each, through one streamed `cat-file --batch`: a larger blob is
 * measured from its header and streamed past, never held. Sizes are given for every blob.
 */
export async function readBlobsCapped(
  git: Git,
  oids: readonly string[],
  maxBytes: number,
): Promise<{ contents: Map<string, string>; sizes: Map<string, number> }> {
  const contents = new Map<string, string>();
  const sizes = new Map<string, number>();
  let parts: Buffer[] | undefined;
  await streamBlobs(git, [...new Set(oids)], {
    start: (oid, size) => {
      sizes.set(oid, size);
      parts = size <= maxBytes ? [] : undefined;
    },
    data: (chunk) => {
      parts?.push(Buffer.from(chunk));
    },
    end: (oid) => {
      if (parts) contents.set(oid, Buffer.concat(parts).toString('utf8'));
      parts = undefined;
    },
  });
  return { contents, sizes };
}

/** A child's exit code (-1 when killed by a signal or not started). */
function exitOf(child: ChildProcess): Promise<number> {
  return new Promise((done) => {
    child.on('error', () => done(-1));
    child.on('close', (code) => done(code ?? -1));
  });
}

/** What a git command may print to stdout before it is stopped (execa's own default bound). */
const MAX_OUTPUT = 100_000_000;

/** The last 64 KB of a stream (a child's stderr: git's own message comes last). */
function tailOf(stream: Readable): { text(): string } {
  let parts: Buffer[] = [];
  let size = 0;
  stream.on('data', (chunk: Buffer) => {
    parts.push(chunk);
    size += chunk.length;
    while (size - (parts[0]?.length ?? 0) >= 65_536) size -= parts.shift()?.length ?? 0;
  });
  return {
    text: () => {
      if (size === 0) return '';
      const all = Buffer.concat(parts);
      parts = [all];
      return all.subarray(Math.max(0, all.length - 65_536)).toString('utf8');
    },
  };
}

/** SIGTERM, then SIGKILL if it is still there 5 s later (a git stuck on a dead remote). */
function killHard(child: ChildProcess): void {
  child.kill();
  const last = setTimeout(() => child.kill('SIGKILL'), 5_000);
  last.unref();
  child.once('close', () => clearTimeout(last));
}

/** A stream's bytes, at most 64 KB of them (a child's stderr, for its error message). */
function collect(stream: Readable): Promise<Buffer[]> {
  const parts: Buffer[] = [];
  let size = 0;
  stream.on('data', (chunk: Buffer) => {
    if (size >= 65_536) return;
    parts.push(chunk);
    size += chunk.length;
  });
  return new Promise((done) => stream.on('close', () => done(parts)));
}
