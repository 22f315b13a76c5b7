import { finding } from '../core/types.js';
import { formatDuration } from '../core/util/duration.js';
import { shellQuote } from '../core/util/shell-quote.js';
import { blocksOf, int, keyValues } from './output-text.js';
import type { Probe } from './probe.js';

export interface HeartbeatResult {
  path: string;
  state: 'ok' | 'missing' | 'unknown';
  /** seconds since the file was last modified, by the server's own clock */
  ageSeconds?: number;
}

export interface HeartbeatsData {
  heartbeats: HeartbeatResult[];
}

// Age is computed on the server (its clock against its file) so runner clock skew cannot matter.
function heartbeatScript(path: string, index: number): string {
  return [
    `echo '@heartbeat ${index}'`,
    `f=${shellQuote(path)}`,
    'if [ -e "$f" ]; then echo "now=$(date +%s)"; echo "mtime=$(stat -c %Y -- "$f" 2>/dev/null || date -r "$f" +%s 2>/dev/null)"',
    "else echo 'state=missing'; fi",
  ].join('\n');
}

export const heartbeatsProbe: Probe<HeartbeatsData> = {
  id: 'heartbeats',
  inline: true,
  applies: (server) => server.heartbeats.length > 0,
  script: (server) => server.heartbeats.map((h, i) => heartbeatScript(h.path, i)).join('\n'),
  parse(output, server) {
    const blocks = blocksOf(output, 'heartbeat');
    return {
      heartbeats: server.heartbeats.map(({ path }, i): HeartbeatResult => {
        const kv = keyValues(blocks.find((b) => b.head === String(i))?.lines ?? []);
        if (kv.state === 'missing') return { path, state: 'missing' };
        const now = int(kv.now);
        const mtime = int(kv.mtime);
        if (now === undefined || mtime === undefined) return { path, state: 'unknown' };
        return { path, state: 'ok', ageSeconds: Math.max(0, now - mtime) };
      }),
    };
  },
  evaluate: (data, server) =>
    data.heartbeats.map((h) => {
      const maxAge = server.heartbeats.find((c) => c.path === h.path)?.max_age ?? 0;
      if (h.state === 'missing')
        return finding(server.name, 'heartbeat', h.path, 'critical', `${h.path}: heartbeat file missing`);
      if (h.ageSeconds === undefined)
        return finding(
          server.name,
          'heartbeat',
          h.path,
          'warning',
          `${h.path}: cannot read its modification time`,
        );
      const age = formatDuration(h.ageSeconds * 1000);
      const stale = h.ageSeconds * 1000 > maxAge;
      return finding(
        server.name,
        'heartbeat',
        h.path,
        stale ? 'critical' : 'ok',
        stale
          ? `${h.path}: last beat ${age} ago, older than ${formatDuration(maxAge)}`
          : `${h.path}: last beat ${age} ago`,
        { value: h.ageSeconds },
      );
    }),
};
