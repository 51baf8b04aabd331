// Time-driven changes: pending requests expire, timed freezes end, break-glass sessions close,
// escalations fire, old idempotency keys are forgotten. Each runs as its own transaction.
import type { ServiceContext } from './context.ts';
import { expireRequest } from './requests.ts';
import { autoUnfreeze } from './environments.ts';
import { expireBreakGlass } from './breakglass.ts';
import { escalateRequest, hasDueEscalation } from './escalation.ts';

/** Idempotency keys are honoured for at least 24 h; they are dropped after 48 h. */
const IDEMPOTENCY_KEEP_MS = 48 * 3600 * 1000;

export async function sweep(ctx: ServiceContext): Promise<number> {
  const now = ctx.now();
  const due = await ctx.store.due(now);
  for (const id of due.requestIds) {
    await ctx.store.transact(async (tx) => {
      const r = await tx.get('request', id);
      if (r && r.status === 'pending' && Date.parse(r.expiresAt) <= ctx.now().getTime()) await expireRequest(ctx, tx, r);
    });
  }
  for (const id of due.environmentIds) await ctx.store.transact((tx) => autoUnfreeze(ctx, tx, id));
  for (const id of due.sessionIds) await ctx.store.transact((tx) => expireBreakGlass(ctx, tx, id));
  // after expiry: a request that just expired is not escalated
  let escalated = 0;
  for (const id of due.escalationIds) {
    if (await hasDueEscalation(ctx, id)) escalated += await ctx.store.transact((tx) => escalateRequest(ctx, tx, id));
  }
  return due.requestIds.length + due.environmentIds.length + due.sessionIds.length + escalated;
}

export async function pruneIdempotency(ctx: ServiceContext): Promise<void> {
  await ctx.store.transact((tx) => tx.pruneIdempotent(new Date(ctx.now().getTime() - IDEMPOTENCY_KEEP_MS)));
}
