import type { ServerConfig } from '../config/schema.js';
import { shellQuote } from '../core/util/shell-quote.js';
import type { Probe, ProbeContext } from './probe.js';

/**
 * One POSIX sh script per server from all applicable probes (one round trip), and the split of
 * its output back into sections.
 *
 * Each section is framed by marker lines that carry a per-run random nonce. The nonce only
 * exists in the script (sent on stdin, not on a command line), so nothing the server prints —
 * a log line, a response body — can end a section early or fake one.
 */

/** Shell helpers every snippet may use. */
export const PRELUDE = [
  'LC_ALL=C; export LC_ALL',
  // Non-login SSH sessions often lack the sbin directories where ss, service, runuser live.
  'PATH="$PATH:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"; export PATH',
  'co_have() { command -v "$1" >/dev/null 2>&1; }',
  // Bound a command in time where coreutils timeout exists (exit 124 when it fires).
  'co_t() { co_s=$1; shift; if co_have timeout; then timeout "$co_s" "$@"; else "$@"; fi; }',
  // The helpers below use only the shell's builtins: every process a collection starts costs the
  // server a fork and an exec (about as much CPU as all the parsing), so small files are read and
  // untrusted text is cut without `cat`, `head`, `cut` or `sed`.
  "co_nl='\n'",
  // co_cat FILE [LAST]: a small file (/proc, /sys) as `cat` prints it; with LAST, only up to the
  // first line that starts with LAST. dash's `read` costs a system call per byte, so a probe that
  // needs only the head of a file stops there.
  'co_cat() {',
  '  while IFS= read -r co_l || [ -n "$co_l" ]; do',
  '    printf \'%s\\n\' "$co_l"',
  '    case $# in 1) ;; *) case $co_l in "$2"*) break ;; esac ;; esac',
  '  done < "$1"',
  '}',
  // co_q LINES TEXT [BYTES]: the first LINES lines of TEXT, each cut to BYTES (200), behind the
  // untrusted prefix, as `printf '%s\n' TEXT | head -n LINES | cut -c1-BYTES | sed 's/^/| /'` would.
  'co_q() {',
  '  co_n=$1; co_x=$2',
  '  while [ "$co_n" -gt 0 ]; do',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not JS
  '    printf "| %.${3:-200}s\\n" "${co_x%%"$co_nl"*}"',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not JS
  '    case $co_x in *"$co_nl"*) co_x=${co_x#*"$co_nl"} ;; *) break ;; esac',
  '    co_n=$((co_n - 1))',
  '  done',
  '}',
].join('\n');

const NONCE = /^[A-Za-z0-9_-]{16,128}$/;
const PROBE_ID = /^[a-z0-9-]+$/;

export const beginMarker = (nonce: string, id: string) => `@@claudeops:${nonce}:begin:${id}@@`;
const endPrefix = (nonce: string, id: string) => `@@claudeops:${nonce}:end:${id}:`;

export interface CollectorScriptOptions {
  /** per-run random token, at least 16 of [A-Za-z0-9_-] */
  nonce: string;
  /** the cursors the previous run saved for this server */
  cursors?: Record<string, string>;
  /** endpoints the runner fetches over the SSH connection (ProbeContext.endpointsOverChannel) */
  endpointsOverChannel?: ReadonlySet<number>;
}

/** What a probe contributes between its markers (also what fixtures are captured from). */
export function probeSnippet(probe: Probe, server: ServerConfig, context: ProbeContext): string {
  return probe.script(server, context);
}

export function buildCollectorScript(
  server: ServerConfig,
  probes: readonly Probe[],
  options: CollectorScriptOptions,
): string {
  const context: ProbeContext = {
    cursors: options.cursors ?? {},
    nonce: options.nonce,
    ...(options.endpointsOverChannel ? { endpointsOverChannel: options.endpointsOverChannel } : {}),
  };
  const sections = probes
    .filter((p) => p.applies(server))
    .map((probe) => ({
      id: probe.id,
      script: probeSnippet(probe, server, context),
      ...(probe.inline ? { inline: true } : {}),
    }));
  return framedScript('# claudeops collector', sections, options.nonce);
}

/**
 * One script of sections, each framed by its nonce markers (the collector, and `claudeops init`'s
 * read-only discovery and `doctor`'s script): split its output with splitSections.
 */
export function framedScript(
  title: string,
  sections: readonly { id: string; script: string; inline?: boolean }[],
  nonce: string,
  prelude: readonly string[] = [],
): string {
  if (!NONCE.test(nonce)) throw new Error('collector nonce must be 16+ characters of [A-Za-z0-9_-]');
  const framed = sections.map(({ id, script, inline }) => {
    if (!PROBE_ID.test(id)) throw new Error(`bad probe id ${id}`);
    // A subshell per section keeps its variables, cd and failures its own; one that changes
    // nothing (inline) runs in a brace group instead, sparing the server a fork. stdin is
    // /dev/null so no tool can swallow the rest of this script, which sh reads from the same stdin.
    const [open, close] = inline ? ['{', '}'] : ['(', ')'];
    return [
      `printf '%s\\n' ${shellQuote(beginMarker(nonce, id))}`,
      open,
      script,
      `${close} </dev/null 2>/dev/null`,
      `printf '\\n%s%s@@\\n' ${shellQuote(endPrefix(nonce, id))} "$?"`,
    ].join('\n');
  });
  return [title, PRELUDE, ...prelude, ...framed, ''].join('\n');
}

export interface Section {
  id: string;
  /** exactly what the probe's snippet printed */
  output: string;
  /** the snippet subshell's exit status; undefined when its end marker never came */
  exitCode?: number;
  /** false when the output was cut off (timeout, dropped connection) before the end marker */
  complete: boolean;
}

/** Splits collector output into sections by their nonce markers; text outside them is ignored. */
export function splitSections(stdout: string, nonce: string): Map<string, Section> {
  const sections = new Map<string, Section>();
  const begin = new RegExp(`(?:^|\\n)@@claudeops:${nonce}:begin:([a-z0-9-]+)@@\\n`, 'g');
  let match = begin.exec(stdout);
  while (match) {
    const id = match[1] ?? '';
    const start = match.index + match[0].length;
    const endAt = stdout.indexOf(`\n${endPrefix(nonce, id)}`, start);
    if (endAt < 0) {
      sections.set(id, { id, output: stdout.slice(start), complete: false });
      break;
    }
    const tail = /^(\d+)@@/.exec(stdout.slice(endAt + 1 + endPrefix(nonce, id).length));
    sections.set(id, {
      id,
      output: stdout.slice(start, endAt),
      complete: true,
      exitCode: Number(tail?.[1] ?? -1),
    });
    begin.lastIndex = endAt + 1;
    match = begin.exec(stdout);
  }
  return sections;
}
