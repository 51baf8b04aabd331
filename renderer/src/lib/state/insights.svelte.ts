// Insights: approval latency and the oldest waiting requests, computed by the core from the cache
// (so they work offline), for the last N days. Reloaded when requests change.
import { createSubscriber } from 'svelte/reactivity';
import type { Insights } from '../../../../shared/desktop/insights.ts';
import { call, errorMessage, on } from '../api.ts';

export const INSIGHT_RANGES = [7, 30, 90] as const;

/** "42s", "7m", "3.5h", "2.1d" — compact durations for charts and tables. */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  const s = ms / 1000;
  if (s < 60) return `${Math.round(s)}s`;
  const m = s / 60;
  if (m < 60) return `${Math.round(m)}m`;
  const h = m / 60;
  if (h < 48) return `${h < 10 ? h.toFixed(1) : Math.round(h)}h`;
  const d = h / 24;
  return `${d < 10 ? d.toFixed(1) : Math.round(d)}d`;
}

export class InsightsState {
  #days = $state(30);
  #data = $state.raw<Insights | undefined>(undefined);
  #error = $state<string | undefined>(undefined);
  #timer: ReturnType<typeof setTimeout> | undefined;

  #subscribe = createSubscriber(() => {
    void this.refresh();
    return on('cache.changed', (c) => {
      if (!c.entities.includes('request') && !c.entities.includes('breakglass')) return;
      clearTimeout(this.#timer);
      this.#timer = setTimeout(() => void this.refresh(), 300);
    });
  });

  get days(): number {
    return this.#days;
  }
  get data(): Insights | undefined {
    this.#subscribe();
    return this.#data;
  }
  get error(): string | undefined {
    this.#subscribe();
    return this.#error;
  }

  setDays(days: number): void {
    if (days === this.#days) return;
    this.#days = days;
    void this.refresh();
  }

  async refresh(): Promise<void> {
    const days = this.#days;
    try {
      const data = await call('insights.get', { days });
      if (days !== this.#days) return;
      this.#data = data;
      this.#error = undefined;
    } catch (err) {
      this.#error = errorMessage(err);
    }
  }
}

export const insights = new InsightsState();
