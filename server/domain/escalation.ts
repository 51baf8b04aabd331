// Escalation: a pending request still short of a gate `afterMinutes` after it was filed makes the
// gate's escalation approvers eligible for it too. Written into the request's snapshotted gate
// (its approvers grow, escalatedAt is set), so every later eligibility check sees it with no
// special case, and audited as the system's act.
import type { Approvers, ApprovalRequest, Gate, User } from '../../shared/schemas/index.ts';
import { evaluateProgress } from '../../shared/policy/index.ts';
import { gateEscalationDueMs } from '../store/due-times.ts';
import type { StoreReader, StoreTx } from '../store/types.ts';
import { audit, type ServiceContext } from './context.ts';

const union = <T>(a: readonly T[], b: readonly T[]): T[] => [...new Set([...a, ...b])];

function withApprovers(a: Approvers, b: Approvers): Approvers {
  return { userIds: union(a.userIds, b.userIds), teamIds: union(a.teamIds, b.teamIds), orgRoles: union(a.orgRoles, b.orgRoles) };
}

/** The indexes of the request's gates whose escalation is due at `nowMs` and which are still short of their quorum. */
async function dueGates(store: StoreReader, request: ApprovalRequest, nowMs: number): Promise<number[]> {
  const due = request.gates.flatMap((g, i) => {
    const at = gateEscalationDueMs(g, request.createdAt);
    return at !== null && at <= nowMs ? [i] : [];
  });
  if (due.length === 0) return [];
  const users = new Map<string, User>((await store.list('user')).map((u) => [u.id, u]));
  const progress = evaluateProgress(request, users);
  return due.filter((i) => !progress.gates[i]!.passed);
}

/**
 * Escalates what is due on one pending request, in the caller's transaction. Idempotent: a gate
 * escalates once (escalatedAt), and a request no longer pending or past expiry is left alone.
 * Returns how many gates escalated.
 */
export async function escalateRequest(ctx: ServiceContext, tx: StoreTx, id: string): Promise<number> {
  const request = await tx.get('request', id);
  const now = ctx.now();
  if (request?.status !== 'pending' || Date.parse(request.expiresAt) <= now.getTime()) return 0;
  const due = await dueGates(tx, request, now.getTime());
  if (due.length === 0) return 0;
  const at = now.toISOString();
  const gates: Gate[] = request.gates.map((g, i) =>
    due.includes(i) && g.escalation ? { ...g, approvers: withApprovers(g.approvers, g.escalation.approvers), escalatedAt: at } : g,
  );
  await tx.put('request', { ...request, gates, updatedAt: at });
  for (const i of due) {
    const g = request.gates[i]!;
    await audit(tx, now, 'system', 'request.escalated', request.id, {
      gateId: g.id,
      name: g.name,
      approvers: g.escalation!.approvers,
      afterMinutes: g.escalation!.afterMinutes,
    });
  }
  return due.length;
}

/**
 * Whether the request has an escalation to make now, read outside any transaction: a request whose
 * due escalation's gate has passed stays in the due list, and this keeps such a sweep write-free.
 */
export async function hasDueEscalation(ctx: ServiceContext, id: string): Promise<boolean> {
  const request = await ctx.store.get('request', id);
  if (request?.status !== 'pending') return false;
  return (await dueGates(ctx.store, request, ctx.now().getTime())).length > 0;
}
