// The attacker of the audit log, for the desktop and end-to-end tests: with the server's SQLite file
// open while the server is stopped (not its signing key), the whole log rewritten from seq 1 (the
// first event's actor changed, every hash recomputed so the chain is consistent again) and every
// checkpoint deleted. The server alone then signs the new chain as if it were the first.
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { hashEvent } from '../server/audit/chain.ts';

interface Row {
  seq: number;
  at: string;
  actor_id: string;
  type: string;
  subject: string;
  details: string;
  breakglass_session_id: string | null;
}

export function rewriteWholeLogAndDropCheckpoints(dataDir: string): void {
  const db = new Database(join(dataDir, 'gatehouse.db'));
  try {
    const rows = db.prepare('SELECT * FROM audit ORDER BY seq').all() as Row[];
    const update = db.prepare('UPDATE audit SET actor_id = ?, prev_hash = ?, hash = ? WHERE seq = ?');
    let prev = '0'.repeat(64);
    for (const row of rows) {
      if (row.seq === 1) row.actor_id = 'usr_mallory';
      const hash = hashEvent(prev, {
        seq: row.seq,
        at: row.at,
        actorId: row.actor_id,
        type: row.type,
        subject: row.subject,
        details: JSON.parse(row.details) as Record<string, unknown>,
        ...(row.breakglass_session_id ? { breakGlassSessionId: row.breakglass_session_id } : {}),
      });
      update.run(row.actor_id, prev, hash, row.seq);
      prev = hash;
    }
    db.prepare('DELETE FROM audit_checkpoints').run();
  } finally {
    db.close();
  }
}
