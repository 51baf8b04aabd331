// The clock every suite runs on: GATEHOUSE_CLOCK when the pinned-instant matrix (test/matrix.ts)
// or a developer sets it, the machine's otherwise. The pin is anchored here and written back, so
// the servers, web modes and CLIs a test starts read exactly the time the test reads.
import { CLOCK_ENV, formatClockPin, parseClockPin, pinnedClock, resolveClock, systemClock, type Clock } from '../shared/clock.ts';

function ambient(): Clock {
  const { clock, pin } = resolveClock(undefined, process.env[CLOCK_ENV]);
  if (pin) process.env[CLOCK_ENV] = formatClockPin(pin);
  return clock;
}

/** Now, as the processes this test starts see it. */
export const testClock: Clock = ambient();

/** Epoch ms on the test clock. */
export const nowMs = (): number => testClock().getTime();

/** A clock that reads `instant` now and runs on: for tests that need a particular hour or day. */
export function clockAt(instant: string): { clock: Clock; flag: string } {
  const { clock, pin } = pinnedClock(parseClockPin(instant, 'clockAt'), systemClock);
  return { clock, flag: formatClockPin(pin) };
}
