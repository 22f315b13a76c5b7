/**
 * Acknowledging from the issue: the command grammar, who counts (write access only), what a later
 * command does to an earlier one, when an acknowledgement ends, and the one confirming comment.
 */
import { describe, expect, it } from 'vitest';
import {
  type AckEvent,
  ackEnded,
  applyAckEvents,
  parseAckCommand,
} from '../../../../src/core/issues/acknowledge.js';

const H = 3_600_000;

describe('parseAckCommand', () => {
  it('reads ack, ack DURATION, snooze DURATION and unack on a line of their own', () => {
    expect(parseAckCommand('/claudeops ack')).toEqual({ kind: 'ack' });
    expect(parseAckCommand('Looking into it.\n/claudeops ack 2h\nthanks')).toEqual({
      kind: 'ack',
      forMs: 2 * H,
    });
    expect(parseAckCommand('  /ClaudeOps SNOOZE 1h30m  ')).toEqual({ kind: 'snooze', forMs: 1.5 * H });
    expect(parseAckCommand('/claudeops unack')).toEqual({ kind: 'unack' });
    // the last command of a comment wins
    expect(parseAckCommand('/claudeops ack\n/claudeops unack')).toEqual({ kind: 'unack' });
  });

  it('ignores text that only mentions a command, and explains malformed ones', () => {
    expect(parseAckCommand('please run `/claudeops ack` when you are on it')).toBeUndefined();
    expect(parseAckCommand('/claudeops acknowledge')).toBeUndefined();
    expect(parseAckCommand('> /claudeops ack')).toBeUndefined();
    expect(parseAckCommand('/claudeops snooze')).toMatchObject({ kind: 'invalid' });
    expect(parseAckCommand('/claudeops ack forever')).toMatchObject({ kind: 'invalid' });
    expect(parseAckCommand('/claudeops snooze 45d')).toMatchObject({
      kind: 'invalid',
      why: expect.stringContaining('30 days'),
    });
    expect(parseAckCommand('/claudeops unack now')).toMatchObject({ kind: 'invalid' });
  });
});

const comment = (at: string, body: string, writer = true, by = 'maintainer'): AckEvent => {
  const command = parseAckCommand(body);
  if (!command) throw new Error(`no command in ${body}`);
  return { type: 'comment', by, at, writer, command };
};

describe('applyAckEvents', () => {
  it('an ack by comment from a writer, with a duration, and one confirmation', () => {
    const out = applyAckEvents(
      undefined,
      [comment('2026-11-21T02:00:00.000Z', '/claudeops ack 2h')],
      'critical',
    );
    expect(out.ack).toEqual({
      by: 'maintainer',
      at: '2026-11-21T02:00:00.000Z',
      until: '2026-11-21T04:00:00.000Z',
      severity: 'critical',
      via: 'comment',
      kind: 'ack',
    });
    expect(out.confirmation).toMatch(
      /^Acknowledged by @maintainer: repeats, escalation and automatic actions are paused until 2026-11-21 04:00 UTC/,
    );
  });

  it('ignores accounts without write access, and says nothing to them', () => {
    const out = applyAckEvents(
      undefined,
      [
        comment('2026-11-21T02:00:00.000Z', '/claudeops ack', false, 'drive-by'),
        { type: 'label-added', by: 'triager', at: '2026-11-21T02:01:00.000Z', writer: false },
      ],
      'critical',
    );
    expect(out.ack).toBeUndefined();
    expect(out.confirmation).toBeUndefined();
    expect(out.ignored.map((e) => e.by)).toEqual(['drive-by', 'triager']);
  });

  it('events apply in time order: a label, then unack, then a snooze', () => {
    const out = applyAckEvents(
      undefined,
      [
        comment('2026-11-21T03:00:00.000Z', '/claudeops snooze 30m'),
        { type: 'label-added', by: 'owner', at: '2026-11-21T01:00:00.000Z', writer: true },
        comment('2026-11-21T02:00:00.000Z', '/claudeops unack'),
      ],
      'critical',
    );
    expect(out.ack).toMatchObject({ kind: 'snooze', until: '2026-11-21T03:30:00.000Z', via: 'comment' });
    expect(out.confirmation?.split('\n\n')).toHaveLength(3);
  });

  it('a person removing the label ends the acknowledgement, whatever gave it', () => {
    const labelled = applyAckEvents(
      undefined,
      [{ type: 'label-added', by: 'owner', at: '2026-11-21T01:00:00.000Z', writer: true }],
      'critical',
    );
    const removed = applyAckEvents(
      labelled.ack,
      [{ type: 'label-removed', by: 'owner', at: '2026-11-21T02:00:00.000Z', writer: true }],
      'critical',
    );
    expect(removed.ack).toBeUndefined();
    const commented = applyAckEvents(
      undefined,
      [comment('2026-11-21T01:00:00.000Z', '/claudeops ack')],
      'critical',
    );
    const kept = applyAckEvents(
      commented.ack,
      [{ type: 'label-removed', by: 'owner', at: '2026-11-21T02:00:00.000Z', writer: true }],
      'critical',
    );
    expect(kept.ack).toBeUndefined();
    expect(kept.confirmation).toContain('took the `claudeops:ack` label off');
  });

  it('answers a writer’s malformed command, without changing anything', () => {
    const out = applyAckEvents(
      undefined,
      [comment('2026-11-21T01:00:00.000Z', '/claudeops snooze')],
      'critical',
    );
    expect(out.ack).toBeUndefined();
    expect(out.confirmation).toContain('needs a duration');
  });
});

describe('ackEnded', () => {
  const ack = {
    by: 'm',
    at: '2026-11-21T01:00:00.000Z',
    until: '2026-11-21T03:00:00.000Z',
    severity: 'critical' as const,
    via: 'comment' as const,
    kind: 'ack' as const,
  };
  it('holds until its time, and ends at a change of severity', () => {
    expect(ackEnded(ack, 'critical', new Date('2026-11-21T02:59:59.000Z'))).toBeUndefined();
    expect(ackEnded(ack, 'critical', new Date('2026-11-21T03:00:00.000Z'))).toContain('ended');
    expect(ackEnded(ack, 'warning', new Date('2026-11-21T02:00:00.000Z'))).toContain('critical → warning');
  });

  it('read from the branch, a timed one holds at most the 30 days a command may ask, and none given ahead of the clock', () => {
    // a hand edit of state/<server>.json: paging paused for years, or from a time yet to come
    const years = { ...ack, until: '2099-01-01T00:00:00.000Z' };
    expect(ackEnded(years, 'critical', new Date('2026-12-20T00:59:59.000Z'))).toBeUndefined();
    expect(ackEnded(years, 'critical', new Date('2026-12-21T01:00:00.000Z'))).toContain('ended');
    const ahead = { ...ack, at: '2099-01-01T00:00:00.000Z', until: '2099-01-02T00:00:00.000Z' };
    expect(ackEnded(ahead, 'critical', new Date('2026-11-21T02:00:00.000Z'))).toContain('ahead of this run');
    // GitHub's stamp a little ahead of a lagging runner clock still holds
    const skew = { ...ack, at: '2026-11-21T03:00:00.000Z', until: '2026-11-21T05:00:00.000Z' };
    expect(ackEnded(skew, 'critical', new Date('2026-11-21T02:00:00.000Z'))).toBeUndefined();
  });
});
