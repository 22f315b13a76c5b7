/**
 * The rule-based planner (docs/architecture.md#claude): known fault → playbook, used without an API key, when the
 * API fails, or when Claude's budget is spent. Pure: it turns findings into plans; the caller runs
 * each plan's steps through the gate, in order, until one fixes the finding.
 */
import type { ServerConfig } from '../config/schema.js';
import type { Diagnosis, TrackedFinding } from '../core/run-record.js';
import type { CatalogAction } from '../remediate/catalog-action.js';

export interface PlanStep {
  action: string;
  params: Record<string, string>;
}

export interface RulePlan {
  finding: TrackedFinding;
  steps: PlanStep[];
  diagnosis: Diagnosis;
}

const RISK_ORDER = { low: 0, medium: 1, high: 2 } as const;

/** Repository-defined remediations that declare they verify this check: the repo's own playbooks. */
function configPlaybooks(check: string, catalog: ReadonlyMap<string, CatalogAction>): PlanStep[] {
  return [...catalog.values()]
    .filter((a) => a.source === 'config' && a.verify.includes(check))
    .sort((a, b) => RISK_ORDER[a.risk] - RISK_ORDER[b.risk])
    .map((a) => ({ action: a.id, params: {} }));
}

function diagnosis(
  f: TrackedFinding,
  rootCause: string,
  nextStep: string,
  confidence: Diagnosis['confidence'],
): Diagnosis {
  return { fingerprint: f.fingerprint, rootCause, confidence, evidence: f.summary, nextStep, by: 'rules' };
}

function serviceDown(
  f: TrackedFinding,
  server: ServerConfig,
  catalog: ReadonlyMap<string, CatalogAction>,
): RulePlan | undefined {
  const restart = catalog.get('restart-service');
  const configured = server.services.some((s) => s.name === f.target);
  if (f.severity !== 'critical' || !restart || !configured) return undefined;
  return {
    finding: f,
    steps: [
      { action: 'restart-service', params: { service: f.target } },
      ...configPlaybooks(f.check, catalog),
    ],
    diagnosis: diagnosis(
      f,
      `service ${f.target} is not running (rule-based: cause not investigated)`,
      `restart ${f.target} and verify; if it does not stay up, read its logs`,
      'low',
    ),
  };
}

function diskFull(f: TrackedFinding, catalog: ReadonlyMap<string, CatalogAction>): RulePlan | undefined {
  if (f.severity !== 'critical' || (f.check !== 'disk' && f.check !== 'inodes')) return undefined;
  const clear = catalog.get('clear-directory');
  const spec = clear?.params.directory;
  const mount = f.target === '-' ? '/' : f.target;
  const under = (dir: string) =>
    mount === '/' || dir === mount || dir.startsWith(`${mount.replace(/\/$/, '')}/`);
  const dirs = spec?.kind === 'enum' ? spec.values.filter(under) : [];
  const steps = [
    ...dirs.map((directory) => ({ action: 'clear-directory', params: { directory } })),
    ...configPlaybooks(f.check, catalog),
  ];
  if (steps.length === 0) return undefined;
  return {
    finding: f,
    steps,
    diagnosis: diagnosis(
      f,
      `filesystem ${mount} is nearly full (rule-based: cause not investigated)`,
      'clear the configured directories and verify; if still full, find what grows (disk_usage)',
      'low',
    ),
  };
}

function escalate(f: TrackedFinding): RulePlan {
  return {
    finding: f,
    steps: [],
    diagnosis: diagnosis(
      f,
      `no playbook for ${f.check} findings (rule-based planner)`,
      f.check === 'unreachable'
        ? 'check the server, the network path and the SSH credentials'
        : 'a human should investigate',
      'low',
    ),
  };
}

/** One plan per finding: a playbook when the fault is known, else an escalation with no steps. */
export function planRules(
  findings: readonly TrackedFinding[],
  servers: readonly ServerConfig[],
  catalogOf: (server: ServerConfig) => ReadonlyMap<string, CatalogAction>,
): RulePlan[] {
  return findings.map((f) => {
    const server = servers.find((s) => s.name === f.server);
    if (!server || f.check === 'unreachable') return escalate(f);
    const catalog = catalogOf(server);
    return serviceDown(f, server, catalog) ?? diskFull(f, catalog) ?? playbookOnly(f, catalog) ?? escalate(f);
  });
}

function playbookOnly(f: TrackedFinding, catalog: ReadonlyMap<string, CatalogAction>): RulePlan | undefined {
  const steps = f.severity === 'critical' ? configPlaybooks(f.check, catalog) : [];
  if (steps.length === 0) return undefined;
  return {
    finding: f,
    steps,
    diagnosis: diagnosis(
      f,
      `${f.summary} (rule-based: a repository playbook verifies ${f.check})`,
      'run the playbook and verify',
      'low',
    ),
  };
}
