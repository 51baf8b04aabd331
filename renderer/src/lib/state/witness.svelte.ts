// What this desktop itself verified of the server's audit chain, and the alert when the chain no
// longer extends it (the core's audit witness). Fed by `witness.get` and `witness.changed`.
import { createSubscriber } from 'svelte/reactivity';
import type { WitnessState } from '../../../../shared/desktop/witness.ts';
import { call, on, onLink } from '../api.ts';

export class WitnessStore {
  #state = $state.raw<WitnessState | undefined>(undefined);

  #subscribe = createSubscriber(() => {
    const offs = [
      on('witness.changed', (s) => (this.#state = s)),
      onLink((up) => {
        if (up) void this.refresh();
      }),
    ];
    void this.refresh();
    return () => {
      for (const off of offs) off();
    };
  });

  async refresh(): Promise<void> {
    try {
      this.#state = await call('witness.get', {});
    } catch {
      // signed out or the host is down: nothing to show
    }
  }

  get current(): WitnessState | undefined {
    this.#subscribe();
    return this.#state;
  }
}

export const witness = new WitnessStore();
