import type { EndpointConfig, ServerConfig } from '../config/schema.js';
import type { ChannelResponse } from '../core/ports/index.js';
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
  // with --proto '=http,https' and no redirects followed: HTTP/0.9, another protocol, a broken status line
  1: 'not an HTTP response',
  6: 'could not resolve host',
  7: 'connection refused or host unreachable',
  8: 'invalid HTTP response',
  18: 'response cut short (connection closed before the whole body)',
  // curl 7.x refuses a giant header as out of memory
  27: 'response headers too large (or curl ran out of memory)',
  28: 'timed out',
  35: 'TLS handshake failed',
  47: 'too many redirects',
  51: 'TLS certificate does not match the host',
  52: 'empty reply from server',
  56: 'connection reset while receiving',
  60: 'TLS certificate not trusted',
  100: 'response headers too large',
};

export const serverEndpoints = (server: ServerConfig): EndpointConfig[] =>
  server.endpoints.filter((e) => e.from === 'server');

/**
 * A plain-http endpoint checked from the server can be fetched by the runner over a channel of
 * the collection's own SSH connection (sshd connects from the server): no curl process there.
 * https stays on curl (the server's CA store is the truth), and `via: curl` keeps any endpoint on it.
 */
export const overChannel = (e: EndpointConfig): boolean => e.via !== 'curl' && /^http:\/\//i.test(e.url);

/** The host and port the server's sshd is asked to connect to for an http:// URL (no IPv6 brackets). */
export function forwardTarget(url: string): { host: string; port: number } {
  const u = new URL(url);
  return { host: u.hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(u.port || 80) };
}

/** The write-out's curl exit code for each way a channel's transfer can fail (CURL_ERRORS words them). */
const CHANNEL_FAILURE_RC: Record<NonNullable<ChannelResponse['failure']>, number> = {
  'not-http': 1,
  resolve: 6,
  refused: 7,
  invalid: 8,
  partial: 18,
  timeout: 28,
  empty: 52,
  reset: 56,
  headers: 100,
};

/** An excerpt line's length once redacted (co_q cuts curl's lines to 200 bytes on the server). */
const EXCERPT_LINE = 200;

/**
 * The body's first 2 lines, as co_q prints them but cut later: to 1 KiB here, so the section's
 * redaction sees a secret whole, and to EXCERPT_LINE after it (parseEndpoint).
 */
function quoted(body: string): string[] {
  return body
    .split('\n', 2)
    .map((line) => `| ${Buffer.from(line, 'utf8').subarray(0, 1024).toString('utf8')}`);
}

/**
 * The block co_ep would have printed had curl made this transfer: the collector adds it to the
 * endpoints section, so the same parser, redaction and judgement read both.
 */
export function channelBlock(index: number, e: EndpointConfig, response: ChannelResponse): string {
  const code = String(response.status ?? 0).padStart(3, '0');
  const rc = response.failure ? CHANNEL_FAILURE_RC[response.failure] : 0;
  const lines = [`@endpoint ${index}`, `w=${code} ${(response.latencyMs / 1000).toFixed(6)}`, `rc=${rc}`];
  if (e.contains !== undefined) lines.push(`contains=${response.body.includes(e.contains) ? 1 : 0}`);
  return [...lines, ...quoted(response.body)].join('\n');
}

/** What each transfer's write-out starts with: a response body cannot contain the run's nonce. */
const writeOutMark = (nonce: string, index: number) => `@@claudeops-w:${nonce}:${index}@@ `;
/** Used only when a snippet is printed on its own (fixtures); the collector always passes its nonce. */
const FIXED_NONCE = 'snippet';

function seconds(e: EndpointConfig): number {
  return Math.max(1, Math.ceil(e.timeout / 1000));
}

function transfer(e: EndpointConfig, index: number, nonce: string): string {
  const writeOut = `\\n${writeOutMark(nonce, index)}%{http_code} %{time_total} %{exitcode}\\n`;
  return `-s --proto '=http,https' --max-time ${seconds(e)} -w ${shellQuote(writeOut)} --url ${shellQuote(e.url)}`;
}

/**
 * Splits one endpoint's body and write-out from the front of the combined output ($o) and prints
 * its block. Arguments: index, mark, url, max seconds, 1 when a `contains` text is set, that text.
 * curl before 7.75 has no %{exitcode}: a transfer that got no response is then asked again alone,
 * so its exit code still says why (refused, timed out, TLS, ...).
 */
const ENDPOINT_BLOCK = [
  'co_ep() {',
  '  echo "@endpoint $1"',
  '  case $o in *"$2"*) ;; *) return ;; esac',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not JS
  '  b=${o%%"$2"*}; b=${b%"$co_nl"}; w=${o#*"$2"}; o=${w#*"$co_nl"}; w=${w%%"$co_nl"*}',
  // the write-out's fields (status, seconds, exit code) become $7 $8 $9
  '  set -f; set -- "$@" $w; set +f',
  '  echo "w=$7 $8"',
  '  if [ -n "$9" ]; then echo "rc=$9"',
  '  elif [ "$7" = 000 ]; then curl -s -o /dev/null --proto \'=http,https\' --max-time "$4" --url "$3"; echo "rc=$?"',
  '  else echo "rc=0"; fi',
  '  if [ "$5" = 1 ]; then case $b in *"$6"*) echo contains=1 ;; *) echo contains=0 ;; esac; fi',
  '  co_q 2 "$b"',
  '}',
].join('\n');

/**
 * One curl call for all of a server's endpoints (`--next` gives each its own timeout and
 * write-out), then each block cut from its output by the shell itself: a check costs the server
 * one process however many endpoints it has.
 */
function endpointsScript(all: readonly EndpointConfig[], nonce: string, skip: ReadonlySet<number>): string {
  // indices stay the server's endpoint indices: the runner's blocks fill the skipped ones
  const endpoints = all.flatMap((e, i) => (skip.has(i) ? [] : [{ e, i }]));
  if (endpoints.length === 0) return ':';
  const calls = endpoints.map(({ e, i }) => transfer(e, i, nonce)).join(' --next ');
  const blocks = endpoints.map(({ e, i }) => {
    const args = [String(i), writeOutMark(nonce, i), e.url, String(seconds(e))].map(shellQuote);
    const contains = e.contains === undefined ? "'0' ''" : `'1' ${shellQuote(e.contains)}`;
    return `co_ep ${args.join(' ')} ${contains}`;
  });
  return [
    ENDPOINT_BLOCK,
    'if co_have curl; then',
    `  o=$(curl ${calls} 2>/dev/null)`,
    ...blocks.map((b) => `  ${b}`),
    `else for i in ${endpoints.map(({ i }) => i).join(' ')}; do echo "@endpoint $i"; echo 'missing'; done; fi`,
  ].join('\n');
}

function parseEndpoint(url: string, lines: string[]): EndpointResult {
  if (lines.includes('missing')) return { url, missing: true };
  const kv = keyValues(lines);
  const rc = int(kv.rc) ?? -1;
  const [code = '', time = ''] = (kv.w ?? '').split(' ');
  const body = quotedLines(lines)
    .map((line) => line.slice(0, EXCERPT_LINE))
    .join('\n')
    .trim();
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
  inline: true,
  applies: (server) => serverEndpoints(server).length > 0,
  script: (server, context) =>
    endpointsScript(
      serverEndpoints(server),
      context.nonce ?? FIXED_NONCE,
      context.endpointsOverChannel ?? new Set(),
    ),
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
