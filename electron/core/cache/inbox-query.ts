// The inbox's SQL: one filtered, newest-first page of requests, and the status × group count
// matrix for the text/environment/project filter, from which the chip counts and the total come.
import { REQUEST_STATUSES, type ApprovalRequest, type RequestStatus } from '../../../shared/schemas/index.ts';
import { ACTION_GROUPS, type ActionGroup } from '../../../shared/inbox.ts';

export interface InboxQuery {
  status?: RequestStatus;
  group?: ActionGroup;
  environmentId?: string;
  projectId?: string;
  /** Whitespace-separated terms, all of which must occur (case-insensitive, substring). */
  text?: string;
  /** Default 100, at most 1000. */
  limit?: number;
  offset?: number;
}

export interface InboxCounts {
  /** Per status, for the current text/environment/project filter (status and group filters ignored). */
  byStatus: Record<RequestStatus, number>;
  /** Per action group, for the current text/environment/project filter (status and group filters ignored). */
  byGroup: Record<ActionGroup, number>;
}

export interface InboxResult {
  rows: ApprovalRequest[];
  /** Requests matching every filter (the length of the whole list being paged). */
  total: number;
  counts: InboxCounts;
}

export const DEFAULT_INBOX_LIMIT = 100;
export const MAX_INBOX_LIMIT = 1000;
const MAX_TERMS = 16;

export type Param = string | number;

export interface InboxSql {
  /** SELECT status, action_group, count(*) for the base filter. */
  countsSql: string;
  countsParams: Param[];
  /** SELECT data of one page. */
  rowsSql: string;
  rowsParams: Param[];
}

/** Search terms as stored: lower-cased, split on whitespace. */
export function searchTerms(text: string | undefined): string[] {
  if (!text) return [];
  return [...new Set(text.toLowerCase().split(/\s+/).filter(Boolean))].slice(0, MAX_TERMS);
}

export function buildInboxSql(q: InboxQuery): InboxSql {
  const base: string[] = [];
  const baseParams: Param[] = [];
  if (q.environmentId !== undefined) {
    base.push('r.environment_id = ?');
    baseParams.push(q.environmentId);
  }
  if (q.projectId !== undefined) {
    base.push('r.project_id = ?');
    baseParams.push(q.projectId);
  }
  for (const term of searchTerms(q.text)) {
    base.push('instr(r.search, ?) > 0'); // search is stored lower-cased: no LIKE escaping, no case folding
    baseParams.push(term);
  }
  const where = [...base];
  const params = [...baseParams];
  if (q.status !== undefined) {
    where.push('r.status = ?');
    params.push(q.status);
  }
  if (q.group !== undefined) {
    where.push('r.action_group = ?');
    params.push(q.group);
  }
  const limit = Math.min(MAX_INBOX_LIMIT, Math.max(0, Math.floor(q.limit ?? DEFAULT_INBOX_LIMIT)));
  const offset = Math.max(0, Math.floor(q.offset ?? 0));
  const w = (c: string[]) => (c.length ? `WHERE ${c.join(' AND ')}` : '');
  return {
    countsSql: `SELECT r.status, r.action_group, count(*) FROM requests r ${w(base)} GROUP BY r.status, r.action_group`,
    countsParams: baseParams,
    // rowid breaks ties in created_at: every index ends with it, so the index order is the page order.
    rowsSql: `SELECT d.data FROM requests r JOIN request_data d ON d.id = r.id ${w(where)} ORDER BY r.created_at DESC, r.rowid DESC LIMIT ? OFFSET ?`,
    rowsParams: [...params, limit, offset],
  };
}

export function emptyCounts(): InboxCounts {
  return {
    byStatus: Object.fromEntries(REQUEST_STATUSES.map((s) => [s, 0])) as Record<RequestStatus, number>,
    byGroup: Object.fromEntries(ACTION_GROUPS.map((g) => [g, 0])) as Record<ActionGroup, number>,
  };
}
