// When a policy's time part holds over the coming days (the console's "When it applies" strip).
// Walked in quarter hours of real time, not in local wall-clock hours: every UTC offset in use is a
// whole number of quarter hours, so each step lies inside one local hour of every zone, and a day
// that springs forward (23 hours) or falls back (25 hours) comes out with the hours it really has.
import type { Conditions } from '../schemas/index.ts';
import { conditionsHold } from './conditions.ts';
import { localClock } from './local-clock.ts';

export const QUARTER_MS = 15 * 60_000;
const HOUR_MS = 3_600_000;

/** [from, to) in epoch ms. */
export interface Interval {
  from: number;
  to: number;
}

/** Does the time part of `c` restrict anything? Without weekdays or an hour window it holds always. */
export function hasTimePart(c: Conditions): boolean {
  return (c.weekdays !== undefined && c.weekdays.length > 0) || (c.startHour !== undefined && c.endHour !== undefined);
}

// The environments condition says where, not when: the strip leaves it out (and says so).
function timeOnly(c: Conditions): Conditions {
  const { environments: _environments, ...rest } = c;
  return rest;
}

/**
 * The intervals in [fromMs, fromMs + days) where the time part of `c` holds, merged and in order.
 * `fromMs` is rounded down to its quarter hour, so the first interval may start just before it.
 */
export function applyingIntervals(c: Conditions, fromMs: number, days: number): Interval[] {
  if (!Number.isFinite(fromMs)) throw new RangeError('applyingIntervals: fromMs is not a valid time');
  if (!Number.isInteger(days) || days < 1 || days > 366) throw new RangeError('applyingIntervals: days must be a whole number from 1 to 366');
  const start = Math.floor(fromMs / QUARTER_MS) * QUARTER_MS;
  const end = fromMs + days * 24 * HOUR_MS;
  const only = timeOnly(c);
  const out: Interval[] = [];
  const at = new Date(0);
  for (let t = start; t < end; t += QUARTER_MS) {
    at.setTime(t);
    if (!conditionsHold(only, undefined, at)) continue;
    const last = out[out.length - 1];
    const to = Math.min(t + QUARTER_MS, end);
    if (last !== undefined && last.to === t) last.to = to;
    else out.push({ from: t, to });
  }
  return out;
}

/** One local hour of the strip in a zone: what share of it the policy applies, and whether it is past. */
export interface StripHour {
  /** The local hour (0–23) on the display zone's clock. The fall-back day shows one hour twice. */
  hour: number;
  /** Epoch ms where this local hour starts (or where the strip starts, for the first one). */
  from: number;
  to: number;
  /** 0 (never) … 1 (the whole hour): partial only when the two zones' offsets differ by a non-whole hour. */
  applies: number;
  /** Entirely before `now`. */
  past: boolean;
}

export interface StripDay {
  /** Epoch ms of the day's first local hour in the display zone. */
  from: number;
  /** 0 = Sunday, in the display zone. */
  weekday: number;
  /** 23, 24 or 25 entries (24 ± a daylight-saving change). */
  hours: StripHour[];
}

const scratch = { weekday: 0, hour: 0 };

function hourAt(zone: string, ms: number): { weekday: number; hour: number } {
  if (!localClock(zone, ms, scratch)) throw new RangeError(`unknown time zone "${zone}"`);
  return { weekday: scratch.weekday, hour: scratch.hour };
}

/** The start of the local day (in `zone`) that contains `ms`: where the local hour last went down. */
export function localDayStart(zone: string, ms: number): number {
  let t = Math.floor(ms / QUARTER_MS) * QUARTER_MS;
  let h = hourAt(zone, t).hour;
  // A day is at most 26 hours long in any zone there has been; 30 is a safe bound.
  for (let i = 0; i < 30 * 4; i++) {
    const before = hourAt(zone, t - QUARTER_MS).hour;
    if (before > h) return t;
    h = before;
    t -= QUARTER_MS;
  }
  return t;
}

/**
 * The coming `days` local days in `displayZone` (today first, from its midnight), hour by local
 * hour, with how much of each hour the time part of `c` (read in the policy's own zone) holds.
 * The same instants drawn in two zones give two strips that agree hour for hour.
 */
export function whenStrip(c: Conditions, nowMs: number, days: number, displayZone: string): StripDay[] {
  if (!Number.isFinite(nowMs)) throw new RangeError('whenStrip: nowMs is not a valid time');
  if (!Number.isInteger(days) || days < 1 || days > 31) throw new RangeError('whenStrip: days must be a whole number from 1 to 31');
  const only = timeOnly(c);
  const out: StripDay[] = [];
  const at = new Date(0);
  let t = localDayStart(displayZone, nowMs);
  let day: StripDay | undefined;
  let cell: (StripHour & { quarters: number; holding: number }) | undefined;
  const close = () => {
    if (cell === undefined || day === undefined) return;
    const { quarters, holding, ...hour } = cell;
    day.hours.push({ ...hour, applies: quarters === 0 ? 0 : holding / quarters, past: cell.to <= nowMs });
    cell = undefined;
  };
  let previousHour = -1;
  for (let guard = 0; guard < (days + 1) * 26 * 4; guard++, t += QUARTER_MS) {
    const local = hourAt(displayZone, t);
    const newDay = day === undefined || local.hour < previousHour;
    if (newDay) {
      close();
      if (out.length === days) break;
      day = { from: t, weekday: local.weekday, hours: [] };
      out.push(day);
    } else if (local.hour !== previousHour || (cell !== undefined && cell.quarters === 4)) {
      // Four quarters make a local hour: the fall-back day's repeated 01:00 is a cell of its own.
      close();
    }
    previousHour = local.hour;
    if (cell === undefined) cell = { hour: local.hour, from: t, to: t, applies: 0, past: false, quarters: 0, holding: 0 };
    at.setTime(t);
    cell.quarters++;
    if (conditionsHold(only, undefined, at)) cell.holding++;
    cell.to = t + QUARTER_MS;
  }
  close();
  return out;
}
