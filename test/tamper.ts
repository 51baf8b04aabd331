// The attacker of the audit log, for the server, desktop and end-to-end tests: the server's
// database open while the server is stopped (not its signing key), events rewritten with every
// hash recomputed so the chain is consistent again. The database is the data dir's SQLite file,
// or its PostgreSQL database when the suites run on PostgreSQL (test/postgres.ts).
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { hashEvent } from '../server/audit/chain.ts';
import { databaseOf } from './postgres.ts';

/** An audit row as the store holds it. */
export interface AuditRow {
  seq: number;
  at: string;
  actor_id: string;
  type: string;
  subject: string;
  details: string;
  breakglass_session_id: string | null;
  prev_hash: string;
  hash: string;
}

/** Raw SQL on either store, `?` placeholders. */
export interface RawDb {
  all<T>(sql: string, ...params: unknown[]): Promise<T[]>;
  get<T>(sql: string, ...params: unknown[]): Promise<T | undefined>;
  /** Returns how many rows changed. */
  run(sql: string, ...params: unknown[]): Promise<number>;
}

/** Opens the data dir's database directly (the attacker's view, server stopped), runs `fn`, closes it. */
export async function withDb<T>(dir: string, fn: (db: RawDb) => Promise<T> | T): Promise<T> {
  const url = await databaseOf(dir);
  if (url !== undefined) {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const q = async (sql: string, params: unknown[]) => {
      let i = 0;
      const r = await client.query(
        sql.replace(/\?/g, () => `$${++i}`),
        params,
      );
      // BIGINT seqs come back as strings from a plain client; the tests compare numbers.
      for (const row of r.rows) for (const k of Object.keys(row)) if (k === 'seq') row[k] = Number(row[k]);
      return r;
    };
    try {
      return await fn({
        all: async <R>(sql: string, ...params: unknown[]) => (await q(sql, params)).rows as R[],
        get: async <R>(sql: string, ...params: unknown[]) => (await q(sql, params)).rows[0] as R | undefined,
        run: async (sql, ...params) => (await q(sql, params)).rowCount ?? 0,
      });
    } finally {
      await client.end();
    }
  }
  const db = new Database(join(dir, 'gatehouse.db'));
  try {
    return await fn({
      all: async <R>(sql: string, ...params: unknown[]) => db.prepare(sql).all(...params) as R[],
      get: async <R>(sql: string, ...params: unknown[]) => db.prepare(sql).get(...params) as R | undefined,
      run: async (sql, ...params) => db.prepare(sql).run(...params).changes,
    });
  } finally {
    db.close();
  }
}

/** Rewrites every event from `fromSeq` on (`edit` changes the first), recomputing each hash. */
export async function rewriteFrom(db: RawDb, fromSeq: number, edit: (row: AuditRow) => void): Promise<void> {
  const rows = await db.all<AuditRow>('SELECT * FROM audit WHERE seq >= ? ORDER BY seq', fromSeq);
  let prev = (await db.get<{ hash: string }>('SELECT hash FROM audit WHERE seq = ?', fromSeq - 1))?.hash ?? '0'.repeat(64);
  for (const row of rows) {
    if (row.seq === fromSeq) edit(row);
    const hash = hashEvent(prev, {
      seq: row.seq,
      at: row.at,
      actorId: row.actor_id,
      type: row.type,
      subject: row.subject,
      details: JSON.parse(row.details) as Record<string, unknown>,
      ...(row.breakglass_session_id ? { breakGlassSessionId: row.breakglass_session_id } : {}),
    });
    await db.run('UPDATE audit SET details = ?, actor_id = ?, prev_hash = ?, hash = ? WHERE seq = ?', row.details, row.actor_id, prev, hash, row.seq);
    prev = hash;
  }
}

/** Mallory becomes the actor of the event. */
export const mallory = (row: AuditRow): void => {
  row.actor_id = 'usr_mallory';
};

/** The whole log rewritten from seq 1 and every checkpoint deleted: the server alone then signs the new chain as if it were the first. */
export async function rewriteWholeLogAndDropCheckpoints(dataDir: string): Promise<void> {
  await withDb(dataDir, async (db) => {
    await rewriteFrom(db, 1, mallory);
    await db.run('DELETE FROM audit_checkpoints');
  });
}
