// The weekday and hour at an instant in an IANA time zone, through Intl (no hand-written tz data).
// Intl formatting costs microseconds, far too much for every condition of every evaluation, so the
// answer is cached per zone for the UTC minute it was computed in: with whole-minute UTC offsets
// (every zone since the 1970s) the local hour and weekday cannot change inside a UTC minute.

interface ZoneClock {
  /** null: the runtime's Intl does not know this zone. */
  readonly format: Intl.DateTimeFormat | null;
  /** The cached answer holds for instants in [from, to). */
  from: number;
  to: number;
  weekday: number;
  hour: number;
}

const WEEKDAY_INDEX: Readonly<Record<string, number>> = {
  Sun: 0,
  Mon: 1,
  Tue: 2,
  Wed: 3,
  Thu: 4,
  Fri: 5,
  Sat: 6,
};

// Zone names come from validated policies, so the set is small; the cap only guards against a
// caller feeding arbitrary strings in a long-lived process.
const MAX_ZONES = 1000;
const zones = new Map<string, ZoneClock>();

function zoneClock(timeZone: string): ZoneClock {
  let zone = zones.get(timeZone);
  if (zone !== undefined) return zone;
  let format: Intl.DateTimeFormat | null;
  try {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
  } catch {
    format = null;
  }
  if (zones.size >= MAX_ZONES) zones.clear();
  zone = { format, from: 0, to: 0, weekday: 0, hour: 0 };
  zones.set(timeZone, zone);
  return zone;
}

/** Scratch for readLocal, reused so a cache refresh allocates nothing more; exported for tests. */
export const fields = { weekday: 0, hour: 0, second: 0 };

/**
 * Reads "Mon 18:05:09" (en-US, short weekday, h23) into `fields`. format() is about five times
 * cheaper than formatToParts(); the parts are the fallback should an ICU version lay it out
 * differently.
 */
export function readLocal(format: Intl.DateTimeFormat, ms: number): void {
  const text = format.format(ms);
  const weekday = WEEKDAY_INDEX[text.slice(0, 3)];
  let found = 0;
  let n0 = 0;
  let n2 = 0;
  let value = -1;
  for (let i = 3; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) - 48 : -1;
    if (c >= 0 && c <= 9) {
      value = value < 0 ? c : value * 10 + c;
    } else if (value >= 0) {
      if (found === 0) n0 = value;
      else if (found === 2) n2 = value;
      found++;
      value = -1;
    }
  }
  if (weekday !== undefined && found === 3) {
    fields.weekday = weekday;
    fields.hour = n0 % 24; // some ICU builds print midnight as 24
    fields.second = n2;
    return;
  }
  for (const part of format.formatToParts(ms)) {
    if (part.type === 'weekday') fields.weekday = WEEKDAY_INDEX[part.value.slice(0, 3)] ?? 0;
    else if (part.type === 'hour') fields.hour = Number(part.value) % 24;
    else if (part.type === 'second') fields.second = Number(part.value);
  }
}

function refresh(zone: ZoneClock, format: Intl.DateTimeFormat, ms: number): void {
  readLocal(format, ms);
  zone.weekday = fields.weekday;
  zone.hour = fields.hour;
  const minuteStart = Math.floor(ms / 60_000) * 60_000;
  if (fields.second === Math.floor((ms - minuteStart) / 1000)) {
    zone.from = minuteStart;
    zone.to = minuteStart + 60_000;
  } else {
    // An offset with seconds (local mean time, before ~1900): only this exact instant is known.
    zone.from = ms;
    zone.to = ms + 1;
  }
}

/**
 * Writes the local weekday (0 = Sunday) and hour (0–23) of `ms` in `timeZone` into `out`.
 * Returns false, leaving `out` untouched, when the zone is unknown to this runtime.
 * `out` is caller-owned so the hot path allocates nothing.
 */
export function localClock(timeZone: string | undefined, ms: number, out: { weekday: number; hour: number }): boolean {
  if (Number.isNaN(ms)) throw new RangeError('invalid time: `now` is not a valid Date');
  if (timeZone === undefined || timeZone === 'UTC') {
    // 1970-01-01 was a Thursday (4); plain arithmetic avoids a Date per call.
    const days = Math.floor(ms / 86_400_000);
    out.weekday = (((days + 4) % 7) + 7) % 7;
    out.hour = Math.floor((ms - days * 86_400_000) / 3_600_000);
    return true;
  }
  const zone = zoneClock(timeZone);
  if (zone.format === null) return false;
  if (!(ms >= zone.from && ms < zone.to)) refresh(zone, zone.format, ms);
  out.weekday = zone.weekday;
  out.hour = zone.hour;
  return true;
}
