/**
 * Remediation scenarios of the BUNDLED action (dist/index.js under Node 24, as a runner runs it)
 * over real SSH against the lab's systemd server `sys` (real systemd, nginx, supervisor), with the
 * scripted Messages-API server standing in for Claude and a bare git repository for the remote
 * that holds the state branch.
 *
 * Issue 5, "Scenario tests in the lab": a crashed nginx diagnosed and restarted by Claude;
 * requests outside the allowlist or above the mode; prompt injection in server logs; a fix that
 * does not fix until the circuit breaker opens; the rule-based planner when the API is down or
 * there is no key; dry run.
 *
 * Every test leaves the lab as it found it (afterEach runs the cleanups it registered, and always
 * makes sure nginx runs again on sys).
 */
import { rmSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { type Lab, labSkipReason, startLab } from '../../lab/lab.js';
import {
  FakeAnthropic,
  overloaded,
  type RecordedRequest,
  reply,
  type Step,
  text,
  toolUse,
} from '../../support/fake-anthropic.js';
import { type BundleRun, git, makeWorkspace, runBundle, type Workspace } from '../../support/runner.js';

const skip = labSkipReason();
if (skip) console.warn(`remediation scenarios skipped: ${skip}`);

const BRANCH = 'claudeops-state';
const NGINX = 'sys/service/nginx';
/** A file only a command outside the gate (or a denied config remediation) would create on sys. */
const MARKER = '/var/tmp/claudeops-scenario-marker';
/** Lines the scenario-4 remediation appends on sys, one per execution. */
const COUNTER = '/var/tmp/claudeops-scenario-attempts';
/** A broken nginx config: nginx cannot start while it is there. */
const BROKEN_CONF = '/etc/nginx/conf.d/zz-claudeops-scenario-broken.conf';

type Mode = 'report' | 'safe' | 'full';

interface ConfigOptions {
  mode?: Mode;
  /** the config's own remediations (YAML objects) */
  remediations?: Record<string, Record<string, unknown>>;
  /** also scan /var/log/app/error.log */
  appLog?: boolean;
}

interface ActionLog {
  path: string;
  meta: Record<string, unknown>;
  body: string;
}

describe.skipIf(skip !== undefined)('remediation scenarios: bundled action against the lab', () => {
  let lab: Lab;
  let fake: FakeAnthropic;
  let runCounter = 7000;
  const cleanups: (() => Promise<void>)[] = [];
  const workspaces: Workspace[] = [];

  beforeAll(async () => {
    lab = await startLab({ light: 3, nspawn: true });
    fake = await new FakeAnthropic().start();
  }, 300_000);

  afterAll(async () => {
    await fake?.close();
  });

  afterEach(async () => {
    const errors: unknown[] = [];
    for (const cleanup of cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch (error) {
        errors.push(error);
      }
    }
    // whatever happened, nginx runs again and no scenario file is left on sys
    await sh(`rm -f ${MARKER} ${COUNTER} ${BROKEN_CONF}`);
    if ((await unitState('nginx')) !== 'active') await lab.undo('sys', 'service-stop', 'nginx');
    await waitFor(async () => (await unitState('nginx')) === 'active', 'nginx active again');
    for (const ws of workspaces.splice(0)) rmSync(ws.dir, { recursive: true, force: true });
    if (errors.length > 0) throw errors[0];
  }, 120_000);

  // ---------------------------------------------------------------- helpers

  async function sh(command: string): Promise<string> {
    const out = await lab.exec('sys', command);
    return out.stdout.trim();
  }

  async function unitState(unit: string): Promise<string> {
    return sh(`systemctl is-active ${unit} || true`);
  }

  async function markerExists(path = MARKER): Promise<boolean> {
    return (await sh(`[ -e ${path} ] && echo yes || echo no`)) === 'yes';
  }

  async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** nginx crashes (SIGKILL): systemd leaves it failed, nothing restarts it by itself. */
  async function killNginx(): Promise<void> {
    cleanups.push(() => lab.undo('sys', 'service-kill', 'nginx'));
    await lab.fault('sys', 'service-kill', 'nginx');
    await waitFor(async () => (await unitState('nginx')) !== 'active', 'nginx down');
  }

  function config(o: ConfigOptions = {}): string {
    const s = lab.server('sys');
    const server = {
      name: 'sys',
      host: s.host,
      port: s.port,
      user: s.user,
      sudo: true,
      // only nginx decides health here: the lab VM's disk, memory and load never raise a finding
      thresholds: {
        disk: { warn: 99, crit: 100 },
        inodes: { warn: 99, crit: 100 },
        memory: { warn: 99, crit: 100 },
        swap: { warn: 99, crit: 100 },
        load: { warn: 1000, crit: 1000 },
      },
      services: [{ name: 'nginx', manager: 'systemd' }],
      ...(o.appLog ? { logs: [{ path: '/var/log/app/error.log', patterns: ['ERROR'], crit: 1 }] } : {}),
    };
    // JSON is YAML: the config is exactly these objects
    return JSON.stringify({
      version: 1,
      mode: o.mode ?? 'safe',
      defaults: { connect_timeout: '10s' },
      servers: [server],
      remediations: o.remediations ?? {},
      github: { issues: false, approvals: false },
    });
  }

  async function workspace(o: ConfigOptions = {}): Promise<Workspace> {
    const ws = await makeWorkspace(config(o));
    workspaces.push(ws);
    return ws;
  }

  interface RunOptions {
    /** scripted Claude turns; none = no API key at all */
    claude?: Step[];
    inputs?: Record<string, string>;
    env?: Record<string, string>;
  }

  async function run(ws: Workspace, o: RunOptions = {}): Promise<BundleRun> {
    const model: Record<string, string> = {};
    if (o.claude) {
      fake.play(...o.claude);
      model.ANTHROPIC_BASE_URL = fake.url;
    }
    const result = await runBundle(
      'index.js',
      ws,
      {
        'ssh-private-key': lab.clientKey,
        'known-hosts': lab.knownHosts,
        ...(o.claude ? { 'anthropic-api-key': 'sk-ant-scenario-dummy' } : {}),
        ...o.inputs,
      },
      { GITHUB_RUN_ID: String(runCounter++), ...model, ...o.env },
    );
    if (result.exitCode !== 0) {
      throw new Error(`the action failed (exit ${result.exitCode}):\n${result.stderr}\n${result.stdout}`);
    }
    return result;
  }

  async function stateFile(ws: Workspace, path: string): Promise<string> {
    return git(ws.origin, 'show', `${BRANCH}:${path}`);
  }

  function frontMatter(text: string): Record<string, unknown> {
    return parse(/^---\n([\s\S]*?)\n---/.exec(text)?.[1] ?? '') as Record<string, unknown>;
  }

  /** The action logs one run wrote to origin's state branch. */
  async function actionLogs(ws: Workspace, result: BundleRun): Promise<ActionLog[]> {
    const report = frontMatter(await stateFile(ws, result.outputs.report ?? ''));
    const run = String(report.run);
    const paths = (await git(ws.origin, 'ls-tree', '-r', '--name-only', BRANCH))
      .split('\n')
      .filter((p) => p.startsWith('actions/'));
    const logs: ActionLog[] = [];
    for (const path of paths) {
      const body = await stateFile(ws, path);
      const meta = frontMatter(body);
      if (meta.run === run) logs.push({ path, meta, body });
    }
    return logs.sort((a, b) => String(a.meta.id).localeCompare(String(b.meta.id), 'en', { numeric: true }));
  }

  async function report(ws: Workspace, result: BundleRun): Promise<{ meta: Record<string, unknown>; body: string }> {
    const body = await stateFile(ws, result.outputs.report ?? '');
    return { meta: frontMatter(body), body };
  }

  /** The scripted model's turn that answers with tool calls; ids let later turns be checked. */
  const turn = (...calls: [string, unknown][]): Step => reply(calls.map(([name, input]) => toolUse(name, input)));

  const diagnosis = (fingerprint: string, rootCause: string, nextStep = 'none'): Step =>
    turn([
      'report_diagnosis',
      {
        diagnoses: [{ fingerprint, root_cause: rootCause, confidence: 'high', evidence: 'see tool results', next_step: nextStep }],
        summary: rootCause,
      },
    ]);

  /** The tool_result blocks of a recorded request's last user turn, by tool name of the call. */
  function toolResults(request: RecordedRequest): string[] {
    const messages = request.body.messages as { role: string; content: unknown }[];
    const last = messages.at(-1);
    if (!last || !Array.isArray(last.content)) return [];
    return (last.content as { type: string; content?: unknown }[])
      .filter((b) => b.type === 'tool_result')
      .map((b) => String(b.content));
  }

  // ---------------------------------------------------------------- scenarios

  it('1. nginx killed: Claude reads its logs, restarts it, verification says fixed', async () => {
    const ws = await workspace();
    await killNginx();
    const result = await run(ws, {
      claude: [
        turn(['run_diagnostic', { server: 'sys', diagnostic: 'service_logs', args: { service: 'nginx' } }]),
        turn([
          'remediate',
          {
            server: 'sys',
            action: 'restart-service',
            params: { service: 'nginx' },
            fingerprint: NGINX,
            reason: 'nginx was killed (SIGKILL) and systemd left it failed',
          },
        ]),
        diagnosis(NGINX, 'nginx was killed by SIGKILL; a restart brought it back'),
      ],
    });

    // the server: nginx really runs again
    expect(await unitState('nginx')).toBe('active');
    expect(fake.remaining).toBe(0);
    expect(fake.requests).toHaveLength(3);
    // Claude saw the real journal of the unit, fenced as server output
    const logs = toolResults(fake.requests[1] as RecordedRequest)[0] ?? '';
    expect(logs).toMatch(/^service_logs on sys \(exit 0\):\n<untrusted-server-output-[0-9a-f]+ source="sys:service_logs">/);
    expect(logs).toMatch(/nginx/);
    const verdict = toolResults(fake.requests[2] as RecordedRequest)[0] ?? '';
    expect(verdict).toContain('decision: execute');
    expect(verdict).toContain('outcome: fixed');

    // the state branch on origin: the action log says fixed; the report names the planner
    const actions = await actionLogs(ws, result);
    expect(actions).toHaveLength(1);
    expect(actions[0]?.path).toMatch(/^actions\/\d{4}-\d{2}-\d{2}\/\d{6}-sys-restart-service-nginx-/);
    expect(actions[0]?.meta).toMatchObject({
      server: 'sys',
      action: 'restart-service',
      target: 'nginx',
      decision: 'execute',
      outcome: 'fixed',
      exit_code: 0,
      requested_by: 'claude',
      fingerprint: NGINX,
    });
    expect(actions[0]?.body).toContain("systemctl restart 'nginx'");
    expect(actions[0]?.body).toMatch(/## Verification\n\nre-ran service: sys\/service\/nginx critical → ok; ok now/);
    const { meta, body } = await report(ws, result);
    expect(meta.planner).toBe('claude');
    expect(meta.actions).toEqual([{ action: 'restart-service', server: 'sys', decision: 'execute', outcome: 'fixed' }]);
    expect(body).toMatch(/Planner: \*\*claude\*\* — Claude diagnosed in 3 turns/);
    expect(result.outputs.actions).toBe('1');
  });
});
