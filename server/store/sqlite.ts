// The embedded store: one SQLite file in WAL mode with synchronous=FULL, so an acknowledged
// mutation survives a crash or power cut. All SQL of the server lives in this folder.
import Database from 'better-sqlite3';
import { timingSafeEqual } from 'node:crypto';
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
  GitHubLink,
} from '../../shared/schemas/index.ts';
import { GENESIS_HASH, hashEvent } from '../audit/chain.ts';
import { CHECKPOINT_EVERY, nextCheckpoint, type AuditKey } from '../audit/checkpoint.ts';
import { escalationDueAt, firstReminderTimes } from './due-times.ts';
import { migrate } from './migrations.ts';
import { auditFromRow, deliveryFromRow, TOKEN_COLUMNS, tokenFromRow, type AuditRow, type DeliveryRow, type TokenRow } from './rows.ts';
import type {
  Effect,
  IdempotentRecord,
  NewAuditEvent,
  RequestFilter,
  Store,
  StoreTx,
  StoredChannel,
  StoredDelivery,
  DeliveryUpdate,
  GitHubCallback,
  GitHubDeployment,
} from './types.ts';
import { DEFAULT_PREFERENCES, DEFAULT_SETTINGS, type OrgSettings, type Preferences } from '../../shared/schemas/index.ts';

/** Mutations per COMMIT at most, so one batch can't hold the event loop for long. */
const MAX_BATCH = 256;

export interface SqliteStoreOptions {
  readonly?: boolean;
  /** Signs a checkpoint in the transaction of every CHECKPOINT_EVERY-th audit event. */
  auditKey?: AuditKey;
}

/** Opens (creating if needed) and migrates the database file. */
/**
 * The SQL of one listRequests page (exported for the query-plan test). `CROSS JOIN` makes
 * `requests` the outer loop: with a plain JOIN and no filter, SQLite walks every request entity
 * and sorts them all for the newest page (0.6 s at 100k); this way each filter reads its index
 * (migrations 1 and 9) newest first and stops after the page.
 */
export function listRequestsQuery(filter: RequestFilter): { sql: string; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  if (filter.status) where.push('r.status = ?'), params.push(filter.status);
  if (filter.action) where.push('r.action = ?'), params.push(filter.action);
  if (filter.environmentId) where.push('r.environment_id = ?'), params.push(filter.environmentId);
  if (filter.projectId) where.push('r.project_id = ?'), params.push(filter.projectId);
  if (filter.cursor !== undefined) where.push('r.n < ?'), params.push(Number(filter.cursor));
  const sql =
    `SELECT r.n AS n, e.data AS data FROM requests r CROSS JOIN entities e ON e.entity = 'request' AND e.id = r.id` +
    (where.length ? ` WHERE ${where.join(' AND ')}` : '') +
    ' ORDER BY r.n DESC LIMIT ?';
  return { sql, params: [...params, filter.limit + 1] };
}

export function openSqliteStore(file: string, options: SqliteStoreOptions = {}): SqliteStore {
  const db = new Database(file, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false });
  if (!options.readonly) {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    migrate(db);
  }
  db.pragma('busy_timeout = 5000');
  return new SqliteStore(db, options.auditKey);
}

export class SqliteStore implements Store, StoreTx {
  readonly #db: Database.Database;
  readonly #statements = new Map<string, Database.Statement>();
  readonly #listeners = new Set<(cursor: number) => void>();
  #seq: number;
  #pending: { fn: (tx: StoreTx) => Promise<unknown>; resolve: (v: unknown) => void; reject: (e: unknown) => void }[] = [];
  #drain: Promise<void> | undefined;
  #inTx = false;
  /** Parsed directory entities (not requests); this process is the only writer, so it stays true. */
  readonly #cache = new Map<string, unknown>();
  readonly #auditKey: AuditKey | undefined;

  constructor(db: Database.Database, auditKey?: AuditKey) {
    this.#db = db;
    this.#auditKey = auditKey;
    this.#seq = this.#one<{ s: number | null }>('SELECT MAX(seq) AS s FROM entities')?.s ?? 0;
  }

  #stmt(sql: string): Database.Statement {
    let s = this.#statements.get(sql);
    if (!s) {
      s = this.#db.prepare(sql);
      this.#statements.set(sql, s);
    }
    return s;
  }
  #one<T>(sql: string, ...params: unknown[]): T | undefined {
    return this.#stmt(sql).get(...params) as T | undefined;
  }
  #all<T>(sql: string, ...params: unknown[]): T[] {
    return this.#stmt(sql).all(...params) as T[];
  }
  #run(sql: string, ...params: unknown[]): Database.RunResult {
    return this.#stmt(sql).run(...params);
  }
  #assertTx(): void {
    if (!this.#inTx) throw new Error('store mutation outside transact()');
  }

  // ---- transactions ---------------------------------------------------------------------------

  /**
   * Group commit: mutations queued in the same turn of the event loop run one after another, each
   * inside its own SAVEPOINT (so a failing one rolls back alone), and share one COMMIT — one fsync
   * for the batch. Nobody's promise resolves before that COMMIT, so nothing is acknowledged early.
   */
  transact<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#pending.push({ fn: fn as (tx: StoreTx) => Promise<unknown>, resolve: resolve as (v: unknown) => void, reject });
      if (!this.#drain) this.#drain = new Promise<void>((done) => setImmediate(() => void this.#runBatches().finally(done)));
    });
  }

  async #runBatches(): Promise<void> {
    try {
      while (this.#pending.length > 0) {
        const batch = this.#pending.splice(0, MAX_BATCH);
        const outcomes: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
        const seqAtBegin = this.#seq;
        this.#db.exec('BEGIN IMMEDIATE');
        this.#inTx = true;
        for (const item of batch) {
          const seqBefore = this.#seq;
          this.#db.exec('SAVEPOINT mutation');
          try {
            outcomes.push({ ok: true, value: await item.fn(this) });
            this.#db.exec('RELEASE mutation');
          } catch (error) {
            this.#db.exec('ROLLBACK TO mutation');
            this.#db.exec('RELEASE mutation');
            this.#seq = seqBefore;
            this.#cache.clear();
            outcomes.push({ ok: false, error });
          }
        }
        try {
          this.#db.exec('COMMIT');
        } catch (error) {
          if (this.#db.inTransaction) this.#db.exec('ROLLBACK');
          this.#seq = seqAtBegin;
          this.#cache.clear();
          outcomes.fill({ ok: false, error });
        } finally {
          this.#inTx = false;
        }
        if (this.#seq !== seqAtBegin) for (const l of this.#listeners) l(this.#seq);
        batch.forEach((item, i) => {
          const o = outcomes[i]!;
          if (o.ok) item.resolve(o.value);
          else item.reject(o.error);
        });
      }
    } finally {
      this.#drain = undefined;
    }
  }

  onCommit(listener: (cursor: number) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async close(): Promise<void> {
    while (this.#drain) await this.#drain;
    if (this.#db.open) this.#db.close();
  }

  // ---- reads ----------------------------------------------------------------------------------

  async get<E extends SyncEntity>(entity: E, id: string): Promise<EntityTypes[E] | undefined> {
    const key = entity === 'request' ? undefined : `${entity}:${id}`;
    if (key !== undefined && this.#cache.has(key)) return this.#cache.get(key) as EntityTypes[E] | undefined;
    const row = this.#one<{ data: string }>('SELECT data FROM entities WHERE entity = ? AND id = ? AND deleted = 0', entity, id);
    const value = row ? (JSON.parse(row.data) as EntityTypes[E]) : undefined;
    if (key !== undefined) this.#cache.set(key, value);
    return value;
  }

  async list<E extends Exclude<SyncEntity, 'request'>>(entity: E): Promise<EntityTypes[E][]> {
    const key = `${entity}:*`;
    const cached = this.#cache.get(key) as EntityTypes[E][] | undefined;
    if (cached) return [...cached];
    const values = this.#all<{ data: string }>('SELECT data FROM entities WHERE entity = ? AND deleted = 0 ORDER BY n', entity).map(
      (r) => JSON.parse(r.data) as EntityTypes[E],
    );
    this.#cache.set(key, values);
    return [...values];
  }

  #forget(entity: SyncEntity, id: string): void {
    this.#cache.delete(`${entity}:${id}`);
    this.#cache.delete(`${entity}:*`);
  }

  async tokenByHash(hash: Buffer): Promise<{ token: ApiToken; user: User } | undefined> {
    const row = this.#one<TokenRow & { hash: Buffer }>(`SELECT hash, ${TOKEN_COLUMNS} FROM tokens WHERE hash = ?`, hash);
    // The index finds the row; the comparison that decides is constant-time.
    if (!row || row.hash.length !== hash.length || !timingSafeEqual(row.hash, hash)) return undefined;
    const user = await this.get('user', row.user_id);
    return user && { token: tokenFromRow(row), user };
  }

  async getToken(id: string): Promise<ApiToken | undefined> {
    const row = this.#one<TokenRow>(`SELECT ${TOKEN_COLUMNS} FROM tokens WHERE id = ?`, id);
    return row && tokenFromRow(row);
  }

  async listTokens(userId: string): Promise<ApiToken[]> {
    return this.#all<TokenRow>(`SELECT ${TOKEN_COLUMNS} FROM tokens WHERE user_id = ? ORDER BY created_at, rowid`, userId).map(tokenFromRow);
  }

  async userByEmail(email: string): Promise<User | undefined> {
    const row = this.#one<{ user_id: string }>('SELECT user_id FROM user_emails WHERE email = ?', email.toLowerCase());
    return row ? this.get('user', row.user_id) : undefined;
  }

  async listRequests(filter: RequestFilter): Promise<{ requests: ApprovalRequest[]; nextCursor: string | null }> {
    const { sql, params } = listRequestsQuery(filter);
    const rows = this.#all<{ n: number; data: string }>(sql, ...params);
    const more = rows.length > filter.limit;
    const page = more ? rows.slice(0, filter.limit) : rows;
    return {
      requests: page.map((r) => JSON.parse(r.data) as ApprovalRequest),
      nextCursor: more ? String(page[page.length - 1]!.n) : null,
    };
  }

  async requestEffect(id: string): Promise<Effect | undefined> {
    const row = this.#one<{ effect: string | null }>('SELECT effect FROM requests WHERE id = ?', id);
    return row?.effect ? (JSON.parse(row.effect) as Effect) : undefined;
  }

  async requestDiff(id: string): Promise<string | undefined> {
    const row = this.#one<{ diff: string | null }>('SELECT diff FROM requests WHERE id = ?', id);
    return row ? (row.diff ?? '') : undefined;
  }

  async sessionsOf(userId: string): Promise<BreakGlassSession[]> {
    return this.#all<{ data: string }>(
      `SELECT e.data FROM sessions s JOIN entities e ON e.entity = 'breakglass' AND e.id = s.id WHERE s.user_id = ? ORDER BY e.n`,
      userId,
    ).map((r) => JSON.parse(r.data) as BreakGlassSession);
  }

  async activeSessions(now: Date): Promise<BreakGlassSession[]> {
    return this.#all<{ data: string }>(
      `SELECT e.data FROM sessions s JOIN entities e ON e.entity = 'breakglass' AND e.id = s.id WHERE s.ended = 0 AND s.expires_at > ? ORDER BY e.n`,
      now.toISOString(),
    ).map((r) => JSON.parse(r.data) as BreakGlassSession);
  }

  async idempotent(userId: string, key: string): Promise<IdempotentRecord | undefined> {
    const row = this.#one<{ fingerprint: string; status: number; body: string; created_at: string }>(
      'SELECT fingerprint, status, body, created_at FROM idempotency WHERE user_id = ? AND key = ?',
      userId,
      key,
    );
    return row && { fingerprint: row.fingerprint, status: row.status, body: row.body, createdAt: row.created_at };
  }

  async syncPage(cursor: number, limit: number) {
    const rows = this.#all<{ entity: SyncEntity; id: string; data: string; seq: number; deleted: number }>(
      'SELECT entity, id, data, seq, deleted FROM entities WHERE seq > ? ORDER BY seq LIMIT ?',
      cursor,
      limit + 1,
    );
    const hasMore = rows.length > limit;
    const page = hasMore ? rows.slice(0, limit) : rows;
    return {
      changes: page.map((r) =>
        r.deleted
          ? { seq: r.seq, entity: r.entity, id: r.id, op: 'delete' as const }
          : { seq: r.seq, entity: r.entity, id: r.id, op: 'upsert' as const, data: JSON.parse(r.data) as unknown },
      ),
      cursor: page.length ? page[page.length - 1]!.seq : hasMore ? cursor : Math.max(cursor, this.#seq),
      hasMore,
    };
  }

  async currentSeq(): Promise<number> {
    return this.#seq;
  }

  async instanceId(): Promise<string> {
    return this.#one<{ value: string }>("SELECT value FROM meta WHERE key = 'instance'")!.value;
  }

  async auditPage(after: number, limit: number, subject?: string): Promise<AuditEvent[]> {
    const rows =
      subject === undefined
        ? this.#all<AuditRow>('SELECT * FROM audit WHERE seq > ? ORDER BY seq LIMIT ?', after, limit)
        : this.#all<AuditRow>('SELECT * FROM audit WHERE subject = ? AND seq > ? ORDER BY seq LIMIT ?', subject, after, limit);
    return rows.map(auditFromRow);
  }

  async auditPageBefore(before: number, limit: number, subject?: string): Promise<AuditEvent[]> {
    const rows =
      subject === undefined
        ? this.#all<AuditRow>('SELECT * FROM audit WHERE seq < ? ORDER BY seq DESC LIMIT ?', before, limit)
        : this.#all<AuditRow>('SELECT * FROM audit WHERE subject = ? AND seq < ? ORDER BY seq DESC LIMIT ?', subject, before, limit);
    return rows.map(auditFromRow);
  }

  async auditHead(): Promise<{ seq: number; hash: string }> {
    const last = this.#one<{ seq: number; hash: string }>('SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1');
    return last ?? { seq: 0, hash: GENESIS_HASH };
  }

  async checkpoints(after: number, limit: number): Promise<AuditCheckpoint[]> {
    return this.#all<AuditCheckpoint>('SELECT seq, hash, at, signature FROM audit_checkpoints WHERE seq > ? ORDER BY seq LIMIT ?', after, limit).map((r) => ({
      ...r,
    }));
  }

  async lastCheckpoint(atOrBefore?: number): Promise<AuditCheckpoint | undefined> {
    const row = this.#one<AuditCheckpoint>(
      'SELECT seq, hash, at, signature FROM audit_checkpoints WHERE seq <= ? ORDER BY seq DESC LIMIT 1',
      atOrBefore ?? Number.MAX_SAFE_INTEGER,
    );
    return row && { ...row };
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

  async *auditEvents(from?: string, to?: string, untilSeq?: number): AsyncIterable<AuditEvent> {
    let after = 0;
    for (;;) {
      const rows = this.#all<AuditRow>('SELECT * FROM audit WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT 1000', after, untilSeq ?? Number.MAX_SAFE_INTEGER);
      if (rows.length === 0) return;
      for (const r of rows) {
        if ((from === undefined || r.at >= from) && (to === undefined || r.at <= to)) yield auditFromRow(r);
      }
      after = rows[rows.length - 1]!.seq;
    }
  }

  async due(now: Date) {
    const t = now.toISOString();
    return {
      requestIds: this.#all<{ id: string }>(`SELECT id FROM requests WHERE status = 'pending' AND expires_at <= ?`, t).map((r) => r.id),
      environmentIds: this.#all<{ environment_id: string }>('SELECT environment_id FROM freezes WHERE until <= ?', t).map((r) => r.environment_id),
      sessionIds: this.#all<{ id: string }>('SELECT id FROM sessions WHERE ended = 0 AND expires_at <= ?', t).map((r) => r.id),
      escalationIds: this.#all<{ id: string }>(`SELECT id FROM requests WHERE status = 'pending' AND escalate_at <= ?`, t).map((r) => r.id),
    };
  }

  // ---- notifications --------------------------------------------------------------------------

  async listChannels(): Promise<StoredChannel[]> {
    return this.#all<{ data: string }>('SELECT data FROM channels ORDER BY n').map((r) => JSON.parse(r.data) as StoredChannel);
  }

  async getChannel(id: string): Promise<StoredChannel | undefined> {
    const row = this.#one<{ data: string }>('SELECT data FROM channels WHERE id = ?', id);
    return row && (JSON.parse(row.data) as StoredChannel);
  }

  #meta(key: string): string | undefined {
    return this.#one<{ value: string }>('SELECT value FROM meta WHERE key = ?', key)?.value;
  }
  #setMeta(key: string, value: string): void {
    this.#run('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value', key, value);
  }

  async settings(): Promise<OrgSettings> {
    let settings = this.#cache.get('settings') as OrgSettings | undefined;
    if (!settings) {
      const raw = this.#meta('settings');
      settings = raw ? { ...DEFAULT_SETTINGS, ...(JSON.parse(raw) as Partial<OrgSettings>) } : { ...DEFAULT_SETTINGS };
      this.#cache.set('settings', settings);
    }
    return structuredClone(settings);
  }

  async preferences(userId: string): Promise<Preferences> {
    const row = this.#one<{ data: string }>('SELECT data FROM preferences WHERE user_id = ?', userId);
    return row ? (JSON.parse(row.data) as Preferences) : structuredClone(DEFAULT_PREFERENCES);
  }

  async notifyCursor(): Promise<number> {
    return Number(this.#meta('notify_cursor') ?? 0);
  }

  async notifySecret(): Promise<string> {
    return this.#meta('notify_secret')!;
  }

  async deliveries(channelId: string, filter: { status?: StoredDelivery['status']; limit: number }): Promise<StoredDelivery[]> {
    const rows =
      filter.status === undefined
        ? this.#all<DeliveryRow>('SELECT * FROM deliveries WHERE channel_id = ? ORDER BY n DESC LIMIT ?', channelId, filter.limit)
        : this.#all<DeliveryRow>(
            'SELECT * FROM deliveries WHERE channel_id = ? AND status = ? ORDER BY n DESC LIMIT ?',
            channelId,
            filter.status,
            filter.limit,
          );
    return rows.map(deliveryFromRow);
  }

  async getDelivery(id: string): Promise<StoredDelivery | undefined> {
    const row = this.#one<DeliveryRow>('SELECT * FROM deliveries WHERE id = ?', id);
    return row && deliveryFromRow(row);
  }

  async dueDeliveries(now: Date, limit: number): Promise<StoredDelivery[]> {
    return this.#all<DeliveryRow>(
      `SELECT * FROM deliveries WHERE status = 'pending' AND next_at <= ? ORDER BY next_at, n LIMIT ?`,
      now.toISOString(),
      limit,
    ).map(deliveryFromRow);
  }

  async dueReminders(now: Date): Promise<{ reminderIds: string[]; expiringIds: string[] }> {
    const t = now.toISOString();
    return {
      reminderIds: this.#all<{ id: string }>(`SELECT id FROM requests WHERE status = 'pending' AND remind_at <= ?`, t).map((r) => r.id),
      expiringIds: this.#all<{ id: string }>(`SELECT id FROM requests WHERE status = 'pending' AND expiring_at <= ?`, t).map((r) => r.id),
    };
  }

  async reminderTimes(requestId: string): Promise<{ remindAt: string | null; expiringAt: string | null } | undefined> {
    const row = this.#one<{ remind_at: string | null; expiring_at: string | null }>('SELECT remind_at, expiring_at FROM requests WHERE id = ?', requestId);
    return row && { remindAt: row.remind_at, expiringAt: row.expiring_at };
  }

  // ---- GitHub ---------------------------------------------------------------------------------

  async githubLinks(): Promise<GitHubLink[]> {
    return this.#all<{ data: string }>('SELECT data FROM github_links ORDER BY n').map((r) => JSON.parse(r.data) as GitHubLink);
  }

  async githubDeployment(requestId: string): Promise<GitHubDeployment | undefined> {
    const row = this.#one<{ data: string }>('SELECT data FROM github_deployments WHERE request_id = ?', requestId);
    return row && (JSON.parse(row.data) as GitHubDeployment);
  }

  async hasOpenGitHubDeployments(): Promise<boolean> {
    return this.#one(`SELECT 1 FROM github_deployments WHERE json_extract(data, '$.settled') = 0 LIMIT 1`) !== undefined;
  }

  async githubCursor(): Promise<number> {
    return Number(this.#meta('github_cursor') ?? 0);
  }

  async dueGitHubCallbacks(now: Date, limit: number): Promise<GitHubCallback[]> {
    return this.#all<{ data: string }>(
      `SELECT data FROM github_callbacks WHERE status = 'pending' AND next_at <= ? ORDER BY next_at, n LIMIT ?`,
      now.toISOString(),
      limit,
    ).map((r) => JSON.parse(r.data) as GitHubCallback);
  }

  async getGitHubCallback(id: string): Promise<GitHubCallback | undefined> {
    const row = this.#one<{ data: string }>('SELECT data FROM github_callbacks WHERE id = ?', id);
    return row && (JSON.parse(row.data) as GitHubCallback);
  }

  async githubCallbacks(requestId: string): Promise<GitHubCallback[]> {
    return this.#all<{ data: string }>('SELECT data FROM github_callbacks WHERE request_id = ? ORDER BY n', requestId).map(
      (r) => JSON.parse(r.data) as GitHubCallback,
    );
  }

  async isInitialized(): Promise<boolean> {
    return this.#one('SELECT 1 FROM entities WHERE entity = ? LIMIT 1', 'user') !== undefined;
  }

  // ---- writes ---------------------------------------------------------------------------------

  #nextSeq(): number {
    return ++this.#seq;
  }

  async put<E extends SyncEntity>(entity: E, value: EntityTypes[E]): Promise<void> {
    this.#assertTx();
    const seq = this.#nextSeq();
    this.#run(
      `INSERT INTO entities (entity, id, data, seq, deleted, n) VALUES (?, ?, ?, ?, 0, ?)
       ON CONFLICT (entity, id) DO UPDATE SET data = excluded.data, seq = excluded.seq, deleted = 0`,
      entity,
      value.id,
      JSON.stringify(value),
      seq,
      seq,
    );
    this.#forget(entity, value.id);
    switch (entity) {
      case 'user': {
        const user = value as User;
        this.#run('DELETE FROM user_emails WHERE user_id = ?', user.id);
        this.#run('INSERT INTO user_emails (email, user_id) VALUES (?, ?)', user.email.toLowerCase(), user.id);
        break;
      }
      case 'request': {
        const r = value as ApprovalRequest;
        this.#run('UPDATE requests SET status = ?, escalate_at = ? WHERE id = ?', r.status, escalationDueAt(r), r.id);
        break;
      }
      case 'breakglass': {
        const s = value as BreakGlassSession;
        this.#run(
          `INSERT INTO sessions (id, user_id, expires_at, ended) VALUES (?, ?, ?, ?)
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
          this.#run(
            'INSERT INTO freezes (environment_id, until) VALUES (?, ?) ON CONFLICT (environment_id) DO UPDATE SET until = excluded.until',
            env.id,
            env.freeze.until,
          );
        } else {
          this.#run('DELETE FROM freezes WHERE environment_id = ?', env.id);
        }
        break;
      }
    }
  }

  async remove(entity: Exclude<SyncEntity, 'request'>, id: string): Promise<void> {
    this.#assertTx();
    this.#forget(entity, id);
    this.#run(`UPDATE entities SET deleted = 1, data = 'null', seq = ? WHERE entity = ? AND id = ? AND deleted = 0`, this.#nextSeq(), entity, id);
    if (entity === 'user') {
      this.#run('DELETE FROM user_emails WHERE user_id = ?', id);
      this.#run('DELETE FROM tokens WHERE user_id = ?', id);
    }
  }

  async insertRequest(request: ApprovalRequest, diff: string | undefined, effect: Effect | undefined): Promise<void> {
    this.#assertTx();
    const times = firstReminderTimes(request, (await this.settings()).reminderAfterMinutes);
    this.#run(
      'INSERT INTO requests (id, status, action, environment_id, project_id, expires_at, diff, effect, remind_at, expiring_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      request.id,
      request.status,
      request.action,
      request.resource.environmentId ?? null,
      request.resource.projectId ?? null,
      request.expiresAt,
      diff ?? null,
      effect ? JSON.stringify(effect) : null,
      times.remindAt,
      times.expiringAt,
    );
    await this.put('request', request);
  }

  async addToken(token: ApiToken, hash: Buffer): Promise<void> {
    this.#assertTx();
    this.#run(
      'INSERT INTO tokens (hash, id, name, user_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)',
      hash,
      token.id,
      token.name,
      token.userId,
      token.createdAt,
      token.expiresAt ?? null,
    );
  }

  async removeToken(id: string): Promise<void> {
    this.#assertTx();
    this.#run('DELETE FROM tokens WHERE id = ?', id);
  }

  async touchToken(id: string, at: Date): Promise<void> {
    this.#assertTx();
    this.#run('UPDATE tokens SET last_used_at = ? WHERE id = ?', at.toISOString(), id);
  }

  async appendAudit(event: NewAuditEvent): Promise<AuditEvent> {
    this.#assertTx();
    const last = this.#one<{ seq: number; hash: string }>('SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1');
    const seq = (last?.seq ?? 0) + 1;
    const prevHash = last?.hash ?? GENESIS_HASH;
    const full = { ...event, seq };
    const hash = hashEvent(prevHash, full);
    this.#run(
      'INSERT INTO audit (seq, at, actor_id, type, subject, details, breakglass_session_id, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
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
    // Signed with the event that completes the hundred, so no crash can separate them. A chain
    // edited behind the server's back is not signed (nextCheckpoint refuses); verify reports it.
    if (this.#auditKey && seq % CHECKPOINT_EVERY === 0) {
      const decision = await nextCheckpoint(this, this.#auditKey, event.at);
      if ('checkpoint' in decision) await this.addCheckpoint(decision.checkpoint);
    }
    return { ...full, breakGlass: event.breakGlassSessionId !== undefined, prevHash, hash };
  }

  async addCheckpoint(checkpoint: AuditCheckpoint): Promise<void> {
    this.#assertTx();
    this.#run(
      'INSERT INTO audit_checkpoints (seq, hash, at, signature) VALUES (?, ?, ?, ?)',
      checkpoint.seq,
      checkpoint.hash,
      checkpoint.at,
      checkpoint.signature,
    );
  }

  async saveIdempotent(userId: string, key: string, record: IdempotentRecord): Promise<void> {
    this.#assertTx();
    this.#run(
      'INSERT INTO idempotency (user_id, key, fingerprint, status, body, created_at) VALUES (?, ?, ?, ?, ?, ?)',
      userId,
      key,
      record.fingerprint,
      record.status,
      record.body,
      record.createdAt,
    );
  }

  async pruneIdempotent(olderThan: Date): Promise<void> {
    this.#assertTx();
    this.#run('DELETE FROM idempotency WHERE created_at < ?', olderThan.toISOString());
  }

  async putChannel(channel: StoredChannel): Promise<void> {
    this.#assertTx();
    this.#run('INSERT INTO channels (id, data) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET data = excluded.data', channel.id, JSON.stringify(channel));
  }

  async removeChannel(id: string): Promise<void> {
    this.#assertTx();
    this.#run('DELETE FROM channels WHERE id = ?', id);
    this.#run('DELETE FROM deliveries WHERE channel_id = ?', id);
  }

  async putSettings(settings: OrgSettings): Promise<void> {
    this.#assertTx();
    this.#setMeta('settings', JSON.stringify(settings));
    this.#cache.delete('settings');
  }

  async putPreferences(userId: string, preferences: Preferences): Promise<void> {
    this.#assertTx();
    this.#run(
      'INSERT INTO preferences (user_id, data) VALUES (?, ?) ON CONFLICT (user_id) DO UPDATE SET data = excluded.data',
      userId,
      JSON.stringify(preferences),
    );
  }

  async setNotifyCursor(seq: number): Promise<void> {
    this.#assertTx();
    this.#setMeta('notify_cursor', String(seq));
  }

  async insertDelivery(d: StoredDelivery): Promise<void> {
    this.#assertTx();
    this.#run(
      `INSERT INTO deliveries (id, channel_id, event, subject, recipient, body, status, attempts, last_error, created_at, window_start, next_at, delivered_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
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
    this.#assertTx();
    this.#run(
      'UPDATE deliveries SET status = ?, attempts = ?, last_error = ?, next_at = ?, delivered_at = ?, window_start = COALESCE(?, window_start), leased = ? WHERE id = ?',
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

  async releaseLeases(now: Date): Promise<number> {
    this.#assertTx();
    const t = now.toISOString();
    const callbacks = this.#all<{ data: string }>(`SELECT data FROM github_callbacks WHERE leased = 1 AND status = 'pending'`);
    for (const r of callbacks) await this.putGitHubCallback({ ...(JSON.parse(r.data) as GitHubCallback), leased: false, nextAttemptAt: t });
    return this.#run(`UPDATE deliveries SET leased = 0, next_at = ? WHERE leased = 1 AND status = 'pending'`, t).changes + callbacks.length;
  }

  async putGitHubLink(link: GitHubLink): Promise<void> {
    this.#assertTx();
    this.#run(
      'INSERT INTO github_links (id, repository, data) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET repository = excluded.repository, data = excluded.data',
      link.id,
      link.repository,
      JSON.stringify(link),
    );
  }

  async removeGitHubLink(id: string): Promise<void> {
    this.#assertTx();
    this.#run('DELETE FROM github_links WHERE id = ?', id);
  }

  async putGitHubDeployment(d: GitHubDeployment): Promise<void> {
    this.#assertTx();
    this.#run(
      'INSERT INTO github_deployments (request_id, data) VALUES (?, ?) ON CONFLICT (request_id) DO UPDATE SET data = excluded.data',
      d.requestId,
      JSON.stringify(d),
    );
  }

  async setGitHubCursor(seq: number): Promise<void> {
    this.#assertTx();
    this.#setMeta('github_cursor', String(seq));
  }

  async putGitHubCallback(c: GitHubCallback): Promise<void> {
    this.#assertTx();
    this.#run(
      `INSERT INTO github_callbacks (id, request_id, status, next_at, leased, data) VALUES (?, ?, ?, ?, ?, ?)
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
    this.#assertTx();
    if (times.remindAt !== undefined) this.#run('UPDATE requests SET remind_at = ? WHERE id = ?', times.remindAt, requestId);
    if (times.expiringAt !== undefined) this.#run('UPDATE requests SET expiring_at = ? WHERE id = ?', times.expiringAt, requestId);
  }
}
