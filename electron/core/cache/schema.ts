// The cache's SQLite schema and its migrations (PRAGMA user_version), plus the connection PRAGMAs
// that must be re-applied whenever sql.js may have reset them (after open and after export()).
import type { Database } from 'sql.js';
import type { SyncEntity } from '../../../shared/schemas/index.ts';

/** Tables of the plain entities: id, an optional display name (for search text), the JSON data. */
export const ENTITY_TABLE: Record<Exclude<SyncEntity, 'request'>, string> = {
  user: 'users',
  team: 'teams',
  project: 'projects',
  cluster: 'clusters',
  environment: 'environments',
  policy: 'policies',
  binding: 'bindings',
  breakglass: 'breakglass',
};

/**
 * Requests are split in two: `requests` holds the narrow columns the inbox filters, sorts, counts
 * and searches on (loaded into the inbox mirror with ~300 bytes a row), `request_data` the JSON,
 * read only for the rows of the page shown.
 */
const V1 = `
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
${Object.values(ENTITY_TABLE)
  .map((t) => `CREATE TABLE ${t} (id TEXT PRIMARY KEY, name TEXT, data TEXT NOT NULL);`)
  .join('\n')}
CREATE TABLE requests (
  id TEXT PRIMARY KEY,
  status TEXT NOT NULL,
  action TEXT NOT NULL,
  action_group TEXT NOT NULL,
  environment_id TEXT,
  project_id TEXT,
  requester_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  digest TEXT NOT NULL,
  diff_bytes INTEGER NOT NULL
);
-- Apart, so a cold start reads only the small columns above; the texts load on the first search.
CREATE TABLE request_search (id TEXT PRIMARY KEY, search TEXT NOT NULL);
-- data: codec.ts (deflated JSON)
CREATE TABLE request_data (id TEXT PRIMARY KEY, data BLOB NOT NULL);
-- Pending lists (notifier, diff prefetch). The inbox itself runs on the in-memory mirror
-- (inbox-index.ts), so no filter/sort indexes: each would cost every write and every save.
CREATE INDEX requests_status ON requests (status, created_at);
CREATE TABLE diffs (
  request_id TEXT PRIMARY KEY,
  digest TEXT NOT NULL,
  bytes INTEGER NOT NULL,
  file TEXT NOT NULL,
  last_read INTEGER NOT NULL
);
CREATE INDEX diffs_lru ON diffs (last_read);
`;

/** The reviewer's per-file Viewed marks (viewed.ts), at the diff digest they were made at. */
const V2 = `
CREATE TABLE viewed (
  request_id TEXT NOT NULL,
  digest TEXT NOT NULL,
  path TEXT NOT NULL,
  PRIMARY KEY (request_id, path)
);
`;

/**
 * What the inbox's "mine" filters read of every request besides its gates — who decided, and the
 * cluster — as JSON `{"d": [user ids], "c": cluster id or null}`, so that the first query of a
 * signed-in user does not inflate and parse every request (1.1 s at 50k). Rows written before it
 * are NULL and read from the request JSON.
 */
const V3 = `ALTER TABLE requests ADD COLUMN mine TEXT;`;

/** Migration n (1-based) brings user_version n-1 to n. Append only; never edit a shipped one. */
export const MIGRATIONS: readonly string[] = [V1, V2, V3];
export const SCHEMA_VERSION = MIGRATIONS.length;

/** Connection settings. The DB lives in sql.js's in-memory file system; durability comes from saving the whole image (save-scheduler.ts). */
export function applyPragmas(db: Database): void {
  db.exec('PRAGMA journal_mode = MEMORY; PRAGMA synchronous = OFF; PRAGMA temp_store = MEMORY; PRAGMA cache_size = -32768;');
}

export function userVersion(db: Database): number {
  const r = db.exec('PRAGMA user_version');
  return Number(r[0]?.values[0]?.[0] ?? 0);
}

export class NewerSchemaError extends Error {}

/** Brings the schema to SCHEMA_VERSION in one transaction; a newer file than this build knows throws. */
export function migrate(db: Database): void {
  const from = userVersion(db);
  if (from > SCHEMA_VERSION) throw new NewerSchemaError(`unknown newer schema (user_version ${from}, this build knows ${SCHEMA_VERSION})`);
  if (from === SCHEMA_VERSION) return;
  if (from === 0) db.exec('PRAGMA page_size = 8192'); // only takes effect on a fresh database
  db.exec('BEGIN');
  try {
    for (let v = from; v < SCHEMA_VERSION; v++) db.exec(MIGRATIONS[v]!);
    db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
    db.exec('COMMIT');
  } catch (err) {
    db.exec('ROLLBACK');
    throw err;
  }
}
