// When a policy applies: its conditions (docs/policies.md, "Conditions").
import { WEEKDAYS } from '../schemas/weekdays.ts';
import type { Conditions } from '../schemas/index.ts';
import { localClock } from './local-clock.ts';

/**
 * Is `hour` inside [startHour, endHour)? start > end wraps past midnight (18→9 is 18:00–08:59).
 * start === end is read as the whole day: a zero-length window would make a policy that can never
 * apply, which nobody writes on purpose, and the stricter reading keeps the gate on.
 */
export function hourInWindow(hour: number, startHour: number, endHour: number): boolean {
  if (startHour === endHour) return true;
  return startHour < endHour ? hour >= startHour && hour < endHour : hour >= startHour || hour < endHour;
}

const clock = { weekday: 0, hour: 0 };

/**
 * Does a policy with these conditions apply to a request on the environment named
 * `environmentName` (undefined: the request has none) at `now`?
 *
 * - `environments` is matched by exact name and AND'ed with the time part; a request without an
 *   environment is outside any environments condition.
 * - Time part: weekdays only → the weekday must match; hours only → the hour must be in the window;
 *   both → either (an off-hours policy means "evenings OR weekends"); neither → always.
 *   Both are read in `timezone` (IANA, default UTC).
 * - Empty lists are read as "not given": it is the stricter reading (the policy applies), and
 *   forms tend to send [] for "no restriction".
 * - An hour window needs both startHour and endHour (the schema refuses one without the other);
 *   a lone one is ignored.
 * - A zone this runtime's Intl doesn't know (the schema refuses them, but the desktop's ICU may be
 *   older than the server's) makes the time part hold: better an extra gate than a silently
 *   skipped one.
 * - requireReason does not affect whether the policy applies.
 */
export function conditionsHold(c: Conditions, environmentName: string | undefined, now: Date): boolean {
  const environments = c.environments;
  if (environments !== undefined && environments.length > 0) {
    if (environmentName === undefined || !environments.includes(environmentName)) return false;
  }
  const weekdays = c.weekdays;
  const hasWeekdays = weekdays !== undefined && weekdays.length > 0;
  const startHour = c.startHour;
  const endHour = c.endHour;
  const hasHours = startHour !== undefined && endHour !== undefined;
  if (!hasWeekdays && !hasHours) return true;
  if (!localClock(c.timezone, now.getTime(), clock)) return true;
  if (hasWeekdays && weekdays.includes(WEEKDAYS[clock.weekday]!)) return true;
  if (hasHours && hourInWindow(clock.hour, startHour, endHour)) return true;
  return false;
}
