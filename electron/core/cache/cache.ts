// The desktop's offline cache: every synced entity in a sql.js database, persisted by coalesced,
// never-torn saves (persist.ts), queried by the inbox (inbox-query.ts), with diff texts kept as
// files under a byte budget (diffs.ts). Plain Node: no Electron import.
import { readFileSync, renameSync, unlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import initSqlJs, { type Database, type SqlJsStatic, type Statement, type SqlValue } from 'sql.js';
import {
  ACTIONS,
  REQUEST_STATUSES,
  SYNC_ENTITIES,
  type ApprovalRequest,
  type SyncChange,
  type SyncEntity,
} from '../../../shared/schemas/index.ts';
import { ACTION_GROUP } from '../../../shared/inbox.ts';
import type { SyncStore } from '../contracts.ts';
import { decodeJson, encodeJson } from './codec.ts';
import { DiffFiles, type CachedDiff, type MissingDiff } from './diffs.ts';
import { groupCode, InboxIndex, statusCode, type InboxPage, type RequestKey } from './inbox-index.ts';
import type { InboxQuery } from '../../../shared/ipc.ts';
import { corruptPathOf, headerProblem, sealOf, unseal } from './persist.ts';
import { nodeIo, tempPathOf, writeFileAtomic, type AtomicWriteIo } from '../atomic-write.ts';
import { applyPragmas, ENTITY_TABLE, migrate } from './schema.ts';
import type { EntityTypes } from '../../../shared/schemas/index.ts';
import { systemClock, type Clock } from '../../../shared/clock.ts';

export type { EntityTypes };

export interface SaveInfo {
  /** Size of the file written. */
  bytes: number;
  /** export() + write + fsync + rename + directory fsync. */
  ms: number;
}

export interface CacheOptions {
  /** The cache file, e.g. `<userData>/cache.sqlite`. Its directory must exist. */
  file: string;
  /** sql-wasm.wasm; default: sql.js/dist/sql-wasm.wasm resolved from node_modules. */
  wasmPath?: string;
  /** Writes within this many ms are coalesced into one save. Default 250. */
  saveDelayMs?: number;
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
  recovered?: { movedTo: string; reason: string };
}

export type { CachedDiff, MissingDiff };

const sqlJsByWasm = new Map<string, Promise<SqlJsStatic>>();

function defaultWasmPath(): string {
  return createRequire(import.meta.url).resolve('sql.js/dist/sql-wasm.wasm');
}

/** sql.js, initialised once per wasm file for the process (≈ 20 ms the first time). */
export function loadSqlJs(wasmPath = defaultWasmPath()): Promise<SqlJsStatic> {
  let p = sqlJsByWasm.get(wasmPath);
  if (!p) {
    const bin = readFileSync(wasmPath);
    const wasmBinary = bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength) as ArrayBuffer;
    p = initSqlJs({ wasmBinary });
    p.catch(() => sqlJsByWasm.delete(wasmPath));
    sqlJsByWasm.set(wasmPath, p);
  }
  return p;
}

const DEFAULT_SAVE_DELAY_MS = 250;
const DEFAULT_RETRY_DELAY_MS = 5000;
const DEFAULT_DIFF_BUDGET = 256 * 1024 * 1024;
const MAX_CACHED_STATEMENTS = 200;
/** Separates values in group_concat results and the inbox snapshot. */
const SEP = '\x1e';

const STATUS_SET: ReadonlySet<string> = new Set(REQUEST_STATUSES);
const ACTION_SET: ReadonlySet<string> = new Set(ACTIONS);
const ENTITY_SET: ReadonlySet<string> = new Set(SYNC_ENTITIES);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function errorOf(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

type Param = string | number | null | Uint8Array;

/** The derived columns of a request row. */
interface RequestRow extends RequestKey {
  action: string;
  updatedAt: number;
  digest: string;
  diffBytes: number;
}

/**
 * A light shape check of a synced request: the fields the cache indexes must be there and typed.
 * (A full zod parse costs ~35 ms per 1000-change page; the sync engine validates responses.)
 */
function checkRequest(id: string, d: unknown): ApprovalRequest {
  const bad = (what: string) => new Error(`sync change request ${id}: ${what}`);
  if (!isObject(d)) throw bad('data is not an object');
  if (d.id !== id) throw bad(`data.id ${JSON.stringify(d.id)} differs from the change id`);
  if (typeof d.action !== 'string' || !ACTION_SET.has(d.action)) throw bad(`unknown action ${JSON.stringify(d.action)}`);
  if (typeof d.status !== 'string' || !STATUS_SET.has(d.status)) throw bad(`unknown status ${JSON.stringify(d.status)}`);
  if (typeof d.requesterId !== 'string') throw bad('requesterId missing');
  if (!isObject(d.resource)) throw bad('resource missing');
  if (!isObject(d.payload)) throw bad('payload missing');
  if (typeof d.digest !== 'string') throw bad('digest missing');
  if (!Array.isArray(d.gates) || !Array.isArray(d.decisions)) throw bad('gates or decisions missing');
  for (const k of ['createdAt', 'updatedAt'] as const) {
    if (typeof d[k] !== 'string' || Number.isNaN(Date.parse(d[k] as string))) throw bad(`${k} is not a time`);
  }
  return d as unknown as ApprovalRequest;
}

export class Cache implements SyncStore {
  private readonly stmts = new Map<string, Statement>();
  /** The inbox mirror, built on first use (inbox-index.ts). */
  private index: InboxIndex | undefined;
  private readonly userName = new Map<string, string>();
  private readonly envInfo = new Map<string, { name: string; projectId: string | undefined }>();
  private readonly projectName = new Map<string, string>();
  private cursorValue = 0;
  /** Bumped by every write transaction; the inbox snapshot in `meta` is valid only for its generation. */
  private generation = 0;
  private snapshotGeneration = -1;
  private diffBytesTotal = 0;
  private readClock = 0;

  private dirty = false;
  /** Only diff read times changed: saved with the next save or flush, never on their own. */
  private touched = false;
  private timer: NodeJS.Timeout | undefined;
  private saving: Promise<void> | undefined;
  private lastSaveFailed = false;
  private closed = false;

  private readonly saveDelayMs: number;
  private readonly retryDelayMs: number;
  private readonly diffBudget: number;
  private readonly io: AtomicWriteIo;
  private readonly diffs: DiffFiles;

  private constructor(
    private readonly db: Database,
    private readonly opts: CacheOptions,
  ) {
    this.saveDelayMs = opts.saveDelayMs ?? DEFAULT_SAVE_DELAY_MS;
    this.retryDelayMs = opts.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS;
    this.diffBudget = opts.diffBudgetBytes ?? DEFAULT_DIFF_BUDGET;
    this.io = opts.io ?? nodeIo;
    this.diffs = new DiffFiles(opts.diffDir ?? `${opts.file}.diffs`);
    this.loadState();
  }

  /**
   * Opens (or creates) the cache file. An unusable file — unreadable, bad header, truncated, "file
   * is not a database", failing quick_check, or a newer schema than this build knows — is renamed
   * to `<file>.corrupt-<timestamp>` and an empty cache is returned with `recovered` set; the sync
   * engine then rebuilds it from the server. A stray `<file>.tmp` (a crash mid-save) is removed.
   */
  static async open(opts: CacheOptions): Promise<OpenResult> {
    const SQL = await loadSqlJs(opts.wasmPath);
    const file = opts.file;
    try {
      unlinkSync(tempPathOf(file));
    } catch {
      // none: the usual case
    }

    let bytes: Uint8Array | undefined;
    let problem: string | null = null;
    try {
      bytes = readFileSync(file);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (e.code !== 'ENOENT') problem = `unreadable (${e.code ?? e.message})`;
    }

    let db: Database | undefined;
    if (bytes && !problem) {
      const sealed = unseal(bytes);
      if ('problem' in sealed) problem = sealed.problem;
      else problem = headerProblem(sealed.image);
      if (!problem && !('problem' in sealed)) {
        try {
          db = new SQL.Database(sealed.image);
          if (!sealed.verified) {
            const check = db.exec('PRAGMA quick_check(1)');
            const verdict = String(check[0]?.values[0]?.[0] ?? 'no answer');
            if (verdict !== 'ok') problem = `failed quick_check: ${verdict}`;
          }
          if (!problem) migrate(db);
        } catch (err) {
          problem = errorOf(err).message;
        }
        if (problem) {
          db?.close();
          db = undefined;
        }
      }
    }
    bytes = undefined; // sql.js copied it; let it go before building the cache

    let recovered: OpenResult['recovered'];
    if (problem) {
      const movedTo = corruptPathOf(file, (opts.now ?? systemClock)());
      renameSync(file, movedTo); // if even this fails, the error is the caller's to show
      recovered = { movedTo, reason: problem };
    }
    if (!db) {
      db = new SQL.Database();
      migrate(db);
    }
    applyPragmas(db);
    const cache = new Cache(db, opts);
    if (recovered) cache.diffs.removeAll();
    else cache.removeOrphanDiffs();
    return recovered ? { cache, recovered } : { cache };
  }

  // ---- SyncStore ------------------------------------------------------------------------------

  cursor(): number {
    return this.cursorValue;
  }

  serverId(): string | undefined {
    this.assertOpen();
    const row = this.first('SELECT value FROM meta WHERE key = ?', ['server_id']);
    return row ? String(row[0]) : undefined;
  }

  setServerId(id: string): void {
    this.assertOpen();
    this.setMeta('server_id', id);
    this.markDirty();
  }

  /** Applies one /api/sync page in one transaction (all or nothing) and records its cursor. */
  applyChanges(changes: readonly SyncChange[], cursor: number): void {
    this.assertOpen();
    if (!Number.isSafeInteger(cursor) || cursor < 0) throw new Error(`bad sync cursor ${cursor}`);
    const affected = { user: new Set<string>(), environment: new Set<string>(), project: new Set<string>() };
    const droppedDiffFiles: string[] = [];
    this.db.exec('BEGIN');
    try {
      for (const c of changes) {
        if (!ENTITY_SET.has(c.entity)) throw new Error(`sync change ${c.id}: unknown entity ${JSON.stringify(c.entity)}`);
        if (c.op === 'delete') this.deleteOne(c.entity, c.id, affected, droppedDiffFiles);
        else if (c.op === 'upsert') this.upsertOne(c.entity, c.id, c.data, affected);
        else throw new Error(`sync change ${c.id}: unknown op ${JSON.stringify(c.op)}`);
      }
      this.recomputeDependents(affected);
      this.setMeta('cursor', String(cursor));
      this.setMeta('generation', String(this.generation + 1));
      this.db.exec('COMMIT');
    } catch (err) {
      this.db.exec('ROLLBACK');
      this.loadState(); // the name maps and the inbox mirror were changed as rows were written
      throw err;
    }
    this.cursorValue = cursor;
    this.generation++;
    for (const f of droppedDiffFiles) this.diffs.remove(f);
    if (this.diffBytesTotal > this.diffBudget) this.evictDiffs();
    this.markDirty();
  }

  /** Forgets every synced entity, the cursor and the cached diffs. */
  reset(): void {
    this.assertOpen();
    this.db.exec('BEGIN');
    try {
      for (const t of [...Object.values(ENTITY_TABLE), 'requests', 'request_search', 'request_data', 'diffs', 'meta']) this.db.exec(`DELETE FROM ${t}`);
      this.setMeta('generation', String(this.generation + 1));
      this.db.exec('COMMIT');
    } catch (err) {
      this.db.exec('ROLLBACK');
      throw err;
    }
    this.diffs.removeAll();
    this.loadState();
    this.index = new InboxIndex();
    this.markDirty();
  }

  // ---- reads ----------------------------------------------------------------------------------

  get<E extends SyncEntity>(entity: E, id: string): EntityTypes[E] | undefined {
    this.assertOpen();
    const table = entity === 'request' ? 'request_data' : ENTITY_TABLE[entity as Exclude<SyncEntity, 'request'>];
    if (!table) throw new Error(`unknown entity ${JSON.stringify(entity)}`);
    const row = this.first(`SELECT data FROM ${table} WHERE id = ?`, [id]);
    return row ? (JSON.parse(decodeJson(row[0])) as EntityTypes[E]) : undefined;
  }

  /** Every cached entity of a kind: requests newest first, the others by id. */
  list<E extends SyncEntity>(entity: E): EntityTypes[E][] {
    this.assertOpen();
    if (entity === 'request') {
      return this.all('SELECT d.data FROM requests r JOIN request_data d ON d.id = r.id ORDER BY r.created_at DESC, r.rowid DESC').map(
        (r) => JSON.parse(decodeJson(r[0])) as EntityTypes[E],
      );
    }
    const table = ENTITY_TABLE[entity as Exclude<SyncEntity, 'request'>];
    if (!table) throw new Error(`unknown entity ${JSON.stringify(entity)}`);
    return this.all(`SELECT data FROM ${table} ORDER BY id`).map((r) => JSON.parse(r[0] as string) as EntityTypes[E]);
  }

  request(id: string): ApprovalRequest | undefined {
    return this.get('request', id);
  }

  /** One newest-first page of the inbox, its total, and the counts per status and group chip. */
  inbox(q: InboxQuery = {}): InboxPage {
    this.assertOpen();
    const index = this.inboxIndex();
    if (q.text && q.text.trim() && !index.searchLoaded) this.loadSearchTexts(index);
    const { ids, total, counts } = index.query(q);
    const rows: ApprovalRequest[] = [];
    for (const id of ids) {
      const r = this.first('SELECT data FROM request_data WHERE id = ?', [id]);
      if (r) rows.push(JSON.parse(decodeJson(r[0])) as ApprovalRequest);
    }
    return { rows, total, counts };
  }

  /** Pending requests, newest first (for the notifier and the tray). */
  approvableCandidates(limit = 1000): ApprovalRequest[] {
    this.assertOpen();
    return this.all(
      "SELECT d.data FROM requests r JOIN request_data d ON d.id = r.id WHERE r.status = 'pending' ORDER BY r.created_at DESC, r.rowid DESC LIMIT ?",
      [limit],
    ).map((r) => JSON.parse(decodeJson(r[0])) as ApprovalRequest);
  }

  // ---- diffs ----------------------------------------------------------------------------------

  /** Caches a request's diff text (served apart, ETag = digest), then evicts over the budget. */
  putDiff(requestId: string, digest: string, text: string): void {
    this.assertOpen();
    const name = this.diffs.nameFor(requestId);
    const old = this.first('SELECT bytes FROM diffs WHERE request_id = ?', [requestId]);
    const bytes = this.diffs.write(name, text);
    this.run(
      `INSERT INTO diffs (request_id, digest, bytes, file, last_read) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (request_id) DO UPDATE SET digest = excluded.digest, bytes = excluded.bytes, file = excluded.file, last_read = excluded.last_read`,
      [requestId, digest, bytes, name, ++this.readClock],
    );
    this.diffBytesTotal += bytes - (old ? (old[0] as number) : 0);
    if (this.diffBytesTotal > this.diffBudget) this.evictDiffs(requestId);
    this.markDirty();
  }

  /** The cached diff, if any (compare its digest with the request's before trusting it). */
  getDiff(requestId: string): CachedDiff | undefined {
    this.assertOpen();
    const row = this.first('SELECT digest, bytes, file FROM diffs WHERE request_id = ?', [requestId]);
    if (!row) return undefined;
    const [digest, bytes, file] = row as [string, number, string];
    const text = this.diffs.read(file, bytes);
    if (text === undefined) {
      this.diffs.remove(file);
      this.run('DELETE FROM diffs WHERE request_id = ?', [requestId]);
      this.diffBytesTotal -= bytes;
      this.markDirty();
      return undefined;
    }
    this.run('UPDATE diffs SET last_read = ? WHERE request_id = ?', [++this.readClock, requestId]);
    this.touched = true;
    return { digest, text };
  }

  /** Pending requests with a non-empty diff not cached at their current digest, newest first. */
  missingPendingDiffs(limit = 50): MissingDiff[] {
    this.assertOpen();
    return this.all(
      `SELECT r.id, r.digest, r.diff_bytes FROM requests r LEFT JOIN diffs d ON d.request_id = r.id
       WHERE r.status = 'pending' AND r.diff_bytes > 0 AND (d.request_id IS NULL OR d.digest != r.digest)
       ORDER BY r.created_at DESC, r.rowid DESC LIMIT ?`,
      [limit],
    ).map(([id, digest, diffBytes]) => ({ id: id as string, digest: digest as string, diffBytes: diffBytes as number }));
  }

  /** Total bytes of the cached diff texts. */
  diffBytes(): number {
    return this.diffBytesTotal;
  }

  // ---- persistence ----------------------------------------------------------------------------

  /** Is there state in memory not yet saved? */
  isDirty(): boolean {
    return this.dirty || this.touched;
  }

  /** Saves now if anything changed (waits for a save in flight first). Rejects if the save fails. */
  async flush(): Promise<void> {
    if (this.saving) await this.saving.catch(() => undefined);
    this.clearTimer();
    if ((this.dirty || this.touched) && !this.closed) await this.startSave();
  }

  /** Flushes, then frees the database. Further calls throw. Rejects if the final save failed (after closing). */
  async close(): Promise<void> {
    if (this.closed) return;
    let failure: unknown;
    try {
      await this.flush();
    } catch (err) {
      failure = err;
    }
    this.closed = true;
    this.clearTimer();
    this.freeStatements();
    this.db.close();
    if (failure) throw failure;
  }

  // ---- internals: saving ----------------------------------------------------------------------

  private markDirty(): void {
    this.dirty = true;
    this.schedule(this.saveDelayMs);
  }

  private schedule(delay: number): void {
    if (this.timer || this.saving || this.closed) return; // a save in flight reschedules when done
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.startSave().catch((err: unknown) => this.opts.onError?.(errorOf(err)));
    }, delay);
    this.timer.unref();
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private startSave(): Promise<void> {
    const p = this.saveOnce()
      .then(
        () => {
          this.lastSaveFailed = false;
        },
        (err: unknown) => {
          this.dirty = true; // nothing was lost in memory; the old file is intact
          this.lastSaveFailed = true;
          throw err;
        },
      )
      .finally(() => {
        this.saving = undefined;
        if (this.dirty) this.schedule(this.lastSaveFailed ? this.retryDelayMs : this.saveDelayMs);
      });
    this.saving = p;
    return p;
  }

  private async saveOnce(): Promise<void> {
    const t0 = performance.now();
    // Writes that land while the file is being written set dirty again and get their own save.
    this.dirty = false;
    this.touched = false;
    this.writeInboxSnapshot();
    let data: Uint8Array;
    try {
      data = this.db.export();
    } finally {
      // sql.js may free prepared statements and reset PRAGMAs in export(): start afresh either way.
      this.freeStatements();
      applyPragmas(this.db);
    }
    const seal = sealOf(data);
    await writeFileAtomic(this.opts.file, [data, seal], { io: this.io });
    this.opts.onSave?.({ bytes: data.byteLength + seal.byteLength, ms: performance.now() - t0 });
  }

  // ---- internals: sql -------------------------------------------------------------------------

  private assertOpen(): void {
    if (this.closed) throw new Error('the cache is closed');
  }

  private stmt(sql: string): Statement {
    let s = this.stmts.get(sql);
    if (!s) {
      if (this.stmts.size >= MAX_CACHED_STATEMENTS) this.freeStatements();
      s = this.db.prepare(sql);
      this.stmts.set(sql, s);
    }
    return s;
  }

  private freeStatements(): void {
    for (const s of this.stmts.values()) {
      try {
        s.free();
      } catch {
        // already freed by sql.js
      }
    }
    this.stmts.clear();
  }

  private run(sql: string, params: Param[]): void {
    const s = this.stmt(sql);
    try {
      s.run(params);
    } finally {
      s.reset();
    }
  }

  private all(sql: string, params: Param[] = []): SqlValue[][] {
    const s = this.stmt(sql);
    const out: SqlValue[][] = [];
    try {
      s.bind(params);
      while (s.step()) out.push(s.get());
    } finally {
      s.reset();
    }
    return out;
  }

  private first(sql: string, params: Param[]): SqlValue[] | undefined {
    const s = this.stmt(sql);
    try {
      s.bind(params);
      return s.step() ? s.get() : undefined;
    } finally {
      s.reset();
    }
  }

  private setMeta(key: string, value: string): void {
    this.run('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value', [key, value]);
  }

  /** Rebuilds the in-memory state (cursor, name maps, diff totals) from the database. */
  private loadState(): void {
    this.index = undefined;
    const cur = this.first('SELECT value FROM meta WHERE key = ?', ['cursor']);
    this.cursorValue = cur ? Number(cur[0]) : 0;
    const gen = this.first('SELECT value FROM meta WHERE key = ?', ['generation']);
    this.generation = gen ? Number(gen[0]) : 0;
    this.snapshotGeneration = -1;
    this.userName.clear();
    this.envInfo.clear();
    this.projectName.clear();
    for (const [id, name] of this.all('SELECT id, name FROM users')) this.userName.set(id as string, (name as string | null) ?? '');
    for (const [id, name] of this.all('SELECT id, name FROM projects')) this.projectName.set(id as string, (name as string | null) ?? '');
    for (const [id, name, data] of this.all('SELECT id, name, data FROM environments')) {
      const projectId = (JSON.parse(data as string) as { projectId?: string }).projectId;
      this.envInfo.set(id as string, { name: (name as string | null) ?? '', projectId });
    }
    const d = this.first('SELECT coalesce(sum(bytes), 0), coalesce(max(last_read), 0) FROM diffs', [])!;
    this.diffBytesTotal = d[0] as number;
    this.readClock = d[1] as number;
  }

  private upsertOne(entity: SyncEntity, id: string, data: unknown, affected: Record<'user' | 'environment' | 'project', Set<string>>): void {
    if (entity === 'request') {
      const r = checkRequest(id, data);
      const row = this.requestRow(r);
      this.writeRequestRow(id, row);
      this.run('INSERT INTO request_data (id, data) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET data = excluded.data', [id, encodeJson(JSON.stringify(r))]);
      return;
    }
    if (!isObject(data)) throw new Error(`sync change ${entity} ${id}: data is not an object`);
    if (data.id !== id) throw new Error(`sync change ${entity} ${id}: data.id ${JSON.stringify(data.id)} differs from the change id`);
    const name = typeof data.name === 'string' ? data.name : null;
    const table = ENTITY_TABLE[entity];
    this.run(`INSERT INTO ${table} (id, name, data) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET name = excluded.name, data = excluded.data`, [
      id,
      name,
      JSON.stringify(data),
    ]);
    if (entity === 'user') {
      if (this.userName.get(id) !== (name ?? '')) affected.user.add(id);
      this.userName.set(id, name ?? '');
    } else if (entity === 'project') {
      if (this.projectName.get(id) !== (name ?? '')) affected.project.add(id);
      this.projectName.set(id, name ?? '');
    } else if (entity === 'environment') {
      const projectId = typeof data.projectId === 'string' ? data.projectId : undefined;
      const old = this.envInfo.get(id);
      if (!old || old.name !== (name ?? '') || old.projectId !== projectId) affected.environment.add(id);
      this.envInfo.set(id, { name: name ?? '', projectId });
    }
  }

  private deleteOne(entity: SyncEntity, id: string, affected: Record<'user' | 'environment' | 'project', Set<string>>, droppedDiffFiles: string[]): void {
    if (entity === 'request') {
      this.run('DELETE FROM requests WHERE id = ?', [id]);
      this.run('DELETE FROM request_data WHERE id = ?', [id]);
      this.run('DELETE FROM request_search WHERE id = ?', [id]);
      this.index?.delete(id);
      const diff = this.first('SELECT bytes, file FROM diffs WHERE request_id = ?', [id]);
      if (diff) {
        this.run('DELETE FROM diffs WHERE request_id = ?', [id]);
        this.diffBytesTotal -= diff[0] as number;
        droppedDiffFiles.push(diff[1] as string);
      }
      return;
    }
    this.run(`DELETE FROM ${ENTITY_TABLE[entity]} WHERE id = ?`, [id]);
    if (entity === 'user' && this.userName.delete(id)) affected.user.add(id);
    if (entity === 'project' && this.projectName.delete(id)) affected.project.add(id);
    if (entity === 'environment' && this.envInfo.delete(id)) affected.environment.add(id);
  }

  /** Requests whose search text or project depend on a user, environment or project that changed. */
  private recomputeDependents(affected: Record<'user' | 'environment' | 'project', Set<string>>): void {
    if (affected.user.size + affected.environment.size + affected.project.size === 0) return;
    for (const id of this.inboxIndex().dependents(affected.user, affected.environment, affected.project)) {
      const row = this.first('SELECT data FROM request_data WHERE id = ?', [id]);
      if (row) this.writeRequestRow(id, this.requestRow(JSON.parse(decodeJson(row[0])) as ApprovalRequest));
    }
  }

  private inboxIndex(): InboxIndex {
    if (!this.index) this.index = this.loadInboxIndex();
    return this.index;
  }

  /**
   * Builds the inbox mirror from the `requests` table. Column by column through group_concat: one
   * string per column out of wasm is much faster than 50k step()/get() calls. If a value held the
   * separator (only a strange id could), the lengths disagree: then row by row.
   */
  private loadInboxIndex(): InboxIndex {
    return this.readInboxSnapshot() ?? this.scanInboxIndex();
  }

  /**
   * The mirror's key columns, saved in `meta` with the generation they mirror, just before each
   * export: the next cold start parses one string instead of scanning the table.
   */
  private writeInboxSnapshot(): void {
    if (!this.index || this.snapshotGeneration === this.generation) return;
    const text = this.index.serialize(this.generation);
    if (text === undefined) return;
    this.setMeta('inbox_snapshot', text);
    this.snapshotGeneration = this.generation;
  }

  private readInboxSnapshot(): InboxIndex | undefined {
    const row = this.first('SELECT value FROM meta WHERE key = ?', ['inbox_snapshot']);
    const index = row ? InboxIndex.deserialize(String(row[0]), this.generation) : undefined;
    if (index) this.snapshotGeneration = this.generation;
    return index;
  }

  private indexOf(cells: string[][]): InboxIndex {
    const [ids, statuses, groups, envs, projects, requesters, created] = cells as [string[], string[], string[], string[], string[], string[], string[]];
    return InboxIndex.fromColumns({
      ids,
      statusCodes: statuses.map(statusCode),
      groupCodes: groups.map(groupCode),
      environmentIds: envs.map((e) => e || null),
      projectIds: projects.map((p) => p || null),
      requesterIds: requesters,
      createdAts: created.map(Number),
    });
  }

  /**
   * Builds the mirror from the `requests` table. Column by column through group_concat (one string
   * per column out of wasm beats 50k step()/get() calls); if a value held the separator (only a
   * strange id could), the lengths disagree: then row by row.
   */
  private scanInboxIndex(): InboxIndex {
    const cols = ['id', 'status', 'action_group', "coalesce(environment_id, '')", "coalesce(project_id, '')", 'requester_id', 'created_at'];
    const cells = this.concatColumns('requests', cols);
    if (cells) return this.indexOf(cells);
    const c = { ids: [] as string[], statusCodes: [] as number[], groupCodes: [] as number[], environmentIds: [] as (string | null)[], projectIds: [] as (string | null)[], requesterIds: [] as string[], createdAts: [] as number[] };
    for (const [id, status, group, env, project, requester, created] of this.all('SELECT id, status, action_group, environment_id, project_id, requester_id, created_at FROM requests ORDER BY rowid')) {
      c.ids.push(id as string);
      c.statusCodes.push(statusCode(status as string));
      c.groupCodes.push(groupCode(group as string));
      c.environmentIds.push(env as string | null);
      c.projectIds.push(project as string | null);
      c.requesterIds.push(requester as string);
      c.createdAts.push(created as number);
    }
    return InboxIndex.fromColumns(c);
  }

  private loadSearchTexts(index: InboxIndex): void {
    const cells = this.concatColumns('request_search', ['id', 'search']);
    if (cells) return index.loadSearch(cells[0]!, cells[1]!);
    const rows = this.all('SELECT id, search FROM request_search');
    index.loadSearch(
      rows.map((r) => r[0] as string),
      rows.map((r) => r[1] as string),
    );
  }

  /** Each column of a table (rowid order) as an array, or undefined if a value holds the separator. */
  private concatColumns(table: string, cols: string[]): string[][] | undefined {
    const res = this.db.exec(`SELECT count(*), ${cols.map((c) => `group_concat(${c}, char(30))`).join(', ')} FROM (SELECT * FROM ${table} ORDER BY rowid)`);
    const row = res[0]?.values[0] ?? [0];
    const n = Number(row[0]);
    if (n === 0) return cols.map(() => []);
    const out = row.slice(1).map((v) => String(v).split(SEP));
    return out.length === cols.length && out.every((c) => c.length === n) ? out : undefined;
  }

  private requestRow(r: ApprovalRequest): RequestRow {
    const envId = r.resource.environmentId ?? null;
    const env = envId ? this.envInfo.get(envId) : undefined;
    const projectId = r.resource.projectId ?? env?.projectId ?? null;
    const search = [
      r.id,
      r.payload.summary,
      r.payload.revision,
      r.justification,
      this.userName.get(r.requesterId),
      r.requesterId,
      r.action,
      env?.name,
      projectId ? this.projectName.get(projectId) : undefined,
    ]
      .filter((s): s is string => typeof s === 'string' && s.length > 0)
      .join('\n')
      .replaceAll(SEP, ' ') // the mirror loader's separator
      .toLowerCase();
    return {
      status: r.status,
      action: r.action,
      group: ACTION_GROUP[r.action],
      environmentId: envId,
      projectId,
      requesterId: r.requesterId,
      createdAt: Date.parse(r.createdAt),
      updatedAt: Date.parse(r.updatedAt),
      digest: r.digest,
      diffBytes: typeof r.payload.diffBytes === 'number' ? r.payload.diffBytes : 0,
      search,
    };
  }

  private writeRequestRow(id: string, w: RequestRow): void {
    this.run('INSERT INTO request_search (id, search) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET search = excluded.search', [id, w.search]);
    const s = this.stmt(
      `INSERT INTO requests (id, status, action, action_group, environment_id, project_id, requester_id, created_at, updated_at, digest, diff_bytes)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET status = excluded.status, action = excluded.action, action_group = excluded.action_group,
         environment_id = excluded.environment_id, project_id = excluded.project_id, requester_id = excluded.requester_id,
         created_at = excluded.created_at, updated_at = excluded.updated_at, digest = excluded.digest,
         diff_bytes = excluded.diff_bytes`,
    );
    try {
      s.run([id, w.status, w.action, w.group, w.environmentId, w.projectId, w.requesterId, w.createdAt, w.updatedAt, w.digest, w.diffBytes]);
    } finally {
      s.reset();
    }
    this.index?.set(id, w);
  }

  /** Drops least-recently-read diffs of non-pending (or gone) requests until under the budget. */
  private evictDiffs(keep?: string): void {
    const victims: { id: string; bytes: number; file: string }[] = [];
    let over = this.diffBytesTotal - this.diffBudget;
    if (over <= 0) return;
    const s = this.stmt(
      `SELECT d.request_id, d.bytes, d.file FROM diffs d LEFT JOIN requests r ON r.id = d.request_id
       WHERE (r.status IS NULL OR r.status != 'pending') ORDER BY d.last_read`,
    );
    try {
      while (over > 0 && s.step()) {
        const [id, bytes, file] = s.get() as [string, number, string];
        if (id === keep) continue;
        victims.push({ id, bytes, file });
        over -= bytes;
      }
    } finally {
      s.reset();
    }
    for (const v of victims) {
      this.run('DELETE FROM diffs WHERE request_id = ?', [v.id]);
      this.diffBytesTotal -= v.bytes;
      this.diffs.remove(v.file);
    }
  }

  /** At open: files no row names (orphans, stray .tmp) go; rows whose file is gone go. */
  private removeOrphanDiffs(): void {
    const onDisk = new Set(this.diffs.list());
    const rows = this.all('SELECT request_id, file FROM diffs') as [string, string][];
    const named = new Set(rows.map((r) => r[1]));
    for (const f of onDisk) if (!named.has(f)) this.diffs.remove(f);
    const gone = rows.filter(([, f]) => !onDisk.has(f));
    if (gone.length === 0) return;
    for (const [id] of gone) this.run('DELETE FROM diffs WHERE request_id = ?', [id]);
    this.loadState();
    this.dirty = true; // saved with the next write or flush
  }
}
