// The one module that reads the machine's clock. Everything else asks a `Clock` it was given, so
// tests and demos can pin time: policy hour windows, expiry, freezes and break-glass then behave
// the same whenever the suite runs. Elapsed-time measurements use `performance.now()` instead,
// which is monotonic and says nothing about the hour.

/** "Now", as the rest of the code sees it. */
export type Clock = () => Date;

/** The machine's clock. Only this module calls `Date.now()`. */
export const systemClock: Clock = () => new Date(Date.now());

/** The machine's clock shifted by `offsetMs` (the renderer follows the desktop core this way). */
export function offsetClock(offsetMs: number, real: Clock = systemClock): Clock {
  return offsetMs === 0 ? real : () => new Date(real().getTime() + offsetMs);
}

/**
 * A pinned clock: it reads `at` when the real clock reads `anchorMs`, and runs on from there.
 * Processes given the same anchor agree to the millisecond, however late each one started.
 */
export interface ClockPin {
  at: Date;
  /** The real time (epoch ms) at which the clock reads `at`; absent: when the process starts. */
  anchorMs?: number;
}

/** Where a pin comes from, for error messages: `--clock` or `GATEHOUSE_CLOCK`. */
export class ClockSpecError extends Error {}

const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(?:Z|[+-]\d{2}:\d{2})$/;

/**
 * Reads a pin: `2026-03-09T10:30:00+03:00` (an ISO-8601 instant with its offset or Z), optionally
 * followed by `@<epoch ms>`, the real moment at which the clock reads that instant.
 */
export function parseClockPin(text: string, source = '--clock'): ClockPin {
  const trimmed = text.trim();
  const [instant = '', anchor, ...rest] = trimmed.split('@');
  const hint = `${source} must be an ISO-8601 instant with a time zone offset, such as 2026-03-09T10:30:00+03:00 or 2026-03-09T07:30:00Z (optionally followed by @<epoch ms>), got "${text}"`;
  if (rest.length > 0 || !INSTANT.test(instant)) throw new ClockSpecError(hint);
  const at = new Date(instant);
  if (Number.isNaN(at.getTime())) throw new ClockSpecError(hint);
  if (anchor === undefined) return { at };
  if (!/^\d{1,15}$/.test(anchor)) throw new ClockSpecError(`${source}: the part after @ must be a real time in epoch milliseconds, got "${text}"`);
  return { at, anchorMs: Number(anchor) };
}

/** A pin in the text form `parseClockPin` reads, anchored so other processes agree with this one. */
export function formatClockPin(pin: Required<ClockPin>): string {
  return `${pin.at.toISOString()}@${pin.anchorMs}`;
}

/** The clock a pin describes, with its anchor filled in (for handing on to child processes). */
export function pinnedClock(pin: ClockPin, real: Clock = systemClock): { clock: Clock; pin: Required<ClockPin> } {
  const anchorMs = pin.anchorMs ?? real().getTime();
  const anchored = { at: pin.at, anchorMs };
  return { clock: offsetClock(pin.at.getTime() - anchorMs, real), pin: anchored };
}

/** The variable that pins every Gatehouse process started with it (tests and demos only). */
export const CLOCK_ENV = 'GATEHOUSE_CLOCK';

/**
 * The clock a process runs on: `flag` (from `--clock`) if given, else the environment's
 * GATEHOUSE_CLOCK, else the machine's. `pin` is what to hand on to children (undefined: real).
 */
export function resolveClock(flag: string | undefined, envValue: string | undefined): { clock: Clock; pin?: Required<ClockPin> } {
  if (flag !== undefined) return pinnedClock(parseClockPin(flag, '--clock'));
  if (envValue !== undefined && envValue.trim() !== '') return pinnedClock(parseClockPin(envValue, CLOCK_ENV));
  return { clock: systemClock };
}
