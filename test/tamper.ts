// The attacker of the audit log, for the server, desktop and end-to-end tests: the server's SQLite
// file open while the server is stopped (not its signing key), events rewritten with every hash
// recomputed so the chain is consistent again.
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { hashEvent } from '../server/audit/chain.ts';

/** An audit row as SQLite holds it. */
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

/** Rewrites every event from `fromSeq` on (`edit` changes the first), recomputing each hash. */
export function rewriteFrom(db: Database.Database, fromSeq: number, edit: (row: AuditRow) => void): void {
  const rows = db.prepare('SELECT * FROM audit WHERE seq >= ? ORDER BY seq').all(fromSeq) as AuditRow[];
  let prev = (db.prepare('SELECT hash FROM audit WHERE seq = ?').get(fromSeq - 1) as { hash: string } | undefined)?.hash ?? '0'.repeat(64);
  const update = db.prepare('UPDATE audit SET details = ?, actor_id = ?, prev_hash = ?, hash = ? WHERE seq = ?');
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
    update.run(row.details, row.actor_id, prev, hash, row.seq);
    prev = hash;
  }
}

/** Mallory becomes the actor of the event. */
export const mallory = (row: AuditRow): void => {
  row.actor_id = 'usr_mallory';
};

/** The whole log rewritten from seq 1 and every checkpoint deleted: the server alone then signs the new chain as if it were the first. */
export function rewriteWholeLogAndDropCheckpoints(dataDir: string): void {
  const db = new Database(join(dataDir, 'gatehouse.db'));
  try {
    rewriteFrom(db, 1, mallory);
    db.prepare('DELETE FROM audit_checkpoints').run();
  } finally {
    db.close();
  }
}
