/**
 * One path for every remediation, whoever proposes it (Claude, the rule-based planner, boot
 * recovery, an approval): catalog → policy gate → executor → verifier → bookkeeping → record.
 * Every decision, denials included, becomes an ActionRecord with its action-log path.
 */
import type { Config, Mode, ServerConfig } from '../config/schema.js';
import { emptyServerState, type Memory, type ServerState } from '../core/memory/memory.js';
import type { Clock, RemoteShell } from '../core/ports/index.js';
import { commandForPeople } from '../core/render/command-text.js';
import type { ActionRecord, RunRecord } from '../core/run-record.js';
import { approvalCommandShown } from '../core/state-branch/approval-file.js';
import { actionPath } from '../core/state-branch/paths.js';
import { raisedFindings } from '../core/status.js';
import type { FileChange, Finding } from '../core/types.js';
import { byName } from '../core/util/by-name.js';
import { errorMessage } from '../core/util/error-message.js';
import { redact } from '../core/util/redact.js';
import { buildCatalog, type Catalog } from './catalog.js';
import type { CatalogAction } from './catalog-action.js';
import { type Execution, executeCommand } from './executor.js';
import {
  DEFAULT_BREAKER_THRESHOLD,
  decide,
  type GateDecision,
  type GateScope,
  type Intent,
  recordAttempt,
} from './policy-gate.js';
import { parseJournalUsage, type ScopeFacts } from './scope.js';
import { type Recheck, stateChecks, type Verdict, verify } from './verifier.js';

export interface RemediationRequest {
  server: string;
  action: string;
  /** untrusted until the gate validated them */
  params: unknown;
  fingerprint?: string;
  reason: string;
  evidence?: string;
  requestedBy: ActionRecord['requestedBy'];
  intent: Intent;
  /** replaces probe re-checks (boot recovery waits for readiness instead) */
  verifyWith?: (shell: RemoteShell, execution: Execution) => Promise<Verdict>;
  /**
   * An approval's command block as its merged file shows it (approval-file.ts shownCommandBlock;
   * null or unset: it shows none). An `approved` request runs only if the command rendered now shows
   * the same: the catalog, the config or ClaudeOps may have changed since the merge, and a merge
   * approves what it showed, nothing else.
   */
  approvedCommand?: string | null;
  /**
   * State-branch changes that hold while the command runs, journaled with it (an approval marked
   * as executed: a run dying mid-command must not leave it pending, to be run a second time).
   */
  writeAhead?: FileChange[];
}

/** Model text kept in an action's reason (the tool schema bounds it too). */
export const MAX_REASON = 1_000;

/** Who must name a finding the action fits (scope.ts); approvals and boot recovery are not planners. */
const PLANNERS: ReadonlySet<ActionRecord['requestedBy']> = new Set(['claude', 'rules']);

const JOURNAL_FACTS = [
  'journalctl --disk-usage 2>/dev/null',
  'for d in /var/log/journal /run/log/journal; do if [ -d "$d" ]; then echo "journal-dir=$d"; break; fi; done',
  '',
].join('\n');

export interface RemediatorOptions {
  config: Pick<Config, 'servers' | 'remediations' | 'maintenance'>;
  mode: Mode;
  dryRun: boolean;
  runId: string;
  clock: Clock;
  record: RunRecord;
  memory: Memory;
  shells: ReadonlyMap<string, RemoteShell>;
  recheck: Recheck;
  secrets: readonly string[];
  /** wait before verifying (default 5 s) */
  settleMs?: number;
  breakerThreshold?: number;
  /** `breaker.cooloff`: an open breaker lets one trial through after this long */
  breakerCooloffMs?: number;
  /**
   * Write-ahead (docs/architecture.md#state-branch): called just before a command runs with a copy of the run record that
   * already holds the action, its attempt counted as failed. The caller journals it, so a main
   * step that dies while the command runs still leaves the post step a record of what was
   * started, and the next run's cooldown and breaker count it.
   */
  beforeRun?: (pending: RunRecord, extra: FileChange[]) => Promise<void>;
  /**
   * Findings a human acknowledged (docs/alerting.md#acknowledge), and why: no automatic action
   * (intent `auto` or `propose`) is taken on them; an approved plan still runs.
   */
  paused?: ReadonlyMap<string, string>;
}

export class Remediator {
  private readonly catalogs = new Map<string, Catalog>();
  /**
   * The latest observation of each finding in this run: a verification's re-check supersedes the
   * collection, so an action is never credited with what an earlier action of the run fixed.
   */
  private readonly latest = new Map<string, Finding>();

  constructor(private readonly o: RemediatorOptions) {}

  serverConfig(name: string): ServerConfig | undefined {
    return this.o.config.servers.find((s) => s.name === name);
  }

  /** The server's catalog (built once per run); warnings go to the record once. */
  catalog(server: ServerConfig): Catalog {
    let catalog = this.catalogs.get(server.name);
    if (!catalog) {
      catalog = buildCatalog(server, this.o.config);
      this.catalogs.set(server.name, catalog);
      this.o.record.warnings.push(...catalog.warnings.map((w) => `${server.name}: ${w}`));
    }
    return catalog;
  }

  /** A dry run or report mode: actions are decided and recorded, never run. */
  get planOnly(): boolean {
    return this.o.dryRun || this.o.mode === 'report';
  }

  /** The run's re-check (probes over the open shell): verification and boot readiness share it. */
  get recheck(): Recheck {
    return this.o.recheck;
  }

  /** Current bookkeeping for a server: this run's state if lifecycle built one, else memory's. */
  private state(server: string): ServerState {
    const states = this.o.record.serverStates;
    states[server] ??= structuredClone(this.o.memory.servers[server] ?? emptyServerState(server));
    states[server].remediation ??= {};
    return states[server];
  }

  /** Whether an executed attempt on this key already happened in this run (one try per run). */
  private triedThisRun(server: string, key: string): boolean {
    return this.o.record.actions.some(
      (a) => a.server === server && a.decision === 'execute' && `${a.action}:${a.target ?? '-'}` === key,
    );
  }

  /** Gate, and if allowed run and verify. Always returns the recorded ActionRecord. */
  async remediate(request: RemediationRequest): Promise<ActionRecord> {
    const now = this.o.clock.now();
    const server = this.serverConfig(request.server);
    if (!server)
      return this.push(request, now, { decision: 'deny', reason: `unknown server "${request.server}"` });
    const paused = request.fingerprint ? this.o.paused?.get(request.fingerprint) : undefined;
    if (paused && request.intent !== 'approved')
      return this.push(request, now, { decision: 'deny', reason: paused });
    const scope = PLANNERS.has(request.requestedBy) ? await this.scope(server, request) : undefined;
    const gate = this.gate(server, request, now, scope);
    const unshown = this.notAsApproved(request, gate);
    if (unshown) return this.push(request, now, { ...gate, decision: 'deny', reason: unshown });
    if (gate.decision !== 'execute') return this.push(request, now, gate);
    const ready = this.readyToRun(server.name, gate.rendered.key);
    if (!ready.ok) return this.push(request, now, { ...gate, decision: 'deny', reason: ready.reason });
    if (request.fingerprint && !request.verifyWith)
      await this.refreshAfterEarlierActions(server, ready.shell, gate.rendered.action, request.fingerprint);
    const seen = request.fingerprint ? this.latest.get(request.fingerprint) : undefined;
    if (seen?.severity === 'ok')
      return this.push(request, now, {
        ...gate,
        decision: 'deny',
        reason: `${request.fingerprint} already passes: an earlier action of this run fixed it`,
      });
    const record = this.push(request, now, gate);
    await this.writeAhead(server.name, gate.rendered.key, now, request.writeAhead ?? []);
    await this.run(record, server, ready.shell, gate.rendered.action, request.verifyWith);
    this.book(server.name, gate.rendered.key, now, record);
    return record;
  }

  /** Why an approved plan's command is not the one its approval shows, or undefined when it is. */
  private notAsApproved(request: RemediationRequest, gate: GateDecision): string | undefined {
    // fail closed: an approved request that carries no shown command is one that showed none
    if (request.intent !== 'approved' || gate.decision === 'deny' || !gate.rendered) return undefined;
    const now = approvalCommandShown(gate.rendered.command, this.o.secrets);
    if (request.approvedCommand === now) return undefined;
    const runs = commandForPeople(redact(gate.rendered.command, this.o.secrets))
      .split('\n')[0]
      ?.slice(0, 160);
    return request.approvedCommand == null
      ? `the approval shows no command (no "Command it runs:" block): only a command an approval shows runs (now it would run: ${runs})`
      : `the command it would run now is not the one the approval shows (the config, catalog or ClaudeOps changed since the merge): propose it again (now it would run: ${runs})`;
  }

  /**
   * After an earlier action on the same server in this run, the collection is stale: the checks
   * this action would be judged by are re-run first, so "failing before" is observed, not assumed.
   */
  private async refreshAfterEarlierActions(
    server: ServerConfig,
    shell: RemoteShell,
    action: CatalogAction,
    fingerprint: string,
  ): Promise<void> {
    const acted = this.o.record.actions.some((a) => a.server === server.name && a.decision === 'execute');
    const target = this.o.record.findings.find((f) => f.fingerprint === fingerprint);
    const checks = stateChecks([...new Set([...action.verify, ...(target ? [target.check] : [])])]);
    if (!acted || checks.length === 0) return;
    try {
      for (const f of await this.o.recheck(shell, server, checks)) this.latest.set(f.fingerprint, f);
    } catch {
      // a failed pre-check leaves the collection's view: the verification says what it can
    }
  }

  /** The findings planners may act on, and the server facts the scope rules compare with. */
  private async scope(server: ServerConfig, request: RemediationRequest): Promise<GateScope> {
    const findings = new Map(
      raisedFindings(this.o.record)
        .filter((f) => f.server === server.name)
        .map((f) => [f.fingerprint, f]),
    );
    const disk = this.o.record.servers.find((r) => r.server.name === server.name)?.observation.probes.disk as
      | { space?: { mount: string }[] }
      | undefined;
    const facts: ScopeFacts = {
      services: server.services,
      mounts: (disk?.space ?? []).map((m) => m.mount),
    };
    if (request.action === 'vacuum-journal') {
      const journal = await this.journalFacts(server.name);
      if (journal) facts.journal = journal;
    }
    return { findings, facts };
  }

  /** Where the journal lives and its size now: read-only, asked only when vacuum-journal is. */
  private async journalFacts(server: string): Promise<ScopeFacts['journal']> {
    const shell = this.o.shells.get(server);
    if (!shell) return undefined;
    try {
      const result = await shell.run(JOURNAL_FACTS, { timeoutMs: 20_000 });
      const dir = /^journal-dir=(.+)$/m.exec(result.stdout)?.[1];
      if (!dir) return undefined;
      const bytes = parseJournalUsage(result.stdout);
      return bytes === undefined ? { dir } : { dir, bytes };
    } catch {
      return undefined;
    }
  }

  private gate(
    server: ServerConfig,
    request: RemediationRequest,
    now: Date,
    scope: GateScope | undefined,
  ): GateDecision {
    return decide(
      {
        server: server.name,
        serverTags: server.tags,
        actionId: request.action,
        params: request.params,
        intent: request.intent,
        ...(request.fingerprint !== undefined ? { fingerprint: request.fingerprint } : {}),
      },
      {
        catalog: this.catalog(server).actions,
        mode: this.o.mode,
        dryRun: this.o.dryRun,
        now,
        maintenance: this.o.config.maintenance,
        bookkeeping: this.state(server.name).remediation,
        breakerThreshold: this.o.breakerThreshold,
        ...(scope ? { scope } : {}),
        breakerCooloffMs: this.o.breakerCooloffMs,
      },
    );
  }

  /** What the gate does not know: one try per key per run, and an open shell to run it over. */
  private readyToRun(
    server: string,
    key: string,
  ): { ok: true; shell: RemoteShell } | { ok: false; reason: string } {
    if (this.triedThisRun(server, key)) return { ok: false, reason: `${key} already ran in this run` };
    const shell = this.o.shells.get(server);
    return shell ? { ok: true, shell } : { ok: false, reason: 'server unreachable: no open shell' };
  }

  private async run(
    record: ActionRecord,
    server: ServerConfig,
    shell: RemoteShell,
    action: CatalogAction,
    verifyWith: RemediationRequest['verifyWith'],
  ): Promise<void> {
    const result = await executeCommand(shell, record.command ?? '', action.timeoutMs, this.o.secrets);
    record.output = result.output;
    record.exitCode = result.exitCode;
    record.durationMs = result.durationMs;
    if (verifyWith) {
      this.judge(record, await verifyWith(shell, result));
      return;
    }
    const target = this.o.record.findings.find((f) => f.fingerprint === record.fingerprint);
    const checks = [...new Set([...action.verify, ...(target ? [target.check] : [])])];
    if (result.exitCode !== 0) {
      // a command that failed fixed nothing; the re-check would only judge luck
      record.outcome = 'not-fixed';
      record.verification = `the command exited ${result.exitCode ?? 'without status'}: not fixed`;
      return;
    }
    if (checks.length === 0) {
      record.outcome = 'unverified';
      record.verification = 'no checks to re-run: a clean exit proves nothing (unverified)';
      return;
    }
    const before: Finding[] = this.o.record.findings
      .filter((f) => f.server === server.name)
      .map((f) => this.latest.get(f.fingerprint) ?? f);
    const verdict = await verify(shell, server, before, checks, record.fingerprint, {
      clock: this.o.clock,
      settleMs: action.settleMs ?? this.o.settleMs ?? 5_000,
      recheck: this.o.recheck,
    });
    for (const f of verdict.after ?? []) this.latest.set(f.fingerprint, f);
    this.judge(record, verdict);
  }

  private judge(record: ActionRecord, verdict: Verdict): void {
    record.outcome = verdict.outcome;
    record.verification = redact(verdict.detail, this.o.secrets);
  }

  private get breakerThreshold(): number {
    return this.o.breakerThreshold ?? DEFAULT_BREAKER_THRESHOLD;
  }

  /** Journals the action about to run; a journal that cannot be written never stops the action. */
  private async writeAhead(server: string, key: string, at: Date, extra: FileChange[]): Promise<void> {
    if (!this.o.beforeRun) return;
    const pending = structuredClone(this.o.record);
    // a clone has Object.prototype again: server names must not find inherited members
    pending.serverStates = byName(Object.entries(pending.serverStates));
    const state = pending.serverStates[server];
    if (state) {
      state.remediation = recordAttempt(state.remediation ?? {}, key, at, 'not-fixed', this.breakerThreshold);
    }
    const action = pending.actions.at(-1);
    if (action)
      action.verification =
        'unknown: the run ended while the command was running (recorded before it started)';
    try {
      await this.o.beforeRun(pending, extra);
    } catch (error) {
      this.o.record.warnings.push(
        `journal: ${key} could not be recorded before it ran: ${errorMessage(error)}`,
      );
    }
  }

  private book(server: string, key: string, at: Date, record: ActionRecord): void {
    const state = this.state(server);
    // unverified counts as a failure: the breaker opens on fixes nobody saw work
    const outcome =
      record.outcome === 'fixed' || record.outcome === 'worse' || record.outcome === 'unverified'
        ? record.outcome
        : 'not-fixed';
    const wasOpen = state.remediation[key]?.breakerOpen === true;
    state.remediation = recordAttempt(
      state.remediation,
      key,
      at,
      outcome,
      this.breakerThreshold,
      record.fingerprint,
    );
    const open = state.remediation[key]?.breakerOpen === true;
    if (open && !wasOpen) {
      record.verification =
        `${record.verification ?? ''}\n\nCircuit breaker now OPEN for ${key}: no more automatic tries; a human must look.`.trim();
      this.breakerChange(
        server,
        key,
        'opened',
        `${record.action} failed to fix ${state.remediation[key]?.failures} times`,
      );
    } else if (wasOpen && !open) {
      record.verification =
        `${record.verification ?? ''}\n\nCircuit breaker CLOSED for ${key}: this attempt fixed it.`.trim();
      this.breakerChange(server, key, 'closed', `${record.action} fixed it`);
    } else if (open) {
      record.verification =
        `${record.verification ?? ''}\n\nCircuit breaker stays OPEN for ${key}: the half-open trial failed; next trial after the cool-off.`.trim();
    }
  }

  private breakerChange(server: string, key: string, change: 'opened' | 'closed', why: string): void {
    this.o.record.breakers = [...(this.o.record.breakers ?? []), { server, key, change, why }];
  }

  /** Turns a gate decision into a recorded ActionRecord with a unique action-log path. */
  private push(request: RemediationRequest, at: Date, gate: GateDecision): ActionRecord {
    const rendered = gate.rendered;
    const target = rendered?.target ?? '-';
    const action = rendered?.action.id ?? String(request.action).slice(0, 80);
    const repeated = gate.decision === 'deny' ? this.sameThisRun(request.server, action, target) : undefined;
    if (repeated) return this.countRepeat(repeated, request, gate);
    const record: ActionRecord = {
      id: `${this.o.runId}-${this.o.record.actions.length + 1}`,
      server: request.server,
      action,
      params: rendered?.params ?? stringParams(request.params),
      risk: rendered?.action.risk ?? (gate.decision === 'deny' ? (gate.risk ?? 'high') : 'high'),
      decision: gate.decision,
      ...this.reasonsOf(gate, request),
      command: rendered?.command,
      outcome: gate.decision === 'execute' ? undefined : 'not-run',
      fingerprint: request.fingerprint,
      requestedBy: request.requestedBy,
      at: at.toISOString(),
      target,
      evidence: request.evidence ? redact(request.evidence, this.o.secrets) : undefined,
    };
    record.path = this.uniquePath(at, record);
    this.o.record.actions.push(record);
    return record;
  }

  /**
   * The requester's reason and the gate's, kept apart so every record labels who wrote which;
   * bounded (model text: at most MAX_REASON characters) and redacted.
   */
  private reasonsOf(
    gate: GateDecision,
    request: RemediationRequest,
  ): Pick<ActionRecord, 'reason' | 'gateReason'> {
    return {
      reason: redact(request.reason.slice(0, MAX_REASON), this.o.secrets),
      gateReason: redact(gate.reason.slice(0, MAX_REASON), this.o.secrets),
    };
  }

  private sameThisRun(server: string, action: string, target: string): ActionRecord | undefined {
    return this.o.record.actions.find(
      (a) => a.server === server && a.action === action && (a.target ?? '-') === target,
    );
  }

  /**
   * A denied repeat of an action already recorded this run: counted in that record's log (one file
   * per action and target per run, however often a planner asks), answered with its own reason.
   */
  private countRepeat(first: ActionRecord, request: RemediationRequest, gate: GateDecision): ActionRecord {
    first.repeats = (first.repeats ?? 0) + 1;
    return {
      ...first,
      decision: 'deny',
      outcome: 'not-run',
      ...this.reasonsOf(gate, request),
      output: undefined,
      exitCode: undefined,
      verification: undefined,
    };
  }

  private uniquePath(at: Date, record: ActionRecord): string {
    const base = target(record) ? `${record.action}-${record.target}` : record.action;
    const taken = new Set(this.o.record.actions.map((a) => a.path));
    let path = actionPath(at, record.server, base, this.o.runId);
    for (let n = 2; taken.has(path); n++) path = actionPath(at, record.server, `${base}-${n}`, this.o.runId);
    return path;
  }
}

function target(record: ActionRecord): boolean {
  return record.target !== undefined && record.target !== '-';
}

/** Denied requests keep what was asked, as short strings, for the record (never executed). */
function stringParams(params: unknown): Record<string, string> {
  if (!params || typeof params !== 'object' || Array.isArray(params)) return {};
  return Object.fromEntries(
    Object.entries(params as Record<string, unknown>)
      .slice(0, 10)
      .map(([k, v]) => [
        k.slice(0, 40),
        (typeof v === 'string' ? v : (JSON.stringify(v) ?? '')).slice(0, 200),
      ]),
  );
}
