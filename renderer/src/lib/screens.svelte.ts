// The screens' components, loaded on first use (each is its own chunk, routes.ts): which are
// loaded, which failed, and a fetch of all the others once the app is idle after its first
// screen, so that later navigation never waits on the disk.
import type { Component } from 'svelte';
import { SvelteMap } from 'svelte/reactivity';
import type { Route, ScreenProps } from '../routes.ts';
import { errorMessage } from './api.ts';

/** How long after the first screen the others start loading (they parse on the main thread). */
const PREFETCH_AFTER_MS = 2000;

class Screens {
  #loaded = new SvelteMap<string, Component<ScreenProps>>();
  #failed = new SvelteMap<string, string>();
  #loading = new Map<string, Promise<void>>();
  #prefetching = false;

  /** The route's component, once loaded (`load` starts it). */
  component(route: Route): Component<ScreenProps> | undefined {
    return this.#loaded.get(route.path);
  }

  /** Why the route's component did not load, if it did not. */
  failure(route: Route): string | undefined {
    return this.#failed.get(route.path);
  }

  /** Loads the route's component (once; again after a failure). */
  load(route: Route): Promise<void> {
    if (this.#loaded.has(route.path)) return Promise.resolve();
    let loading = this.#loading.get(route.path);
    if (!loading) {
      loading = route.load().then(
        (m) => {
          this.#failed.delete(route.path);
          this.#loaded.set(route.path, m.default);
        },
        (err: unknown) => {
          this.#loading.delete(route.path);
          this.#failed.set(route.path, errorMessage(err));
        },
      );
      this.#loading.set(route.path, loading);
    }
    return loading;
  }

  /**
   * Once, a while after the first screen: every other screen, one per idle moment. A screen that
   * failed to load is left to its Try again (or the next visit): a prefetch retrying it behind the
   * user's back would swap the message for the screen under their pointer.
   */
  prefetch(routes: readonly Route[]): () => void {
    if (this.#prefetching) return () => undefined;
    this.#prefetching = true;
    let stopped = false;
    const idle = (fn: () => void) => (typeof requestIdleCallback === 'function' ? requestIdleCallback(fn, { timeout: 5000 }) : setTimeout(fn, 0));
    const next = (i: number) => {
      if (stopped || i >= routes.length) return;
      const route = routes[i]!;
      if (this.#failed.has(route.path)) return void idle(() => next(i + 1));
      void this.load(route).finally(() => idle(() => next(i + 1)));
    };
    const timer = setTimeout(() => idle(() => next(0)), PREFETCH_AFTER_MS);
    return () => {
      stopped = true;
      this.#prefetching = false;
      clearTimeout(timer);
    };
  }
}

export const screens = new Screens();
