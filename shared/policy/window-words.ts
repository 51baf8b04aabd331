// The words for a policy's weekday and hour window, shared by the plain-words summary
// (describe.ts) and the console's zone-aware window line (renderer/src/lib/format.ts), so both say
// the same days and hours the same way.
import { hourInWindow } from './conditions.ts';

export const WEEKDAY_SHORT: Record<string, string> = {
  monday: 'Mon',
  tuesday: 'Tue',
  wednesday: 'Wed',
  thursday: 'Thu',
  friday: 'Fri',
  saturday: 'Sat',
  sunday: 'Sun',
};

const WORKWEEK = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday'];

/** "weekends", "weekdays", "every day", or the days in week order: "Mon, Fri". */
export function daysWords(weekdays: readonly string[]): string {
  const set = new Set(weekdays);
  if (set.size === 2 && set.has('saturday') && set.has('sunday')) return 'weekends';
  if (set.size === 5 && WORKWEEK.every((d) => set.has(d))) return 'weekdays';
  if (set.size === 7 && Object.keys(WEEKDAY_SHORT).every((d) => set.has(d))) return 'every day';
  return Object.keys(WEEKDAY_SHORT)
    .filter((d) => set.has(d))
    .map((d) => WEEKDAY_SHORT[d])
    .join(', ');
}

/** "09:00" for minutes after midnight (wrapping), as the window line writes clock times. */
export function clockAt(minutes: number): string {
  const m = ((minutes % 1440) + 1440) % 1440;
  return `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
}

/** "Istanbul" for Europe/Istanbul, "Los Angeles" for America/Los_Angeles. */
export function zoneCity(zone: string): string {
  return (zone.split('/').pop() ?? zone).replaceAll('_', ' ');
}

/** "Istanbul time", or "UTC" for UTC itself: where a policy's hours are read. */
export function zoneWords(zone: string | undefined): string {
  const z = zone ?? 'UTC';
  return z === 'UTC' || z === 'Etc/UTC' ? 'UTC' : `${zoneCity(z)} time`;
}

/** How many of the day's 24 hours the window [start, end) covers, read as conditions.ts reads it. */
export function windowHours(startHour: number, endHour: number): number {
  let n = 0;
  for (let h = 0; h < 24; h++) if (hourInWindow(h, startHour, endHour)) n++;
  return n;
}

/** start > end: the window runs past midnight into the next day (18 → 9). */
export function wrapsPastMidnight(startHour: number, endHour: number): boolean {
  return startHour > endHour && endHour > 0 && startHour < 24;
}

/**
 * The hour window in words: "09:00–17:00", "18:00–09:00 (overnight, past midnight)", "all day"
 * (start == end, or 0–24: conditions.ts reads both as the whole day), "no hour" (an empty window,
 * such as 24–0).
 */
export function hoursWords(startHour: number, endHour: number): string {
  const n = windowHours(startHour, endHour);
  if (n === 24) return 'all day';
  if (n === 0) return 'no hour';
  const span = `${clockAt(startHour * 60)}–${clockAt(endHour * 60)}`;
  return wrapsPastMidnight(startHour, endHour) ? `${span} (overnight, past midnight)` : span;
}
