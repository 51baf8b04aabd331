// What the Insights screen shows: approval latency (time to first review, time to quorum) as
// p50/p90 per day, environment and reviewing team, the oldest waiting requests, and the ended
// break-glass sessions nobody has reviewed yet.
import { z } from 'zod';
import { Action, Id, IsoTime } from '../schemas/domain.ts';

const Ms = z.number().nullable();

export const LatencyStats = z.object({
  /** Requests with at least one decision. */
  reviewed: z.number().int(),
  /** Requests that reached quorum. */
  approved: z.number().int(),
  firstReviewP50Ms: Ms,
  firstReviewP90Ms: Ms,
  quorumP50Ms: Ms,
  quorumP90Ms: Ms,
});
export type LatencyStats = z.infer<typeof LatencyStats>;

export const Insights = z.object({
  days: z.number().int(),
  overall: LatencyStats,
  byDay: z.array(LatencyStats.extend({ day: z.string() })),
  byEnvironment: z.array(LatencyStats.extend({ environmentId: Id.nullable(), name: z.string() })),
  byTeam: z.array(LatencyStats.extend({ teamId: Id, name: z.string() })),
  oldestWaiting: z.array(z.object({ id: Id, action: Action, summary: z.string(), requesterId: Id, createdAt: IsoTime, ageMs: z.number() })),
  /** Ended, unreviewed break-glass sessions, oldest first; `ageMs` since the session ended. */
  awaitingReview: z.array(z.object({ id: Id, userId: Id, reason: z.string(), endedAt: IsoTime, ageMs: z.number() })),
});
export type Insights = z.infer<typeof Insights>;
