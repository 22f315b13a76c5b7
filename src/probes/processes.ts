import { finding } from '../core/types.js';
import { shellQuote } from '../core/util/shell-quote.js';
import { blocksOf, int, keyValues } from './output-text.js';
import type { Probe } from './probe.js';

export interface ProcessCount {
  name: string;
  /** absent when neither pgrep nor ps exists */
  count?: number;
}

export interface ProcessesData {
  processes: ProcessCount[];
}

/** The kernel keeps 15 characters of a process name (comm); `pgrep -x` compares against that. */
const COMM_MAX = 15;

const escapeEre = (text: string) => text.replace(/[\\^$.|?*+()[\]{}]/g, '\\$&');

function processScript(name: string, index: number): string {
  // A name with a slash or a space is a command line, matched literally against full arguments.
  const full = /[\s/]/.test(name);
  const pgrep = full
    ? `pgrep -f -- ${shellQuote(escapeEre(name))}`
    : `pgrep -x -- ${shellQuote(name.slice(0, COMM_MAX))}`;
  const ps = full
    ? "echo 'missing'"
    : `echo "count=$(ps -e -o comm= | grep -c -x -F -e ${shellQuote(name.slice(0, COMM_MAX))})"`;
  return [
    `echo '@process ${index}'`,
    `if co_have pgrep; then echo "count=$(${pgrep} | wc -l)"`,
    `elif co_have ps; then ${ps}`,
    "else echo 'missing'; fi",
  ].join('\n');
}

export const processesProbe: Probe<ProcessesData> = {
  id: 'processes',
  inline: true,
  applies: (server) => server.processes.length > 0,
  script: (server) => server.processes.map(processScript).join('\n'),
  parse(output, server) {
    const blocks = blocksOf(output, 'process');
    return {
      processes: server.processes.map((name, i) => {
        const block = blocks.find((b) => b.head === String(i));
        const count =
          block && !block.lines.includes('missing') ? int(keyValues(block.lines).count) : undefined;
        return count === undefined ? { name } : { name, count };
      }),
    };
  },
  evaluate: (data, server) =>
    data.processes.map((p) => {
      if (p.count === undefined)
        return finding(
          server.name,
          'process',
          p.name,
          'warning',
          `cannot check process ${p.name}: no pgrep or ps`,
        );
      return p.count > 0
        ? finding(server.name, 'process', p.name, 'ok', `${p.count} ${p.name} process(es) running`, {
            value: p.count,
          })
        : finding(server.name, 'process', p.name, 'critical', `no ${p.name} process running`, { value: 0 });
    }),
};
