// Quiet hours: a local time-of-day window [start, end) that may wrap past midnight (22:00 → 07:00).
import type { QuietHours } from '../../../shared/desktop/settings.ts';

function parseClock(hhmm: string): number {
  const m = /^(\d{2}):(\d{2})$/.exec(hhmm);
  if (!m) return NaN;
  return Number(m[1]) * 60 + Number(m[2]);
}

/** Minutes since local midnight at `ms`, in `timeZone` (IANA) or the system's local zone. */
export function minutesOfDay(ms: number, timeZone?: string): number {
  if (timeZone === undefined) {
    const d = new Date(ms);
    return d.getHours() * 60 + d.getMinutes();
  }
  const parts = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone }).formatToParts(ms);
  const get = (type: 'hour' | 'minute') => Number(parts.find((p) => p.type === type)?.value ?? 0);
  return get('hour') * 60 + get('minute');
}

/**
 * Is `minutes` (since midnight) inside the quiet hours? start < end: [start, end) the same day;
 * start > end: wraps midnight ([start, 24:00) ∪ [00:00, end)); start = end: never (an empty window,
 * not a whole day: "quiet all day" is `enabled: false`).
 */
export function inQuietHours(quiet: QuietHours | undefined, minutes: number): boolean {
  if (quiet === undefined) return false;
  const start = parseClock(quiet.start);
  const end = parseClock(quiet.end);
  if (!Number.isFinite(start) || !Number.isFinite(end) || start === end) return false;
  return start < end ? minutes >= start && minutes < end : minutes >= start || minutes < end;
}
