// Tells the console the cache changed (`cache.changed`): at once, or — while a sync catches up,
// slice after slice — at most every `everyMs`, so the console does not query the inbox after
// every slice of a large first sync (each query reads every request) yet still watches it fill.
// Whatever was put off is told with the next announcement, at once or when the interval ends.
import type { SyncEntity } from '../../../shared/schemas/index.ts';

export class ChangeAnnouncer {
  readonly #announce: (entities: SyncEntity[]) => void;
  readonly #everyMs: number;
  readonly #pending = new Set<SyncEntity>();
  #timer: NodeJS.Timeout | undefined;

  constructor(announce: (entities: SyncEntity[]) => void, everyMs: number) {
    this.#announce = announce;
    this.#everyMs = everyMs;
  }

  /** `soon`: more changes follow at once (a catch-up); they may wait up to everyMs. */
  changed(entities: Iterable<SyncEntity>, soon: boolean): void {
    for (const e of entities) this.#pending.add(e);
    if (soon) this.#timer ??= setTimeout(() => this.#flush(), this.#everyMs);
    else this.#flush();
  }

  /** Drops a put-off announcement (the core is closing). */
  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#pending.clear();
  }

  #flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#pending.size === 0) return;
    const entities = [...this.#pending];
    this.#pending.clear();
    this.#announce(entities);
  }
}
