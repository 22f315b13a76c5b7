import type { EndpointConfig, ServerConfig } from '../config/schema.js';
import { type Finding, finding, type Severity } from '../core/types.js';
import { shellQuote } from '../core/util/shell-quote.js';
import { blocksOf, int, keyValues, quotedLines } from './output-text.js';
import type { EvalContext, Probe } from './probe.js';
import { DEFAULT_THRESHOLDS, severityAbove } from './thresholds.js';

/** One HTTP check's result, whether curl on the server or fetch on the runner made it. */
export interface EndpointResult {
  url: string;
  /** HTTP status; absent when no response came back */
  status?: number;
  latencyMs?: number;
  /** whether the body contains the configured text; absent when none is configured */
  contains?: boolean;
  /** why no response came back (timeout, refused, TLS ...) */
  error?: string;
  timedOut?: boolean;
  /** curl is not installed on the server */
  missing?: boolean;
  /** first lines of the body (untrusted) */
  excerpt?: string;
}

export interface EndpointsData {
  endpoints: EndpointResult[];
}

/** curl's exit codes that mean no usable response, in words an operator knows. */
const CURL_ERRORS: Record<number, string> = {
  6: 'could not resolve host',
  7: 'connection refused or host unreachable',
  28: 'timed out',
  35: 'TLS handshake failed',
  47: 'too many redirects',
  51: 'TLS certificate does not match the host',
  52: 'empty reply from server',
  56: 'connection reset while receiving',
  60: 'TLS certificate not trusted',
};

export const serverEndpoints = (server: ServerConfig): EndpointConfig[] =>
  server.endpoints.filter((e) => e.from === 'server');

function endpointScript(e: EndpointConfig, index: number): string {
  const seconds = Math.max(1, Math.ceil(e.timeout / 1000));
  const lines = [
    `echo '@endpoint ${index}'`,
    'if co_have curl; then',
    // The write-out goes after the body, so the text after its last marker is always curl's own.
    `  b=$(curl -s --proto '=http,https' --max-time ${seconds} -w '_CO_W_ %{http_code} %{time_total}' -- ${shellQuote(e.url)}); echo "rc=$?"`,
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not JS
    '  echo "w=${b##*_CO_W_ }"; b=${b%_CO_W_ *}',
  ];
  if (e.contains !== undefined) {
    lines.push(
      `  if printf '%s' "$b" | grep -F -q -e ${shellQuote(e.contains)}; then echo contains=1; else echo contains=0; fi`,
    );
  }
  lines.push("  printf '%s\\n' \"$b\" | head -n 2 | cut -c1-200 | sed 's/^/| /'", "else echo 'missing'; fi");
  return lines.join('\n');
}

function parseEndpoint(url: string, lines: string[]): EndpointResult {
  if (lines.includes('missing')) return { url, missing: true };
  const kv = keyValues(lines);
  const rc = int(kv.rc) ?? -1;
  const [code = '', time = ''] = (kv.w ?? '').split(' ');
  const body = quotedLines(lines).join('\n').trim();
  const result: EndpointResult = { url, ...(body ? { excerpt: body } : {}) };
  if (kv.contains !== undefined) result.contains = kv.contains === '1';
  const seconds = Number(time);
  if (Number.isFinite(seconds) && time !== '') result.latencyMs = Math.round(seconds * 1000);
  const status = int(code);
  if (rc !== 0 || status === undefined || status === 0) {
    result.error = CURL_ERRORS[rc] ?? `curl exit ${rc}`;
    if (rc === 28) result.timedOut = true;
    return result;
  }
  result.status = status;
  return result;
}

/** Shared with the runner's fetch checks, so both sides judge an endpoint the same way. */
export function evaluateEndpointResults(
  results: readonly EndpointResult[],
  configs: readonly EndpointConfig[],
  server: ServerConfig,
  context: EvalContext,
): Finding[] {
  const latency = context.thresholds.latency ?? DEFAULT_THRESHOLDS.latency;
  return results.map((r) => {
    const config = configs.find((c) => c.url === r.url);
    const expected = config?.status ?? 200;
    const at = (severity: Severity, summary: string) =>
      finding(server.name, 'endpoint', r.url, severity, summary, {
        ...(r.excerpt ? { evidence: r.excerpt } : {}),
        ...(r.latencyMs !== undefined ? { value: r.latencyMs } : {}),
      });
    if (r.missing) return at('warning', `cannot check ${r.url}: curl not installed on the server`);
    if (r.error) return at('critical', `${r.url}: ${r.error}`);
    if (r.status !== expected) return at('critical', `${r.url} returned ${r.status}, expected ${expected}`);
    if (r.contains === false)
      return at('critical', `${r.url} body does not contain ${JSON.stringify(config?.contains)}`);
    const severity = r.latencyMs === undefined ? 'ok' : severityAbove(r.latencyMs, latency);
    return at(severity, `${r.url} returned ${r.status} in ${r.latencyMs ?? '?'} ms`);
  });
}

export const endpointsProbe: Probe<EndpointsData> = {
  id: 'endpoints',
  applies: (server) => serverEndpoints(server).length > 0,
  script: (server) => serverEndpoints(server).map(endpointScript).join('\n'),
  parse(output, server) {
    const configs = serverEndpoints(server);
    const blocks = blocksOf(output, 'endpoint');
    return {
      endpoints: configs.map((c, i) => {
        const block = blocks.find((b) => b.head === String(i));
        return block
          ? parseEndpoint(c.url, block.lines)
          : { url: c.url, error: 'no output for this endpoint' };
      }),
    };
  },
  evaluate: (data, server, context) =>
    evaluateEndpointResults(data.endpoints, serverEndpoints(server), server, context),
};
