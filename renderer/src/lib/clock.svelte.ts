// "Now" for the console: the desktop core's clock (pinned in tests and demos), followed through
// the offset between what `session.get` said and this browser's clock. Two ticking readings:
// every 30 seconds for ages, every second for countdowns, each only while something reads it.
import { createSubscriber } from 'svelte/reactivity';
import { offsetClock, systemClock, type Clock } from '../../../shared/clock.ts';

let current: Clock = systemClock;
const ticking = new Set<Ticking>();

/** Follows the core's clock from now on; `coreNow` is what it answered a moment ago. */
export function followCore(coreNow: string): void {
  const at = Date.parse(coreNow);
  if (Number.isNaN(at)) return;
  current = offsetClock(at - systemClock().getTime());
  for (const t of ticking) t.refresh();
}

/** The core's "now" in epoch ms, read once (for a freeze's `until`, say). */
export function nowMs(): number {
  return current().getTime();
}

class Ticking {
  #now = $state(nowMs());
  #subscribe: () => void;
  constructor(periodMs: number) {
    ticking.add(this);
    this.#subscribe = createSubscriber(() => {
      this.refresh();
      const t = setInterval(() => this.refresh(), periodMs);
      return () => clearInterval(t);
    });
  }
  refresh(): void {
    this.#now = nowMs();
  }
  get now(): number {
    this.#subscribe();
    return this.#now;
  }
}

/** Ticks every 30 seconds while something shows an age. */
export const clock = new Ticking(30_000);
/** Ticks every second while something shows a countdown. */
export const seconds = new Ticking(1000);
