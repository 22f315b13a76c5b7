/**
 * Acknowledging an incident from its GitHub issue (pure, docs/alerting.md#acknowledge): the label
 * `claudeops:ack`, or a comment line `/claudeops ack [DURATION]`, `/claudeops snooze DURATION`,
 * `/claudeops unack`. What GitHub said is turned into events by the pipeline (who, when, which
 * command, whether that account may write to the repository); here they become the incident's
 * acknowledgement, and the one comment that confirms it.
 *
 * An acknowledgement stops repeats, escalation and automatic actions — never the checks and the
 * records — until the incident changes severity, resolves, or its duration ends.
 */
import type { AckState, AlertState } from '../memory/memory.js';
import type { Severity } from '../types.js';
import { formatDuration, parseDuration } from '../util/duration.js';

export const ACK_LABEL = 'claudeops:ack';

/** Longest acknowledgement or snooze a comment may ask for: a forgotten one must end. */
export const MAX_ACK_MS = 30 * 86_400_000;

export type AckCommand =
  | { kind: 'ack'; forMs?: number }
  | { kind: 'snooze'; forMs: number }
  | { kind: 'unack' }
  | { kind: 'invalid'; why: string };

const COMMAND = /^[ \t]*\/claudeops[ \t]+(ack|snooze|unack)\b[ \t]*([^\s]*)[ \t]*$/gim;

/** The last `/claudeops …` command line of a comment, or undefined when it has none. */
export function parseAckCommand(body: string): AckCommand | undefined {
  const matches = [...body.slice(0, 65_536).matchAll(COMMAND)];
  const last = matches.at(-1);
  if (!last) return undefined;
  const verb = (last[1] ?? '').toLowerCase();
  const arg = last[2] ?? '';
  if (verb === 'unack')
    return arg ? { kind: 'invalid', why: '`unack` takes no argument' } : { kind: 'unack' };
  if (!arg)
    return verb === 'snooze'
      ? { kind: 'invalid', why: '`snooze` needs a duration, like `snooze 2h`' }
      : { kind: 'ack' };
  const ms = parseDuration(arg);
  if (ms === undefined || ms <= 0)
    return { kind: 'invalid', why: `"${arg.slice(0, 40)}" is not a duration like 30m, 2h or 1d` };
  if (ms > MAX_ACK_MS)
    return { kind: 'invalid', why: `${arg.slice(0, 40)} is longer than the 30 days allowed` };
  return verb === 'snooze' ? { kind: 'snooze', forMs: ms } : { kind: 'ack', forMs: ms };
}

/** Something a human did on the issue, as the pipeline read it from GitHub. */
export type AckEvent =
  | { type: 'label-added'; by: string; at: string; writer: boolean }
  | { type: 'label-removed'; by: string; at: string; writer: boolean }
  | { type: 'comment'; by: string; at: string; writer: boolean; command: AckCommand };

export interface AckOutcome {
  /** the acknowledgement after these events (undefined: none) */
  ack?: AckState;
  /** the one comment the run posts about them (undefined: nothing to confirm) */
  confirmation?: string;
  /** events from accounts without write access, ignored (reported as a warning, never answered) */
  ignored: AckEvent[];
}

const when = (iso: string) => `${iso.slice(0, 16).replace('T', ' ')} UTC`;

/**
 * Applies the new events, oldest first, to the incident's acknowledgement. Only accounts
 * with write access count; a later command replaces an earlier one.
 */
export function applyAckEvents(
  current: AckState | undefined,
  events: readonly AckEvent[],
  severity: Exclude<Severity, 'ok'>,
): AckOutcome {
  let ack = current;
  const said: string[] = [];
  const ignored: AckEvent[] = [];
  for (const e of [...events].sort((a, b) => a.at.localeCompare(b.at))) {
    if (!e.writer) {
      ignored.push(e);
      continue;
    }
    if (e.type === 'label-added') {
      ack = { by: e.by, at: e.at, severity, via: 'label', kind: 'ack' };
      said.push(ackLine(ack));
    } else if (e.type === 'label-removed') {
      // a person taking the label off means "not acknowledged", whatever gave the acknowledgement
      if (ack) {
        ack = undefined;
        said.push(
          `Acknowledgement removed (@${e.by} took the \`${ACK_LABEL}\` label off): repeats, escalation and automatic actions resume.`,
        );
      }
    } else if (e.command.kind === 'invalid') {
      said.push(
        `@${e.by}: not understood — ${e.command.why}. Use \`/claudeops ack [DURATION]\`, \`/claudeops snooze DURATION\` or \`/claudeops unack\`.`,
      );
    } else if (e.command.kind === 'unack') {
      if (ack)
        said.push(`Acknowledgement removed by @${e.by}: repeats, escalation and automatic actions resume.`);
      else said.push(`@${e.by}: nothing to remove, this incident was not acknowledged.`);
      ack = undefined;
    } else {
      const forMs = e.command.forMs;
      const until = forMs !== undefined ? new Date(Date.parse(e.at) + forMs).toISOString() : undefined;
      ack = {
        by: e.by,
        at: e.at,
        severity,
        via: 'comment',
        kind: e.command.kind,
        ...(until ? { until } : {}),
      };
      said.push(ackLine(ack));
    }
  }
  return {
    ...(ack ? { ack } : {}),
    ...(said.length > 0 ? { confirmation: said.join('\n\n') } : {}),
    ignored,
  };
}

function ackLine(ack: AckState): string {
  const what = ack.kind === 'snooze' ? 'Snoozed' : 'Acknowledged';
  const how = ack.via === 'label' ? ` (label \`${ACK_LABEL}\`)` : '';
  const until = ack.until
    ? ` until ${when(ack.until)} (${formatDuration(Date.parse(ack.until) - Date.parse(ack.at))}), or`
    : '';
  return `${what} by @${ack.by}${how}: repeats, escalation and automatic actions are paused${until} until the severity changes or it resolves. The checks go on and are recorded.`;
}

/** Why an acknowledgement no longer holds, or undefined while it does. */
export function ackEnded(ack: AckState, severity: Severity, now: Date): string | undefined {
  // the branch holds it, and a hand edit can say anything: a timed one ends at the latest 30 days
  // after it was given (what a command may ask), and one given over a day ahead of the clock (GitHub
  // stamps them; a runner's clock may lag a little) was not given by GitHub
  const given = Date.parse(ack.at);
  if (ack.until && !(given <= now.getTime() + 86_400_000))
    return `acknowledgement by @${ack.by} ignored: given at ${when(ack.at)}, ahead of this run's clock`;
  if (ack.until && Math.min(Date.parse(ack.until), given + MAX_ACK_MS) <= now.getTime())
    return `${ack.kind === 'snooze' ? 'snooze' : 'acknowledgement'} by @${ack.by} ended (${when(ack.until)})`;
  if (severity !== ack.severity)
    return `acknowledgement by @${ack.by} ended: severity ${ack.severity} → ${severity}`;
  return undefined;
}

/** The acknowledgement of an alert that still holds now, if any. */
export function activeAck(alert: AlertState | undefined, now: Date): AckState | undefined {
  const ack = alert?.ack;
  return ack && !ackEnded(ack, alert.severity, now) ? ack : undefined;
}
