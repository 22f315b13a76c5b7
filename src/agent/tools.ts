/**
 * The four tools Claude gets (docs/architecture.md#claude), their input schemas (zod: validated here, and sent as
 * JSON Schema from the same definition) and their handlers. Handlers never throw on bad input:
 * they return a corrective `is_error` result the model can act on.
 */
import { z } from 'zod';
import type { RemoteShell, ToolDefinition } from '../core/ports/index.js';
import type { Diagnosis, RunRecord } from '../core/run-record.js';
import { errorMessage } from '../core/util/error-message.js';
import { redact } from '../core/util/redact.js';
import { boundOutput } from '../remediate/executor.js';
import type { Remediator } from '../remediate/remediator.js';
import { buildDiagnostics, diagnosticFactsOf, renderDiagnostic } from './diagnostics.js';
import { prompt, untrusted } from './prompts.js';

const short = (max: number) => z.string().min(1).max(max);
const params = z.record(z.string().max(64), z.string().max(512)).default({});
/**
 * A fingerprint is as long as its target (a config's endpoint URL with a long query, a log path, a
 * mount point: up to PATH_MAX): at 300 characters a longer finding could never be reported or acted
 * on. Still a bound on what the model sends; an unknown one is refused against the asked set.
 */
const fingerprint = short(8_192);

const actionInput = {
  server: short(128),
  action: short(128),
  params,
  fingerprint: fingerprint.optional(),
  reason: short(1000),
};

export const TOOL_INPUTS = {
  run_diagnostic: z.strictObject({ server: short(128), diagnostic: short(64), args: params }),
  remediate: z.strictObject(actionInput),
  request_approval: z.strictObject({ ...actionInput, evidence: short(4000) }),
  report_diagnosis: z.strictObject({
    diagnoses: z
      .array(
        z.strictObject({
          fingerprint,
          root_cause: short(2000),
          confidence: z.enum(['low', 'medium', 'high']),
          evidence: z.string().max(4000),
          next_step: short(2000),
        }),
      )
      .min(1)
      .max(100),
    summary: short(4000),
  }),
} as const;

export type ToolName = keyof typeof TOOL_INPUTS;

/**
 * The parameter names this run's catalogs (`params` of remediate/request_approval) and diagnostics
 * (`args` of run_diagnostic) use. Given, the open parameter maps are sent as closed objects with
 * exactly these optional string properties, which makes every tool strict-capable.
 */
export interface ParamNames {
  params: readonly string[];
  args: readonly string[];
}

/**
 * Past this many names a closed map would make the strict grammar large (the API refuses grammars
 * it finds too large): the map stays open and that tool is sent without `strict`.
 */
const MAX_CLOSED_NAMES = 24;

function closeMaps(schema: Record<string, unknown>, names: ParamNames): Record<string, unknown> {
  const properties = schema.properties as Record<string, unknown> | undefined;
  if (!properties) return schema;
  const closed = (keys: readonly string[]) => ({
    type: 'object',
    properties: Object.fromEntries([...keys].sort().map((k) => [k, { type: 'string' }])),
    additionalProperties: false,
  });
  const next = { ...properties };
  if ('params' in next && names.params.length <= MAX_CLOSED_NAMES) next.params = closed(names.params);
  if ('args' in next && names.args.length <= MAX_CLOSED_NAMES) next.args = closed(names.args);
  return { ...schema, properties: next };
}

/**
 * Tool definitions, deterministic (so the prompt cache hits), the last one carrying cache_control.
 * Each is sent `strict` when its schema fits the subset the API compiles into a grammar: all four
 * when the run's parameter names are given.
 */
export function toolDefinitions(names?: ParamNames): ToolDefinition[] {
  const tools = Object.keys(TOOL_INPUTS) as ToolName[];
  return tools.map((name, i) => {
    const { $schema: _ignored, ...open } = z.toJSONSchema(TOOL_INPUTS[name], { io: 'input' }) as Record<
      string,
      unknown
    >;
    const schema = names ? closeMaps(open, names) : open;
    const strict = strictSchema(schema);
    const tool: ToolDefinition = {
      name,
      description: prompt(`tools/${name}.md`),
      ...(strict ? { input_schema: strict, strict: true } : { input_schema: schema }),
    };
    return i === tools.length - 1 ? { ...tool, cache_control: { type: 'ephemeral' } } : tool;
  });
}

/**
 * Keywords strict tool use rejects: length, count and range bounds. They are dropped from what is
 * sent and still enforced here, by the zod schema every tool input is parsed with.
 */
const UNSUPPORTED_IN_STRICT = new Set([
  'minLength',
  'maxLength',
  'maxItems',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'default',
]);

/**
 * The schema as strict tool use accepts it, or undefined when it cannot be: an object that admits
 * arbitrary keys (a parameter map) has no strict form, so that tool is sent without `strict`.
 */
export function strictSchema(schema: unknown): Record<string, unknown> | undefined {
  if (Array.isArray(schema)) {
    const items = schema.map(strictSchema);
    return items.every((s) => s !== undefined) ? (items as unknown as Record<string, unknown>) : undefined;
  }
  if (typeof schema !== 'object' || schema === null) return schema as undefined;
  const node = schema as Record<string, unknown>;
  if (node.type === 'object' && node.additionalProperties !== false) return undefined;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (UNSUPPORTED_IN_STRICT.has(key)) continue;
    if (key === 'minItems' && typeof value === 'number' && value > 1) continue;
    if (typeof value === 'object' && value !== null) {
      const inner = key === 'properties' ? strictProperties(value) : strictSchema(value);
      if (inner === undefined) return undefined;
      out[key] = inner;
    } else out[key] = value;
  }
  return out;
}

function strictProperties(properties: object): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(properties)) {
    const inner = strictSchema(value);
    if (inner === undefined) return undefined;
    out[key] = inner;
  }
  return out;
}

export interface ToolResult {
  content: string;
  isError: boolean;
  /** report_diagnosis accepted: the loop may stop */
  final?: boolean;
}

export interface ToolContext {
  record: RunRecord;
  remediator: Remediator;
  shells: ReadonlyMap<string, RemoteShell>;
  secrets: readonly string[];
  nonce: string;
  /** fingerprints Claude was asked to diagnose */
  asked: ReadonlySet<string>;
  diagnosticTimeoutMs: number;
  /** ms left before the loop's deadline: a diagnostic's server-side timeout is never longer */
  timeLeftMs?: () => number;
}

/** Below this, a diagnostic is not started at all: it could not finish. */
const MIN_DIAGNOSTIC_MS = 1_000;

const error = (content: string): ToolResult => ({ content, isError: true });

function issues(e: z.ZodError): string {
  return e.issues.map((i) => `${i.path.join('.') || '(input)'}: ${i.message}`).join('; ');
}

export async function handleTool(name: string, input: unknown, ctx: ToolContext): Promise<ToolResult> {
  if (!Object.hasOwn(TOOL_INPUTS, name)) {
    return error(`unknown tool "${name.slice(0, 64)}"; the tools are ${Object.keys(TOOL_INPUTS).join(', ')}`);
  }
  const tool = name as ToolName;
  const parsed = TOOL_INPUTS[tool].safeParse(input);
  if (!parsed.success)
    return error(`invalid input for ${tool}: ${issues(parsed.error)}. Fix the arguments and call again.`);
  switch (tool) {
    case 'run_diagnostic':
      return runDiagnostic(parsed.data as z.output<(typeof TOOL_INPUTS)['run_diagnostic']>, ctx);
    case 'remediate':
    case 'request_approval':
      return remediate(tool, parsed.data as z.output<(typeof TOOL_INPUTS)['request_approval']>, ctx);
    case 'report_diagnosis':
      return reportDiagnosis(parsed.data as z.output<(typeof TOOL_INPUTS)['report_diagnosis']>, ctx);
  }
}

async function runDiagnostic(
  input: z.output<(typeof TOOL_INPUTS)['run_diagnostic']>,
  ctx: ToolContext,
): Promise<ToolResult> {
  const server = ctx.remediator.serverConfig(input.server);
  const shell = ctx.shells.get(input.server);
  if (!server || !shell) return error(`server "${input.server}" is not reachable in this run`);
  const diagnostics = buildDiagnostics(server, diagnosticFactsOf(ctx.record, server.name));
  const diagnostic = diagnostics.get(input.diagnostic);
  if (!diagnostic) {
    return error(
      `unknown diagnostic "${input.diagnostic}" on ${server.name}; available: ${[...diagnostics.keys()].join(', ')}`,
    );
  }
  const command = renderDiagnostic(diagnostic, input.args);
  if (!command.ok) return error(`invalid args for ${diagnostic.id}: ${command.error}`);
  const left = Math.floor(ctx.timeLeftMs?.() ?? Number.POSITIVE_INFINITY);
  if (left < MIN_DIAGNOSTIC_MS)
    return error(`${diagnostic.id} not run: the time limit is reached. Call report_diagnosis now.`);
  try {
    const timeoutMs = Math.min(ctx.diagnosticTimeoutMs, left);
    const result = await shell.run(`${command.value}\n`, { timeoutMs });
    const text = boundOutput(
      redact(`${result.stdout}${result.stderr ? `\n${result.stderr}` : ''}`, ctx.secrets),
      6_000,
    );
    const status = result.timedOut ? 'timed out' : `exit ${result.code}`;
    return {
      content: `${diagnostic.id} on ${server.name} (${status}):\n${untrusted(text || '(no output)', ctx.nonce, `${server.name}:${diagnostic.id}`)}`,
      isError: false,
    };
  } catch (e) {
    return error(`${diagnostic.id} on ${server.name} failed: ${errorMessage(e)}`);
  }
}

async function remediate(
  tool: 'remediate' | 'request_approval',
  input: z.output<(typeof TOOL_INPUTS)['request_approval']> | z.output<(typeof TOOL_INPUTS)['remediate']>,
  ctx: ToolContext,
): Promise<ToolResult> {
  const action = await ctx.remediator.remediate({
    server: input.server,
    action: input.action,
    params: input.params,
    fingerprint: input.fingerprint,
    reason: input.reason,
    evidence: 'evidence' in input ? input.evidence : undefined,
    requestedBy: 'claude',
    intent: tool === 'request_approval' ? 'propose' : 'auto',
  });
  // the reason and the verification name findings (fingerprints, summaries: server text): fenced
  const told = [`reason: ${action.gateReason ?? action.reason}`];
  if (action.verification) told.push(`verification: ${action.verification}`);
  const lines = [`decision: ${action.decision}`];
  if (action.outcome && action.outcome !== 'not-run') lines.push(`outcome: ${action.outcome}`);
  lines.push(untrusted(told.join('\n'), ctx.nonce, `${action.server}:${action.action}:decision`));
  if (action.output !== undefined) {
    lines.push(
      `exit code: ${action.exitCode ?? 'none'}`,
      untrusted(action.output || '(no output)', ctx.nonce, `${action.server}:${action.action}`),
    );
  }
  return { content: lines.join('\n'), isError: action.decision === 'deny' };
}

function reportDiagnosis(
  input: z.output<(typeof TOOL_INPUTS)['report_diagnosis']>,
  ctx: ToolContext,
): ToolResult {
  const unknown = input.diagnoses.map((d) => d.fingerprint).filter((f) => !ctx.asked.has(f));
  if (unknown.length > 0) {
    // the asked fingerprints hold server-named targets: listed inside a fence, one per line
    const these = untrusted([...ctx.asked].join('\n'), ctx.nonce, 'asked-fingerprints');
    return error(`${unknown.length} unknown fingerprint(s); use exactly these, one per line:\n${these}`);
  }
  const diagnoses: Diagnosis[] = input.diagnoses.map((d) => ({
    fingerprint: d.fingerprint,
    rootCause: redact(d.root_cause, ctx.secrets),
    confidence: d.confidence,
    evidence: redact(d.evidence, ctx.secrets),
    nextStep: redact(d.next_step, ctx.secrets),
    by: 'claude' as const,
  }));
  const covered = new Set(diagnoses.map((d) => d.fingerprint));
  ctx.record.diagnoses = [...ctx.record.diagnoses.filter((d) => !covered.has(d.fingerprint)), ...diagnoses];
  ctx.record.narrative = redact(input.summary, ctx.secrets);
  const missing = [...ctx.asked].filter((f) => !covered.has(f));
  const note = missing.length > 0 ? ` Not covered: ${missing.join(', ')}.` : '';
  return { content: `recorded ${diagnoses.length} diagnoses.${note}`, isError: false, final: true };
}
