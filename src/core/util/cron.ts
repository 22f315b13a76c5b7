/**
 * A small, pure estimator of how far apart a cron schedule's runs are (5 fields, UTC, as GitHub
 * schedules are). The next run uses it to notice that runs went missing.
 */

interface Field {
  min: number;
  max: number;
  names?: string[];
}

const FIELDS: Field[] = [
  { min: 0, max: 59 },
  { min: 0, max: 23 },
  { min: 1, max: 31 },
  {
    min: 1,
    max: 12,
    names: ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'],
  },
  { min: 0, max: 7, names: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] },
];

export interface CronSchedule {
  minutes: number[];
  hours: number[];
  days: Set<number>;
  months: Set<number>;
  weekdays: Set<number>;
  /** restricted day-of-month and day-of-week fields: cron ORs them when both are */
  domRestricted: boolean;
  dowRestricted: boolean;
}

function value(text: string, field: Field): number | undefined {
  const named = field.names?.indexOf(text.toLowerCase()) ?? -1;
  if (named >= 0) return named + field.min;
  if (!/^\d+$/.test(text)) return undefined;
  const n = Number(text);
  return n >= field.min && n <= field.max ? n : undefined;
}

function parsePart(part: string, field: Field): number[] | undefined {
  const [range = '', stepText] = part.split('/');
  const step = stepText === undefined ? 1 : Number(stepText);
  if (!Number.isInteger(step) || step < 1) return undefined;
  let from = field.min;
  let to = field.max;
  if (range !== '*') {
    const [a = '', b] = range.split('-');
    const start = value(a, field);
    const end = b === undefined ? (stepText === undefined ? start : field.max) : value(b, field);
    if (start === undefined || end === undefined || end < start) return undefined;
    [from, to] = [start, end];
  }
  const out: number[] = [];
  for (let n = from; n <= to; n += step) out.push(n);
  return out;
}

function parseField(text: string, field: Field): number[] | undefined {
  const values = new Set<number>();
  for (const part of text.split(',')) {
    const parsed = parsePart(part, field);
    if (!parsed) return undefined;
    for (const n of parsed) values.add(n);
  }
  return [...values].sort((a, b) => a - b);
}

/** Parses a 5-field cron expression (numbers, names, `*`, ranges, steps, lists); undefined when invalid. */
export function parseCron(expression: string): CronSchedule | undefined {
  const parts = expression.trim().split(/\s+/);
  if (parts.length !== 5) return undefined;
  const fields = parts.map((p, i) => parseField(p, FIELDS[i] as Field));
  const [minutes, hours, days, months, weekdays] = fields;
  if (!minutes || !hours || !days || !months || !weekdays) return undefined;
  return {
    minutes,
    hours,
    days: new Set(days),
    months: new Set(months),
    weekdays: new Set(weekdays.map((d) => d % 7)),
    domRestricted: parts[2] !== '*',
    dowRestricted: parts[4] !== '*',
  };
}

function dayMatches(s: CronSchedule, day: Date): boolean {
  if (!s.months.has(day.getUTCMonth() + 1)) return false;
  const dom = s.days.has(day.getUTCDate());
  const dow = s.weekdays.has(day.getUTCDay());
  if (s.domRestricted && s.dowRestricted) return dom || dow;
  return dom && dow;
}

const DAY = 86_400_000;

/**
 * The longest gap between two consecutive runs of the schedule, in milliseconds, found by
 * walking enough days for the pattern to repeat (two days, two weeks, or two years).
 * Undefined when the expression is invalid or never fires.
 */
export function maxCronInterval(expression: string): number | undefined {
  const s = parseCron(expression);
  if (!s) return undefined;
  const span = s.domRestricted || s.months.size < 12 ? 800 : s.dowRestricted ? 15 : 2;
  const start = Date.UTC(2024, 0, 1);
  let previous: number | undefined;
  let longest = 0;
  for (let d = 0; d < span; d++) {
    const day = start + d * DAY;
    if (!dayMatches(s, new Date(day))) continue;
    for (const h of s.hours) {
      for (const m of s.minutes) {
        const at = day + h * 3_600_000 + m * 60_000;
        if (previous !== undefined) longest = Math.max(longest, at - previous);
        previous = at;
      }
    }
  }
  return longest > 0 ? longest : undefined;
}
