// Entity storage: every synced entity's JSON in its table (requests split into their narrow
// columns, their search text and their deflated JSON), plus the names that requests' search texts
// include, kept in memory so a rename can find and rewrite the requests it affects.
import type { ApprovalRequest, EntityTypes, SyncEntity } from '../../../shared/schemas/index.ts';
import { decodeJson, encodeJson } from './codec.ts';
import type { Inbox } from './inbox.ts';
import { checkRequest, isObject, mineColumn, requestRow, type RequestRow, type RowNames } from './request-rows.ts';
import { ENTITY_TABLE } from './schema.ts';
import type { Sql } from './sql.ts';

/** The users, environments and projects a page renamed, moved or deleted. */
export type Affected = Record<'user' | 'environment' | 'project' | 'cluster', Set<string>>;

export const noneAffected = (): Affected => ({ user: new Set(), environment: new Set(), project: new Set(), cluster: new Set() });

export class Entities {
  readonly #sql: Sql;
  readonly #inbox: Inbox;
  readonly #userName = new Map<string, string>();
  readonly #envInfo = new Map<string, { name: string; projectId: string | undefined }>();
  readonly #projectName = new Map<string, string>();
  readonly #clusterName = new Map<string, string>();
  readonly #names: RowNames = {
    user: (id) => this.#userName.get(id),
    environment: (id) => this.#envInfo.get(id),
    project: (id) => this.#projectName.get(id),
    cluster: (id) => this.#clusterName.get(id),
  };

  /** A request's stored form, if it was encoded ahead (Cache.prepare). */
  readonly #encoded: (data: object) => Uint8Array | undefined;

  constructor(sql: Sql, inbox: Inbox, encoded: (data: object) => Uint8Array | undefined = () => undefined) {
    this.#sql = sql;
    this.#inbox = inbox;
    this.#encoded = encoded;
  }

  /** Rebuilds the name maps from the tables. */
  load(): void {
    this.#userName.clear();
    this.#envInfo.clear();
    this.#projectName.clear();
    this.#clusterName.clear();
    for (const [id, name] of this.#sql.all('SELECT id, name FROM clusters')) this.#clusterName.set(id as string, (name as string | null) ?? '');
    for (const [id, name] of this.#sql.all('SELECT id, name FROM users')) this.#userName.set(id as string, (name as string | null) ?? '');
    for (const [id, name] of this.#sql.all('SELECT id, name FROM projects')) this.#projectName.set(id as string, (name as string | null) ?? '');
    for (const [id, name, data] of this.#sql.all('SELECT id, name, data FROM environments')) {
      const projectId = (JSON.parse(data as string) as { projectId?: string }).projectId;
      this.#envInfo.set(id as string, { name: (name as string | null) ?? '', projectId });
    }
  }

  get<E extends SyncEntity>(entity: E, id: string): EntityTypes[E] | undefined {
    const table = entity === 'request' ? 'request_data' : ENTITY_TABLE[entity as Exclude<SyncEntity, 'request'>];
    if (!table) throw new Error(`unknown entity ${JSON.stringify(entity)}`);
    const row = this.#sql.first(`SELECT data FROM ${table} WHERE id = ?`, [id]);
    return row ? (JSON.parse(decodeJson(row[0])) as EntityTypes[E]) : undefined;
  }

  /** Every cached entity of a kind: requests newest first, the others by id. */
  list<E extends SyncEntity>(entity: E): EntityTypes[E][] {
    if (entity === 'request') {
      return this.#sql
        .all('SELECT d.data FROM requests r JOIN request_data d ON d.id = r.id ORDER BY r.created_at DESC, r.rowid DESC')
        .map((r) => JSON.parse(decodeJson(r[0])) as EntityTypes[E]);
    }
    const table = ENTITY_TABLE[entity as Exclude<SyncEntity, 'request'>];
    if (!table) throw new Error(`unknown entity ${JSON.stringify(entity)}`);
    return this.#sql.all(`SELECT data FROM ${table} ORDER BY id`).map((r) => JSON.parse(r[0] as string) as EntityTypes[E]);
  }

  /** Pending requests, newest first. */
  pending(limit: number): ApprovalRequest[] {
    return this.#sql
      .all("SELECT d.data FROM requests r JOIN request_data d ON d.id = r.id WHERE r.status = 'pending' ORDER BY r.created_at DESC, r.rowid DESC LIMIT ?", [
        limit,
      ])
      .map((r) => JSON.parse(decodeJson(r[0])) as ApprovalRequest);
  }

  upsert(entity: SyncEntity, id: string, data: unknown, affected: Affected): void {
    if (entity === 'request') {
      const r = checkRequest(id, data);
      this.#writeRequestRow(id, requestRow(r, this.#names));
      this.#sql.run('INSERT INTO request_data (id, data) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET data = excluded.data', [
        id,
        this.#encoded(r) ?? encodeJson(JSON.stringify(r)),
      ]);
      return;
    }
    if (!isObject(data)) throw new Error(`sync change ${entity} ${id}: data is not an object`);
    if (data.id !== id) throw new Error(`sync change ${entity} ${id}: data.id ${JSON.stringify(data.id)} differs from the change id`);
    const name = typeof data.name === 'string' ? data.name : null;
    const table = ENTITY_TABLE[entity];
    this.#sql.run(`INSERT INTO ${table} (id, name, data) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET name = excluded.name, data = excluded.data`, [
      id,
      name,
      JSON.stringify(data),
    ]);
    if (entity === 'user') {
      if (this.#userName.get(id) !== (name ?? '')) affected.user.add(id);
      this.#userName.set(id, name ?? '');
    } else if (entity === 'project') {
      if (this.#projectName.get(id) !== (name ?? '')) affected.project.add(id);
      this.#projectName.set(id, name ?? '');
    } else if (entity === 'cluster') {
      if (this.#clusterName.get(id) !== (name ?? '')) affected.cluster.add(id);
      this.#clusterName.set(id, name ?? '');
    } else if (entity === 'environment') {
      const projectId = typeof data.projectId === 'string' ? data.projectId : undefined;
      const old = this.#envInfo.get(id);
      if (!old || old.name !== (name ?? '') || old.projectId !== projectId) affected.environment.add(id);
      this.#envInfo.set(id, { name: name ?? '', projectId });
    }
  }

  /** Deletes one entity (a request's cached diff is the diff store's to drop). */
  delete(entity: SyncEntity, id: string, affected: Affected): void {
    if (entity === 'request') {
      this.#sql.run('DELETE FROM requests WHERE id = ?', [id]);
      this.#sql.run('DELETE FROM request_data WHERE id = ?', [id]);
      this.#sql.run('DELETE FROM request_search WHERE id = ?', [id]);
      this.#inbox.delete(id);
      return;
    }
    this.#sql.run(`DELETE FROM ${ENTITY_TABLE[entity]} WHERE id = ?`, [id]);
    if (entity === 'user' && this.#userName.delete(id)) affected.user.add(id);
    if (entity === 'project' && this.#projectName.delete(id)) affected.project.add(id);
    if (entity === 'cluster' && this.#clusterName.delete(id)) affected.cluster.add(id);
    if (entity === 'environment' && this.#envInfo.delete(id)) affected.environment.add(id);
  }

  /** Rewrites the rows of requests whose search text or project depend on what a page changed. */
  recomputeDependents(affected: Affected): void {
    if (affected.user.size + affected.environment.size + affected.project.size + affected.cluster.size === 0) return;
    for (const id of this.#inbox.dependents(affected.user, affected.environment, affected.project, affected.cluster)) {
      const row = this.#sql.first('SELECT data FROM request_data WHERE id = ?', [id]);
      if (row) this.#writeRequestRow(id, requestRow(JSON.parse(decodeJson(row[0])) as ApprovalRequest, this.#names));
    }
  }

  #writeRequestRow(id: string, w: RequestRow): void {
    this.#sql.run('INSERT INTO request_search (id, search) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET search = excluded.search', [id, w.search]);
    this.#sql.run(
      `INSERT INTO requests (id, status, action, action_group, environment_id, project_id, requester_id, created_at, updated_at, digest, diff_bytes, mine)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET status = excluded.status, action = excluded.action, action_group = excluded.action_group,
         environment_id = excluded.environment_id, project_id = excluded.project_id, requester_id = excluded.requester_id,
         created_at = excluded.created_at, updated_at = excluded.updated_at, digest = excluded.digest,
         diff_bytes = excluded.diff_bytes, mine = excluded.mine`,
      [id, w.status, w.action, w.group, w.environmentId, w.projectId, w.requesterId, w.createdAt, w.updatedAt, w.digest, w.diffBytes, mineColumn(w)],
    );
    this.#inbox.set(id, w);
  }
}
