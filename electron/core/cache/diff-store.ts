// Diff storage: the `diffs` table indexes the diff files (diffs.ts) by request, with their digest,
// size and when each was last read, and keeps their total under a byte budget by evicting the
// least recently read — never a pending request's, which the reviewer is about to need.
import { DiffFiles, type CachedDiff, type MissingDiff } from './diffs.ts';
import type { Sql } from './sql.ts';

export interface DiffStoreOptions {
  dir: string;
  budgetBytes: number;
  /** The table changed: save it. */
  onWrite: () => void;
  /** Only read times changed: worth saving with the next save, not on their own. */
  onRead: () => void;
}

export class DiffStore {
  readonly #sql: Sql;
  readonly #o: DiffStoreOptions;
  readonly #files: DiffFiles;
  #bytes = 0;
  /** A logical clock for last_read: the order matters, not the time. */
  #readClock = 0;

  constructor(sql: Sql, options: DiffStoreOptions) {
    this.#sql = sql;
    this.#o = options;
    this.#files = new DiffFiles(options.dir);
  }

  /** Reloads the total and the read clock from the table. */
  load(): void {
    const d = this.#sql.first('SELECT coalesce(sum(bytes), 0), coalesce(max(last_read), 0) FROM diffs', [])!;
    this.#bytes = d[0] as number;
    this.#readClock = d[1] as number;
  }

  /** Total bytes of the cached diff texts. */
  bytes(): number {
    return this.#bytes;
  }

  /** Caches a request's diff text, then evicts over the budget (never this one). */
  put(requestId: string, digest: string, text: string): void {
    const name = this.#files.nameFor(requestId);
    const old = this.#sql.first('SELECT bytes FROM diffs WHERE request_id = ?', [requestId]);
    const bytes = this.#files.write(name, text);
    this.#sql.run(
      `INSERT INTO diffs (request_id, digest, bytes, file, last_read) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (request_id) DO UPDATE SET digest = excluded.digest, bytes = excluded.bytes, file = excluded.file, last_read = excluded.last_read`,
      [requestId, digest, bytes, name, ++this.#readClock],
    );
    this.#bytes += bytes - (old ? (old[0] as number) : 0);
    this.evictOverBudget(requestId);
    this.#o.onWrite();
  }

  /** The cached diff, if its file is intact (compare its digest with the request's before trusting it). */
  get(requestId: string): CachedDiff | undefined {
    const row = this.#sql.first('SELECT digest, bytes, file FROM diffs WHERE request_id = ?', [requestId]);
    if (!row) return undefined;
    const [digest, bytes, file] = row as [string, number, string];
    const text = this.#files.read(file, bytes);
    if (text === undefined) {
      this.#files.remove(file);
      this.#sql.run('DELETE FROM diffs WHERE request_id = ?', [requestId]);
      this.#bytes -= bytes;
      this.#o.onWrite();
      return undefined;
    }
    this.#sql.run('UPDATE diffs SET last_read = ? WHERE request_id = ?', [++this.#readClock, requestId]);
    this.#o.onRead();
    return { digest, text };
  }

  /** Pending requests with a non-empty diff not cached at their current digest, newest first. */
  missingPending(limit: number): MissingDiff[] {
    return this.#sql
      .all(
        `SELECT r.id, r.digest, r.diff_bytes FROM requests r LEFT JOIN diffs d ON d.request_id = r.id
         WHERE r.status = 'pending' AND r.diff_bytes > 0 AND (d.request_id IS NULL OR d.digest != r.digest)
         ORDER BY r.created_at DESC, r.rowid DESC LIMIT ?`,
        [limit],
      )
      .map(([id, digest, diffBytes]) => ({ id: id as string, digest: digest as string, diffBytes: diffBytes as number }));
  }

  /** Inside a write: the request is gone, so is its row. Returns the file to remove once the write commits. */
  forget(requestId: string): string | undefined {
    const diff = this.#sql.first('SELECT bytes, file FROM diffs WHERE request_id = ?', [requestId]);
    if (!diff) return undefined;
    this.#sql.run('DELETE FROM diffs WHERE request_id = ?', [requestId]);
    this.#bytes -= diff[0] as number;
    return diff[1] as string;
  }

  removeFile(name: string): void {
    this.#files.remove(name);
  }

  /** Every diff file (the rows go with their table). */
  removeAllFiles(): void {
    this.#files.removeAll();
  }

  /** Drops least-recently-read diffs of non-pending (or gone) requests until under the budget. */
  evictOverBudget(keep?: string): void {
    let over = this.#bytes - this.#o.budgetBytes;
    if (over <= 0) return;
    const victims: { id: string; bytes: number; file: string }[] = [];
    this.#sql.each(
      `SELECT d.request_id, d.bytes, d.file FROM diffs d LEFT JOIN requests r ON r.id = d.request_id
       WHERE (r.status IS NULL OR r.status != 'pending') ORDER BY d.last_read`,
      [],
      (row) => {
        const [id, bytes, file] = row as [string, number, string];
        if (id === keep) return true;
        victims.push({ id, bytes, file });
        over -= bytes;
        return over > 0;
      },
    );
    for (const v of victims) {
      this.#sql.run('DELETE FROM diffs WHERE request_id = ?', [v.id]);
      this.#bytes -= v.bytes;
      this.#files.remove(v.file);
    }
  }

  /** At open: files no row names (orphans, a stray .tmp) go; rows whose file is gone go. True if rows went. */
  removeOrphans(): boolean {
    const onDisk = new Set(this.#files.list());
    const rows = this.#sql.all('SELECT request_id, file FROM diffs') as [string, string][];
    const named = new Set(rows.map((r) => r[1]));
    for (const f of onDisk) if (!named.has(f)) this.#files.remove(f);
    const gone = rows.filter(([, f]) => !onDisk.has(f));
    for (const [id] of gone) this.#sql.run('DELETE FROM diffs WHERE request_id = ?', [id]);
    return gone.length > 0;
  }
}
