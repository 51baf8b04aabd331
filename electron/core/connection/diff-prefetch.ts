// Downloads the diffs of pending requests in the background while online, so a request opened
// offline still shows its diff. Batched a little after each sync page (500 ms), five at a time,
// until none is missing; the first failure pauses it until the next page or reconnect.
import type { Cache } from '../cache/index.ts';
import type { BackendClient } from '../client/index.ts';

const DELAY_MS = 500;
const BATCH = 5;

export interface DiffPrefetchOptions {
  cache: Cache;
  /** The diff-prefetch setting, read at every step so turning it off stops at once. */
  enabled: () => boolean;
  /** The client while online, else undefined (checked before every batch). */
  client: () => BackendClient | undefined;
  log: (line: string) => void;
}

export class DiffPrefetcher {
  readonly #o: DiffPrefetchOptions;
  #running = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: DiffPrefetchOptions) {
    this.#o = options;
  }

  schedule(): void {
    if (this.#timer || !this.#o.enabled()) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#run();
    }, DELAY_MS);
    this.#timer.unref();
  }

  /** Cancels a scheduled run (a running one ends when it next finds itself offline). */
  cancel(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  async #run(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    try {
      for (;;) {
        const client = this.#o.client();
        if (!client || !this.#o.enabled()) return;
        const missing = this.#o.cache.missingPendingDiffs(BATCH);
        if (missing.length === 0) return;
        for (const m of missing) {
          const { text } = await client.diff(m.id);
          this.#o.cache.putDiff(m.id, m.digest, text);
        }
      }
    } catch (err) {
      this.#o.log(`diff prefetch paused: ${(err as Error).message}`);
    } finally {
      this.#running = false;
    }
  }
}
