import type { ServerConfig } from '../config/schema.js';
import { finding } from '../core/types.js';
import { linesOf, ParseError } from './output-text.js';
import type { Probe } from './probe.js';

export interface PortsData {
  /** every TCP port something listens on, sorted */
  listening: number[];
  source: 'ss' | 'proc';
}

/** Ports the config expects open: `ports:` plus each service's `port`. */
export function expectedPorts(server: ServerConfig): { port: number; service?: string }[] {
  const out: { port: number; service?: string }[] = server.ports.map((port) => ({ port }));
  for (const s of server.services) {
    if (s.port !== undefined && !out.some((p) => p.port === s.port))
      out.push({ port: s.port, service: s.name });
  }
  return out;
}

function fromSs(lines: readonly string[]): number[] {
  // `ss -ltn` rows: State Recv-Q Send-Q Local:Port Peer:Port; the local field ends in :PORT.
  return lines.flatMap((line) => {
    const local = line.trim().split(/\s+/)[3] ?? '';
    const m = /:(\d+)$/.exec(local);
    return m?.[1] && line.startsWith('LISTEN') ? [Number(m[1])] : [];
  });
}

function fromProc(lines: readonly string[]): number[] {
  // /proc/net/tcp rows: "sl local_address(hex ip:hex port) rem_address st ..."; st 0A = LISTEN.
  return lines.flatMap((line) => {
    const [, local = '', , st = ''] = line.trim().split(/\s+/);
    const m = /:([0-9A-F]{4})$/i.exec(local);
    return m?.[1] && st === '0A' ? [Number.parseInt(m[1], 16)] : [];
  });
}

/**
 * The LISTEN rows of /proc/net/tcp or tcp6, read by the shell itself (no process). The kernel
 * lists listening sockets before all others, so reading stops at the first row in another state:
 * the cost follows the number of listeners, not of connections (a busy server has thousands).
 * Only the `st` column can read ` 0A ` (the others are hex pairs joined by `:` or decimal numbers).
 */
const LISTENERS = [
  'co_ls() {',
  '  [ -r "$1" ] || return 0',
  '  { IFS= read -r co_l',
  "    while IFS= read -r co_l; do case $co_l in *' 0A '*) printf '%s\\n' \"$co_l\" ;; *) break ;; esac; done",
  '  } < "$1"',
  '}',
].join('\n');

export const portsProbe: Probe<PortsData> = {
  id: 'ports',
  inline: true,
  applies: (server) => expectedPorts(server).length > 0,
  // ss where /proc/net/tcp cannot be read (old ss has no -H; the parser skips the header either way).
  script: () =>
    [
      LISTENERS,
      "if [ -r /proc/net/tcp ]; then echo '@proc'; co_ls /proc/net/tcp; co_ls /proc/net/tcp6",
      "elif co_have ss; then echo '@ss'; ss -ltnH 2>/dev/null || ss -ltn 2>/dev/null",
      "else echo '@proc'; fi",
    ].join('\n'),
  parse(output) {
    const [head, ...rest] = linesOf(output);
    if (head !== '@ss' && head !== '@proc') throw new ParseError('ports output without @ss/@proc header');
    const ports = head === '@ss' ? fromSs(rest) : fromProc(rest);
    return { listening: [...new Set(ports)].sort((a, b) => a - b), source: head === '@ss' ? 'ss' : 'proc' };
  },
  evaluate: (data, server) =>
    expectedPorts(server).map(({ port, service }) => {
      const open = data.listening.includes(port);
      const what = service ? ` (${service})` : '';
      return finding(
        server.name,
        'port',
        String(port),
        open ? 'ok' : 'critical',
        open ? `TCP ${port}${what} is listening` : `nothing listens on TCP ${port}${what}`,
        { value: port },
      );
    }),
};
