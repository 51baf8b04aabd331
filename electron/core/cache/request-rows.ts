// What the cache derives from a synced request: a light shape check, and the narrow columns the
// inbox filters, sorts, counts and searches on (the search text includes the names of its
// requester, environment, project and cluster, so it is recomputed when one of those is renamed).
import { ACTIONS, REQUEST_STATUSES, type ApprovalRequest } from '../../../shared/schemas/index.ts';
import { ACTION_GROUP, ACTION_LABELS } from '../../../shared/inbox.ts';
import type { MineKey, RequestKey } from './inbox-index.ts';
import { SEP } from './sql.ts';

/** The derived columns of a request row. */
export interface RequestRow extends RequestKey {
  action: string;
  updatedAt: number;
  digest: string;
  diffBytes: number;
}

/** The names a request's search text includes. */
export interface RowNames {
  user(id: string): string | undefined;
  environment(id: string): { name: string; projectId: string | undefined } | undefined;
  project(id: string): string | undefined;
  cluster(id: string): string | undefined;
}

const STATUS_SET: ReadonlySet<string> = new Set(REQUEST_STATUSES);
const ACTION_SET: ReadonlySet<string> = new Set(ACTIONS);

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * A light shape check of a synced request: the fields the cache indexes must be there and typed.
 * (A full zod parse costs ~35 ms per 1000-change page; the sync engine validates responses.)
 */
export function checkRequest(id: string, d: unknown): ApprovalRequest {
  const bad = (what: string) => new Error(`sync change request ${id}: ${what}`);
  if (!isObject(d)) throw bad('data is not an object');
  if (d.id !== id) throw bad(`data.id ${JSON.stringify(d.id)} differs from the change id`);
  if (typeof d.action !== 'string' || !ACTION_SET.has(d.action)) throw bad(`unknown action ${JSON.stringify(d.action)}`);
  if (typeof d.status !== 'string' || !STATUS_SET.has(d.status)) throw bad(`unknown status ${JSON.stringify(d.status)}`);
  if (typeof d.requesterId !== 'string') throw bad('requesterId missing');
  if (!isObject(d.resource)) throw bad('resource missing');
  if (!isObject(d.payload)) throw bad('payload missing');
  if (typeof d.digest !== 'string') throw bad('digest missing');
  if (!Array.isArray(d.gates) || !Array.isArray(d.decisions)) throw bad('gates or decisions missing');
  for (const k of ['createdAt', 'updatedAt'] as const) {
    if (typeof d[k] !== 'string' || Number.isNaN(Date.parse(d[k] as string))) throw bad(`${k} is not a time`);
  }
  return d as unknown as ApprovalRequest;
}

/**
 * What the inbox's "mine" filters need of a request: who decided, and — while it is pending, the
 * only time "waiting on me" asks — its gates for eligibility. A decided request's gates (whole
 * policy snapshots) would be most of the mirror's memory in a year of requests.
 */
export function mineOf(r: Pick<ApprovalRequest, 'decisions' | 'gates' | 'status'>): MineKey {
  return { deciders: r.decisions.map((d) => d.userId), gates: r.status === 'pending' ? r.gates : [] };
}

/** The `mine` column of a request row (schema.ts V3): its deciders and cluster. */
export function mineColumn(w: Pick<RequestRow, 'mine' | 'clusterId'>): string {
  return JSON.stringify({ d: w.mine.deciders, c: w.clusterId });
}

/** A `mine` column read back; undefined for a row written before the column, or one not of this shape. */
export function parseMineColumn(text: unknown): { deciders: string[]; clusterId: string | null } | undefined {
  if (typeof text !== 'string') return undefined;
  try {
    const v = JSON.parse(text) as { d?: unknown; c?: unknown };
    if (!Array.isArray(v.d) || !v.d.every((x) => typeof x === 'string') || !(v.c === null || typeof v.c === 'string')) return undefined;
    return { deciders: v.d as string[], clusterId: v.c };
  } catch {
    return undefined;
  }
}

export function requestRow(r: ApprovalRequest, names: RowNames): RequestRow {
  const envId = r.resource.environmentId ?? null;
  const env = envId ? names.environment(envId) : undefined;
  const projectId = r.resource.projectId ?? env?.projectId ?? null;
  const clusterId = r.resource.clusterId;
  // Every name the inbox row shows (InboxRow.svelte: action label, project / environment or
  // project / cluster, the revision or summary or justification, the requester), and the id.
  const search = [
    r.id,
    ACTION_LABELS[r.action],
    clusterId ? names.cluster(clusterId) : undefined,
    r.payload.summary,
    r.payload.revision,
    r.justification,
    names.user(r.requesterId),
    r.requesterId,
    r.action,
    env?.name,
    projectId ? names.project(projectId) : undefined,
  ]
    .filter((s): s is string => typeof s === 'string' && s.length > 0)
    .join('\n')
    .replaceAll(SEP, ' ') // the mirror loader's separator
    .toLowerCase();
  return {
    status: r.status,
    action: r.action,
    group: ACTION_GROUP[r.action],
    environmentId: envId,
    projectId,
    requesterId: r.requesterId,
    createdAt: Date.parse(r.createdAt),
    updatedAt: Date.parse(r.updatedAt),
    digest: r.digest,
    diffBytes: typeof r.payload.diffBytes === 'number' ? r.payload.diffBytes : 0,
    search,
    clusterId: clusterId ?? null,
    mine: mineOf(r),
  };
}
