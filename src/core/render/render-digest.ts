/**
 * The weekly digest as markdown (the state branch's `digests/<YYYY>-W<WW>.md` and the job summary),
 * as terminal text (`claudeops digest`), and as one notification. Fingerprints and summaries are
 * server text: escaped for each target.
 */

import type { NotificationMessage } from '../ports/index.js';
import type { Digest } from '../state-branch/digest-view.js';
import { formatDuration } from '../util/duration.js';
import { isoWeek } from '../util/iso-week.js';
import { cell, table } from './markdown.js';

const day = (iso: string) => iso.slice(0, 16).replace('T', ' ');
const pct = (v: number | undefined) => (v === undefined ? '—' : `${v}%`);
const ttr = (ms: number | undefined) => (ms === undefined ? '—' : formatDuration(ms));

/** The ISO week the digest is named after: the one holding the middle of its window. */
export function digestWeek(d: Pick<Digest, 'since' | 'until'>): string {
  return isoWeek(new Date((Date.parse(d.since) + Date.parse(d.until)) / 2)).label;
}

function headline(d: Digest): string {
  const o = d.actions.outcomes;
  return [
    `${d.incidents.opened} incident(s) opened, ${d.incidents.resolved} resolved`,
    d.incidents.medianTtrMs !== undefined ? `median time to resolve ${ttr(d.incidents.medianTtrMs)}` : '',
    `${d.actions.executed} action(s) run (${o.fixed} fixed, ${o['not-fixed'] + o.worse + o.unverified} not)`,
    `model cost $${d.cost.usd.toFixed(2)} over ${d.cost.runs} run(s)`,
  ]
    .filter(Boolean)
    .join(' · ');
}

export function renderDigest(d: Digest): string {
  const parts = [
    `# Weekly digest ${digestWeek(d)}`,
    `${day(d.since)} → ${day(d.until)} UTC. ${headline(d)}.`,
    ...serversSection(d),
    ...incidentsSection(d),
    ...actionsSection(d),
    '## What recurs',
    d.recurring.length === 0
      ? '_Nothing opened twice._'
      : d.recurring.map((r) => `- ${cell(r.fingerprint)}: opened ${r.openings} times`).join('\n'),
    '## Flapping checks',
    d.flapping.length === 0
      ? '_None._'
      : d.flapping.map((f) => `- ${cell(f.fingerprint)}: flapping ${f.times} time(s)`).join('\n'),
    '## Model cost',
    `${d.cost.runs} run(s), ${d.cost.tokens} tokens, $${d.cost.usd.toFixed(2)}.`,
    ...(d.notes.length ? ['## Notes', d.notes.map((n) => `- ${cell(n)}`).join('\n')] : []),
  ];
  return `${parts.filter(Boolean).join('\n\n')}\n`;
}

function serversSection(d: Digest): string[] {
  return [
    '## Servers',
    d.servers.length === 0
      ? '_No server has recorded a run._'
      : table(
          ['server', 'uptime', 'availability', 'runs', 'incidents opened'],
          d.servers.map((s) => [s.server, pct(s.uptime), pct(s.available), String(s.runs), String(s.opened)]),
        ),
    'Uptime: runs that reached the server. Availability: runs that reached it and saw no critical finding.',
  ];
}

function incidentsSection(d: Digest): string[] {
  return [
    '## Incidents',
    `Opened ${d.incidents.opened}, resolved ${d.incidents.resolved}, open at the end ${d.incidents.open}; time to resolve: mean ${ttr(d.incidents.meanTtrMs)}, median ${ttr(d.incidents.medianTtrMs)}.`,
    d.incidents.list.length === 0
      ? '_None._'
      : table(
          ['opened', 'fingerprint', 'severity', 'resolved', 'time to resolve', 'summary'],
          d.incidents.list
            .slice(0, 50)
            .map((i) => [
              day(i.opened),
              i.fingerprint,
              i.severity,
              i.resolved ? day(i.resolved) : 'open',
              ttr(i.ttrMs),
              i.summary,
            ]),
        ),
  ];
}

function actionsSection(d: Digest): string[] {
  return [
    '## Actions',
    `${d.actions.executed} run: ${d.actions.outcomes.fixed} fixed, ${d.actions.outcomes['not-fixed']} not fixed, ${d.actions.outcomes.worse} worse, ${d.actions.outcomes.unverified} unverified; ${d.actions.proposed} proposed for approval, ${d.actions.denied} denied by the gate.`,
    d.actions.byAction.length === 0
      ? ''
      : table(
          ['action', 'server', 'runs', 'fixed', 'not fixed'],
          d.actions.byAction.map((a) => [
            a.action,
            a.server,
            String(a.runs),
            String(a.fixed),
            String(a.failed),
          ]),
        ),
  ];
}

/** `claudeops digest`: the same, as lines for a terminal. */
export function digestText(d: Digest): string {
  const lines = [
    `Weekly digest ${digestWeek(d)}: ${day(d.since)} → ${day(d.until)} UTC`,
    headline(d),
    '',
    ...d.servers.map(
      (s) =>
        `${s.server.padEnd(20)} uptime ${pct(s.uptime).padStart(7)}  available ${pct(s.available).padStart(7)}  ${s.runs} runs  ${s.opened} opened`,
    ),
    '',
    ...d.incidents.list
      .slice(0, 20)
      .map(
        (i) =>
          `${day(i.opened)}  ${i.severity.padEnd(8)} ${i.fingerprint}  ${i.resolved ? `resolved after ${ttr(i.ttrMs)}` : 'open'}`,
      ),
    ...(d.recurring.length
      ? ['', `recurring: ${d.recurring.map((r) => `${r.fingerprint} ×${r.openings}`).join(', ')}`]
      : []),
    ...(d.flapping.length ? [`flapping: ${d.flapping.map((f) => f.fingerprint).join(', ')}`] : []),
    ...d.notes.map((n) => `note: ${n}`),
  ];
  return lines.join('\n');
}

/** The digest as one notification (notify.digest: true). */
export function digestMessage(d: Digest, link: string | undefined): NotificationMessage {
  const worst = [...d.servers]
    .filter((s) => s.available !== undefined)
    .sort((a, b) => (a.available ?? 0) - (b.available ?? 0))[0];
  return {
    title: `ClaudeOps weekly digest ${digestWeek(d)}`,
    status: d.incidents.open > 0 ? 'warning' : 'ok',
    items: [
      { kind: 'more', text: headline(d) },
      ...(worst
        ? [{ kind: 'more' as const, text: `lowest availability: ${worst.server} ${pct(worst.available)}` }]
        : []),
      ...d.recurring
        .slice(0, 3)
        .map((r) => ({ kind: 'warning' as const, text: `recurs: ${r.fingerprint} (${r.openings}×)` })),
      ...d.flapping
        .slice(0, 3)
        .map((f) => ({ kind: 'warning' as const, text: `flapping: ${f.fingerprint}` })),
    ],
    ...(link ? { link } : {}),
  };
}
