/**
 * Boot recovery (DESIGN §2 `recover`, §7): after a reboot (boot id changed) or on task recover,
 * start the services in `boot.order`, one by one, each through the policy gate as a
 * `start-service` action, waiting for each to be ready (up to `boot.ready_timeout`) before the
 * next, so a database is up before the app that needs it. Writes one boot log per server.
 */
import type { ServerConfig } from '../config/schema.js';
import type { Clock, RemoteShell } from '../core/ports/index.js';
import type { BootRecovery, RunRecord } from '../core/run-record.js';
import { bootPath } from '../core/state-branch/paths.js';
import { readinessScript } from '../remediate/readiness.js';
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

async function isReady(shell: RemoteShell, script: string): Promise<boolean> {
  try {
    const result = await shell.run(`${script}\n`, { timeoutMs: 30_000 });
    return result.code === 0;
  } catch {
    return false;
  }
}

async function waitReady(
  shell: RemoteShell,
  script: string,
  timeoutMs: number,
  o: RecoverOptions,
): Promise<number | undefined> {
  const start = o.clock.now().getTime();
  for (;;) {
    if (await isReady(shell, script)) return o.clock.now().getTime() - start;
    if (o.clock.now().getTime() - start >= timeoutMs) return undefined;
    await o.clock.sleep(o.pollMs ?? 2_000);
  }
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
  const script = readinessScript(service);
  if (await isReady(shell, script))
    return { service: name, state: 'already-running', detail: `${service.manager}: running` };
  const timeout = server.boot?.ready_timeout ?? 120_000;
  let waited: number | undefined;
  const action = await o.remediator.remediate({
    server: server.name,
    action: 'start-service',
    params: { service: name },
    reason: `boot recovery (${trigger}): ${name} is not running`,
    requestedBy: 'recover',
    intent: 'auto',
    // readiness, not the probes, verifies a start: it waits for the service instead of sampling once
    verifyWith: async (sh, execution) => {
      if (execution.exitCode !== 0)
        return { outcome: 'not-fixed', detail: `start exited ${execution.exitCode ?? 'without status'}` };
      waited = await waitReady(sh, script, timeout, o);
      return waited === undefined
        ? { outcome: 'not-fixed', detail: `not ready within ${Math.round(timeout / 1000)} s` }
        : { outcome: 'fixed', detail: `ready after ${Math.round(waited / 1000)} s` };
    },
  });
  if (action.decision !== 'execute')
    return {
      service: name,
      state: 'skipped',
      detail: `${action.decision}: ${action.reason}`,
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
  if (waited === undefined)
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
    detail: `${service.manager}: started and ready`,
    waitedMs: waited,
    actionId: action.id,
  };
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
  else for (const name of order) boot.steps.push(await startOne(server, name, shell, trigger, o));
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
  if (record.task === 'recover') return rebooted ? `task recover (${rebooted})` : 'task recover';
  return rebooted;
}
