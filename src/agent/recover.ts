/**
 * Boot recovery (docs/architecture.md#pipeline `recover`, #state-branch): after a reboot (boot id changed) or on task recover,
 * start the services in `boot.order`, one by one, each through the policy gate as a
 * `start-service` action, waiting for each to be ready by its own checks (up to
 * `boot.ready_timeout`) before the next. A service whose dependency failed or never became ready
 * is not started (`blocked by <dependency>`). Then `boot.after` runs through the gate, and every
 * configured check of the server runs once; the boot log (one per server) records it all.
 */
import type { ServerConfig, ServiceConfig } from '../config/schema.js';
import type { Clock, RemoteShell } from '../core/ports/index.js';
import type { ActionRecord, BootRecovery, RunRecord } from '../core/run-record.js';
import { bootPath } from '../core/state-branch/paths.js';
import { taskTraits } from '../core/tasks.js';
import { errorMessage } from '../core/util/error-message.js';
import { ALL_PROBES } from '../probes/index.js';
import { judgeReadiness, READINESS_CHECKS, type Readiness, readinessSlice } from '../remediate/readiness.js';
import type { Remediator } from '../remediate/remediator.js';

export interface RecoverOptions {
  record: RunRecord;
  remediator: Remediator;
  shells: ReadonlyMap<string, RemoteShell>;
  clock: Clock;
  /** between readiness polls */
  pollMs?: number;
}

type Step = BootRecovery['steps'][number];
type Entry = NonNullable<ServerConfig['boot']>['order'][number];

/** The service's own checks, re-run now (see remediate/readiness.ts). */
async function readiness(
  shell: RemoteShell,
  server: ServerConfig,
  service: ServiceConfig,
  o: RecoverOptions,
): Promise<Readiness> {
  const slice = readinessSlice(server, service);
  try {
    return judgeReadiness(slice, await o.remediator.recheck(shell, slice, READINESS_CHECKS));
  } catch (error) {
    return { ready: false, detail: `readiness could not be checked: ${errorMessage(error)}` };
  }
}

async function waitReady(
  shell: RemoteShell,
  server: ServerConfig,
  service: ServiceConfig,
  timeoutMs: number,
  o: RecoverOptions,
): Promise<Waited> {
  const start = o.clock.now().getTime();
  for (;;) {
    const last = await readiness(shell, server, service, o);
    if (last.ready) return { waited: o.clock.now().getTime() - start, last };
    if (o.clock.now().getTime() - start >= timeoutMs) return { last };
    await o.clock.sleep(o.pollMs ?? 2_000);
  }
}

const UP: ReadonlySet<Step['state']> = new Set(['started', 'already-running']);

/**
 * The dependency that keeps an entry from starting, if any: its explicit `after:` list, else every
 * earlier entry of boot.order. A dependency outside boot.order is checked for readiness itself.
 */
async function blockingDependency(
  entry: Entry,
  earlier: readonly Step[],
  server: ServerConfig,
  shell: RemoteShell,
  o: RecoverOptions,
): Promise<string | undefined> {
  const deps = entry.after ?? earlier.map((s) => s.service);
  for (const dep of deps) {
    const step = earlier.find((s) => s.service === dep);
    if (step) {
      // a dry run or report mode plans every step: a start it only recorded blocks nothing
      const planned = step.state === 'skipped' && o.remediator.planOnly && step.actionId !== undefined;
      if (!UP.has(step.state) && !planned) return `${dep} (${step.state})`;
      continue;
    }
    const service = server.services.find((s) => s.name === dep);
    if (!service) return `${dep} (not a configured service)`;
    if (!(await readiness(shell, server, service, o)).ready) return `${dep} (not ready)`;
  }
  return undefined;
}

async function startOne(
  server: ServerConfig,
  name: string,
  shell: RemoteShell,
  trigger: string,
  o: RecoverOptions,
): Promise<Step> {
  const service = server.services.find((s) => s.name === name);
  if (!service)
    return {
      service: name,
      state: 'skipped',
      detail: 'in boot.order but not under services: (nothing to start it with)',
    };
  const now = await readiness(shell, server, service, o);
  if (now.ready) return { service: name, state: 'already-running', detail: `ready: ${now.detail}` };
  const timeout = server.boot?.ready_timeout ?? 120_000;
  let waited: Waited | undefined;
  const action = await o.remediator.remediate({
    server: server.name,
    action: 'start-service',
    params: { service: name },
    reason: `boot recovery (${trigger}): ${name} is not ready (${now.detail})`,
    requestedBy: 'recover',
    intent: 'auto',
    // readiness, not one probe sample, verifies a start: it waits for the service's own checks
    verifyWith: async (sh, execution) => {
      if (execution.exitCode !== 0)
        return { outcome: 'not-fixed', detail: `start exited ${execution.exitCode ?? 'without status'}` };
      waited = await waitReady(sh, server, service, timeout, o);
      return waited.waited === undefined
        ? {
            outcome: 'not-fixed',
            detail: `not ready within ${Math.round(timeout / 1000)} s: ${waited.last.detail}`,
          }
        : {
            outcome: 'fixed',
            detail: `ready after ${Math.round(waited.waited / 1000)} s: ${waited.last.detail}`,
          };
    },
  });
  return startStep(service, action, waited, timeout);
}

type Waited = { waited?: number; last: Readiness };

/** What a start through the gate came to, as the service's boot step. */
function startStep(
  service: ServiceConfig,
  action: ActionRecord,
  waited: Waited | undefined,
  timeout: number,
): Step {
  const name = service.name;
  if (action.decision !== 'execute')
    return {
      service: name,
      state: 'skipped',
      detail: `${action.decision}: ${action.gateReason ?? action.reason}`,
      actionId: action.id,
    };
  if (action.exitCode !== 0) {
    return {
      service: name,
      state: 'failed',
      detail: `start exited ${action.exitCode ?? 'without status'}: ${(action.output ?? '').slice(0, 300)}`,
      actionId: action.id,
    };
  }
  if (waited?.waited === undefined)
    return {
      service: name,
      state: 'not-ready',
      detail: action.verification ?? 'not ready',
      waitedMs: timeout,
      actionId: action.id,
    };
  return {
    service: name,
    state: 'started',
    detail: `${service.manager}: started and ready (${waited.last.detail})`,
    waitedMs: waited.waited,
    actionId: action.id,
  };
}

/** boot.after: remediations run once every service is ready, each through the gate. */
async function runAfter(server: ServerConfig, steps: readonly Step[], trigger: string, o: RecoverOptions) {
  const out: Step[] = [];
  const down = steps.find((s) => !UP.has(s.state));
  for (const after of server.boot?.after ?? []) {
    const label = `after: ${after.action}`;
    if (down) {
      out.push({ service: label, state: 'blocked', detail: `blocked by ${down.service} (${down.state})` });
      continue;
    }
    const action = await o.remediator.remediate({
      server: server.name,
      action: after.action,
      params: after.params,
      reason: `boot recovery (${trigger}): boot.after, every service ready`,
      requestedBy: 'recover',
      intent: 'auto',
    });
    const state: Step['state'] =
      action.decision !== 'execute' ? 'skipped' : action.exitCode === 0 ? 'started' : 'failed';
    const detail =
      state === 'skipped'
        ? `${action.decision}: ${action.gateReason ?? action.reason}`
        : state === 'failed'
          ? `exited ${action.exitCode ?? 'without status'}: ${(action.output ?? '').slice(0, 300)}`
          : `ran: ${action.outcome ?? 'no outcome'}`;
    out.push({ service: label, state, detail, actionId: action.id });
  }
  return out;
}

/** Every configured check of the server, once, after recovery: what the boot log ends with. */
async function finalCheck(
  server: ServerConfig,
  shell: RemoteShell,
  o: RecoverOptions,
): Promise<NonNullable<BootRecovery['finalCheck']>> {
  const at = o.clock.now().toISOString();
  const checks = ALL_PROBES.filter((p) => p.applies(server)).map((p) => p.id);
  try {
    const findings = await o.remediator.recheck(shell, server, checks);
    const failing = findings
      .filter((f) => f.severity !== 'ok')
      .map((f) => ({ fingerprint: f.fingerprint, severity: f.severity, summary: f.summary }));
    return { at, checked: findings.length, failing };
  } catch (error) {
    return { at, checked: 0, failing: [], error: errorMessage(error) };
  }
}

/** Recovers one server; the caller decides that it needs recovering (and why: `trigger`). */
export async function recoverServer(
  server: ServerConfig,
  trigger: string,
  o: RecoverOptions,
): Promise<BootRecovery> {
  const at = o.clock.now();
  const boot: BootRecovery = {
    server: server.name,
    at: at.toISOString(),
    trigger,
    steps: [],
    path: bootPath(at, server.name),
  };
  const taken = new Set((o.record.recoveries ?? []).map((r) => r.path));
  if (taken.has(boot.path))
    boot.path = boot.path.replace(/\.md$/, `-${o.record.runId.replace(/[^A-Za-z0-9._-]/g, '-')}.md`);
  const shell = o.shells.get(server.name);
  const order = server.boot?.order ?? [];
  if (!shell) boot.steps.push({ service: '-', state: 'skipped', detail: 'server unreachable' });
  else {
    for (const entry of order) {
      // never start a service whose dependency failed or is not ready: it would only crash-loop
      const blocked = await blockingDependency(entry, boot.steps, server, shell, o);
      boot.steps.push(
        blocked
          ? { service: entry.service, state: 'blocked', detail: `blocked by ${blocked}` }
          : await startOne(server, entry.service, shell, trigger, o),
      );
    }
    boot.steps.push(...(await runAfter(server, boot.steps, trigger, o)));
    boot.finalCheck = await finalCheck(server, shell, o);
  }
  o.record.recoveries = [...(o.record.recoveries ?? []), boot];
  return boot;
}

/**
 * Why a server needs boot recovery in this run, or undefined: the task, or a changed boot id.
 * On task recover a reboot seen too is named, so the boot log says both.
 */
export function recoveryTrigger(
  record: RunRecord,
  previousBootId: string | undefined,
  server: string,
): string | undefined {
  const report = record.servers.find((r) => r.server.name === server);
  const uptime = report?.observation.probes.uptime as { bootId?: unknown } | undefined;
  const current = typeof uptime?.bootId === 'string' ? uptime.bootId : record.serverStates[server]?.bootId;
  const rebooted =
    previousBootId && current && current !== previousBootId
      ? `rebooted: boot id ${previousBootId.slice(0, 8)}… → ${current.slice(0, 8)}…`
      : undefined;
  if (taskTraits(record.task).recoverAlways)
    return rebooted ? `task ${record.task} (${rebooted})` : `task ${record.task}`;
  return rebooted;
}
