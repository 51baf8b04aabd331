// Requests: the approvals inbox. Creating one runs the policy engine; deciding one re-evaluates
// its snapshotted gates. Every function here runs inside one store transaction.
import type { Action, ApprovalRequest, CreateRequestBody, Decision, DecisionReview, NudgeBody, User } from '../../shared/schemas/index.ts';
import { evaluateProgress, holdsOrgRole, isAdmin, isEligibleForAny, rulesAtDecision } from '../../shared/policy/index.ts';
import { requestContent } from '../../shared/policy/request-content.ts';
import type { StoreTx } from '../store/types.ts';
import { audit, type ServiceContext } from './context.ts';
import { createRequest } from './create-request.ts';
import { applyEffect } from './effects.ts';
import { DomainError, conflict, forbidden, invalid, notFound } from './errors.ts';
import { evaluate, refuse, ruleDirectory } from './evaluate.ts';
import { changed, created, refused, type Result } from './result.ts';

const SPECIAL_ROUTES: Partial<Record<Action, string>> = {
  'environment.freeze': 'POST /api/environments/:id/freeze',
  'environment.unfreeze': 'POST /api/environments/:id/unfreeze',
  'environment.policyUpdate': 'PATCH /api/environments/:id',
  'breakglass.initiate': 'POST /api/breakglass',
};

export async function submitRequest(ctx: ServiceContext, tx: StoreTx, actor: User, body: CreateRequestBody): Promise<Result<ApprovalRequest>> {
  const route = SPECIAL_ROUTES[body.action];
  if (route) throw invalid(`action ${body.action} is requested through ${route}`, [{ path: ['action'], message: `use ${route}` }]);
  const justification = body.justification ?? '';
  const e = await evaluate(ctx, tx, actor, body.action, body.resource, justification, requestContent(body.payload));
  if (e.evaluation.outcome === 'deny') return refuse(ctx, tx, actor, body.action, e);
  return created(await createRequest(ctx, tx, actor, e, { action: body.action, justification, payload: body.payload }));
}

/** A request found expired is expired on the spot, and that commits with the refusal. */
async function pendingRequest(ctx: ServiceContext, tx: StoreTx, id: string): Promise<ApprovalRequest | DomainError> {
  const request = await tx.get('request', id);
  if (!request) throw notFound('request');
  if (request.status === 'pending' && Date.parse(request.expiresAt) <= ctx.now().getTime()) {
    await expireRequest(ctx, tx, request);
    return conflict('not_pending', 'request is expired');
  }
  if (request.status !== 'pending') throw conflict('not_pending', `request is ${request.status}`);
  return request;
}

export async function decide(
  ctx: ServiceContext,
  tx: StoreTx,
  actor: User,
  id: string,
  kind: Decision['kind'],
  body: { comment?: string | undefined; reviewedDigest?: string | undefined; review?: DecisionReview | undefined },
): Promise<Result<ApprovalRequest>> {
  const request = await pendingRequest(ctx, tx, id);
  if (request instanceof DomainError) return refused(request);
  if (!isEligibleForAny(request, actor)) throw forbidden('you are not an eligible approver for this request', 'not_eligible');
  if (request.decisions.some((d) => d.userId === actor.id)) throw conflict('already_reviewed', 'already reviewed');
  if (kind === 'approve' && body.reviewedDigest !== undefined && body.reviewedDigest !== request.digest) {
    throw new DomainError('stale', 'stale_review', 'the request changed since you reviewed it: reload the diff and review again', { digest: request.digest });
  }
  const now = ctx.now();
  const decision: Decision = {
    userId: actor.id,
    kind,
    ...(body.comment ? { comment: body.comment } : {}),
    ...(body.reviewedDigest ? { reviewedDigest: body.reviewedDigest } : {}),
    // What the approver was shown of the diff: recorded, so "approved without opening the diff" stays visible.
    ...(kind === 'approve' && body.review ? { review: body.review } : {}),
    at: now.toISOString(),
  };
  const decisions = [...request.decisions, decision];
  const directory = await ruleDirectory(tx);
  const users = new Map(directory.users.map((u) => [u.id, u]));
  const requester = users.get(request.requesterId);
  const environment = request.resource.environmentId !== undefined ? await tx.get('environment', request.resource.environmentId) : undefined;
  // The snapshotted rules read the approvals, so they run again now; they can only raise a gate's
  // quorum or reject the request, never pass it.
  const rules = requester ? rulesAtDecision(request, { requester, environment, directory, decisions, now }) : undefined;
  const gates = rules?.gates ?? request.gates;
  const progress = evaluateProgress({ ...request, gates, decisions }, users);
  const ruleDeny = rules?.deny;
  const updated: ApprovalRequest = {
    ...request,
    gates,
    decisions,
    status: ruleDeny ? 'rejected' : progress.status,
    ...(rules?.ruleResults ? { ruleResults: rules.ruleResults } : {}),
    ...(ruleDeny ? { warnings: [...request.warnings, ruleDeny.message] } : {}),
    updatedAt: now.toISOString(),
  };
  await tx.put('request', updated);
  await audit(tx, now, actor, kind === 'approve' ? 'request.approval' : 'request.rejection', id, {
    comment: body.comment,
    reviewedDigest: body.reviewedDigest,
    review: kind === 'approve' ? body.review : undefined,
    ...(rules?.ruleResults ? { ruleResults: rules.ruleResults } : {}),
  });
  if (ruleDeny) {
    await audit(tx, now, actor, 'request.rejected', id, {
      action: updated.action,
      resource: updated.resource,
      rule: ruleDeny.rule,
      policyId: ruleDeny.policyId,
      message: ruleDeny.message,
      by: 'rule',
    });
  } else if (updated.status !== 'pending') {
    await audit(tx, now, actor, `request.${updated.status}`, id, { action: updated.action, resource: updated.resource, summary: progress.summary });
    if (updated.status === 'approved') {
      const effect = await tx.requestEffect(id);
      if (effect) await applyEffect(ctx, tx, updated, effect);
    }
  }
  return changed(updated);
}

export async function cancel(ctx: ServiceContext, tx: StoreTx, actor: User, id: string): Promise<Result<ApprovalRequest>> {
  const request = await pendingRequest(ctx, tx, id);
  if (request instanceof DomainError) return refused(request);
  if (request.requesterId !== actor.id && !isAdmin(actor)) throw forbidden('only the requester or an admin can cancel this request');
  const now = ctx.now();
  const updated: ApprovalRequest = { ...request, status: 'cancelled', updatedAt: now.toISOString() };
  await tx.put('request', updated);
  await audit(tx, now, actor, 'request.cancelled', id, { action: updated.action });
  return changed(updated);
}

/** One nudge per person per request per ten minutes: a reminder, not a pager. */
export const NUDGE_INTERVAL_MS = 10 * 60_000;

/**
 * Pings the people who can still approve (all of them, or the ones named). The nudge is recorded
 * on the request, so it reaches their desktops through sync and shows as a notification there.
 */
export async function nudge(ctx: ServiceContext, tx: StoreTx, actor: User, id: string, body: NudgeBody): Promise<Result<ApprovalRequest>> {
  const request = await pendingRequest(ctx, tx, id);
  if (request instanceof DomainError) return refused(request);
  const mayNudge = actor.id === request.requesterId || isAdmin(actor) || holdsOrgRole(actor, 'release-manager') || isEligibleForAny(request, actor);
  if (!mayNudge) throw forbidden('only the requester, its approvers, release managers and admins can nudge a request');
  const users = new Map((await tx.list('user')).map((u) => [u.id, u]));
  const progress = evaluateProgress(request, users);
  const waiting = new Set(progress.gates.filter((g) => !g.passed).flatMap((g) => g.canStillApprove));
  waiting.delete(actor.id);
  const targets = [...new Set(body.userIds ?? waiting)];
  const cannot = targets.filter((u) => !waiting.has(u));
  if (cannot.length)
    throw invalid(`userIds: ${cannot.join(', ')} cannot approve this request now`, [{ path: ['userIds'], message: 'not among those who can still approve' }]);
  if (targets.length === 0) throw conflict('nobody_to_nudge', 'nobody else can approve this request right now');
  const now = ctx.now();
  const earlier = request.nudges ?? [];
  const last = earlier.findLast((n) => n.by === actor.id);
  if (last && now.getTime() - Date.parse(last.at) < NUDGE_INTERVAL_MS) {
    const wait = Math.ceil((NUDGE_INTERVAL_MS - (now.getTime() - Date.parse(last.at))) / 60_000);
    throw new DomainError('rate_limited', 'too_many_nudges', `you nudged this request recently; you can nudge again in ${wait} min`);
  }
  const entry = { by: actor.id, at: now.toISOString(), userIds: targets, ...(body.message ? { message: body.message } : {}) };
  const updated: ApprovalRequest = { ...request, nudges: [...earlier, entry], updatedAt: now.toISOString() };
  await tx.put('request', updated);
  await audit(tx, now, actor, 'request.nudged', id, { userIds: targets, message: body.message });
  return changed(updated);
}

export async function expireRequest(ctx: ServiceContext, tx: StoreTx, request: ApprovalRequest): Promise<void> {
  const now = ctx.now();
  await tx.put('request', { ...request, status: 'expired', updatedAt: now.toISOString() });
  await audit(tx, now, 'system', 'request.expired', request.id, { action: request.action, expiresAt: request.expiresAt });
}
