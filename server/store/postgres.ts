// The PostgreSQL store, for teams that run several `serve` processes on one database. The same
// tables and the same answers as the SQLite store (server/store/sqlite.ts): same ordering, same
// cursors, same errors.
//
// Cross-process correctness by construction: every transact() runs inside one PostgreSQL
// transaction (a batch of them shares one, each in its own savepoint: group commit, as on SQLite)
// whose first statement takes a transaction-level advisory lock (pg_advisory_xact_lock(TX_LOCK)),
// held until COMMIT or ROLLBACK. So write transactions are serialized across every process sharing the
// database, exactly as SQLite's BEGIN IMMEDIATE serializes them in one file:
//  - a decision reads the request after the lock, so two processes racing decide it exactly once;
//  - an idempotency key is checked and saved under the lock, so it is unique across processes;
//  - the sync seq is the previous commit's highest plus one, read after the lock: seqs are
//    assigned in commit order, and a seq is visible only once every smaller one has committed, so
//    a reader of /api/sync never skips a change that commits late;
//  - audit appends (each reads the chain's head) and checkpoints are serialized the same way.
// Statements run at READ COMMITTED: each sees what committed before it started, and every
// statement of a transaction starts after the lock was granted.
//
// Nothing is cached between transactions (the SQLite store caches directory entities because it
// is the only writer of its file; here another process may have written since); within one batch
// (one transaction, under the lock) the rows its mutations keep reading are (BatchCache).
//
// The lock is held for as many round trips as the batch makes, so they are few: BEGIN, the lock
// and the heads (sync seq, audit head) are one simple query; a mutation's writes are queued and
// sent with its next read, or with its RELEASE (or the COMMIT), inside its savepoint (WriteQueue).
import { timingSafeEqual } from 'node:crypto';
import pg from 'pg';
import type {
  ApiToken,
  ApprovalRequest,
  AuditCheckpoint,
  AuditEvent,
  BreakGlassSession,
  EntityTypes,
  Environment,
  SyncEntity,
  User,
} from '../../shared/schemas/index.ts';
import { DEFAULT_PREFERENCES, DEFAULT_SETTINGS, type GitHubLink, type OrgSettings, type Preferences } from '../../shared/schemas/index.ts';
import { GENESIS_HASH, hashEvent } from '../audit/chain.ts';
import { CHECKPOINT_EVERY, nextCheckpoint, type AuditKey } from '../audit/checkpoint.ts';
import { escalationDueAt, firstReminderTimes } from './due-times.ts';
import { migratePostgres } from './postgres-migrations.ts';
import { auditFromRow, deliveryFromRow, TOKEN_COLUMNS, tokenFromRow, type AuditRow, type DeliveryRow, type TokenRow } from './rows.ts';
import { unavailableIfConnection } from './unavailable.ts';
import type {
  DeliveryUpdate,
  Effect,
  GitHubCallback,
  GitHubDeployment,
  IdempotentRecord,
  NewAuditEvent,
  RequestFilter,
  Store,
  StoreTx,
  StoredChannel,
  StoredDelivery,
} from './types.ts';

/** The advisory lock every write transaction (and the migration) takes: "Gatehous" in ASCII. */
export const TX_LOCK = BigInt('0x47617465686f7573').toString();

/** Mutations per COMMIT at most, so one batch can't hold the lock (and the event loop) for long. */
const MAX_BATCH = 256;

interface Pending {
  fn: (tx: StoreTx) => Promise<unknown>;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

/** The NOTIFY channel of commits; the payload is the new sync cursor. */
const CHANNEL = 'gatehouse_commit';

/** BIGINT columns (seqs, row numbers) and COUNT come back as numbers, not strings: they stay far below 2^53. */
const types = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === pg.types.builtins.INT8 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/** Either the pool (reads outside a transaction) or the one client of a transaction. */
interface Queryable {
  query<R extends pg.QueryResultRow>(text: string | pg.QueryConfig, values?: unknown[]): Promise<pg.QueryResult<R>>;
}

/**
 * The hot reads (every request's authentication, every mutation's first reads), as named prepared
 * statements: each connection parses and plans them once, then only binds and executes. Only
 * statements with explicit columns, so a later migration adding columns cannot change their shape.
 */
const HOT = {
  tokenByHash: {
    name: 'gh_token_by_hash',
    text: `SELECT t.hash, t.id, t.name, t.user_id, t.created_at, t.last_used_at, t.expires_at, e.data AS user_data
       FROM tokens t LEFT JOIN entities e ON e.entity = 'user' AND e.id = t.user_id AND e.deleted = 0 WHERE t.hash = $1`,
  },
  get: { name: 'gh_entity_get', text: 'SELECT data FROM entities WHERE entity = $1 AND id = $2 AND deleted = 0' },
  list: { name: 'gh_entity_list', text: 'SELECT data FROM entities WHERE entity = $1 AND deleted = 0 ORDER BY n' },
  idempotent: { name: 'gh_idempotent', text: 'SELECT fingerprint, status, body, created_at FROM idempotency WHERE user_id = $1 AND key = $2' },
} as const;

/** Every read, over whichever connection the subclass gives: the pool, or the transaction's client (which sees its own writes). */
abstract class PgReader {
  protected abstract q(): Queryable;

  protected async one<T extends pg.QueryResultRow>(sql: string | { name: string; text: string }, ...params: unknown[]): Promise<T | undefined> {
    return (await this.all<T>(sql, ...params))[0];
  }
  protected async all<T extends pg.QueryResultRow>(sql: string | { name: string; text: string }, ...params: unknown[]): Promise<T[]> {
    // PostgreSQL's TEXT cannot hold NUL, so no stored value equals a string with one (an id from
    // a URL such as /api/requests/%00): every string a read binds is an equality filter, so the
    // answer is "none", as on SQLite, instead of the server's "invalid byte sequence" error.
    if (params.some((p) => typeof p === 'string' && p.includes('\0'))) return [];
    return (await (typeof sql === 'string' ? this.q().query<T>(sql, params) : this.q().query<T>({ ...sql, values: params }))).rows;
  }
  protected async run(sql: string, ...params: unknown[]): Promise<number> {
    return (await this.q().query(sql, params)).rowCount ?? 0;
  }

  async get<E extends SyncEntity>(entity: E, id: string): Promise<EntityTypes[E] | undefined> {
    const row = await this.one<{ data: string }>(HOT.get, entity, id);
    return row ? (JSON.parse(row.data) as EntityTypes[E]) : undefined;
  }

  async list<E extends Exclude<SyncEntity, 'request'>>(entity: E): Promise<EntityTypes[E][]> {
    return (await this.all<{ data: string }>(HOT.list, entity)).map((r) => JSON.parse(r.data) as EntityTypes[E]);
  }

  async tokenByHash(hash: Buffer): Promise<{ token: ApiToken; user: User } | undefined> {
    // The token and its user in one statement (one round trip for every request's authentication).
    const row = await this.one<TokenRow & { hash: Buffer; user_data: string | null }>(HOT.tokenByHash, hash);
    // The index finds the row; the comparison that decides is constant-time.
    if (!row || row.hash.length !== hash.length || !timingSafeEqual(row.hash, hash)) return undefined;
    return row.user_data === null ? undefined : { token: tokenFromRow(row), user: JSON.parse(row.user_data) as User };
  }

  async getToken(id: string): Promise<ApiToken | undefined> {
    const row = await this.one<TokenRow>(`SELECT ${TOKEN_COLUMNS} FROM tokens WHERE id = $1`, id);
    return row && tokenFromRow(row);
  }

  async listTokens(userId: string): Promise<ApiToken[]> {
    return (await this.all<TokenRow>(`SELECT ${TOKEN_COLUMNS} FROM tokens WHERE user_id = $1 ORDER BY created_at, n`, userId)).map(tokenFromRow);
  }

  async userByEmail(email: string): Promise<User | undefined> {
    const row = await this.one<{ user_id: string }>('SELECT user_id FROM user_emails WHERE email = $1', email.toLowerCase());
    return row ? this.get('user', row.user_id) : undefined;
  }

  async listRequests(filter: RequestFilter): Promise<{ requests: ApprovalRequest[]; nextCursor: string | null }> {
    const where: string[] = [];
    const params: unknown[] = [];
    const p = (v: unknown) => (params.push(v), `$${params.length}`);
    if (filter.status) where.push(`r.status = ${p(filter.status)}`);
    if (filter.action) where.push(`r.action = ${p(filter.action)}`);
    if (filter.environmentId) where.push(`r.environment_id = ${p(filter.environmentId)}`);
    if (filter.projectId) where.push(`r.project_id = ${p(filter.projectId)}`);
    // SQLite compares a non-numeric cursor (NaN → NULL) as matching nothing; so does this.
    if (filter.cursor !== undefined) {
      const n = Number(filter.cursor);
      where.push(Number.isFinite(n) ? `r.n < ${p(n)}` : 'FALSE');
    }
    const sql =
      `SELECT r.n AS n, e.data AS data FROM requests r JOIN entities e ON e.entity = 'request' AND e.id = r.id` +
      (where.length ? ` WHERE ${where.join(' AND ')}` : '') +
      ` ORDER BY r.n DESC LIMIT ${p(filter.limit + 1)}`;
    const rows = await this.all<{ n: number; data: string }>(sql, ...params);
    const more = rows.length > filter.limit;
    const page = more ? rows.slice(0, filter.limit) : rows;
    return {
      requests: page.map((r) => JSON.parse(r.data) as ApprovalRequest),
      nextCursor: more ? String(page[page.length - 1]!.n) : null,
    };
  }

  async requestEffect(id: string): Promise<Effect | undefined> {
    const row = await this.one<{ effect: string | null }>('SELECT effect FROM requests WHERE id = $1', id);
    return row?.effect ? (JSON.parse(row.effect) as Effect) : undefined;
  }

  async requestDiff(id: string): Promise<string | undefined> {
    const row = await this.one<{ diff: Buffer | null }>('SELECT diff FROM requests WHERE id = $1', id);
    return row ? (row.diff?.toString('utf8') ?? '') : undefined;
  }

  async sessionsOf(userId: string): Promise<BreakGlassSession[]> {
    return (
      await this.all<{ data: string }>(
        `SELECT e.data FROM sessions s JOIN entities e ON e.entity = 'breakglass' AND e.id = s.id WHERE s.user_id = $1 ORDER BY e.n`,
        userId,
      )
    ).map((r) => JSON.parse(r.data) as BreakGlassSession);
  }

  async activeSessions(now: Date): Promise<BreakGlassSession[]> {
    return (
      await this.all<{ data: string }>(
        `SELECT e.data FROM sessions s JOIN entities e ON e.entity = 'breakglass' AND e.id = s.id WHERE s.ended = 0 AND s.expires_at > $1 ORDER BY e.n`,
        now.toISOString(),
      )
    ).map((r) => JSON.parse(r.data) as BreakGlassSession);
  }

  async idempotent(userId: string, key: string): Promise<IdempotentRecord | undefined> {
    const row = await this.one<{ fingerprint: string; status: number; body: string; created_at: string }>(HOT.idempotent, userId, key);
    return row && { fingerprint: row.fingerprint, status: row.status, body: row.body, createdAt: row.created_at };
  }

  async syncPage(cursor: number, limit: number) {
    // One statement, one snapshot: an empty page's cursor is the head of the very snapshot that
    // found nothing past `cursor`, so a commit landing in between is never skipped.
    const rows = await this.all<{ entity: SyncEntity | null; id: string; data: string; seq: number | null; deleted: number; head: number }>(
      `SELECT e.entity, e.id, e.data, e.seq, e.deleted, h.head
       FROM (SELECT COALESCE(MAX(seq), 0) AS head FROM entities) h
       LEFT JOIN LATERAL (SELECT entity, id, data, seq, deleted FROM entities WHERE seq > $1 ORDER BY seq LIMIT $2) e ON TRUE
       ORDER BY e.seq`,
      cursor,
      limit + 1,
    );
    const head = rows[0]?.head ?? 0;
    const found = rows.filter((r) => r.seq !== null) as { entity: SyncEntity; id: string; data: string; seq: number; deleted: number }[];
    const hasMore = found.length > limit;
    const page = hasMore ? found.slice(0, limit) : found;
    return {
      changes: page.map((r) =>
        r.deleted
          ? { seq: r.seq, entity: r.entity, id: r.id, op: 'delete' as const }
          : { seq: r.seq, entity: r.entity, id: r.id, op: 'upsert' as const, data: JSON.parse(r.data) as unknown },
      ),
      cursor: page.length ? page[page.length - 1]!.seq : hasMore ? cursor : Math.max(cursor, head),
      hasMore,
    };
  }

  async currentSeq(): Promise<number> {
    return (await this.one<{ s: number }>('SELECT COALESCE(MAX(seq), 0) AS s FROM entities'))!.s;
  }

  async instanceId(): Promise<string> {
    return (await this.meta('instance'))!;
  }

  async auditPage(after: number, limit: number, subject?: string): Promise<AuditEvent[]> {
    const rows =
      subject === undefined
        ? await this.all<AuditRow>('SELECT * FROM audit WHERE seq > $1 ORDER BY seq LIMIT $2', after, limit)
        : await this.all<AuditRow>('SELECT * FROM audit WHERE subject = $1 AND seq > $2 ORDER BY seq LIMIT $3', subject, after, limit);
    return rows.map(auditFromRow);
  }

  async auditPageBefore(before: number, limit: number, subject?: string): Promise<AuditEvent[]> {
    const rows =
      subject === undefined
        ? await this.all<AuditRow>('SELECT * FROM audit WHERE seq < $1 ORDER BY seq DESC LIMIT $2', before, limit)
        : await this.all<AuditRow>('SELECT * FROM audit WHERE subject = $1 AND seq < $2 ORDER BY seq DESC LIMIT $3', subject, before, limit);
    return rows.map(auditFromRow);
  }

  async auditHead(): Promise<{ seq: number; hash: string }> {
    const last = await this.one<{ seq: number; hash: string }>('SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1');
    return last ? { seq: last.seq, hash: last.hash } : { seq: 0, hash: GENESIS_HASH };
  }

  async checkpoints(after: number, limit: number): Promise<AuditCheckpoint[]> {
    return (await this.all<AuditCheckpoint>('SELECT seq, hash, at, signature FROM audit_checkpoints WHERE seq > $1 ORDER BY seq LIMIT $2', after, limit)).map(
      (r) => ({ ...r }),
    );
  }

  async lastCheckpoint(atOrBefore?: number): Promise<AuditCheckpoint | undefined> {
    const row = await this.one<AuditCheckpoint>(
      'SELECT seq, hash, at, signature FROM audit_checkpoints WHERE seq <= $1 ORDER BY seq DESC LIMIT 1',
      Math.min(atOrBefore ?? MAX_SAFE, MAX_SAFE),
    );
    return row && { ...row };
  }

  async due(now: Date) {
    const t = now.toISOString();
    return {
      requestIds: (await this.all<{ id: string }>(`SELECT id FROM requests WHERE status = 'pending' AND expires_at <= $1 ORDER BY n`, t)).map((r) => r.id),
      environmentIds: (await this.all<{ environment_id: string }>('SELECT environment_id FROM freezes WHERE until <= $1 ORDER BY environment_id', t)).map(
        (r) => r.environment_id,
      ),
      sessionIds: (await this.all<{ id: string }>('SELECT id FROM sessions WHERE ended = 0 AND expires_at <= $1 ORDER BY id', t)).map((r) => r.id),
      escalationIds: (await this.all<{ id: string }>(`SELECT id FROM requests WHERE status = 'pending' AND escalate_at <= $1 ORDER BY n`, t)).map((r) => r.id),
    };
  }

  // ---- notifications --------------------------------------------------------------------------

  async listChannels(): Promise<StoredChannel[]> {
    return (await this.all<{ data: string }>('SELECT data FROM channels ORDER BY n')).map((r) => JSON.parse(r.data) as StoredChannel);
  }

  async getChannel(id: string): Promise<StoredChannel | undefined> {
    const row = await this.one<{ data: string }>('SELECT data FROM channels WHERE id = $1', id);
    return row && (JSON.parse(row.data) as StoredChannel);
  }

  protected async meta(key: string): Promise<string | undefined> {
    return (await this.one<{ value: string }>('SELECT value FROM meta WHERE key = $1', key))?.value;
  }

  async settings(): Promise<OrgSettings> {
    const raw = await this.meta('settings');
    return structuredClone(raw ? { ...DEFAULT_SETTINGS, ...(JSON.parse(raw) as Partial<OrgSettings>) } : { ...DEFAULT_SETTINGS });
  }

  async preferences(userId: string): Promise<Preferences> {
    const row = await this.one<{ data: string }>('SELECT data FROM preferences WHERE user_id = $1', userId);
    return row ? (JSON.parse(row.data) as Preferences) : structuredClone(DEFAULT_PREFERENCES);
  }

  async notifyCursor(): Promise<number> {
    return Number((await this.meta('notify_cursor')) ?? 0);
  }

  async notifySecret(): Promise<string> {
    return (await this.meta('notify_secret'))!;
  }

  async deliveries(channelId: string, filter: { status?: StoredDelivery['status']; limit: number }): Promise<StoredDelivery[]> {
    const rows =
      filter.status === undefined
        ? await this.all<DeliveryRow>('SELECT * FROM deliveries WHERE channel_id = $1 ORDER BY n DESC LIMIT $2', channelId, filter.limit)
        : await this.all<DeliveryRow>(
            'SELECT * FROM deliveries WHERE channel_id = $1 AND status = $2 ORDER BY n DESC LIMIT $3',
            channelId,
            filter.status,
            filter.limit,
          );
    return rows.map(deliveryFromRow);
  }

  async getDelivery(id: string): Promise<StoredDelivery | undefined> {
    const row = await this.one<DeliveryRow>('SELECT * FROM deliveries WHERE id = $1', id);
    return row && deliveryFromRow(row);
  }

  async dueDeliveries(now: Date, limit: number): Promise<StoredDelivery[]> {
    return (
      await this.all<DeliveryRow>(`SELECT * FROM deliveries WHERE status = 'pending' AND next_at <= $1 ORDER BY next_at, n LIMIT $2`, now.toISOString(), limit)
    ).map(deliveryFromRow);
  }

  async dueReminders(now: Date): Promise<{ reminderIds: string[]; expiringIds: string[] }> {
    const t = now.toISOString();
    return {
      reminderIds: (await this.all<{ id: string }>(`SELECT id FROM requests WHERE status = 'pending' AND remind_at <= $1 ORDER BY n`, t)).map((r) => r.id),
      expiringIds: (await this.all<{ id: string }>(`SELECT id FROM requests WHERE status = 'pending' AND expiring_at <= $1 ORDER BY n`, t)).map((r) => r.id),
    };
  }

  async reminderTimes(requestId: string): Promise<{ remindAt: string | null; expiringAt: string | null } | undefined> {
    const row = await this.one<{ remind_at: string | null; expiring_at: string | null }>(
      'SELECT remind_at, expiring_at FROM requests WHERE id = $1',
      requestId,
    );
    return row && { remindAt: row.remind_at, expiringAt: row.expiring_at };
  }

  // ---- GitHub ---------------------------------------------------------------------------------

  async githubLinks(): Promise<GitHubLink[]> {
    return (await this.all<{ data: string }>('SELECT data FROM github_links ORDER BY n')).map((r) => JSON.parse(r.data) as GitHubLink);
  }

  async githubDeployment(requestId: string): Promise<GitHubDeployment | undefined> {
    const row = await this.one<{ data: string }>('SELECT data FROM github_deployments WHERE request_id = $1', requestId);
    return row && (JSON.parse(row.data) as GitHubDeployment);
  }

  async hasOpenGitHubDeployments(): Promise<boolean> {
    return (await this.one('SELECT 1 FROM github_deployments WHERE NOT settled LIMIT 1')) !== undefined;
  }

  async githubCursor(): Promise<number> {
    return Number((await this.meta('github_cursor')) ?? 0);
  }

  async dueGitHubCallbacks(now: Date, limit: number): Promise<GitHubCallback[]> {
    return (
      await this.all<{ data: string }>(
        `SELECT data FROM github_callbacks WHERE status = 'pending' AND next_at <= $1 ORDER BY next_at, n LIMIT $2`,
        now.toISOString(),
        limit,
      )
    ).map((r) => JSON.parse(r.data) as GitHubCallback);
  }

  async getGitHubCallback(id: string): Promise<GitHubCallback | undefined> {
    const row = await this.one<{ data: string }>('SELECT data FROM github_callbacks WHERE id = $1', id);
    return row && (JSON.parse(row.data) as GitHubCallback);
  }

  async githubCallbacks(requestId: string): Promise<GitHubCallback[]> {
    return (await this.all<{ data: string }>('SELECT data FROM github_callbacks WHERE request_id = $1 ORDER BY n', requestId)).map(
      (r) => JSON.parse(r.data) as GitHubCallback,
    );
  }

  async isInitialized(): Promise<boolean> {
    return (await this.one('SELECT 1 FROM entities WHERE entity = $1 LIMIT 1', 'user')) !== undefined;
  }
}

/** One transaction's view: every read and write on its own client, inside BEGIN … COMMIT, after the advisory lock. */
/** The sync seq of one PostgreSQL transaction, shared by the mutations of its batch. */
interface SeqState {
  /** The last seq assigned; undefined until a mutation first needs one (then read after the lock). */
  seq: number | undefined;
  /** The head when first read: the last commit's. */
  base: number | undefined;
}

/**
 * What one batch's mutations keep reading, remembered for that batch only: the raw rows of
 * list(entity) and get(entity, id), and the audit chain's head. Sound because the batch holds
 * the advisory lock that every write takes (no other process writes until COMMIT) and its own
 * writes go through PgTx, which forgets an entity's rows when it puts or removes one of them;
 * a mutation that fails (rolled back to its savepoint) forgets everything but the audit head it
 * started from. The heads (seq and audit) are read with BEGIN and the lock. Rows are kept as the
 * stored JSON text and parsed on every read, so a caller may change what it got, as before.
 */
interface BatchCache {
  lists: Map<SyncEntity, string[]>;
  /** Per entity: id → data, or null for none (deleted or never there). */
  gets: Map<SyncEntity, Map<string, string | null>>;
  auditHead: { seq: number; hash: string } | undefined;
}

const newBatchCache = (auditHead?: { seq: number; hash: string }): BatchCache => ({ lists: new Map(), gets: new Map(), auditHead });

/**
 * The heads a write transaction starts from, read in its first round trip right after the lock:
 * the sync seq (the last commit's highest) and the audit chain's last event (none: NULLs).
 */
const HEADS_SQL = `SELECT (SELECT COALESCE(MAX(seq), 0) FROM entities) AS seq, a.seq AS audit_seq, a.hash AS audit_hash
  FROM (SELECT 1) one LEFT JOIN LATERAL (SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1) a ON TRUE`;

interface HeadsRow {
  seq: number;
  audit_seq: number | null;
  audit_hash: string | null;
}

/**
 * A parameter as the SQL literal that means what `pg` sends for it: an untyped text value (so
 * the column or operator decides its type, as for a parameter), NULL for null and undefined, a
 * bytea for a Buffer. Strings go through pg's escapeLiteral (quotes and backslashes doubled, E''
 * when there is a backslash, so it holds whatever standard_conforming_strings is). undefined when
 * the value can't be inlined: a string with NUL (the simple query protocol ends the query text at
 * a NUL; as a parameter it is refused by the server, as before), a number that is not finite, or
 * any other type; such a statement is sent as before, with its parameters.
 */
function literal(v: unknown): string | undefined {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'string') return v.includes('\0') ? undefined : pg.escapeLiteral(v);
  if (typeof v === 'number') return Number.isFinite(v) ? `'${String(v)}'` : undefined;
  if (typeof v === 'boolean') return v ? `'true'` : `'false'`;
  if (Buffer.isBuffer(v)) return `E'\\\\x${v.toString('hex')}'`;
  return undefined;
}

/** `sql` with each $n replaced by the literal of params[n-1], or undefined if one can't be inlined. */
export function inlineParams(sql: string, params: readonly unknown[]): string | undefined {
  let ok = true;
  const text = sql.replace(/\$(\d+)/g, (_, n: string) => {
    const i = Number(n) - 1;
    const lit = i >= 0 && i < params.length ? literal(params[i]) : undefined;
    if (lit === undefined) ok = false;
    return lit ?? '';
  });
  return ok ? text : undefined;
}

/**
 * The writes of one batch's current mutation not sent yet (inlined SQL, in order): they travel
 * with its next statement (a read, which must see them), or, when it ends, with its RELEASE (in a
 * batch: still inside its savepoint, so a failing write fails that mutation alone) or the COMMIT
 * (alone). A mutation that fails drops what it had queued.
 */
interface WriteQueue {
  statements: string[];
}

/** One mutation's view: every read and write on the batch's client, inside BEGIN … COMMIT, after the advisory lock. */
class PgTx extends PgReader implements StoreTx {
  readonly #client: pg.PoolClient;
  readonly #auditKey: AuditKey | undefined;
  readonly #state: SeqState;
  readonly #cache: BatchCache;
  readonly #queue: WriteQueue;
  #open = true;

  constructor(client: pg.PoolClient, auditKey: AuditKey | undefined, state: SeqState, cache: BatchCache, queue: WriteQueue) {
    super();
    this.#client = client;
    this.#auditKey = auditKey;
    this.#state = state;
    this.#cache = cache;
    this.#queue = queue;
  }

  /**
   * Every statement of the mutation goes through here: with writes queued, they are sent first in
   * the same simple query (the statement inlined too) and its result is the last one; a statement
   * that can't be inlined is sent after them, on its own, as before.
   */
  readonly #piped: Queryable = {
    query: async <R extends pg.QueryResultRow>(config: string | pg.QueryConfig, values?: unknown[]) => {
      const queued = this.#queue.statements;
      if (queued.length === 0) return this.#client.query<R>(config as string, values);
      const text = typeof config === 'string' ? config : config.text;
      const inlined = inlineParams(text, (typeof config === 'string' ? values : config.values) ?? []);
      if (inlined === undefined) {
        await this.#client.query(queued.splice(0).join(';\n'));
        return this.#client.query<R>(config as string, values);
      }
      const results = (await this.#client.query([...queued.splice(0), inlined].join(';\n'))) as unknown as pg.QueryResult<R>[];
      return results[results.length - 1]!;
    },
  };

  /**
   * A write whose result nobody reads, queued to travel with the next statement. Its error, if it
   * fails, is that statement's (or the mutation's end's): the same mutation's, in its savepoint.
   */
  async #write(sql: string, ...params: unknown[]): Promise<void> {
    if (!this.#open) throw new Error('store transaction used after it ended');
    const inlined = inlineParams(sql, params);
    if (inlined === undefined) await this.run(sql, ...params);
    else this.#queue.statements.push(inlined);
  }

  override async get<E extends SyncEntity>(entity: E, id: string): Promise<EntityTypes[E] | undefined> {
    if (!this.#open) throw new Error('store transaction used after it ended');
    let byId = this.#cache.gets.get(entity);
    let data = byId?.get(id);
    if (data === undefined) {
      data = (await this.one<{ data: string }>(HOT.get, entity, id))?.data ?? null;
      // An id with a NUL matches nothing (see all()); not worth remembering.
      if (!id.includes('\0')) {
        if (!byId) this.#cache.gets.set(entity, (byId = new Map()));
        byId.set(id, data);
      }
    }
    return data === null ? undefined : (JSON.parse(data) as EntityTypes[E]);
  }

  override async list<E extends Exclude<SyncEntity, 'request'>>(entity: E): Promise<EntityTypes[E][]> {
    if (!this.#open) throw new Error('store transaction used after it ended');
    let rows = this.#cache.lists.get(entity);
    if (!rows) {
      rows = (await this.all<{ data: string }>(HOT.list, entity)).map((r) => r.data);
      this.#cache.lists.set(entity, rows);
    }
    return rows.map((d) => JSON.parse(d) as EntityTypes[E]);
  }

  /** This batch's remembered rows of `entity` are stale: it is about to change. */
  #forget(entity: SyncEntity): void {
    this.#cache.lists.delete(entity);
    this.#cache.gets.delete(entity);
  }

  protected q(): Queryable {
    if (!this.#open) throw new Error('store transaction used after it ended');
    return this.#piped;
  }

  /** Ends the view: a callback that kept `tx` cannot write after its mutation. */
  end(): void {
    this.#open = false;
  }

  async #nextSeq(): Promise<number> {
    if (this.#state.seq === undefined) {
      this.#state.seq = await this.currentSeq();
      this.#state.base ??= this.#state.seq;
    }
    return ++this.#state.seq;
  }

  async #setMeta(key: string, value: string): Promise<void> {
    await this.#write('INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value', key, value);
  }

  async put<E extends SyncEntity>(entity: E, value: EntityTypes[E]): Promise<void> {
    const seq = await this.#nextSeq();
    this.#forget(entity);
    const upsert = `INSERT INTO entities (entity, id, data, seq, deleted, n) VALUES ($1, $2, $3, $4, 0, $4)
       ON CONFLICT (entity, id) DO UPDATE SET data = excluded.data, seq = excluded.seq, deleted = 0`;
    if (entity === 'request') {
      // A request's every change (each decision) also updates its row in `requests`: one
      // statement, one round trip (a data-modifying WITH runs whether or not it is read).
      const r = value as ApprovalRequest;
      await this.#write(
        `WITH e AS (${upsert}) UPDATE requests SET status = $5, escalate_at = $6 WHERE id = $2`,
        entity,
        r.id,
        JSON.stringify(value),
        seq,
        r.status,
        escalationDueAt(r),
      );
      return;
    }
    await this.#write(upsert, entity, value.id, JSON.stringify(value), seq);
    switch (entity) {
      case 'user': {
        const user = value as User;
        await this.#write('DELETE FROM user_emails WHERE user_id = $1', user.id);
        await this.#write('INSERT INTO user_emails (email, user_id) VALUES ($1, $2)', user.email.toLowerCase(), user.id);
        break;
      }
      case 'breakglass': {
        const s = value as BreakGlassSession;
        await this.#write(
          `INSERT INTO sessions (id, user_id, expires_at, ended) VALUES ($1, $2, $3, $4)
           ON CONFLICT (id) DO UPDATE SET expires_at = excluded.expires_at, ended = excluded.ended`,
          s.id,
          s.userId,
          s.expiresAt,
          s.endedAt ? 1 : 0,
        );
        break;
      }
      case 'environment': {
        const env = value as Environment;
        if (env.freeze?.until) {
          await this.#write(
            'INSERT INTO freezes (environment_id, until) VALUES ($1, $2) ON CONFLICT (environment_id) DO UPDATE SET until = excluded.until',
            env.id,
            env.freeze.until,
          );
        } else {
          await this.#write('DELETE FROM freezes WHERE environment_id = $1', env.id);
        }
        break;
      }
    }
  }

  async remove(entity: Exclude<SyncEntity, 'request'>, id: string): Promise<void> {
    this.#forget(entity);
    await this.#write(
      `UPDATE entities SET deleted = 1, data = 'null', seq = $1 WHERE entity = $2 AND id = $3 AND deleted = 0`,
      await this.#nextSeq(),
      entity,
      id,
    );
    if (entity === 'user') {
      await this.#write('DELETE FROM user_emails WHERE user_id = $1', id);
      await this.#write('DELETE FROM tokens WHERE user_id = $1', id);
    }
  }

  async insertRequest(request: ApprovalRequest, diff: string | undefined, effect: Effect | undefined): Promise<void> {
    const times = firstReminderTimes(request, (await this.settings()).reminderAfterMinutes);
    await this.#write(
      'INSERT INTO requests (id, status, action, environment_id, project_id, expires_at, diff, effect, remind_at, expiring_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)',
      request.id,
      request.status,
      request.action,
      request.resource.environmentId ?? null,
      request.resource.projectId ?? null,
      request.expiresAt,
      diff === undefined ? null : Buffer.from(diff, 'utf8'),
      effect ? JSON.stringify(effect) : null,
      times.remindAt,
      times.expiringAt,
    );
    await this.put('request', request);
  }

  async addToken(token: ApiToken, hash: Buffer): Promise<void> {
    await this.#write(
      'INSERT INTO tokens (hash, id, name, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)',
      hash,
      token.id,
      token.name,
      token.userId,
      token.createdAt,
      token.expiresAt ?? null,
    );
  }

  async removeToken(id: string): Promise<void> {
    await this.#write('DELETE FROM tokens WHERE id = $1', id);
  }

  async touchToken(id: string, at: Date): Promise<void> {
    await this.#write('UPDATE tokens SET last_used_at = $1 WHERE id = $2', at.toISOString(), id);
  }

  async appendAudit(event: NewAuditEvent): Promise<AuditEvent> {
    const last = this.#cache.auditHead ?? (await this.one<{ seq: number; hash: string }>('SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1'));
    const seq = (last?.seq ?? 0) + 1;
    const prevHash = last?.hash ?? GENESIS_HASH;
    const full = { ...event, seq };
    const hash = hashEvent(prevHash, full);
    await this.#write(
      'INSERT INTO audit (seq, at, actor_id, type, subject, details, breakglass_session_id, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)',
      seq,
      event.at,
      event.actorId,
      event.type,
      event.subject,
      JSON.stringify(event.details),
      event.breakGlassSessionId ?? null,
      prevHash,
      hash,
    );
    this.#cache.auditHead = { seq, hash };
    // Signed with the event that completes the hundred, in its transaction (as in SQLite).
    if (this.#auditKey && seq % CHECKPOINT_EVERY === 0) {
      const decision = await nextCheckpoint(this, this.#auditKey, event.at);
      if ('checkpoint' in decision) await this.addCheckpoint(decision.checkpoint);
    }
    return { ...full, breakGlass: event.breakGlassSessionId !== undefined, prevHash, hash };
  }

  async addCheckpoint(checkpoint: AuditCheckpoint): Promise<void> {
    await this.#write(
      'INSERT INTO audit_checkpoints (seq, hash, at, signature) VALUES ($1, $2, $3, $4)',
      checkpoint.seq,
      checkpoint.hash,
      checkpoint.at,
      checkpoint.signature,
    );
  }

  async saveIdempotent(userId: string, key: string, record: IdempotentRecord): Promise<void> {
    await this.#write(
      'INSERT INTO idempotency (user_id, key, fingerprint, status, body, created_at) VALUES ($1, $2, $3, $4, $5, $6)',
      userId,
      key,
      record.fingerprint,
      record.status,
      record.body,
      record.createdAt,
    );
  }

  async pruneIdempotent(olderThan: Date): Promise<void> {
    await this.#write('DELETE FROM idempotency WHERE created_at < $1', olderThan.toISOString());
  }

  async putChannel(channel: StoredChannel): Promise<void> {
    await this.#write(
      'INSERT INTO channels (id, data) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET data = excluded.data',
      channel.id,
      JSON.stringify(channel),
    );
  }

  async removeChannel(id: string): Promise<void> {
    await this.#write('DELETE FROM channels WHERE id = $1', id);
    await this.#write('DELETE FROM deliveries WHERE channel_id = $1', id);
  }

  async putSettings(settings: OrgSettings): Promise<void> {
    await this.#setMeta('settings', JSON.stringify(settings));
  }

  async putPreferences(userId: string, preferences: Preferences): Promise<void> {
    await this.#write(
      'INSERT INTO preferences (user_id, data) VALUES ($1, $2) ON CONFLICT (user_id) DO UPDATE SET data = excluded.data',
      userId,
      JSON.stringify(preferences),
    );
  }

  async setNotifyCursor(seq: number): Promise<void> {
    await this.#setMeta('notify_cursor', String(seq));
  }

  async insertDelivery(d: StoredDelivery): Promise<void> {
    await this.#write(
      `INSERT INTO deliveries (id, channel_id, event, subject, recipient, body, status, attempts, last_error, created_at, window_start, next_at, delivered_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
      d.id,
      d.channelId,
      d.event,
      d.subject ?? null,
      d.to ?? null,
      d.body,
      d.status,
      d.attempts,
      d.lastError ?? null,
      d.createdAt,
      d.windowStart,
      d.nextAttemptAt ?? null,
      d.deliveredAt ?? null,
    );
  }

  async updateDelivery(id: string, u: DeliveryUpdate): Promise<void> {
    await this.#write(
      'UPDATE deliveries SET status = $1, attempts = $2, last_error = $3, next_at = $4, delivered_at = $5, window_start = COALESCE($6, window_start), leased = $7 WHERE id = $8',
      u.status,
      u.attempts,
      u.lastError ?? null,
      u.nextAttemptAt ?? null,
      u.deliveredAt ?? null,
      u.windowStart ?? null,
      u.leased ? 1 : 0,
      id,
    );
  }

  /**
   * On SQLite one process owns the file, so at its start every lease is a dead process's and is
   * ended. Here other live processes may hold leases: none is ended early. A lease simply expires
   * (its next_at is the lease's end, after which dueDeliveries offers it again); this only clears
   * the flag of leases already past their end, and returns how many.
   */
  async releaseLeases(now: Date): Promise<number> {
    const t = now.toISOString();
    return (
      (await this.run(`UPDATE deliveries SET leased = 0 WHERE leased = 1 AND status = 'pending' AND next_at <= $1`, t)) +
      (await this.run(`UPDATE github_callbacks SET leased = 0 WHERE leased = 1 AND status = 'pending' AND next_at <= $1`, t))
    );
  }

  async putGitHubLink(link: GitHubLink): Promise<void> {
    await this.#write(
      'INSERT INTO github_links (id, repository, data) VALUES ($1, $2, $3) ON CONFLICT (id) DO UPDATE SET repository = excluded.repository, data = excluded.data',
      link.id,
      link.repository,
      JSON.stringify(link),
    );
  }

  async removeGitHubLink(id: string): Promise<void> {
    await this.#write('DELETE FROM github_links WHERE id = $1', id);
  }

  async putGitHubDeployment(d: GitHubDeployment): Promise<void> {
    await this.#write(
      'INSERT INTO github_deployments (request_id, settled, data) VALUES ($1, $2, $3) ON CONFLICT (request_id) DO UPDATE SET settled = excluded.settled, data = excluded.data',
      d.requestId,
      d.settled,
      JSON.stringify(d),
    );
  }

  async setGitHubCursor(seq: number): Promise<void> {
    await this.#setMeta('github_cursor', String(seq));
  }

  async putGitHubCallback(c: GitHubCallback): Promise<void> {
    await this.#write(
      `INSERT INTO github_callbacks (id, request_id, status, next_at, leased, data) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (id) DO UPDATE SET status = excluded.status, next_at = excluded.next_at, leased = excluded.leased, data = excluded.data`,
      c.id,
      c.requestId ?? null,
      c.status,
      c.status === 'pending' ? (c.nextAttemptAt ?? null) : null,
      c.leased ? 1 : 0,
      JSON.stringify(c),
    );
  }

  async setReminderTimes(requestId: string, times: { remindAt?: string | null; expiringAt?: string | null }): Promise<void> {
    if (times.remindAt !== undefined) await this.#write('UPDATE requests SET remind_at = $1 WHERE id = $2', times.remindAt, requestId);
    if (times.expiringAt !== undefined) await this.#write('UPDATE requests SET expiring_at = $1 WHERE id = $2', times.expiringAt, requestId);
  }
}

export interface PostgresStoreOptions {
  /** Signs a checkpoint in the transaction of every CHECKPOINT_EVERY-th audit event. */
  auditKey?: AuditKey;
  /** Connections in the pool (default 10). */
  max?: number;
}

/** Connects, migrates (under the advisory lock) and returns the store; throws if the database is unreachable. */
export async function openPostgresStore(url: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
  const pool = new pg.Pool({ connectionString: url, max: options.max ?? 10, types, connectionTimeoutMillis: 10_000 });
  // An idle connection the server dropped must not crash the process; the next query reconnects.
  pool.on('error', () => {});
  try {
    await migratePostgres(pool, TX_LOCK);
  } catch (err) {
    await pool.end().catch(() => {});
    throw err;
  }
  const store = new PostgresStore(pool, options.auditKey);
  try {
    await store.listen(url);
  } catch (err) {
    await store.close().catch(() => {});
    throw err;
  }
  return store;
}

export class PostgresStore extends PgReader implements Store {
  readonly #pool: pg.Pool;
  readonly #auditKey: AuditKey | undefined;
  readonly #listeners = new Set<(cursor: number) => void>();
  /** This process's mutations waiting for the next batch (in call order, as SQLite runs them); other processes queue on the advisory lock. */
  #pending: Pending[] = [];
  #drain: Promise<void> | undefined;
  #closed = false;
  /** The highest cursor the listeners have heard. */
  #announced = 0;
  #listener: pg.Client | undefined;
  #relisten: NodeJS.Timeout | undefined;

  constructor(pool: pg.Pool, auditKey?: AuditKey) {
    super();
    this.#pool = pool;
    this.#auditKey = auditKey;
  }

  protected q(): Queryable {
    return this.#reads;
  }

  /** The pool, for reads outside a transaction: a lost connection rejects as StoreUnavailableError (the HTTP layer's 503). */
  readonly #reads: Queryable = {
    query: (text, values) =>
      this.#pool.query(text, values).catch((err: unknown) => {
        throw unavailableIfConnection(err);
      }),
  };

  /**
   * Group commit, as in the SQLite store: mutations queued in the same turn of the event loop run
   * one after another in one PostgreSQL transaction, each inside its own SAVEPOINT (a failing one
   * rolls back alone), and share one COMMIT — one fsync for the batch, one advisory lock. Nobody's
   * promise resolves before that COMMIT, so nothing is acknowledged early.
   */
  transact<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(new Error('store is closed'));
    return new Promise<T>((resolve, reject) => {
      this.#pending.push({ fn: fn as (tx: StoreTx) => Promise<unknown>, resolve: resolve as (v: unknown) => void, reject });
      if (!this.#drain) this.#drain = new Promise<void>((done) => setImmediate(() => void this.#runBatches().finally(done)));
    });
  }

  async #runBatches(): Promise<void> {
    try {
      while (this.#pending.length > 0) await this.#runBatch(this.#pending.splice(0, MAX_BATCH));
    } finally {
      this.#drain = undefined;
    }
  }

  async #runBatch(batch: Pending[]): Promise<void> {
    type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };
    let outcomes: Outcome[] = [];
    let cursor: number | undefined;
    let committed = false;
    let client: pg.PoolClient | undefined;
    // A connection whose BEGIN, lock, savepoint, ROLLBACK or COMMIT failed is in doubt: discarded, not reused.
    let broken: Error | undefined;
    const onLost = (err: Error) => {
      broken ??= err;
    };
    try {
      client = await this.#pool.connect();
      // The pool listens for a connection's errors only while it is idle: one lost while checked
      // out here (the database shut down between two queries) would be an unhandled 'error' that
      // ends the process. Heard here, it marks the connection broken; the next query rejects.
      client.on('error', onLost);
      const alone = batch.length === 1;
      // One round trip: BEGIN, the lock (TX_LOCK is a constant number), the two heads nearly every
      // write transaction reads first (the sync seq and the audit chain's), read after the lock
      // was granted, and the first mutation's SAVEPOINT, as one simple query (no parameters); each
      // mutation's release (or rollback) then travels with the next one's SAVEPOINT (and with its
      // queued writes, still inside its savepoint), and the last one's with the COMMIT.
      const begun = (await client.query(
        `BEGIN; SELECT pg_advisory_xact_lock(${TX_LOCK}); ${HEADS_SQL}${alone ? '' : '; SAVEPOINT mutation'}`,
      )) as unknown as pg.QueryResult[];
      const heads = begun[2]!.rows[0] as HeadsRow;
      const state: SeqState = { seq: heads.seq, base: heads.seq };
      const auditHead = heads.audit_seq === null ? { seq: 0, hash: GENESIS_HASH } : { seq: heads.audit_seq, hash: heads.audit_hash! };
      let cache = newBatchCache(auditHead);
      const queue: WriteQueue = { statements: [] };
      let close = '';
      for (const [i, item] of batch.entries()) {
        const last = i === batch.length - 1;
        const tx = new PgTx(client, this.#auditKey, state, cache, queue);
        const seqBefore = state.seq;
        const auditBefore = cache.auditHead;
        let outcome: Outcome;
        try {
          outcome = { ok: true, value: await item.fn(tx) };
        } catch (error) {
          outcome = { ok: false, error };
        }
        tx.end();
        let released = false;
        if (!outcome.ok) {
          queue.statements.length = 0; // its own writes: it failed, they are not sent
        } else if (!alone && queue.statements.length > 0) {
          // Its last writes with its RELEASE (and the next one's SAVEPOINT): a failing write fails
          // this mutation, which is then rolled back to its savepoint like any other failure.
          try {
            await client.query([...queue.statements.splice(0), 'RELEASE mutation', ...(last ? [] : ['SAVEPOINT mutation'])].join(';\n'));
            released = true;
          } catch (error) {
            outcome = { ok: false, error };
          }
        }
        if (!outcome.ok) {
          state.seq = seqBefore;
          // What it wrote is rolled back; what it read may be its own writes. The audit head
          // before it is still known (kept aside while it ran), so it is not read again.
          cache = newBatchCache(auditBefore);
        }
        if (!alone && !released) {
          close = outcome.ok ? 'RELEASE mutation; ' : 'ROLLBACK TO mutation; RELEASE mutation; ';
          if (!last) {
            await client.query(`${close}SAVEPOINT mutation`);
            close = '';
          }
        }
        outcomes.push(outcome);
      }
      if (outcomes.some((o) => o.ok)) {
        if (state.seq !== undefined && state.base !== undefined && state.seq > state.base) cursor = state.seq;
        // Delivered to every listening process when (and only if) this commits.
        // NOTIFY and COMMIT in one round trip (the cursor is a number, the channel a constant),
        // after a lone mutation's queued writes: one failing aborts the rest, COMMIT included, so
        // the transaction is rolled back and the mutation fails with that error.
        const writes = queue.statements.splice(0).map((w) => `${w};\n`);
        await client.query(`${writes.join('')}${close}${cursor !== undefined ? `SELECT pg_notify('${CHANNEL}', '${cursor}'); ` : ''}COMMIT`);
        committed = true;
      } else {
        await client.query('ROLLBACK');
      }
    } catch (error) {
      broken = error instanceof Error ? error : new Error(String(error));
      await client?.query('ROLLBACK').catch(() => {});
      outcomes = batch.map(() => ({ ok: false, error }));
    } finally {
      client?.removeListener('error', onLost);
      client?.release(broken);
    }
    if (committed && cursor !== undefined) this.#changed(cursor);
    batch.forEach((item, i) => {
      const o = outcomes[i]!;
      if (o.ok) item.resolve(o.value);
      // A lost connection (before, during or at COMMIT) is the caller's 503, not a 500.
      else item.reject(unavailableIfConnection(o.error));
    });
  }

  onCommit(listener: (cursor: number) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Wakes the listeners once per new cursor: a local commit wakes them at once, and its own
   * NOTIFY, arriving later with the same cursor, is then ignored; another process's commit
   * arrives only as a NOTIFY. Cursors only grow, so an older one is never news.
   */
  #changed(cursor: number): void {
    if (cursor <= this.#announced) return;
    this.#announced = cursor;
    for (const l of this.#listeners) l(cursor);
  }

  /**
   * Cross-process change events: one connection of its own LISTENs on CHANNEL, where every
   * process's commit NOTIFYs its new sync cursor. A lost connection is retried every second;
   * on reconnecting, the listeners hear the current cursor (what committed meanwhile).
   */
  async listen(url: string): Promise<void> {
    if (this.#closed) return;
    const client = new pg.Client({ connectionString: url, types });
    const retry = () => {
      if (this.#listener !== client) return;
      this.#listener = undefined;
      client.removeAllListeners();
      client.on('error', () => {});
      void client.end().catch(() => {});
      if (this.#closed) return;
      this.#relisten = setTimeout(() => {
        this.#relisten = undefined;
        void this.listen(url)
          .then(() => this.currentSeq())
          .then((seq) => this.#changed(seq))
          .catch(() => {});
      }, 1000);
      this.#relisten.unref();
    };
    this.#listener = client;
    client.on('error', retry);
    client.on('end', retry);
    client.on('notification', (msg) => {
      const cursor = Number(msg.payload);
      if (Number.isSafeInteger(cursor)) this.#changed(cursor);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
    } catch (err) {
      retry();
      throw err;
    }
  }

  async *auditEvents(from?: string, to?: string, untilSeq?: number): AsyncIterable<AuditEvent> {
    let after = 0;
    for (;;) {
      const rows = await this.all<AuditRow>('SELECT * FROM audit WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT 1000', after, untilSeq ?? MAX_SAFE);
      if (rows.length === 0) return;
      for (const r of rows) {
        if ((from === undefined || r.at >= from) && (to === undefined || r.at <= to)) yield auditFromRow(r);
      }
      after = rows[rows.length - 1]!.seq;
    }
  }

  async *allCheckpoints(untilSeq?: number): AsyncIterable<AuditCheckpoint> {
    let after = 0;
    for (;;) {
      const page = await this.checkpoints(after, 1000);
      for (const cp of page) {
        if (untilSeq !== undefined && cp.seq > untilSeq) return;
        yield cp;
      }
      if (page.length < 1000) return;
      after = page[page.length - 1]!.seq;
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#relisten);
    const listener = this.#listener;
    this.#listener = undefined;
    while (this.#drain) await this.#drain;
    await listener?.end().catch(() => {});
    await this.#pool.end();
  }
}
