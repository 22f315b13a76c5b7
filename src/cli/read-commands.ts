/**
 * `claudeops status | history | issues | show | status-page | digest` (docs/architecture.md#interfaces): read the state branch
 * from a local repository and print text, or JSON with `--format json`. Only status-page writes,
 * and only into its --out directory.
 */

import { resolve } from 'node:path';
import { loadConfig } from '../adapters/config-file.js';
import { writeSiteFiles } from '../adapters/site-files.js';
import { openStateReader } from '../adapters/state-reader.js';
import { parseReadArgs, type ReadArgs } from '../config/cli-args.js';
import type { Logger } from '../core/ports/index.js';
import { digestText } from '../core/render/render-digest.js';
import { plainText } from '../core/render/untrusted-text.js';
import { readDigest } from '../core/state-branch/digest-view.js';
import {
  fleetNow,
  fleetText,
  historyText,
  issuesText,
  openIssues,
  type RunList,
  runHistory,
  show,
} from '../core/state-branch/state-views.js';
import { countOf } from '../core/util/count-of.js';
import { redact } from '../core/util/redact.js';
import { statusPageData, statusPageFiles } from '../report/status-page-build.js';
import { CommandFailed, withExitCode } from './exit-codes.js';

export interface ReadIo {
  write(text: string): void;
  now(): Date;
  /** the terminal's width, when stdout is one: tables wrap to it */
  columns?: number | undefined;
}

const realIo: ReadIo = {
  // through the one redactor like all CLI output: a hand-edited branch can hold anything
  write: (text) => {
    process.stdout.write(plainText(redact(text)));
  },
  now: () => new Date(),
  columns: process.stdout.isTTY ? process.stdout.columns : undefined,
};

/** Returns the exit code (cli/exit-codes.ts): 0 shown, 1 nothing to show or the state could not be read, 2 usage. */
export function runReadCommand(argv: string[], logger: Logger, io: ReadIo = realIo): Promise<number> {
  return withExitCode(logger, () => readCommand(parseReadArgs(argv), logger, io));
}

async function readCommand(args: ReadArgs, logger: Logger, io: ReadIo): Promise<number> {
  // what the branch holds that is not read (too large, a symlink, a value out of range) is said on stderr
  const reader = await openStateReader(args.stateRepo, undefined, { warn: (m) => logger.warning(m) });
  const now = io.now();
  // only the format asked for is rendered
  const out = (data: () => unknown, text: () => string) =>
    print(io, args.format === 'json' ? [JSON.stringify(data(), null, 2)] : [text()]);
  switch (args.command) {
    case 'status': {
      const fleet = await fleetNow(reader, now);
      out(
        () => fleet,
        () => fleetText(fleet, io.columns),
      );
      return 0;
    }
    case 'history': {
      const lines = await runHistory(reader, new Date(now.getTime() - args.sinceMs), now, args.server);
      // 50 000 runs of one server: each line is built, rendered and written in batches
      print(io, args.format === 'json' ? jsonArray(lines) : historyText(lines, args.server, io.columns));
      return 0;
    }
    case 'issues': {
      const issues = await openIssues(reader, now);
      out(
        () => issues,
        () => issuesText(issues, io.columns),
      );
      return 0;
    }
    case 'show': {
      const shown = await show(reader, args.target ?? '');
      if (!shown) throw new CommandFailed(`show: no run or problem "${args.target}" on the state branch`);
      out(
        () => shown,
        () => shown.content.trimEnd(),
      );
      return 0;
    }
    case 'digest': {
      const data = await readDigest(reader, new Date(now.getTime() - args.sinceMs), now);
      out(
        () => data,
        () => digestText(data),
      );
      return 0;
    }
    case 'status-page': {
      const config = args.configPath ? await loadConfig(args.configPath, process.env) : undefined;
      const data = await statusPageData(reader, {
        now,
        ...(config ? { config } : {}),
        ...(args.repoUrl ? { repoUrl: args.repoUrl } : {}),
      });
      const out_ = resolve(args.out ?? 'status-page');
      const files = await writeSiteFiles(out_, statusPageFiles(data));
      const summary = { out: out_, files, servers: data.servers.length, bytesRead: reader.bytesRead };
      out(
        () => summary,
        () =>
          `wrote ${countOf(files.length, 'file')} to ${out_} (${countOf(data.servers.length, 'server')}; read ${reader.bytesRead} bytes of state)`,
      );
      return 0;
    }
  }
}

/** Text written in batches of about this many characters (each through the redactor on its own). */
const BATCH_CHARS = 65_536;

/** The pieces of a text, written in batches as they come, ending with a newline. */
function print(io: ReadIo, parts: Iterable<string>): void {
  let batch = '';
  for (const part of parts) {
    batch += part;
    if (batch.length >= BATCH_CHARS) {
      io.write(batch);
      batch = '';
    }
  }
  io.write(`${batch}\n`);
}

/** `JSON.stringify(list, null, 2)` in pieces, an item at a time. */
function* jsonArray(list: RunList): Generator<string> {
  if (list.length === 0) {
    yield '[]';
    return;
  }
  for (let i = 0; i < list.length; i++)
    yield `${i === 0 ? '[\n  ' : ',\n  '}${JSON.stringify(list.at(i), null, 2).replaceAll('\n', '\n  ')}`;
  yield '\n]';
}
