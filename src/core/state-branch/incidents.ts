/**
 * Incidents as the status page tells them (pure): each episode of an issue file — opened, perhaps
 * worsened, resolved — with its start, end and worst severity, read from the file's history lines
 * (an issue reopened later has several episodes). Only the times and the severity words are read
 * from those lines; their text is server and model text and stays out of a public page.
 */
import type { IssueDoc } from './issue-files.js';

export interface IncidentEpisode {
  fingerprint: string;
  check: string;
  target: string;
  servers: string[];
  severity: 'critical' | 'warning';
  start: string;
  /** undefined while the incident is open */
  end?: string;
  /** the issue's one-line summary (server text: shown only with `status_page.details`) */
  summary: string;
}

const LINE = /^- (\d{4}-\d{2}-\d{2}T[0-9:.]+Z) — (opened \((\w+)\)|severity \w+ → (\w+)|resolved\b)/;

const isTime = (s: string | undefined): s is string =>
  typeof s === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(s) && Number.isFinite(Date.parse(s));

const severityOf = (word: string | undefined): IncidentEpisode['severity'] =>
  word === 'critical' ? 'critical' : 'warning';

export function incidentEpisodes(doc: IssueDoc): IncidentEpisode[] {
  const base = {
    fingerprint: doc.meta.fingerprint,
    check: String(doc.meta.check ?? ''),
    target: String(doc.meta.target ?? ''),
    servers: doc.meta.servers.map(String),
    summary: doc.summary,
  };
  const episodes: IncidentEpisode[] = [];
  let current: IncidentEpisode | undefined;
  for (const line of doc.history) {
    const m = LINE.exec(line);
    if (!m?.[1] || !isTime(m[1])) continue;
    const [, at, event, opened, changedTo] = m;
    if (event === 'resolved') {
      if (current) current.end = at;
      current = undefined;
      continue;
    }
    const severity = severityOf(opened ?? changedTo);
    if (current) {
      if (severity === 'critical') current.severity = 'critical';
    } else {
      current = { ...base, severity, start: at };
      episodes.push(current);
    }
  }
  // a file whose history says nothing usable (hand-edited, or older than these lines): its front matter
  if (episodes.length === 0 && isTime(doc.meta.first_seen)) {
    const resolved = doc.meta.status === 'resolved';
    episodes.push({
      ...base,
      severity: severityOf(doc.meta.severity),
      start: doc.meta.first_seen,
      ...(resolved && isTime(doc.meta.last_seen) ? { end: doc.meta.last_seen } : {}),
    });
  }
  // the front matter is the truth about now: an open file has one open episode, a resolved one none
  const last = episodes.at(-1);
  if (last && doc.meta.status === 'resolved' && !last.end) {
    last.end =
      isTime(doc.meta.last_seen) && doc.meta.last_seen >= last.start ? doc.meta.last_seen : last.start;
  }
  if (last && doc.meta.status === 'open' && last.end) {
    const { end, ...reopened } = last;
    episodes.push({ ...reopened, start: end });
  }
  return episodes;
}
