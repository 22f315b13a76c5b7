/**
 * The set-ups the lab tests (test/e2e/lab/) share: a lab server as an entry of a config file, the
 * bundled action run against the lab, a root command on a server that must succeed, and waiting
 * for a server to reach a state. Each test keeps its own config and assertions; only the plumbing
 * lives here.
 */
import { expect } from 'vitest';
import type { Lab } from '../lab/lab.js';
import { type BundleRun, frontMatter, git, runBundle, stateFile, type Workspace } from './runner.js';

/**
 * A lab server as a user writes it in the config file (name, host, port, user) plus `fields`:
 * plain objects, so `JSON.stringify` of a config made of them is the YAML a workspace holds.
 */
export function labServerEntry(lab: Lab, name: string, fields: Record<string, unknown> = {}) {
  const s = lab.server(name);
  return { name, host: s.host, port: s.port, user: s.user, ...fields };
}

export type LabActionRun = (
  ws: Workspace,
  inputs?: Record<string, string>,
  env?: Record<string, string>,
) => Promise<BundleRun>;

/**
 * Runs the bundled action (dist/index.js) in a workspace against the lab: the lab's client key
 * and known hosts as inputs, and a new GITHUB_RUN_ID for every run, counting from `firstRunId`
 * (a test's reports are named by it). `inputs` and `env` win over these.
 */
export function labAction(lab: Lab, firstRunId: number): LabActionRun {
  let next = firstRunId;
  return (ws, inputs = {}, env = {}) =>
    runBundle(
      'index.js',
      ws,
      { 'ssh-private-key': lab.clientKey, 'known-hosts': lab.knownHosts, ...inputs },
      { GITHUB_RUN_ID: String(next++), ...env },
    );
}

/** The run's result, or an error with its output when the action did not exit 0. */
export function succeeded(result: BundleRun): BundleRun {
  if (result.exitCode !== 0)
    throw new Error(`the action failed (exit ${result.exitCode}):\n${result.stderr}\n${result.stdout}`);
  return result;
}

/** A markdown document of the state branch: its path, front matter and text. */
export interface StateDocument {
  path: string;
  meta: Record<string, unknown>;
  body: string;
}

/** The health report a run wrote to the workspace's origin. */
export async function runReport(ws: Workspace, result: BundleRun): Promise<StateDocument> {
  const path = result.outputs.report ?? '';
  const body = await stateFile(ws, path);
  return { path, meta: frontMatter(body), body };
}

/**
 * Asserts the run's status; when it is another one, the message carries the run's report, so a
 * failure on a busy machine says which finding made it (the report is read only then).
 */
export async function expectStatus(ws: Workspace, result: BundleRun, status: string): Promise<void> {
  const report = result.outputs.status === status ? '' : (await runReport(ws, result)).body.slice(0, 6000);
  expect(result.outputs.status, report).toBe(status);
}

/** The documents under `dir/` of origin's state branch that this run wrote (their `run` is the report's). */
export async function runDocuments(ws: Workspace, result: BundleRun, dir: string): Promise<StateDocument[]> {
  const run = String((await runReport(ws, result)).meta.run);
  const paths = (await git(ws.origin, 'ls-tree', '-r', '--name-only', 'claudeops-state'))
    .split('\n')
    .filter((p) => p.startsWith(`${dir}/`));
  const docs: StateDocument[] = [];
  for (const path of paths) {
    const body = await stateFile(ws, path);
    const meta = frontMatter(body);
    if (meta.run === run) docs.push({ path, meta, body });
  }
  return docs;
}

/**
 * Runs `command` as root on a lab server and returns its stdout; a non-zero exit throws, naming
 * the server, the command (its first 120 characters: some carry whole files) and the output.
 */
export async function labRoot(lab: Lab, server: string, command: string): Promise<string> {
  const out = await lab.exec(server, command);
  if (out.code !== 0)
    throw new Error(`on ${server}: ${command.slice(0, 120)} → exit ${out.code}: ${out.stderr}${out.stdout}`);
  return out.stdout;
}

/** The trimmed stdout of `command` run as root on a lab server, whatever its exit code. */
export async function labOutput(lab: Lab, server: string, command: string): Promise<string> {
  return (await lab.exec(server, command)).stdout.trim();
}

/** `systemctl is-active UNIT` on a lab server: active, inactive, failed, activating, … */
export function labUnitState(lab: Lab, server: string, unit: string): Promise<string> {
  return labOutput(lab, server, `systemctl is-active ${unit} || true`);
}

/** Asks `ok` every 200 ms until it says yes; throws `timed out waiting for: what` after `timeoutMs`. */
export async function waitUntil(what: string, ok: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
