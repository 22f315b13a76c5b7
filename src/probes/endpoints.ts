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

/** An endpoint curl never reported on, even asked alone after its call was cut short. */
const UNCHECKED = 'not checked: curl stopped before reporting on it';

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

/** An excerpt line's length, cut only once the section is redacted (a secret is never cut before). */
const EXCERPT_LINE = 200;

/**
 * The body's first 2 lines, as ENDPOINT_AWK prints them: to 1 KiB here, so the section's
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
const markPrefix = (nonce: string) => `@@claudeops-w:${nonce}:`;
const writeOutMark = (nonce: string, index: number) => `${markPrefix(nonce)}${index}@@ `;
/** Used only when a snippet is printed on its own (fixtures); the collector always passes its nonce. */
const FIXED_NONCE = 'snippet';

function seconds(e: EndpointConfig): number {
  return Math.max(1, Math.ceil(e.timeout / 1000));
}

function transfer(e: EndpointConfig, index: number, nonce: string): string {
  const writeOut = `\\n${writeOutMark(nonce, index)}${WRITE_OUT}\\n`;
  return `-s --proto '=http,https' --max-time ${seconds(e)} -w ${shellQuote(writeOut)} --url ${shellQuote(e.url)}`;
}

/**
 * The write-out's fields after the mark: %{exitcode} last, as curl before 7.75 prints nothing for
 * it; the head's size tells curl's "too large response headers" (exit 56, as a reset) apart.
 */
const WRITE_OUT = '%{http_code} %{time_total} %{size_header} %{exitcode}';
/** curl 7.83+ refuses a response head over 300 KiB in all (exit 56). */
const CURL_MAX_HEAD = 300 * 1024;

/** What the check reads of a body, as the runner's fetch and the channel do (BODY_LIMIT). */
const BODY_BYTES = 1024 * 1024;
/**
 * Bytes of each excerpt line the server prints: enough that the section's redaction sees a secret
 * whole, cut to EXCERPT_LINE only after it (parseEndpoint).
 */
const EXCERPT_BYTES = 1024;

/**
 * Reads curl's combined output (each body, then its write-out line) in one pass and prints each
 * endpoint's block: linear in what curl received, and holding at most one line of it (cut to the
 * 1 MiB the check reads plus one byte, so a longer body shows as longer). Only the body's first
 * 1 MiB is looked at: `contains` over it (a text across lines too, NUL bytes kept), its first 2
 * lines as the excerpt. What happens after that 1 MiB (a timeout, a cut) is not the check's
 * business, as on the runner's paths: the answer stands. Environment: CO_PRE (the write-out mark up
 * to the index), CO_IDX (the endpoints asked, in order), CO_U<i>/CO_T<i> (url, max seconds),
 * CO_C<i> (the `contains` text, when set), CO_AWK (this program). An endpoint whose write-out never
 * came (curl gave up on the whole call, e.g. at a giant header) is asked again alone (CO_ALONE);
 * alone and still without one, it says so. curl before 7.75 has no %{exitcode}: a transfer that got
 * no response is then asked again alone for its exit code (refused, timed out, TLS, ...).
 * No single quote in it: the shell script carries it in single quotes.
 */
const ENDPOINT_AWK = [
  `BEGIN { pre = ENVIRON["CO_PRE"]; lp = length(pre); n = split(ENVIRON["CO_IDX"], order, " "); k = 0; lim = ${BODY_BYTES}; fresh() }`,
  // want: the `contains` text of the endpoint whose body this is (cur), when it has one
  'function fresh() { nl = 0; used = 0; big = 0; found = 0; tail = ""; ex1 = ""; ex2 = ""; cur = order[k + 1]; has = ("CO_C" cur) in ENVIRON; want = ENVIRON["CO_C" cur] }',
  'function body(s,   seg, t) {',
  `  nl++; if (nl == 1) ex1 = substr(s, 1, ${EXCERPT_BYTES}); else if (nl == 2) ex2 = substr(s, 1, ${EXCERPT_BYTES})`,
  '  if (used >= lim) { big = 1; return }',
  '  seg = nl > 1 ? "\\n" s : s',
  '  if (used + length(seg) > lim) { big = 1; seg = substr(seg, 1, lim - used) }',
  '  used += length(seg)',
  '  if (found || !has) return',
  // a text across lines too: what came before is kept as long as the text less one character
  '  t = tail seg',
  '  if (want == "" || index(t, want) > 0) found = 1; else tail = substr(t, length(t) - length(want) + 2)',
  '}',
  'function mark(s,   i, f) {',
  '  i = substr(s, 1, index(s, "@@") - 1); split(substr(s, index(s, "@@") + 3), f, " ")',
  '  print "@endpoint " i; print "w=" f[1] " " f[2]; print "head=" f[3]',
  '  if (big && f[1] != "000") print "rc=0"',
  '  else if (f[4] != "") print "rc=" f[4]',
  '  else if (f[1] != "000") print "rc=0"',
  '  else { fflush(); system("curl -q -s -o /dev/null --proto =http,https --max-time \\"$CO_T" i "\\" --url \\"$CO_U" i "\\" 2>/dev/null; echo rc=$?") }',
  '  if (has) print "contains=" found',
  '  if (nl >= 1) print "| " ex1; if (nl >= 2) print "| " ex2',
  '  k++; fresh()',
  '}',
  'substr($0, 1, lp) == pre { mark(substr($0, lp + 1)); next }',
  '{ body($0) }',
  'END {',
  '  for (j = k + 1; j <= n; j++) {',
  '    i = order[j]',
  '    if (ENVIRON["CO_ALONE"] != "") { print "@endpoint " i; print "unchecked=1"; continue }',
  '    fflush()',
  `    system("curl -q -s --proto =http,https --max-time \\"$CO_T" i "\\" -w \\"\\\\n" pre i "@@ ${WRITE_OUT}\\\\n\\" --url \\"$CO_U" i "\\" 2>/dev/null | cut -b 1-${BODY_BYTES + 1} | CO_ALONE=1 CO_IDX=" i " \\"$CO_A\\" \\"$CO_AWK\\"")`,
  '  }',
  '}',
].join('\n');

/**
 * One curl call for all of a server's endpoints (`--next` gives each its own timeout and
 * write-out), its output read by one awk (ENDPOINT_AWK): a check costs the server three processes
 * however many endpoints it has, and its CPU and memory stay linear in what the endpoints send.
 * `-q` first: the server user's .curlrc cannot change what is asked or how it is printed.
 */
function endpointsScript(all: readonly EndpointConfig[], nonce: string, skip: ReadonlySet<number>): string {
  // indices stay the server's endpoint indices: the runner's blocks fill the skipped ones
  const endpoints = all.flatMap((e, i) => (skip.has(i) ? [] : [{ e, i }]));
  if (endpoints.length === 0) return ':';
  const calls = endpoints.map(({ e, i }) => transfer(e, i, nonce)).join(' --next ');
  const env = endpoints.flatMap(({ e, i }) => [
    `CO_U${i}=${shellQuote(e.url)}`,
    `CO_T${i}=${seconds(e)}`,
    ...(e.contains === undefined ? [] : [`CO_C${i}=${shellQuote(e.contains)}`]),
  ]);
  const indices = endpoints.map(({ i }) => i).join(' ');
  return [
    `co_aw=${shellQuote(ENDPOINT_AWK)}`,
    // mawk, where there is one, starts in half the time of gawk
    'co_a=awk; co_have mawk && co_a=mawk',
    'if co_have curl; then',
    `  curl -q ${calls} 2>/dev/null | cut -b 1-${BODY_BYTES + 1} |`,
    `  CO_A="$co_a" CO_AWK="$co_aw" CO_PRE=${shellQuote(markPrefix(nonce))} CO_IDX='${indices}' ${env.join(' ')} "$co_a" "$co_aw"`,
    `else for i in ${indices}; do echo "@endpoint $i"; echo 'missing'; done; fi`,
  ].join('\n');
}

function parseEndpoint(url: string, lines: string[]): EndpointResult {
  if (lines.includes('missing')) return { url, missing: true };
  const kv = keyValues(lines);
  if (kv.unchecked !== undefined) return { url, error: UNCHECKED };
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
    const headTooLarge = rc === 56 && (int(kv.head) ?? 0) > CURL_MAX_HEAD;
    result.error = headTooLarge ? CURL_ERRORS[100] : (CURL_ERRORS[rc] ?? `curl exit ${rc}`);
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
