// Schema migrations of the PostgreSQL store, numbered like SQLite's (server/store/migrations.ts)
// and recorded the same way in schema_migrations. All of them run in one transaction under the
// store's advisory lock, so two processes starting at once on a fresh database never both
// migrate: the second waits, then finds every number recorded and does nothing.
import type { Pool, PoolClient } from 'pg';

/**
 * Text columns compared or ordered by the store (ids, ISO instants, statuses) use the "C"
 * collation: byte order, as SQLite compares, whatever locale the database was created with (a
 * locale's collation may order ISO instants or ids differently and would change cursors).
 */
const T = 'TEXT COLLATE "C"';

/** Number → SQL. Never edit or renumber a shipped one (as for SQLite). */
export const PG_MIGRATIONS: Readonly<Record<number, string>> = {
  // The PostgreSQL store starts at the SQLite schema's version 7, in one step: there is no older
  // PostgreSQL database to upgrade. Same tables and columns, so the queries read alike; JSON stays
  // TEXT (not jsonb) so what is read back is byte for byte what was written.
  1: `
  CREATE TABLE meta (key ${T} PRIMARY KEY, value TEXT NOT NULL);
  -- Every synced entity, latest state only; seq is the global sync sequence of its last change,
  -- deleted rows stay as tombstones so /api/sync can report them.
  CREATE TABLE entities (
    entity ${T} NOT NULL,
    id ${T} NOT NULL,
    data TEXT NOT NULL,
    seq BIGINT NOT NULL UNIQUE,
    deleted SMALLINT NOT NULL DEFAULT 0,
    n BIGINT NOT NULL,
    PRIMARY KEY (entity, id)
  );
  CREATE INDEX entities_by_kind ON entities (entity, deleted, n);
  -- n plays SQLite's rowid: the tie-break for tokens made in the same millisecond.
  CREATE TABLE tokens (
    n BIGSERIAL NOT NULL,
    hash BYTEA PRIMARY KEY,
    id ${T} NOT NULL UNIQUE,
    name TEXT NOT NULL,
    user_id ${T} NOT NULL,
    created_at ${T} NOT NULL,
    expires_at ${T},
    last_used_at ${T}
  );
  CREATE INDEX tokens_user ON tokens (user_id, created_at, n);
  CREATE TABLE user_emails (email ${T} PRIMARY KEY, user_id ${T} NOT NULL);
  -- Request columns the inbox filters on, plus what never travels with a request: diff (bytes:
  -- a diff may hold NUL, which TEXT refuses), effect.
  CREATE TABLE requests (
    n BIGSERIAL PRIMARY KEY,
    id ${T} NOT NULL UNIQUE,
    status ${T} NOT NULL,
    action ${T} NOT NULL,
    environment_id ${T},
    project_id ${T},
    expires_at ${T} NOT NULL,
    diff BYTEA,
    effect TEXT,
    escalate_at ${T},
    remind_at ${T},
    expiring_at ${T}
  );
  CREATE INDEX requests_status ON requests (status, n);
  CREATE INDEX requests_action ON requests (action, n);
  CREATE INDEX requests_env ON requests (environment_id, n);
  CREATE INDEX requests_project ON requests (project_id, n);
  CREATE INDEX requests_expiry ON requests (status, expires_at);
  CREATE INDEX requests_escalation ON requests (status, escalate_at);
  CREATE INDEX requests_reminder ON requests (status, remind_at);
  CREATE INDEX requests_expiring ON requests (status, expiring_at);
  CREATE TABLE sessions (id ${T} PRIMARY KEY, user_id ${T} NOT NULL, expires_at ${T} NOT NULL, ended SMALLINT NOT NULL DEFAULT 0);
  CREATE INDEX sessions_user ON sessions (user_id);
  CREATE INDEX sessions_open ON sessions (ended, expires_at);
  CREATE TABLE freezes (environment_id ${T} PRIMARY KEY, until ${T} NOT NULL);
  CREATE TABLE idempotency (
    user_id ${T} NOT NULL,
    key ${T} NOT NULL,
    fingerprint TEXT NOT NULL,
    status INTEGER NOT NULL,
    body TEXT NOT NULL,
    created_at ${T} NOT NULL,
    PRIMARY KEY (user_id, key)
  );
  CREATE INDEX idempotency_age ON idempotency (created_at);
  CREATE TABLE audit (
    seq BIGINT PRIMARY KEY,
    at ${T} NOT NULL,
    actor_id ${T} NOT NULL,
    type ${T} NOT NULL,
    subject ${T} NOT NULL,
    details TEXT NOT NULL,
    breakglass_session_id ${T},
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
  );
  CREATE INDEX audit_at ON audit (at);
  CREATE INDEX audit_subject ON audit (subject, seq);
  CREATE TABLE audit_checkpoints (seq BIGINT PRIMARY KEY, hash TEXT NOT NULL, at ${T} NOT NULL, signature TEXT NOT NULL);
  CREATE TABLE channels (n BIGSERIAL PRIMARY KEY, id ${T} NOT NULL UNIQUE, data TEXT NOT NULL);
  CREATE TABLE deliveries (
    n BIGSERIAL PRIMARY KEY,
    id ${T} NOT NULL UNIQUE,
    channel_id ${T} NOT NULL,
    event ${T} NOT NULL,
    subject ${T},
    recipient TEXT,
    body TEXT NOT NULL,
    status ${T} NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    created_at ${T} NOT NULL,
    window_start ${T} NOT NULL,
    next_at ${T},
    delivered_at ${T},
    -- Being sent by the process that leased it (next_at is then the lease's end).
    leased SMALLINT NOT NULL DEFAULT 0
  );
  CREATE INDEX deliveries_channel ON deliveries (channel_id, n);
  CREATE INDEX deliveries_due ON deliveries (status, next_at);
  CREATE TABLE preferences (user_id ${T} PRIMARY KEY, data TEXT NOT NULL);
  -- The database's identity and the key that signs unsubscribe links: sha256 over two random
  -- UUIDs (gen_random_uuid is built in from PostgreSQL 13; pgcrypto is not needed).
  INSERT INTO meta (key, value) VALUES
    ('instance', substr(encode(sha256(convert_to(gen_random_uuid()::text || gen_random_uuid()::text, 'UTF8')), 'hex'), 1, 32)),
    ('notify_cursor', '0'),
    ('notify_secret', encode(sha256(convert_to(gen_random_uuid()::text || gen_random_uuid()::text, 'UTF8')), 'hex'));
  `,
  // GitHub deployment protection rules (SQLite's 8) and the inbox's combined filters (SQLite's 9).
  2: `
  CREATE TABLE github_links (n BIGSERIAL PRIMARY KEY, id ${T} NOT NULL UNIQUE, repository TEXT NOT NULL, data TEXT NOT NULL);
  -- GitHub matches repository names without case: so does the one-project-per-repository rule.
  CREATE UNIQUE INDEX github_links_repository ON github_links (lower(repository));
  CREATE TABLE github_deployments (request_id ${T} PRIMARY KEY, settled BOOLEAN NOT NULL DEFAULT false, data TEXT NOT NULL);
  CREATE INDEX github_deployments_open ON github_deployments (settled) WHERE NOT settled;
  CREATE TABLE github_callbacks (
    n BIGSERIAL PRIMARY KEY,
    id ${T} NOT NULL UNIQUE,
    request_id ${T},
    status ${T} NOT NULL,
    next_at ${T},
    leased SMALLINT NOT NULL DEFAULT 0,
    data TEXT NOT NULL
  );
  CREATE INDEX github_callbacks_due ON github_callbacks (status, next_at);
  CREATE INDEX github_callbacks_request ON github_callbacks (request_id, n);
  INSERT INTO meta (key, value) VALUES ('github_cursor', (SELECT COALESCE(MAX(seq), 0)::text FROM audit));
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

/**
 * Applies every migration the database lacks, lowest number first, all in one transaction that
 * first takes `lock` (the store's advisory lock): concurrent starters queue behind it.
 */
export async function migratePostgres(pool: Pool, lock: string, migrations: Readonly<Record<number, string>> = PG_MIGRATIONS): Promise<void> {
  const client: PoolClient = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [lock]);
    await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY)');
    const done = new Set((await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version));
    const unknown = [...done].filter((v) => !(v in migrations));
    if (unknown.length > 0) {
      throw new Error(
        `database schema has migration ${Math.max(...unknown)}, which this Gatehouse (PostgreSQL schema ${Math.max(...versions(migrations))}) does not know; upgrade Gatehouse`,
      );
    }
    for (const v of versions(migrations)) {
      if (done.has(v)) continue;
      await client.query(migrations[v]!);
      await client.query('INSERT INTO schema_migrations (version) VALUES ($1)', [v]);
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}
