import { CRITICAL_LOG_LINE, type LogConfig } from '../config/schema.js';
import { type Finding, finding, type Severity } from '../core/types.js';
import { shellQuote } from '../core/util/shell-quote.js';
import { blocksOf, int, keyValues, quotedLines } from './output-text.js';
import type { Probe, ProbeContext } from './probe.js';

type FileLog = Extract<LogConfig, { path: string }>;
type JournalLog = Extract<LogConfig, { journal: string }>;

export interface LogResult {
  /** the file path, or `journal:UNIT` */
  target: string;
  state: 'ok' | 'missing' | 'unreadable' | 'no-journalctl' | 'error';
  /**
   * where reading started: `first` run (nothing read, cursor set at the end), `cursor`, a `rotated`
   * or `truncated` file read from its start, or `since` (journal: the last 15 minutes)
   */
  from?: 'first' | 'cursor' | 'rotated' | 'truncated' | 'since';
  /** matching lines per pattern (files) or per priority filter (journal: one entry) */
  counts: { pattern: string; count: number }[];
  /** matching lines in total */
  matches: number;
  /**
   * of those, lines at critical severity: matched by a `severity: critical` pattern, or by a plain
   * pattern and naming a crash or a kill (CRITICAL_LOG_LINE); undefined in output from before it
   */
  critical?: number;
  /** the last few matching lines (untrusted server text) */
  excerpt: string[];
  /** what to save for the next run */
  cursor?: { key: string; value: string };
  detail?: string;
}

export interface LogsData {
  logs: LogResult[];
}

const isFile = (log: LogConfig): log is FileLog => 'path' in log;

/** Cursor keys, stable across runs: one per file path, one per journal unit + priority. */
export function logCursorKey(log: LogConfig): string {
  return isFile(log) ? `file:${log.path}` : `journal:${log.journal}:${log.priority}`;
}

const targetOf = (log: LogConfig) => (isFile(log) ? log.path : `journal:${log.journal}`);

/** A file cursor is `<inode>:<byte offset>`; anything else counts as no cursor (first run). */
function fileCursor(value: string | undefined): { inode: string; offset: string } | undefined {
  const m = /^(\d+):(\d+)$/.exec(value ?? '');
  return m?.[1] && m[2] ? { inode: m[1], offset: m[2] } : undefined;
}

function fileScript(log: FileLog, index: number, context: ProbeContext): string {
  const prev = fileCursor(context.cursors[logCursorKey(log)]);
  const grepArgs = log.patterns.map((p) => `-e ${shellQuote(p.match)}`).join(' ');
  const counts = log.patterns.map(
    (p, i) => `echo "count${i}=$(chunk | grep -c -E -e ${shellQuote(p.match)})"`,
  );
  return [
    `echo '@log ${index}'`,
    `f=${shellQuote(log.path)}; pino=${shellQuote(prev?.inode ?? '')}; pofs=${shellQuote(prev?.offset ?? '0')}; rf=''`,
    'if [ ! -e "$f" ]; then echo \'state=missing\'',
    'elif [ ! -r "$f" ]; then echo \'state=unreadable\'',
    'else',
    '  set -- $(ls -dLin -- "$f"); ino=$1; size=$6',
    // First run: start at the end so old history does not alert.
    '  if [ -z "$pino" ]; then start=$size; echo \'from=first\'',
    // A new inode: the file was rotated. Finish the old one (logrotate's NAME.1) from our offset.
    '  elif [ "$ino" != "$pino" ]; then start=0; echo \'from=rotated\'',
    '    if [ -r "$f.1" ]; then set -- $(ls -dLin -- "$f.1"); [ "$1" = "$pino" ] && rf="$f.1"; fi',
    '  elif [ "$size" -lt "$pofs" ]; then start=0; echo \'from=truncated\'',
    "  else start=$pofs; echo 'from=cursor'; fi",
    '  echo "state=ok"; echo "inode=$ino"; echo "size=$size"; [ -n "$rf" ] && echo "rotated=$rf"',
    // Read exactly up to the size measured above: what is appended meanwhile is next run's.
    '  chunk() { if [ -n "$rf" ]; then tail -c +$((pofs + 1)) -- "$rf"; fi; tail -c +$((start + 1)) -- "$f" | head -c $((size - start)); }',
    ...counts.map((c) => `  ${c}`),
    `  echo "total=$(chunk | grep -c -E ${grepArgs})"`,
    `  echo "critical=${criticalCount(log)}"`,
    `  chunk | grep -E ${grepArgs} | tail -n 5 | cut -c1-300 | sed 's/^/| /'`,
    'fi',
  ].join('\n');
}

/**
 * Shell arithmetic counting the chunk's critical lines once each: lines of an explicitly critical
 * pattern, plus lines of a plain pattern that name a crash or a kill (and no critical pattern).
 */
function criticalCount(log: FileLog): string {
  const args = (ps: readonly { match: string }[]) => ps.map((p) => `-e ${shellQuote(p.match)}`).join(' ');
  const critical = log.patterns.filter((p) => p.severity === 'critical');
  const plain = log.patterns.filter((p) => p.severity === undefined);
  const terms: string[] = ['0'];
  if (critical.length > 0) terms.push(`$(chunk | grep -c -E ${args(critical)})`);
  if (plain.length > 0) {
    const notCritical = critical.length > 0 ? ` | grep -v -E ${args(critical)}` : '';
    terms.push(
      `$(chunk | grep -E ${args(plain)} | grep -E -e ${shellQuote(CRITICAL_LOG_LINE)}${notCritical} | grep -c '')`,
    );
  }
  return `$((${terms.join(' + ')}))`;
}

/**
 * Summarises journalctl output on the server: entries start with an ISO date at column 0,
 * continuation lines are indented, so only journalctl itself can print a line `-- cursor: ` there,
 * and only its last line is taken as the cursor.
 */
const JOURNAL_AWK = [
  "awk '/^[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T/ { n++; keep[n % 5] = $0",
  `  if ($0 ~ /${CRITICAL_LOG_LINE}/) crit++ }`,
  '/^[A-Za-z]/ { if (notes < 2) { notes++; print "note=" substr($0, 1, 200) } }',
  '{ last = $0 }',
  'END { print "count=" n + 0; print "critical=" crit + 0',
  '  if (last ~ /^-- cursor: /) print "cursor=" substr(last, 12)',
  '  for (i = n - 4; i <= n; i++) if (i > 0) print "| " substr(keep[i % 5], 1, 300) }\'',
].join('\n');

function journalScript(log: JournalLog, index: number, context: ProbeContext): string {
  const prev = context.cursors[logCursorKey(log)] ?? '';
  // attached --unit=: the configured unit is the option's value whatever it starts with
  const base = `journalctl ${shellQuote(`--unit=${log.journal}`)} -p ${shellQuote(log.priority)} --no-pager -o short-iso --show-cursor`;
  return [
    `echo '@journal ${index}'`,
    "if ! co_have journalctl; then echo 'state=no-journalctl'",
    'else',
    `  c=${shellQuote(prev)}; rc=1`,
    `  if [ -n "$c" ]; then o=$(${base} --after-cursor="$c" 2>&1); rc=$?; fi`,
    // No cursor yet, or journald vacuumed past it: look back 15 minutes only.
    `  if [ "$rc" = 0 ]; then echo 'from=cursor'; else echo 'from=since'; o=$(${base} --since=-15min 2>&1); rc=$?; fi`,
    '  echo "state=ok"; echo "rc=$rc"',
    `  printf '%s\\n' "$o" | ${JOURNAL_AWK}`,
    'fi',
  ].join('\n');
}

function parseFile(log: FileLog, lines: string[]): LogResult {
  const kv = keyValues(lines);
  const target = log.path;
  const state = (kv.state ?? 'error') as LogResult['state'];
  if (state !== 'ok') return { target, state, counts: [], matches: 0, excerpt: [] };
  const counts = log.patterns.map((p, i) => ({ pattern: p.match, count: int(kv[`count${i}`]) ?? 0 }));
  const inode = int(kv.inode);
  const size = int(kv.size);
  const critical = int(kv.critical);
  return {
    target,
    state,
    from: kv.from as LogResult['from'],
    counts,
    // A line matching two patterns counts once in the total.
    matches: int(kv.total) ?? 0,
    ...(critical !== undefined ? { critical } : {}),
    excerpt: quotedLines(lines),
    ...(inode !== undefined && size !== undefined
      ? { cursor: { key: logCursorKey(log), value: `${inode}:${size}` } }
      : {}),
  };
}

function parseJournal(log: JournalLog, lines: string[]): LogResult {
  const kv = keyValues(lines);
  const target = `journal:${log.journal}`;
  if (kv.state !== 'ok') return { target, state: 'no-journalctl', counts: [], matches: 0, excerpt: [] };
  const count = int(kv.count) ?? 0;
  const critical = int(kv.critical);
  const notes = lines.filter((l) => l.startsWith('note=')).map((l) => l.slice(5));
  const result: LogResult = {
    target,
    state: 'ok',
    from: kv.from as LogResult['from'],
    counts: [{ pattern: `priority<=${log.priority}`, count }],
    matches: count,
    ...(critical !== undefined ? { critical } : {}),
    excerpt: quotedLines(lines),
    ...(notes.length > 0 ? { detail: notes.join('; ') } : {}),
  };
  if (kv.cursor) result.cursor = { key: logCursorKey(log), value: kv.cursor };
  return result;
}

/**
 * An event's severity: any critical line is critical (a crash is never noise); otherwise the run's
 * lines count once they reach `threshold` (`warn`), and `crit` lines make them critical.
 */
export function logSeverity(log: LogConfig, r: LogResult): Severity {
  if (r.state !== 'ok') return 'warning';
  if ((r.critical ?? 0) > 0) return 'critical';
  if (log.crit !== undefined && r.matches >= log.crit) return 'critical';
  return r.matches >= (log.threshold ?? log.warn) ? 'warning' : 'ok';
}

function summaryOf(r: LogResult): string {
  if (r.state === 'missing') return `${r.target}: log file missing`;
  if (r.state === 'unreadable') return `${r.target}: log file not readable by the check's user`;
  if (r.state === 'no-journalctl') return `cannot read ${r.target}: journalctl not installed`;
  if (r.state === 'error') return `${r.target}: no usable output`;
  if (r.from === 'first') return `${r.target}: first run, reading starts at the end of the file`;
  const where = r.from === 'rotated' || r.from === 'truncated' ? ` (file ${r.from})` : '';
  if (r.matches === 0) return `${r.target}: no new matching lines${where}`;
  const per = r.counts.filter((c) => c.count > 0).map((c) => `${c.pattern} ×${c.count}`);
  const critical = r.critical ? ` (${r.critical} critical)` : '';
  return `${r.target}: ${r.matches} new matching line(s)${critical}: ${per.join(', ')}${where}`;
}

export const logsProbe: Probe<LogsData> = {
  id: 'logs',
  applies: (server) => server.logs.length > 0,
  script: (server, context) =>
    server.logs
      .map((log, i) => (isFile(log) ? fileScript(log, i, context) : journalScript(log, i, context)))
      .join('\n'),
  parse(output, server) {
    const files = blocksOf(output, 'log');
    const journals = blocksOf(output, 'journal');
    return {
      logs: server.logs.map((log, i) => {
        const block = (isFile(log) ? files : journals).find((b) => b.head === String(i));
        if (!block) return { target: targetOf(log), state: 'error', counts: [], matches: 0, excerpt: [] };
        return isFile(log) ? parseFile(log, block.lines) : parseJournal(log, block.lines);
      }),
    };
  },
  evaluate(data, server): Finding[] {
    return data.logs.map((r, i) => {
      const log = server.logs[i];
      const severity = log ? logSeverity(log, r) : 'warning';
      const evidence = r.excerpt.length > 0 ? r.excerpt.join('\n') : undefined;
      // matching lines are an event (raised at once, resolved after quiet runs); a missing or
      // unreadable file is a condition like any other
      const event = r.state === 'ok' && severity !== 'ok';
      return finding(server.name, 'log', r.target, severity, summaryOf(r), {
        value: r.matches,
        ...(evidence ? { evidence } : {}),
        ...(event ? { event } : {}),
      });
    });
  },
  cursors: (data) =>
    Object.fromEntries(data.logs.flatMap((r) => (r.cursor ? [[r.cursor.key, r.cursor.value]] : []))),
};
