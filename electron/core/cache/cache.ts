// The desktop's offline cache: every synced entity in a sql.js database, persisted by coalesced,
// never-torn saves. The Cache is the one object the rest of the core sees; each concern is a
// part of it: opening and recovery (open.ts), when to save (save-scheduler.ts), entity storage
// (entities.ts, request-rows.ts), the inbox query over its in-memory mirror (inbox.ts over
// inbox-index.ts), diff texts under a byte budget (diff-store.ts over diffs.ts), the sync cursor
// and server id (sync-state.ts). Plain Node: no Electron import.
import { systemClock, type Clock } from '../../../shared/clock.ts';
import type { InboxQuery } from '../../../shared/ipc.ts';
import { SYNC_ENTITIES, type ApprovalRequest, type EntityTypes, type SyncChange, type SyncEntity, type User } from '../../../shared/schemas/index.ts';
import { nodeIo, type AtomicWriteIo } from '../atomic-write.ts';
import type { ApplyOptions, SyncStore } from '../contracts.ts';
import { DiffStore } from './diff-store.ts';
import { RequestEncoder } from './encoder.ts';
import type { CachedDiff, MissingDiff } from './diffs.ts';
import { ViewedMarks } from './viewed.ts';
import { Entities, noneAffected } from './entities.ts';
import { Inbox } from './inbox.ts';
import type { InboxPage } from './inbox-index.ts';
import { openDatabase, type OpenedDatabase } from './open.ts';
import { SaveScheduler, type SaveInfo } from './save-scheduler.ts';
import { applyPragmas, ENTITY_TABLE } from './schema.ts';
import { Sql } from './sql.ts';
import { SyncState } from './sync-state.ts';
import type { Database } from 'sql.js';

export interface CacheOptions {
  /** The cache file, e.g. `<userData>/cache.sqlite`. Its directory must exist. */
  file: string;
  /** sql-wasm.wasm; default: sql.js/dist/sql-wasm.wasm resolved from node_modules. */
  wasmPath?: string;
  /** Writes within this many ms are coalesced into one save. Default 250. */
  saveDelayMs?: number;
  /** Changes the server can give again (applyChanges with `more`, downloaded diffs) are saved within this long. Default 30000. */
  deferredSaveDelayMs?: number;
  /** After a failed save, the next attempt waits this long. Default 5000. */
  retryDelayMs?: number;
  /** Diff texts above this total are evicted, least recently read first, never a pending request's. Default 256 MiB. */
  diffBudgetBytes?: number;
  /** Where diff texts live. Default `<file>.diffs`. */
  diffDir?: string;
  /** Names the file a corrupt cache is moved to. */
  now?: Clock;
  /** A background save failed (disk full, …). The state in memory is intact; the save is retried. */
  onError?: (err: Error) => void;
  /** Called after every successful save (tests count them; the app may log them). */
  onSave?: (info: SaveInfo) => void;
  /** File operations of a save; tests inject failures. */
  io?: AtomicWriteIo;
}

export interface OpenResult {
  cache: Cache;
  /** Set when the file on disk was unusable: moved aside, and this cache starts empty. */
  recovered?: OpenedDatabase['recovered'];
}

const DEFAULT_SAVE_DELAY_MS = 250;
const DEFAULT_DEFERRED_SAVE_DELAY_MS = 30_000;
const SNAPSHOT_EVERY_MS = 5 * 60_000;
const DEFAULT_RETRY_DELAY_MS = 5000;
const DEFAULT_DIFF_BUDGET = 256 * 1024 * 1024;

const ENTITY_SET: ReadonlySet<string> = new Set(SYNC_ENTITIES);

export class Cache implements SyncStore {
  readonly #db: Database;
  readonly #sql: Sql;
  readonly #sync: SyncState;
  readonly #inbox: Inbox;
  readonly #entities: Entities;
  readonly #diffs: DiffStore;
  readonly #viewed: ViewedMarks;
  readonly #saver: SaveScheduler;
  #closed = false;
  readonly #encoder = new RequestEncoder();
  /** Requests encoded ahead by prepare(), by their change's data object (applied once, then gone with it). */
  readonly #encoded = new WeakMap<object, Uint8Array>();
  /** When a save last wrote the inbox snapshot (performance.now()). */
  #snapshotAt = performance.now();

  private constructor(db: Database, opts: CacheOptions) {
    this.#db = db;
    this.#sql = new Sql(db);
    this.#sync = new SyncState(this.#sql);
    this.#inbox = new Inbox(this.#sql, () => this.#sync.generation());
    this.#entities = new Entities(this.#sql, this.#inbox, (data) => this.#encoded.get(data));
    const saver = new SaveScheduler({
      file: opts.file,
      saveDelayMs: opts.saveDelayMs ?? DEFAULT_SAVE_DELAY_MS,
      deferredDelayMs: opts.deferredSaveDelayMs ?? DEFAULT_DEFERRED_SAVE_DELAY_MS,
      retryDelayMs: opts.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS,
      io: opts.io ?? nodeIo,
      image: (explicit) => this.#image(explicit),
      onError: opts.onError,
      onSave: opts.onSave,
    });
    this.#saver = saver;
    this.#diffs = new DiffStore(this.#sql, {
      dir: opts.diffDir ?? `${opts.file}.diffs`,
      budgetBytes: opts.diffBudgetBytes ?? DEFAULT_DIFF_BUDGET,
      // a diff lost in a crash is downloaded again (its file, without a row, is swept at open)
      onWrite: () => saver.markDirtyDeferred(),
      onRead: () => saver.markTouched(),
    });
    this.#viewed = new ViewedMarks(this.#sql, () => saver.markDirty());
    this.#load();
  }

  /**
   * Opens (or creates) the cache file. An unusable file is moved aside and an empty cache is
   * returned with `recovered` set (see open.ts); the sync engine then rebuilds it from the server.
   */
  static async open(opts: CacheOptions): Promise<OpenResult> {
    const { db, recovered } = await openDatabase(opts.file, opts.wasmPath, opts.now ?? systemClock);
    const cache = new Cache(db, opts);
    if (recovered) cache.#diffs.removeAllFiles();
    else if (cache.#diffs.removeOrphans()) {
      cache.#load();
      cache.#saver.markDirtyLater(); // saved with the next write or flush
    }
    return recovered ? { cache, recovered } : { cache };
  }

  // ---- SyncStore ------------------------------------------------------------------------------

  cursor(): number {
    return this.#sync.cursor();
  }

  serverId(): string | undefined {
    this.#assertOpen();
    return this.#sync.serverId();
  }

  setServerId(id: string): void {
    this.#assertOpen();
    this.#sync.setServerId(id);
    this.#saver.markDirty();
  }

  /** Applies one /api/sync page in one transaction (all or nothing) and records its cursor. */
  applyChanges(changes: readonly SyncChange[], cursor: number, options: ApplyOptions = {}): void {
    this.#assertOpen();
    if (!Number.isSafeInteger(cursor) || cursor < 0) throw new Error(`bad sync cursor ${cursor}`);
    const affected = noneAffected();
    const droppedDiffFiles: string[] = [];
    this.#sql.exec('BEGIN');
    try {
      for (const c of changes) {
        if (!ENTITY_SET.has(c.entity)) throw new Error(`sync change ${c.id}: unknown entity ${JSON.stringify(c.entity)}`);
        if (c.op === 'delete') {
          this.#entities.delete(c.entity, c.id, affected);
          const file = c.entity === 'request' ? this.#diffs.forget(c.id) : undefined;
          if (file !== undefined) droppedDiffFiles.push(file);
        } else if (c.op === 'upsert') this.#entities.upsert(c.entity, c.id, c.data, affected);
        else throw new Error(`sync change ${c.id}: unknown op ${JSON.stringify(c.op)}`);
      }
      this.#entities.recomputeDependents(affected);
      this.#sync.record(cursor);
      this.#sql.exec('COMMIT');
    } catch (err) {
      this.#sql.exec('ROLLBACK');
      this.#load(); // the name maps and the inbox mirror were changed as rows were written
      throw err;
    }
    this.#sync.committed(cursor);
    for (const f of droppedDiffFiles) this.#diffs.removeFile(f);
    this.#diffs.evictOverBudget();
    if (options.more) this.#saver.markDirtyDeferred();
    else this.#saver.markDirty();
  }

  /**
   * Encodes the requests of changes about to be applied on a worker thread (encoder.ts), so that
   * applyChanges of them only writes. Changes not prepared, or when the worker is not there, are
   * encoded by applyChanges as always.
   */
  async prepare(changes: readonly SyncChange[]): Promise<void> {
    const requests = changes
      .filter((c) => c.entity === 'request' && c.op === 'upsert' && typeof c.data === 'object' && c.data !== null)
      .map((c) => c.data as object);
    const blobs = await this.#encoder.encode(requests);
    if (!blobs || blobs.length !== requests.length) return;
    for (let i = 0; i < requests.length; i++) this.#encoded.set(requests[i]!, blobs[i]!);
  }

  /** Forgets every synced entity, the cursor and the cached diffs. */
  reset(): void {
    this.#assertOpen();
    this.#sql.exec('BEGIN');
    try {
      for (const t of [...Object.values(ENTITY_TABLE), 'requests', 'request_search', 'request_data', 'diffs', 'viewed', 'meta'])
        this.#sql.exec(`DELETE FROM ${t}`);
      this.#sync.record();
      this.#sql.exec('COMMIT');
    } catch (err) {
      this.#sql.exec('ROLLBACK');
      throw err;
    }
    this.#diffs.removeAllFiles();
    this.#load();
    this.#inbox.clear();
    this.#saver.markDirty();
  }

  // ---- reads ----------------------------------------------------------------------------------

  get<E extends SyncEntity>(entity: E, id: string): EntityTypes[E] | undefined {
    this.#assertOpen();
    return this.#entities.get(entity, id);
  }

  /** Every cached entity of a kind: requests newest first, the others by id. */
  list<E extends SyncEntity>(entity: E): EntityTypes[E][] {
    this.#assertOpen();
    return this.#entities.list(entity);
  }

  request(id: string): ApprovalRequest | undefined {
    return this.get('request', id);
  }

  /** One newest-first page of the inbox, its total, and the counts per status and group chip. */
  inbox(q: InboxQuery = {}, me?: User): InboxPage {
    this.#assertOpen();
    return this.#inbox.query(q, me);
  }

  /** Pending requests, newest first (for the notifier and the tray). */
  approvableCandidates(limit = 1000): ApprovalRequest[] {
    this.#assertOpen();
    return this.#entities.pending(limit);
  }

  // ---- diffs ----------------------------------------------------------------------------------

  /** Caches a request's diff text (served apart, ETag = digest), then evicts over the budget. */
  putDiff(requestId: string, digest: string, text: string): void {
    this.#assertOpen();
    this.#diffs.put(requestId, digest, text);
  }

  /** The cached diff, if any (compare its digest with the request's before trusting it). */
  getDiff(requestId: string): CachedDiff | undefined {
    this.#assertOpen();
    return this.#diffs.get(requestId);
  }

  /** Pending requests with a non-empty diff not cached at their current digest, newest first. */
  missingPendingDiffs(limit = 50): MissingDiff[] {
    this.#assertOpen();
    return this.#diffs.missingPending(limit);
  }

  /** Total bytes of the cached diff texts. */
  diffBytes(): number {
    return this.#diffs.bytes();
  }

  // ---- viewed marks ---------------------------------------------------------------------------

  /** The files marked viewed in a request at diff `digest` (marks made at another digest don't count). */
  viewedFiles(requestId: string, digest: string): string[] {
    this.#assertOpen();
    return this.#viewed.get(requestId, digest);
  }

  /** Marks a file of a request's diff at `digest` viewed or not; marks made at another digest are dropped. */
  setViewed(requestId: string, digest: string, path: string, viewed: boolean): void {
    this.#assertOpen();
    this.#viewed.set(requestId, digest, path, viewed);
  }

  // ---- persistence ----------------------------------------------------------------------------

  /** Is there state in memory not yet saved? */
  isDirty(): boolean {
    return this.#saver.isDirty();
  }

  /** Saves now if anything changed (waits for a save in flight first). Rejects if the save fails. */
  flush(): Promise<void> {
    this.#snapshotIfStale();
    return this.#saver.flush();
  }

  /** Flushes, then frees the database. Further calls throw. Rejects if the final save failed (after closing). */
  async close(): Promise<void> {
    if (this.#closed) return;
    let failure: unknown;
    try {
      this.#snapshotIfStale();
      await this.#saver.close();
    } catch (err) {
      failure = err;
    }
    this.#closed = true;
    await this.#encoder.close();
    this.#sql.freeStatements();
    this.#db.close();
    if (failure) throw failure;
  }

  // ---- internals ------------------------------------------------------------------------------

  #assertOpen(): void {
    if (this.#closed) throw new Error('the cache is closed');
  }

  /** Rebuilds the in-memory state (cursor, generation, name maps, diff totals) from the database. */
  #load(): void {
    this.#inbox.forget();
    this.#sync.load();
    this.#entities.load();
    this.#diffs.load();
  }

  /** A flush or close writes the inbox snapshot of this generation, even with nothing else to save. */
  #snapshotIfStale(): void {
    if (this.#inbox.snapshotStale()) this.#saver.markDirtyLater();
  }

  /**
   * The database image a save writes. The inbox snapshot goes in with a flush or close, and with
   * a background save only every SNAPSHOT_EVERY_MS: at 100k requests it is megabytes to bind into
   * sql.js and export again with every save, for a cold start that a missing or stale snapshot
   * only makes slower (it scans the table instead), never wrong.
   */
  #image(explicit: boolean): Uint8Array {
    if (explicit || performance.now() - this.#snapshotAt >= SNAPSHOT_EVERY_MS) {
      this.#inbox.writeSnapshot();
      this.#snapshotAt = performance.now();
    }
    try {
      return this.#db.export();
    } finally {
      // sql.js may free prepared statements and reset PRAGMAs in export(): start afresh either way.
      this.#sql.freeStatements();
      applyPragmas(this.#db);
    }
  }
}
