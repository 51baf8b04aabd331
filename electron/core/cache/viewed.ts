// The reviewer's per-file "Viewed" marks, kept per request at one diff digest: a new digest (the
// diff changed) makes the old marks meaningless, so setting a mark at another digest drops them,
// and reading at another digest finds none.
import type { Sql } from './sql.ts';

/** More than any diff the viewer shows (its file limit), so a row count stays bounded. */
export const MAX_VIEWED_PER_REQUEST = 20_000;

export class ViewedMarks {
  constructor(
    readonly sql: Sql,
    readonly onWrite: () => void,
  ) {}

  /** The paths marked viewed for the request at `digest` (sorted). */
  get(requestId: string, digest: string): string[] {
    return this.sql.all('SELECT path FROM viewed WHERE request_id = ? AND digest = ? ORDER BY path', [requestId, digest]).map((r) => String(r[0]));
  }

  /** The digest the request's marks were made at, if any. */
  digestOf(requestId: string): string | undefined {
    const row = this.sql.first('SELECT digest FROM viewed WHERE request_id = ? LIMIT 1', [requestId]);
    return row ? String(row[0]) : undefined;
  }

  set(requestId: string, digest: string, path: string, viewed: boolean): void {
    this.sql.exec('BEGIN');
    try {
      this.sql.run('DELETE FROM viewed WHERE request_id = ? AND digest <> ?', [requestId, digest]);
      if (viewed) {
        const n = Number(this.sql.first('SELECT count(*) FROM viewed WHERE request_id = ?', [requestId])?.[0] ?? 0);
        if (n >= MAX_VIEWED_PER_REQUEST) throw new RangeError(`at most ${MAX_VIEWED_PER_REQUEST} files can be marked viewed in one request`);
        this.sql.run('INSERT INTO viewed (request_id, digest, path) VALUES (?, ?, ?) ON CONFLICT (request_id, path) DO UPDATE SET digest = excluded.digest', [
          requestId,
          digest,
          path,
        ]);
      } else this.sql.run('DELETE FROM viewed WHERE request_id = ? AND path = ?', [requestId, path]);
      this.sql.exec('COMMIT');
    } catch (err) {
      this.sql.exec('ROLLBACK');
      throw err;
    }
    this.onWrite();
  }
}
