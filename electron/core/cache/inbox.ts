// The inbox over the cache: keeps the in-memory mirror (inbox-index.ts) in step with the
// `requests` table and answers queries from it. The mirror is built on first use — from the
// snapshot saved in `meta` when it is current, else by scanning the table — and forgotten whenever
// the table may have changed under it (a rolled-back page, a reset).
import type { ApprovalRequest, User } from '../../../shared/schemas/index.ts';
import type { InboxQuery } from '../../../shared/ipc.ts';
import { decodeJson } from './codec.ts';
import { groupCode, InboxIndex, statusCode, type InboxPage, type MineKey, type RequestKey } from './inbox-index.ts';
import { mineOf, parseMineColumn } from './request-rows.ts';
import type { Sql } from './sql.ts';

export class Inbox {
  readonly #sql: Sql;
  /** The cache's write generation: a `meta` snapshot is valid only for the one it was saved at. */
  readonly #generation: () => number;
  #index: InboxIndex | undefined;
  /** The generation whose mirror the `meta` snapshot holds (-1: none known). */
  #snapshotGeneration = -1;

  constructor(sql: Sql, generation: () => number) {
    this.#sql = sql;
    this.#generation = generation;
  }

  /** The table may have changed: rebuild the mirror on next use. */
  forget(): void {
    this.#index = undefined;
    this.#snapshotGeneration = -1;
  }

  /** The table is empty now: so is the mirror. */
  clear(): void {
    this.#index = new InboxIndex();
  }

  /** A request row was written (a mirror not built yet picks it up when it is). */
  set(id: string, key: RequestKey): void {
    this.#index?.set(id, key);
  }

  delete(id: string): void {
    this.#index?.delete(id);
  }

  /**
   * Requests whose search text or project depend on one of these users, environments or projects.
   * Asked in the middle of a write, when rows of the page may already be in the table but not in a
   * mirror that was not built yet: so a missing mirror is built from the table here, never from the
   * snapshot, which holds the generation before the page.
   */
  dependents(users: ReadonlySet<string>, envs: ReadonlySet<string>, projects: ReadonlySet<string>, clusters: ReadonlySet<string>): string[] {
    this.#index ??= this.#scan();
    if (clusters.size > 0 && !this.#index.mineLoaded) this.#loadMine(this.#index);
    return this.#index.dependents(users, envs, projects, clusters);
  }

  /** One newest-first page, its total, and the counts per facet. */
  query(q: InboxQuery, me?: User): InboxPage {
    const index = this.#mirror();
    if (q.text?.trim() && !index.searchLoaded) this.#loadSearchTexts(index);
    if (me && !index.mineLoaded) this.#loadMine(index);
    const { ids, total, counts } = index.query(q, me);
    const rows: ApprovalRequest[] = [];
    for (const id of ids) {
      const r = this.#sql.first('SELECT data FROM request_data WHERE id = ?', [id]);
      if (r) rows.push(JSON.parse(decodeJson(r[0])) as ApprovalRequest);
    }
    return { rows, total, counts };
  }

  /** The mirror changed since its snapshot was last written. */
  snapshotStale(): boolean {
    return this.#index !== undefined && this.#snapshotGeneration !== this.#generation();
  }

  /**
   * Saves the mirror's key columns in `meta` with the generation they mirror, just before an
   * export: the next cold start parses one string instead of scanning the table.
   */
  writeSnapshot(): void {
    const generation = this.#generation();
    if (!this.#index || this.#snapshotGeneration === generation) return;
    const text = this.#index.serialize(generation);
    if (text === undefined) return;
    this.#sql.setMeta('inbox_snapshot', text);
    this.#snapshotGeneration = generation;
  }

  #mirror(): InboxIndex {
    if (!this.#index) this.#index = this.#readSnapshot() ?? this.#scan();
    return this.#index;
  }

  #readSnapshot(): InboxIndex | undefined {
    const generation = this.#generation();
    const text = this.#sql.meta('inbox_snapshot');
    const index = text !== undefined ? InboxIndex.deserialize(text, generation) : undefined;
    if (index) this.#snapshotGeneration = generation;
    return index;
  }

  /**
   * Builds the mirror from the `requests` table, column by column (see Sql.concatColumns); if a
   * value held the separator (only a strange id could), row by row.
   */
  #scan(): InboxIndex {
    const cols = ['id', 'status', 'action_group', "coalesce(environment_id, '')", "coalesce(project_id, '')", 'requester_id', 'created_at'];
    const cells = this.#sql.concatColumns('requests', cols);
    if (cells) {
      const [ids, statuses, groups, envs, projects, requesters, created] = cells as [string[], string[], string[], string[], string[], string[], string[]];
      return InboxIndex.fromColumns({
        ids,
        statusCodes: statuses.map(statusCode),
        groupCodes: groups.map(groupCode),
        environmentIds: envs.map((e) => e || null),
        projectIds: projects.map((p) => p || null),
        requesterIds: requesters,
        createdAts: created.map(Number),
      });
    }
    const c = {
      ids: [] as string[],
      statusCodes: [] as number[],
      groupCodes: [] as number[],
      environmentIds: [] as (string | null)[],
      projectIds: [] as (string | null)[],
      requesterIds: [] as string[],
      createdAts: [] as number[],
    };
    for (const [id, status, group, env, project, requester, created] of this.#sql.all(
      'SELECT id, status, action_group, environment_id, project_id, requester_id, created_at FROM requests ORDER BY rowid',
    )) {
      c.ids.push(id as string);
      c.statusCodes.push(statusCode(status as string));
      c.groupCodes.push(groupCode(group as string));
      c.environmentIds.push(env as string | null);
      c.projectIds.push(project as string | null);
      c.requesterIds.push(requester as string);
      c.createdAts.push(created as number);
    }
    return InboxIndex.fromColumns(c);
  }

  /**
   * Fills in each request's deciders, gates and cluster (the "mine" filters and cluster renames
   * need them), once per mirror: deciders and cluster from the `mine` column; the gates — only a
   * pending request's are asked for — and any row written before that column, from the request
   * JSON.
   */
  #loadMine(index: InboxIndex): void {
    const ids: string[] = [];
    const keys: { mine: MineKey; clusterId: string | null }[] = [];
    for (const [id, status, column] of this.#sql.all('SELECT id, status, mine FROM requests')) {
      const known = status === 'pending' ? undefined : parseMineColumn(column);
      if (known) {
        ids.push(id as string);
        keys.push({ mine: { deciders: known.deciders, gates: [] }, clusterId: known.clusterId });
        continue;
      }
      const row = this.#sql.first('SELECT data FROM request_data WHERE id = ?', [id as string]);
      if (!row) continue;
      const r = JSON.parse(decodeJson(row[0])) as ApprovalRequest;
      ids.push(id as string);
      keys.push({ mine: mineOf(r), clusterId: r.resource.clusterId ?? null });
    }
    index.loadMine(ids, keys);
  }

  #loadSearchTexts(index: InboxIndex): void {
    const cells = this.#sql.concatColumns('request_search', ['id', 'search']);
    if (cells) {
      index.loadSearch(cells[0]!, cells[1]!);
      return;
    }
    const rows = this.#sql.all('SELECT id, search FROM request_search');
    index.loadSearch(
      rows.map((r) => r[0] as string),
      rows.map((r) => r[1] as string),
    );
  }
}
