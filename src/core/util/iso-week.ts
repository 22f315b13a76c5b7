/**
 * ISO 8601 week of a date (UTC): weeks start on Monday, and week 1 is the one holding the year's
 * first Thursday — so 2026-12-31 can be in 2026-W53 and 2027-01-01 in 2026-W53 too.
 */
export function isoWeek(at: Date): { year: number; week: number; label: string } {
  const day = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate()));
  // the Thursday of this week decides the year
  const weekday = day.getUTCDay() || 7;
  day.setUTCDate(day.getUTCDate() + 4 - weekday);
  const year = day.getUTCFullYear();
  const week = Math.ceil(((day.getTime() - Date.UTC(year, 0, 1)) / 86_400_000 + 1) / 7);
  return { year, week, label: `${year}-W${String(week).padStart(2, '0')}` };
}
