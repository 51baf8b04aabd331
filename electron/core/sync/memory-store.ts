// An in-memory SyncStore (Maps), for tests and benchmarks where the sql.js cache is not wanted.
import type { SyncChange, SyncEntity } from '../../../shared/schemas/index.ts';
import type { ApplyOptions, SyncStore } from '../contracts.ts';

export class MemorySyncStore implements SyncStore {
  #cursor = 0;
  #serverId: string | undefined;
  readonly entities = new Map<SyncEntity, Map<string, unknown>>();
  /** How many pages were applied and how many resets happened (for tests). */
  pages = 0;
  resets = 0;

  cursor(): number {
    return this.#cursor;
  }

  applyChanges(changes: readonly SyncChange[], cursor: number, _options?: ApplyOptions): void {
    for (const c of changes) {
      let m = this.entities.get(c.entity);
      if (!m) this.entities.set(c.entity, (m = new Map()));
      if (c.op === 'delete') m.delete(c.id);
      else m.set(c.id, c.data);
    }
    this.#cursor = cursor;
    this.pages++;
  }

  serverId(): string | undefined {
    return this.#serverId;
  }

  setServerId(id: string): void {
    this.#serverId = id;
  }

  reset(): void {
    this.entities.clear();
    this.#cursor = 0;
    this.#serverId = undefined;
    this.resets++;
  }

  get(entity: SyncEntity, id: string): unknown {
    return this.entities.get(entity)?.get(id);
  }

  count(entity: SyncEntity): number {
    return this.entities.get(entity)?.size ?? 0;
  }
}
