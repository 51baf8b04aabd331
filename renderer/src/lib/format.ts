// Words for the screens: action names, ages, times with their zones, policy windows, statuses,
// conflicts. Every time the console shows goes through the helpers here.
import type { RequestStatus } from '../../../shared/schemas/index.ts';
import type { OutboxConflict } from '../../../shared/desktop/outbox.ts';
import { clockAt, daysWords, zoneCity, zoneWords } from '../../../shared/policy/window-words.ts';

export { zoneCity };

export { ACTION_LABELS } from '../../../shared/inbox.ts';

export const GROUP_LABELS: Record<string, string> = {
  release: 'Release',
  promotion: 'Promotion',
  rollback: 'Rollback',
  cluster: 'Cluster',
  project: 'Project',
  security: 'Security',
};

export const STATUS_LABELS: Record<RequestStatus, string> = {
  pending: 'Pending',
  approved: 'Approved',
  rejected: 'Rejected',
  cancelled: 'Cancelled',
  expired: 'Expired',
};

/** "now", "4m", "3h", "2d", "5w" — compact, for dense rows. */
export function age(iso: string, now: number): string {
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return 'now';
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h`;
  const d = Math.floor(h / 24);
  if (d < 14) return `${d}d`;
  return `${Math.floor(d / 7)}w`;
}

/**
 * "4 minutes ago", for things that have happened. Never in the future: an instant a little ahead
 * of this console's clock (the server's clock, a decision just made) reads "just now".
 */
export function ago(iso: string, now: number): string {
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return 'just now';
  return `${span(s)} ago`;
}

/** "in 3 hours" or "3 hours ago", for deadlines (expiry, a freeze's end) that may lie either side of now. */
export function relative(iso: string, now: number): string {
  const s = Math.round((Date.parse(iso) - now) / 1000);
  if (Math.abs(s) < 60) return s >= 0 ? 'in under a minute' : 'just now';
  return s > 0 ? `in ${span(s)}` : `${span(-s)} ago`;
}

function span(seconds: number): string {
  const [name, n]: [string, number] =
    seconds < 3600 ? ['minute', Math.floor(seconds / 60)] : seconds < 172800 ? ['hour', Math.floor(seconds / 3600)] : ['day', Math.floor(seconds / 86400)];
  return `${n} ${name}${n === 1 ? '' : 's'}`;
}

/** The zone this console shows times in: the browser's (Playwright's timezoneId in tests). */
export function viewerZone(): string {
  return new Intl.DateTimeFormat().resolvedOptions().timeZone ?? 'UTC';
}

const formats = new Map<string, Intl.DateTimeFormat>();

function format(zone: string, kind: 'parts' | 'weekday'): Intl.DateTimeFormat {
  const key = `${kind} ${zone}`;
  let f = formats.get(key);
  if (!f) {
    f =
      kind === 'weekday'
        ? new Intl.DateTimeFormat('en-GB', { timeZone: zone, weekday: 'short' })
        : new Intl.DateTimeFormat('en-GB', {
            timeZone: zone,
            hourCycle: 'h23',
            year: 'numeric',
            month: 'short',
            day: 'numeric',
            hour: '2-digit',
            minute: '2-digit',
            second: '2-digit',
          });
    formats.set(key, f);
  }
  return f;
}

interface Local {
  year: number;
  month: string;
  day: number;
  hour: string;
  minute: string;
  weekday: string;
  /** Minutes east of UTC at that instant. */
  offset: number;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** The wall clock of `zone` at `ms`, and its offset, read through Intl (no hand-written zone data). */
function local(ms: number, zone: string): Local {
  const parts: Record<string, string> = {};
  for (const p of format(zone, 'parts').formatToParts(ms)) parts[p.type] = p.value;
  const year = Number(parts.year);
  const month = parts.month ?? '';
  const day = Number(parts.day);
  const hour = Number(parts.hour) % 24;
  const asUtc = Date.UTC(year, Math.max(0, MONTHS.indexOf(month.slice(0, 3))), day, hour, Number(parts.minute), Number(parts.second));
  const offset = Math.round((asUtc - Math.floor(ms / 1000) * 1000) / 60_000);
  return {
    year,
    month,
    day,
    hour: String(hour).padStart(2, '0'),
    minute: parts.minute ?? '00',
    weekday: format(zone, 'weekday').format(ms),
    offset,
  };
}

/** "UTC+3", "UTC−7", "UTC+5:30", "UTC". */
function offsetWords(minutes: number): string {
  if (minutes === 0) return 'UTC';
  const a = Math.abs(minutes);
  const h = Math.floor(a / 60);
  const m = a % 60;
  return `UTC${minutes > 0 ? '+' : '−'}${h}${m ? `:${String(m).padStart(2, '0')}` : ''}`;
}

/** "10 Mar 2026, 21:04 UTC+3": a date and time with its offset, for tables and lists. */
export function dateTime(iso: string, zone: string = viewerZone()): string {
  const t = local(Date.parse(iso), zone);
  return `${t.day} ${t.month} ${t.year}, ${t.hour}:${t.minute} ${offsetWords(t.offset)}`;
}

/**
 * "Tue 10 Mar 2026, 21:04 UTC+3 (Europe/Istanbul)": the exact time with its zone, written out in
 * detail views and on hover (title) over every relative time.
 */
export function exactTime(iso: string, zone: string = viewerZone()): string {
  const t = local(Date.parse(iso), zone);
  const base = `${t.weekday} ${t.day} ${t.month} ${t.year}, ${t.hour}:${t.minute} ${offsetWords(t.offset)}`;
  return zone === 'UTC' || zone === 'Etc/UTC' ? base : `${base} (${zone})`;
}

const DAY = new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', day: 'numeric', month: 'short' });

/** "2 Nov" for the calendar day "2026-11-02" (a day, not an instant: no zone shifts it). */
export function dayLabel(day: string): string {
  return DAY.format(Date.parse(`${day}T12:00:00Z`));
}

/** The hour/weekday part of a policy's conditions (shared/schemas/domain.ts Conditions). */
export interface TimeWindow {
  weekdays?: readonly string[] | undefined;
  startHour?: number | undefined;
  endHour?: number | undefined;
  timezone?: string | undefined;
}

/**
 * When a policy's time window applies, in the policy's own zone and in the viewer's:
 * "18:00–09:00 and weekends, Istanbul time (15:00–06:00 your time, UTC)". Offsets are taken at
 * `at` (epoch ms), so a daylight-saving change shows the hours as they are that day.
 * undefined: the policy has no time window (it applies at any hour).
 */
export function policyWindow(w: TimeWindow, at: number, viewer: string = viewerZone()): string | undefined {
  const hasHours = w.startHour !== undefined && w.endHour !== undefined && w.startHour !== w.endHour;
  const days = w.weekdays && w.weekdays.length > 0 ? daysWords(w.weekdays) : undefined;
  if (!hasHours && !days) return undefined;
  const zone = w.timezone ?? 'UTC';
  const where = zoneWords(zone);
  const hours = (shift: number) => `${clockAt(w.startHour! * 60 + shift)}–${clockAt(w.endHour! * 60 + shift)}`;
  const own = [hasHours ? hours(0) : undefined, days].filter(Boolean).join(' and ');
  const shift = local(at, viewer).offset - local(at, zone).offset;
  const viewerWords = viewer === 'UTC' || viewer === 'Etc/UTC' ? 'UTC' : zoneCity(viewer);
  if (shift === 0) return `${own}, ${where} (the same in your time, ${viewerWords})`;
  // Hours convert; the weekdays stay the policy's (its Saturday starts at its own midnight).
  const theirs = hasHours
    ? `${hours(shift)} your time, ${viewerWords}`
    : `${offsetWords(local(at, zone).offset)}; you are on ${offsetWords(local(at, viewer).offset)}`;
  return `${own}, ${where} (${theirs})`;
}

/** A queued new request the server refused when it arrived, in words. */
export function createConflictWords(error: OutboxConflict | undefined): string {
  if (!error) return 'The server refused this request.';
  switch (error.code) {
    case 'environment_locked':
      return `Not filed: ${error.message}`;
    case 'policy_violations':
      return `Not filed: ${error.message}. Give a reason and file it again.`;
    case 'invalid_resource':
    case 'invalid_request':
      return `Not filed: the server says ${error.message}.`;
    case 'other_identity':
    case 'signed_out':
      return `Not sent: ${error.message}.`;
    default:
      return `Not filed: ${error.message}`;
  }
}

/** A server refusal in words a reviewer acts on. */
export function conflictWords(error: OutboxConflict | undefined): string {
  if (!error) return 'The server refused this decision.';
  switch (error.code) {
    case 'already_reviewed':
      return 'You already reviewed this request — your earlier decision stands.';
    case 'stale_review':
      return 'The diff changed after you reviewed it. Read the new diff and decide again.';
    case 'not_pending':
      return `This request is no longer pending (${error.message.replace(/^request is /, '')}), so the decision was not applied.`;
    case 'not_eligible':
      return 'You are not an eligible approver for this request, so the server refused your decision.';
    case 'not_found':
      return 'This request no longer exists on the server.';
    case 'cancelled':
      return 'The request was cancelled before your decision arrived.';
    case 'other_identity':
    case 'signed_out':
      // never sent: the core says by whom and for which server it was queued
      return `Not sent: ${error.message}.`;
    default:
      return `The server refused this decision: ${error.message}`;
  }
}
