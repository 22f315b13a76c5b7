/**
 * What `claudeops doctor` asks one server, in one read-only script, and what it makes of the
 * answer (pure): the server's clock, which tools are installed, and whether sudo allows each
 * command the config needs — asked with `sudo -n -l <command>`, which runs nothing and answers
 * for that exact command line (as the catalog renders it and `claudeops sudoers` allows it).
 */
import type { Config, ServerConfig } from '../config/schema.js';
import { shellQuoteAll } from '../core/util/shell-quote.js';
import { framedScript, type Section } from '../probes/collector-script.js';
import { blocksOf, int, keyValues, quotedLines } from '../probes/output-text.js';
import { HELPER_PATH } from '../remediate/server-helper.js';
import { sudoersRules } from '../remediate/sudoers.js';
import type { Problem } from './problem.js';
import { type ToolNeed, toolsNeeded } from './tools-needed.js';

/** A clock further off than this breaks heartbeat ages, cursors and maintenance windows. */
export const MAX_SKEW_SECONDS = 30;

export interface SudoAsk {
  argv: string[];
  /** what needs it: `restart-service`, or `sudo: true` */
  for: string;
}

export interface ServerAsk {
  tools: ToolNeed[];
  sudo: SudoAsk[];
  /** fixes that need root, on a server where nothing may use sudo (sudo: false, not root) */
  rootActions: string[];
}

/** What to ask a server, from its config. */
export function serverAsk(config: Config, server: ServerConfig): ServerAsk {
  const root = sudoersRules({ config, servers: [server] }).entries;
  const sudo: SudoAsk[] =
    server.sudo === true
      ? [{ argv: ['sh', '-s'], for: 'sudo: true (every script runs as `sudo -n sh -s`)' }]
      : server.sudo === 'actions'
        ? root.map((e) => ({ argv: e.argv, for: e.action }))
        : [];
  // the root side of some actions under sudo: actions: it must be installed where sudoers points
  const helper = server.sudo === 'actions' && root.some((e) => e.argv[0] === HELPER_PATH);
  const helperNeed = {
    anyOf: [HELPER_PATH],
    for: `${[...new Set(root.filter((e) => e.argv[0] === HELPER_PATH).map((e) => e.action))].join(', ')} under sudo: actions`,
    fix: `install the output of \`claudeops helper\` as root: install -o root -g root -m 0755 claudeops-helper ${HELPER_PATH}`,
  };
  return {
    tools: [...toolsNeeded(server), ...(helper ? [helperNeed] : [])],
    sudo,
    rootActions: server.sudo === false ? [...new Set(root.map((e) => e.action))] : [],
  };
}

export function doctorScript(ask: ServerAsk, nonce: string): string {
  const sections = [
    // first, so the time is read as close to the start of the round trip as possible
    { id: 'clock', script: 'echo "time=$(date +%s)"; echo "uid=$(id -u)"' },
    {
      id: 'tools',
      script:
        ask.tools
          .map(
            (t, i) =>
              `for p in ${shellQuoteAll(t.anyOf)}; do co_have "$p" && { echo "tool ${i} $p"; break; }; done`,
          )
          .join('\n') || 'true',
    },
    {
      id: 'sudo',
      script:
        ask.sudo
          .map((s, i) =>
            [
              `echo '@sudo ${i}'`,
              `o=$(sudo -n -l ${shellQuoteAll(s.argv)} </dev/null 2>&1); echo "rc=$?"`,
              `printf '%s\\n' "$o" | head -n 2 | cut -c1-200 | sed 's/^/| /'`,
            ].join('\n'),
          )
          .join('\n') || 'true',
    },
  ];
  return framedScript('# claudeops doctor (read-only)', sections, nonce);
}

export interface ServerAnswer {
  /** the server's clock, epoch seconds */
  time?: number;
  uid?: number;
  /** index of each tool need → the program found (absent: none of them) */
  tools: Map<number, string>;
  /** index of each sudo ask → sudo's exit status and first words */
  sudo: Map<number, { rc: number; said: string }>;
}

export function parseAnswer(sections: ReadonlyMap<string, Section>): ServerAnswer {
  const clock = keyValues((sections.get('clock')?.output ?? '').split('\n'));
  const tools = new Map<number, string>();
  for (const line of (sections.get('tools')?.output ?? '').split('\n')) {
    const m = /^tool (\d+) (\S+)$/.exec(line);
    if (m?.[1] && m[2]) tools.set(Number(m[1]), m[2]);
  }
  const sudo = new Map<number, { rc: number; said: string }>();
  for (const b of blocksOf(sections.get('sudo')?.output ?? '', 'sudo')) {
    const rc = int(keyValues(b.lines).rc);
    if (rc !== undefined) sudo.set(Number(b.head), { rc, said: quotedLines(b.lines).join(' ').trim() });
  }
  const answer: ServerAnswer = { tools, sudo };
  const time = int(clock.time);
  const uid = int(clock.uid);
  if (time !== undefined) answer.time = time;
  if (uid !== undefined) answer.uid = uid;
  return answer;
}

/**
 * How far the server's clock is outside the interval in which the script ran (ms): 0 when it
 * falls inside it, however long the round trip took.
 */
export function clockSkewMs(serverSeconds: number, sentAt: number, answeredAt: number): number {
  const server = serverSeconds * 1000;
  // `date +%s` truncates: the true time lies within [server, server + 1 s)
  if (server + 1000 < sentAt) return server + 1000 - sentAt;
  if (server > answeredAt) return server - answeredAt;
  return 0;
}

export function answerProblems(
  server: ServerConfig,
  ask: ServerAsk,
  answer: ServerAnswer,
  timing: { sentAt: number; answeredAt: number; configPath: string; mode: Config['mode'] },
): Problem[] {
  const problems: Problem[] = [];
  const at = (check: Problem['check'], message: string, fix: string) =>
    problems.push({ server: server.name, check, message, fix });
  if (answer.time === undefined) {
    at(
      'clock',
      'the clock could not be read (date printed nothing)',
      'make sure `date` works for the SSH user',
    );
  } else {
    const skew = clockSkewMs(answer.time, timing.sentAt, timing.answeredAt);
    if (Math.abs(skew) > MAX_SKEW_SECONDS * 1000)
      at(
        'clock',
        `the clock is ${Math.round(Math.abs(skew) / 1000)} s ${skew > 0 ? 'ahead' : 'behind'} (more than ${MAX_SKEW_SECONDS} s)`,
        'turn on time sync on the server (timedatectl set-ntp true, or chrony)',
      );
  }
  ask.tools.forEach((need, i) => {
    if (!answer.tools.has(i))
      at('tools', `${need.anyOf.join(' or ')} not found on the PATH (needed for ${need.for})`, need.fix);
  });
  problems.push(...sudoProblems(server, ask, answer, timing.configPath));
  if (ask.rootActions.length > 0 && answer.uid !== 0 && timing.mode !== 'report')
    at(
      'sudo',
      `fixes that need root (${ask.rootActions.join(', ')}) will fail: the SSH user is not root and sudo is false`,
      `set sudo: actions on ${server.name} and install \`claudeops sudoers --config ${timing.configPath} --server ${server.name}\` (docs/least-privilege.md), or mode: report`,
    );
  return problems;
}

function sudoProblems(
  server: ServerConfig,
  ask: ServerAsk,
  answer: ServerAnswer,
  configPath: string,
): Problem[] {
  const missing = new Set(
    ask.tools.flatMap((need, i) => (answer.tools.has(i) ? [] : need.anyOf.map(baseName))),
  );
  const absent = new Map<string, Set<string>>();
  const refused = ask.sudo.flatMap((s, i) => {
    const a = answer.sudo.get(i);
    if (a && a.rc === 0) return [];
    // sudo cannot judge a program that is not there: that is a missing tool, said once
    const program = baseName(s.argv[0] ?? '');
    if (a && /command not found/.test(a.said)) {
      if (!missing.has(program)) absent.set(program, (absent.get(program) ?? new Set()).add(s.for));
      return [];
    }
    // `sudo -l COMMAND` refusing prints nothing, exit 1
    return [{ ask: s, said: a ? a.said || `not allowed (exit ${a.rc})` : 'no answer' }];
  });
  const tools: Problem[] = [...absent].map(([program, uses]) => ({
    server: server.name,
    check: 'tools',
    message: `${program} not found by sudo (needed for ${[...uses].join(', ')})`,
    fix: `install ${program} on the server, where the fix runs it as root`,
  }));
  return [...tools, ...refusedProblems(server, ask, refused, configPath)];
}

function refusedProblems(
  server: ServerConfig,
  ask: ServerAsk,
  refused: { ask: SudoAsk; said: string }[],
  configPath: string,
): Problem[] {
  if (refused.length === 0) return [];
  const first = refused[0];
  if (!first) return [];
  const command = (s: SudoAsk) => `sudo -n ${s.argv.join(' ')}`;
  if (server.sudo === true)
    return [
      {
        server: server.name,
        check: 'sudo',
        message: `\`${command(first.ask)}\` is not allowed for the SSH user (sudo said: ${first.said})`,
        fix: 'allow it without a password (NOPASSWD), or set sudo: actions and install `claudeops sudoers` (docs/least-privilege.md)',
      },
    ];
  const shown = refused
    .slice(0, 3)
    .map((r) => `\`${command(r.ask)}\` (${r.ask.for})`)
    .join(', ');
  const more = refused.length > 3 ? ` and ${refused.length - 3} more` : '';
  return [
    {
      server: server.name,
      check: 'sudo',
      message: `sudo refuses ${refused.length} of the ${ask.sudo.length} commands the config needs: ${shown}${more} (sudo said: ${first.said})`,
      fix: `install the output of \`claudeops sudoers --config ${configPath} --server ${server.name}\` as /etc/sudoers.d/claudeops (regenerate it whenever services change)`,
    },
  ];
}

function baseName(program: string): string {
  return program.slice(program.lastIndexOf('/') + 1);
}
