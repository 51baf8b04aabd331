// Where the cache stands against the server: the sync cursor it has reached, the id of the server
// its data came from, and the write generation (bumped by every write, so a saved inbox snapshot
// can tell whether it still mirrors the tables).
import type { Sql } from './sql.ts';

export class SyncState {
  readonly #sql: Sql;
  #cursor = 0;
  #generation = 0;

  constructor(sql: Sql) {
    this.#sql = sql;
  }

  load(): void {
    const cursor = this.#sql.meta('cursor');
    this.#cursor = cursor !== undefined ? Number(cursor) : 0;
    const generation = this.#sql.meta('generation');
    this.#generation = generation !== undefined ? Number(generation) : 0;
  }

  cursor(): number {
    return this.#cursor;
  }

  generation(): number {
    return this.#generation;
  }

  serverId(): string | undefined {
    return this.#sql.meta('server_id');
  }

  setServerId(id: string): void {
    this.#sql.setMeta('server_id', id);
  }

  /** Inside a write transaction: the next generation, and the page's cursor if it was a sync page. */
  record(cursor?: number): void {
    if (cursor !== undefined) this.#sql.setMeta('cursor', String(cursor));
    this.#sql.setMeta('generation', String(this.#generation + 1));
  }

  /** After a sync page's transaction committed. */
  committed(cursor: number): void {
    this.#cursor = cursor;
    this.#generation++;
  }
}
