// "Now", ticking every 30 seconds while something shows an age.
import { createSubscriber } from 'svelte/reactivity';

class Clock {
  #now = $state(Date.now());
  #subscribe = createSubscriber(() => {
    const t = setInterval(() => (this.#now = Date.now()), 30_000);
    return () => clearInterval(t);
  });
  get now(): number {
    this.#subscribe();
    return this.#now;
  }
}

export const clock = new Clock();
