// Approval latency from the cached requests (issue: Insights): how long until someone first
// reviews, how long until quorum, p50/p90 per day, per environment and per reviewing team, and
// the requests waiting longest. Pure: the cache's requests in, numbers out.
import type { ApprovalRequest, BreakGlassSession, Environment, Team, User } from '../../../shared/schemas/index.ts';
import { awaitsReview } from '../../../shared/policy/index.ts';
import type { Insights, LatencyStats } from '../../../shared/desktop/insights.ts';

const DAY_MS = 86_400_000;

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

class Samples {
  firstReview: number[] = [];
  quorum: number[] = [];
  stats(): LatencyStats {
    const f = [...this.firstReview].sort((a, b) => a - b);
    const q = [...this.quorum].sort((a, b) => a - b);
    return {
      reviewed: f.length,
      approved: q.length,
      firstReviewP50Ms: percentile(f, 50),
      firstReviewP90Ms: percentile(f, 90),
      quorumP50Ms: percentile(q, 50),
      quorumP90Ms: percentile(q, 90),
    };
  }
}

export function computeInsights(
  requests: readonly ApprovalRequest[],
  directory: { users: ReadonlyMap<string, User>; teams: ReadonlyMap<string, Team>; environments: ReadonlyMap<string, Environment> },
  now: Date,
  days: number,
  sessions: readonly BreakGlassSession[] = [],
): Insights {
  const since = now.getTime() - days * DAY_MS;
  const byDay = new Map<string, Samples>();
  const byEnv = new Map<string, Samples>();
  const byTeam = new Map<string, Samples>();
  const overall = new Samples();
  const sample = (map: Map<string, Samples>, key: string) => {
    let s = map.get(key);
    if (!s) map.set(key, (s = new Samples()));
    return s;
  };

  for (const r of requests) {
    const created = Date.parse(r.createdAt);
    if (created < since || r.decisions.length === 0) continue;
    const first = r.decisions.reduce((a, d) => (Date.parse(d.at) < Date.parse(a.at) ? d : a));
    const firstMs = Date.parse(first.at) - created;
    const quorumMs = r.status === 'approved' ? Math.max(...r.decisions.map((d) => Date.parse(d.at))) - created : undefined;
    const groups = [overall, sample(byDay, r.createdAt.slice(0, 10)), sample(byEnv, r.resource.environmentId ?? '')];
    for (const teamId of directory.users.get(first.userId)?.teamIds ?? []) groups.push(sample(byTeam, teamId));
    for (const g of groups) {
      g.firstReview.push(firstMs);
      if (quorumMs !== undefined) g.quorum.push(quorumMs);
    }
  }

  const dayKeys: string[] = [];
  for (let t = since; t <= now.getTime(); t += DAY_MS) dayKeys.push(new Date(t).toISOString().slice(0, 10));
  const oldestWaiting = requests
    .filter((r) => r.status === 'pending')
    .sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt))
    .slice(0, 10)
    .map((r) => ({
      id: r.id,
      action: r.action,
      summary: r.payload.summary ?? r.justification,
      requesterId: r.requesterId,
      createdAt: r.createdAt,
      ageMs: now.getTime() - Date.parse(r.createdAt),
    }));

  return {
    days,
    overall: overall.stats(),
    byDay: [...new Set(dayKeys)].map((day) => ({ day, ...(byDay.get(day) ?? new Samples()).stats() })),
    byEnvironment: [...byEnv].map(([id, s]) => ({
      environmentId: id || null,
      name: id ? (directory.environments.get(id)?.name ?? id) : 'no environment',
      ...s.stats(),
    })),
    byTeam: [...byTeam].map(([id, s]) => ({ teamId: id, name: directory.teams.get(id)?.name ?? id, ...s.stats() })),
    oldestWaiting,
    awaitingReview: awaitingReview(sessions, now),
  };
}

/** Sessions that ended and wait for a verdict, the longest-waiting first. An unswept expiry ended at expiresAt. */
export function awaitingReview(sessions: readonly BreakGlassSession[], now: Date): Insights['awaitingReview'] {
  return sessions
    .filter((s) => awaitsReview(s, now.getTime()))
    .map((s) => {
      const endedAt = s.endedAt ?? s.expiresAt;
      return { id: s.id, userId: s.userId, reason: s.reason, endedAt, ageMs: now.getTime() - Date.parse(endedAt) };
    })
    .sort((a, b) => b.ageMs - a.ageMs || a.id.localeCompare(b.id));
}
