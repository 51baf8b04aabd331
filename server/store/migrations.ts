// Schema migrations, keyed by their number and applied in ascending order, one transaction each.
// The table schema_migrations records which numbers a database has (PRAGMA user_version keeps the
// highest), so numbers written on parallel branches merge in any order: a database that got 5
// before 4 existed gets 4 on its next start. An old data dir upgrades in place on `serve`.
import type Database from 'better-sqlite3';

/** Number → SQL. Never edit or renumber a shipped one; migrations with different numbers must not depend on each other's order. */
export const MIGRATIONS: Readonly<Record<number, string>> = {
  1: `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  -- Rowid tables (not WITHOUT ROWID): rows of a kilobyte or two stay on their leaf page.
  -- Every synced entity, latest state only; seq is the global sync sequence of its last change,
  -- deleted rows stay as tombstones so /api/sync can report them.
  CREATE TABLE entities (
    entity TEXT NOT NULL,
    id TEXT NOT NULL,
    data TEXT NOT NULL,
    seq INTEGER NOT NULL UNIQUE,
    deleted INTEGER NOT NULL DEFAULT 0,
    n INTEGER NOT NULL,
    UNIQUE (entity, id)
  );
  CREATE INDEX entities_by_kind ON entities (entity, deleted, n);
  CREATE TABLE tokens (hash BLOB PRIMARY KEY, user_id TEXT NOT NULL, created_at TEXT NOT NULL);
  CREATE TABLE user_emails (email TEXT PRIMARY KEY, user_id TEXT NOT NULL);
  -- Request columns the inbox filters on, plus what never travels with a request: diff, effect.
  CREATE TABLE requests (
    n INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL,
    action TEXT NOT NULL,
    environment_id TEXT,
    project_id TEXT,
    expires_at TEXT NOT NULL,
    diff TEXT,
    effect TEXT
  );
  CREATE INDEX requests_status ON requests (status, n);
  CREATE INDEX requests_action ON requests (action, n);
  CREATE INDEX requests_env ON requests (environment_id, n);
  CREATE INDEX requests_project ON requests (project_id, n);
  CREATE INDEX requests_expiry ON requests (status, expires_at);
  CREATE TABLE sessions (id TEXT PRIMARY KEY, user_id TEXT NOT NULL, expires_at TEXT NOT NULL, ended INTEGER NOT NULL DEFAULT 0);
  CREATE INDEX sessions_user ON sessions (user_id);
  CREATE INDEX sessions_open ON sessions (ended, expires_at);
  CREATE TABLE freezes (environment_id TEXT PRIMARY KEY, until TEXT NOT NULL);
  CREATE TABLE idempotency (
    user_id TEXT NOT NULL,
    key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status INTEGER NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (user_id, key)
  );
  CREATE INDEX idempotency_age ON idempotency (created_at);
  CREATE TABLE audit (
    seq INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor_id TEXT NOT NULL,
    type TEXT NOT NULL,
    subject TEXT NOT NULL,
    details TEXT NOT NULL,
    breakglass_session_id TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
  );
  CREATE INDEX audit_at ON audit (at);
  `,
  // A request's (or environment's) own history, for its timeline.
  2: `CREATE INDEX audit_subject ON audit (subject, seq);`,
  // The database's identity, so clients can tell a replaced server from a reset cursor.
  3: `INSERT INTO meta (key, value) VALUES ('instance', lower(hex(randomblob(16))));`,
  // Named tokens (several per user, optional expiry, last use) and deactivatable users. A
  // token made before this has the name "initial". Idempotency records that kept a new user's
  // secret in plain text are dropped: a replay must never show a secret again.
  4: `
  ALTER TABLE tokens ADD COLUMN id TEXT;
  ALTER TABLE tokens ADD COLUMN name TEXT NOT NULL DEFAULT 'initial';
  ALTER TABLE tokens ADD COLUMN expires_at TEXT;
  ALTER TABLE tokens ADD COLUMN last_used_at TEXT;
  UPDATE tokens SET id = 'tok_' || lower(hex(randomblob(8)));
  CREATE UNIQUE INDEX tokens_id ON tokens (id);
  CREATE INDEX tokens_user ON tokens (user_id, created_at);
  UPDATE entities SET data = json_set(data, '$.active', json('true')) WHERE entity = 'user' AND deleted = 0;
  DELETE FROM idempotency WHERE body LIKE '%"token":"ghs_%';
  `,
  // Signed checkpoints of the audit chain: the event at seq had this hash, signed with the server's
  // Ed25519 key (kept outside this file), so a rewritten or truncated chain no longer matches.
  5: `CREATE TABLE audit_checkpoints (seq INTEGER PRIMARY KEY, hash TEXT NOT NULL, at TEXT NOT NULL, signature TEXT NOT NULL);`,
  // When a request's next escalation falls due (server/store/due-times.ts), for the sweeper.
  // Pending requests filed before this get it from their snapshotted gates.
  6: `
  ALTER TABLE requests ADD COLUMN escalate_at TEXT;
  CREATE INDEX requests_escalation ON requests (status, escalate_at);
  UPDATE requests SET escalate_at = (
    SELECT MIN(strftime('%Y-%m-%dT%H:%M:%fZ', json_extract(e.data, '$.createdAt'), '+' || json_extract(g.value, '$.escalation.afterMinutes') || ' minutes'))
    FROM entities e, json_each(e.data, '$.gates') g
    WHERE e.entity = 'request' AND e.id = requests.id
      AND json_extract(g.value, '$.escalation') IS NOT NULL AND json_extract(g.value, '$.escalatedAt') IS NULL
  ) WHERE status = 'pending';
  `,
  // Notifications: channels (with their secrets, never synced), their deliveries (the durable
  // queue), org settings and user preferences, the notifier's cursor into the audit log (from the
  // head: what happened before is not announced), the secret that signs unsubscribe links, and when
  // each pending request's next reminder and expiry warning fall due.
  7: `
  CREATE TABLE channels (n INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, data TEXT NOT NULL);
  CREATE TABLE deliveries (
    n INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    channel_id TEXT NOT NULL,
    event TEXT NOT NULL,
    subject TEXT,
    recipient TEXT,
    body TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    created_at TEXT NOT NULL,
    window_start TEXT NOT NULL,
    next_at TEXT,
    delivered_at TEXT,
    -- Being sent by the process that leased it (next_at is then the lease's end).
    leased INTEGER NOT NULL DEFAULT 0
  );
  CREATE INDEX deliveries_channel ON deliveries (channel_id, n);
  CREATE INDEX deliveries_due ON deliveries (status, next_at);
  CREATE TABLE preferences (user_id TEXT PRIMARY KEY, data TEXT NOT NULL);
  INSERT INTO meta (key, value) VALUES ('notify_cursor', (SELECT COALESCE(MAX(seq), 0) FROM audit));
  INSERT INTO meta (key, value) VALUES ('notify_secret', lower(hex(randomblob(32))));
  ALTER TABLE requests ADD COLUMN remind_at TEXT;
  ALTER TABLE requests ADD COLUMN expiring_at TEXT;
  CREATE INDEX requests_reminder ON requests (status, remind_at);
  CREATE INDEX requests_expiring ON requests (status, expiring_at);
  `,
  // GitHub deployment protection rules: linked repositories (one project each, matched without
  // case as GitHub does), the deployment each GitHub-made request answers, and the durable queue of
  // posts to their callbacks. The gate's cursor starts at the head: nothing before it was GitHub's.
  8: `
  CREATE TABLE github_links (n INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, repository TEXT NOT NULL UNIQUE COLLATE NOCASE, data TEXT NOT NULL);
  CREATE TABLE github_deployments (request_id TEXT PRIMARY KEY, data TEXT NOT NULL);
  CREATE TABLE github_callbacks (
    n INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    request_id TEXT,
    status TEXT NOT NULL,
    next_at TEXT,
    leased INTEGER NOT NULL DEFAULT 0,
    data TEXT NOT NULL
  );
  CREATE INDEX github_callbacks_due ON github_callbacks (status, next_at);
  CREATE INDEX github_callbacks_request ON github_callbacks (request_id, n);
  INSERT INTO meta (key, value) VALUES ('github_cursor', (SELECT COALESCE(MAX(seq), 0) FROM audit));
  `,
  // The inbox's combined filters (pending on one environment, project or action) at 100k requests:
  // with one-column indexes SQLite walks every request of the environment newest first to find the
  // few pending ones; these answer each combination in n order, reading only the page.
  9: `
  CREATE INDEX requests_status_env ON requests (status, environment_id, n);
  CREATE INDEX requests_status_project ON requests (status, project_id, n);
  CREATE INDEX requests_status_action ON requests (status, action, n);
  `,
};

function versions(migrations: Readonly<Record<number, string>>): number[] {
  return Object.keys(migrations)
    .map(Number)
    .sort((a, b) => a - b);
}
export const SCHEMA_VERSION = Math.max(...versions(MIGRATIONS));

/** The migration numbers a database has. Databases from before the table recorded 1..user_version. */
function applied(db: Database.Database): Set<number> {
  const hasTable = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get() !== undefined;
  if (!hasTable) {
    const legacy = db.pragma('user_version', { simple: true }) as number;
    db.transaction(() => {
      db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY)');
      const insert = db.prepare('INSERT INTO schema_migrations (version) VALUES (?)');
      for (let v = 1; v <= legacy; v++) insert.run(v);
    }).immediate();
  }
  return new Set((db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map((r) => r.version));
}

/** Applies every migration the database lacks, lowest number first (`migrations` only differs in tests). */
export function migrate(db: Database.Database, migrations: Readonly<Record<number, string>> = MIGRATIONS): void {
  const done = applied(db);
  const unknown = [...done].filter((v) => !(v in migrations));
  if (unknown.length > 0) {
    throw new Error(
      `database schema has migration ${Math.max(...unknown)}, which this Gatehouse (schema ${Math.max(...versions(migrations))}) does not know; upgrade Gatehouse`,
    );
  }
  for (const v of versions(migrations)) {
    if (done.has(v)) continue;
    db.transaction(() => {
      db.exec(migrations[v]!);
      db.prepare('INSERT INTO schema_migrations (version) VALUES (?)').run(v);
      db.pragma(`user_version = ${Math.max(v, db.pragma('user_version', { simple: true }) as number)}`);
    }).immediate();
  }
}
