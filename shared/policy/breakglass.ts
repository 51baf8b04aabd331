// Break-glass sessions: a time-boxed override for incidents (docs/policies.md, "Break-glass").
import type { Action, BreakGlassSession } from '../schemas/index.ts';

/**
 * Is the session active at `nowMs` (startedAt ≤ now < expiresAt, never ended) and does its scope
 * cover the action and environment? A scope that names environments covers only those, so it never
 * covers a request without an environment, and an empty list covers none (the narrow reading: a
 * break-glass scope must never grow by accident). Unparseable times make a session inactive.
 */
export function sessionCovers(
  session: BreakGlassSession,
  action: Action,
  environmentId: string | undefined,
  nowMs: number,
  clusterEnvironmentIds?: readonly string[],
): boolean {
  if (session.endedAt !== undefined) return false;
  if (!(Date.parse(session.startedAt) <= nowMs && nowMs < Date.parse(session.expiresAt))) return false;
  if (!session.scope.actions.includes(action)) return false;
  const envIds = session.scope.environmentIds;
  if (envIds === undefined) return true;
  // A cluster action touches every environment on its cluster: a scope naming environments must
  // name them all (and a cluster with no environment is covered only by an unscoped session).
  if (clusterEnvironmentIds !== undefined) return clusterEnvironmentIds.length > 0 && clusterEnvironmentIds.every((id) => envIds.includes(id));
  return environmentId !== undefined && envIds.includes(environmentId);
}

/** The first session (in the given order) that is active at `now` and covers the action. */
export function activeBreakGlass(
  sessions: readonly BreakGlassSession[],
  action: Action,
  environmentId: string | undefined,
  now: Date,
): BreakGlassSession | undefined {
  return findBreakGlass(sessions, action, environmentId, now.getTime(), undefined);
}

/** As activeBreakGlass, restricted to one user's sessions when `userId` is given. */
export function findBreakGlass(
  sessions: readonly BreakGlassSession[],
  action: Action,
  environmentId: string | undefined,
  nowMs: number,
  userId: string | undefined,
  clusterEnvironmentIds?: readonly string[],
): BreakGlassSession | undefined {
  for (let i = 0; i < sessions.length; i++) {
    const s = sessions[i]!;
    if (userId !== undefined && s.userId !== userId) continue;
    if (sessionCovers(s, action, environmentId, nowMs, clusterEnvironmentIds)) return s;
  }
  return undefined;
}

/** Ended: revoked or expired (endedAt set), or past expiresAt before the sweeper has recorded it. */
export function sessionEnded(session: BreakGlassSession, nowMs: number): boolean {
  return session.endedAt !== undefined || !(nowMs < Date.parse(session.expiresAt));
}

/** Ended and not yet reviewed: what the Needs review list and `GET /api/breakglass?review=pending` hold. */
export function awaitsReview(session: BreakGlassSession, nowMs: number): boolean {
  return session.review === undefined && sessionEnded(session, nowMs);
}
