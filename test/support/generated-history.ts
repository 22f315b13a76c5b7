/**
 * A generated state branch shaped like a lab fleet's: per server a run every `everyHours` for
 * `days`, in the real monthly history files (written with the real line format), state files,
 * endpoint names, and a few open issue files. Deterministic (seeded), built with one commit.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { endpointId, type HistoryPoint, pointLine } from '../../src/core/memory/history-series.js';
import { emptyServerState } from '../../src/core/memory/memory.js';
import { serializeServerState } from '../../src/core/memory/server-state.js';
import { renderIssueFile } from '../../src/core/state-branch/issue-files.js';
import {
  historyEndpointsPath,
  historyMonthPath,
  issuePath,
  serverStatePath,
} from '../../src/core/state-branch/paths.js';

export interface HistoryShape {
  servers: number;
  days: number;
  everyHours?: number;
  now: Date;
  /** server names; default web1, db2, … */
  names?: string[];
}

export function serverName(i: number): string {
  return `${['web', 'db', 'cache', 'api', 'worker'][i % 5]}${Math.floor(i / 5) + 1}`;
}

export async function generateHistory(dir: string, shape: HistoryShape): Promise<string[]> {
  const names = shape.names ?? Array.from({ length: shape.servers }, (_, i) => serverName(i));
  const step = (shape.everyHours ?? 2) * 3_600_000;
  const end = Math.floor(shape.now.getTime() / step) * step;
  const start = end - shape.days * 86_400_000;
  const files = new Map<string, string[]>();
  const add = (path: string, line: string) => files.set(path, [...(files.get(path) ?? []), line]);
  let seed = 42;
  const random = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  names.forEach((name, i) => {
    const url = `https://${name}.example.test/health`;
    const id = endpointId(url);
    add(historyEndpointsPath(name), `${id}\t${url}`);
    // every fifth server has a bad spell: unreachable for a few hours, its endpoint down for longer
    const outage = i % 5 === 1 ? end - (3 + (i % 7)) * 86_400_000 : undefined;
    for (let t = start + (i % 3) * 60_000; t <= end; t += step) {
      const inOutage = outage !== undefined && t >= outage && t < outage + 4 * 3_600_000;
      // and since yesterday its nginx has failed (the open incident)
      const nginxDown = i % 5 === 1 && t >= end - 86_400_000;
      // and the fourth server's endpoint gave no answer at all in the last run
      const noAnswer = i % 5 === 3 && t + step > end;
      const epDown = inOutage || (outage !== undefined && t >= outage && t < outage + 8 * 3_600_000);
      const point: HistoryPoint = {
        at: new Date(t).toISOString(),
        run: String(1_000_000 + Math.floor((t - start) / step)),
        // the endpoint failing makes the server's run critical (an endpoint finding is critical)
        status: inOutage
          ? 'down'
          : epDown || nginxDown || noAnswer
            ? 'critical'
            : random() < 0.03
              ? 'warning'
              : 'ok',
        endpoints: inOutage
          ? {}
          : {
              [id]: noAnswer
                ? { up: false, code: 0, latencyMs: 0 }
                : {
                    up: !epDown,
                    code: epDown ? 503 : 200,
                    latencyMs: Math.round(60 + 40 * random() + (i % 4) * 30),
                  },
            },
      };
      if (!inOutage) {
        point.disk =
          Math.round(
            (40 + (i % 6) * 7 + ((t - start) / (shape.days * 86_400_000)) * 10 + random() * 2) * 10,
          ) / 10;
        point.memory = Math.round((35 + random() * 30) * 10) / 10;
        point.load = Math.round(random() * 80) / 100;
      }
      add(historyMonthPath(name, point.at.slice(0, 7)), pointLine(point));
    }
    const state = {
      ...emptyServerState(name),
      lastRun: new Date(end).toISOString(),
      lastChecked: new Date(end).toISOString(),
      runs: shape.days * 12,
    };
    files.set(serverStatePath(name), [serializeServerState(state).trimEnd()]);
    if (outage !== undefined) {
      const at = (ms: number) => new Date(ms).toISOString();
      // the bad spell as the issue files tell it: unreachable for 4 h, the endpoint failing for 8 h
      files.set(issuePath(`${name}/unreachable/-`), [
        issueFile(
          name,
          'unreachable',
          '-',
          'critical',
          at(outage),
          at(outage + 4 * 3_600_000),
          `${name} could not be checked: connect ETIMEDOUT`,
        ),
      ]);
      files.set(issuePath(`${name}/endpoint/${url}`), [
        issueFile(
          name,
          'endpoint',
          url,
          'critical',
          at(outage + 4 * 3_600_000),
          at(outage + 8 * 3_600_000),
          `${url} returned 503`,
        ),
      ]);
    }
    if (i % 5 === 0 && shape.days > 20) {
      // a warning that came and went three weeks ago: disk filling, cleared by a person
      const start = end - 21 * 86_400_000 + i * 3_600_000;
      files.set(issuePath(`${name}/disk//var`), [
        issueFile(
          name,
          'disk',
          '/var',
          'warning',
          new Date(start).toISOString(),
          new Date(start + 150 * 60_000).toISOString(),
          '/var is 86% full (warn 80%)',
        ),
      ]);
    }
    if (i % 5 === 3) {
      const at = new Date(end).toISOString();
      files.set(issuePath(`${name}/endpoint/${url}`), [
        issueFile(name, 'endpoint', url, 'critical', at, undefined, `${url}: connection refused`),
      ]);
    }
    if (i % 5 === 1) {
      const fingerprint = `${name}/service/nginx`;
      const since = new Date(end - 86_400_000).toISOString();
      files.set(issuePath(fingerprint), [
        issueFile(name, 'service', 'nginx', 'critical', since, undefined, 'nginx (systemd): failed'),
      ]);
    }
  });
  await execa('git', ['init', '-q', '--initial-branch=claudeops-state', dir]);
  for (const [path, lines] of files) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), `${lines.join('\n')}\n`);
  }
  const git = (...args: string[]) =>
    execa('git', [
      '-C',
      dir,
      '-c',
      'user.name=gen',
      '-c',
      'user.email=gen@example.test',
      '-c',
      'commit.gpgSign=false',
      ...args,
    ]);
  await git('add', '-A');
  await git('commit', '-q', '-m', 'generated history');
  return names;
}

/** An issue file as the pipeline writes it: opened, and resolved when `end` is given. */
function issueFile(
  server: string,
  check: string,
  target: string,
  severity: 'warning' | 'critical',
  start: string,
  end: string | undefined,
  summary: string,
): string {
  return renderIssueFile({
    meta: {
      fingerprint: `${server}/${check}/${target}`,
      status: end ? 'resolved' : 'open',
      severity,
      servers: [server],
      check,
      target,
      first_seen: start,
      last_seen: end ?? start,
      updated: end ?? start,
    },
    summary,
    history: [
      `- ${start} — opened (${severity}): ${summary} (run 1)`,
      ...(end ? [`- ${end} — resolved: ${summary} (run 2)`] : []),
    ],
  }).trimEnd();
}
