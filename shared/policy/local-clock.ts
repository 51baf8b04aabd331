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
  Sunday: 0, Monday: 1, Tuesday: 2, Wednesday: 3, Thursday: 4, Friday: 5, Saturday: 6,
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
      weekday: 'long',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  } catch {
    format = null;
  }
  if (zones.size >= MAX_ZONES) zones.clear();
  zone = { format, from: 0, to: 0, weekday: 0, hour: 0 };
  zones.set(timeZone, zone);
  return zone;
}

function refresh(zone: ZoneClock, format: Intl.DateTimeFormat, ms: number): void {
  let weekday = 0;
  let hour = 0;
  let second = 0;
  for (const part of format.formatToParts(ms)) {
    if (part.type === 'weekday') weekday = WEEKDAY_INDEX[part.value] ?? 0;
    else if (part.type === 'hour') hour = Number(part.value) % 24; // some ICU builds print midnight as 24
    else if (part.type === 'second') second = Number(part.value);
  }
  zone.weekday = weekday;
  zone.hour = hour;
  const minuteStart = Math.floor(ms / 60_000) * 60_000;
  if (second === Math.floor((ms - minuteStart) / 1000)) {
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
