// Requests: the approvals inbox. Creating one runs the policy engine; deciding one re-evaluates
// its snapshotted gates. Every function here runs inside one store transaction.
import type { Action, ApprovalRequest, Decision, Environment, NudgeBody, Resource, User } from '../../shared/schemas/index.ts';
import { evaluateAction, evaluateProgress, holdsOrgRole, isAdmin, isEligibleForAny, type ActionEvaluation } from '../../shared/policy/index.ts';
import { canonicalJson } from '../audit/chain.ts';
import { HttpError, conflict, forbidden, invalid } from '../http/errors.ts';
import type { Effect, StoreTx } from '../store/types.ts';
import { audit, type ServiceContext } from './context.ts';
import { newId, sha256Hex } from './ids.ts';
import { applyEffect } from './effects.ts';

export interface Reply {
  status: number;
  body: unknown;
}

export interface Evaluated {
  evaluation: ActionEvaluation;
  resource: Resource;
  environment?: Environment;
}

/** Fills the resource from its environment and refuses ids that don't exist or disagree. */
export async function resolveResource(tx: StoreTx, resource: Resource): Promise<{ resource: Resource; environment?: Environment }> {
  const out: Resource = { ...resource };
  let environment: Environment | undefined;
  if (resource.environmentId !== undefined) {
    environment = await tx.get('environment', resource.environmentId);
    if (!environment) throw invalid(`resource.environmentId: unknown environment "${resource.environmentId}"`);
    if (out.projectId !== undefined && out.projectId !== environment.projectId) {
      throw invalid(`resource.projectId: environment "${environment.name}" belongs to project "${environment.projectId}"`);
    }
    out.projectId = environment.projectId;
    if (out.clusterId === undefined && environment.clusterId !== undefined) out.clusterId = environment.clusterId;
  }
  if (out.projectId !== undefined && !(await tx.get('project', out.projectId))) throw invalid(`resource.projectId: unknown project "${out.projectId}"`);
  if (out.clusterId !== undefined && !(await tx.get('cluster', out.clusterId))) throw invalid(`resource.clusterId: unknown cluster "${out.clusterId}"`);
  return environment ? { resource: out, environment } : { resource: out };
}

export async function evaluate(ctx: ServiceContext, tx: StoreTx, actor: User, action: Action, resource: Resource, justification: string): Promise<Evaluated> {
  const resolved = await resolveResource(tx, resource);
  const evaluation = evaluateAction({
    action,
    resource: resolved.resource,
    requester: actor,
    justification,
    now: ctx.now(),
    ...(resolved.environment ? { environment: resolved.environment } : {}),
    policies: await tx.list('policy'),
    bindings: await tx.list('binding'),
    breakGlassSessions: await tx.sessionsOf(actor.id),
  });
  return { evaluation, ...resolved };
}

/** A denied action is recorded in the audit log (committed) and answered with its error. */
export async function refuse(ctx: ServiceContext, tx: StoreTx, actor: User, action: Action, e: Evaluated): Promise<Reply> {
  const deny = e.evaluation.deny!;
  const error = new HttpError(deny.status, deny.code, deny.message, deny.details);
  await audit(tx, ctx.now(), actor, 'request.refused', action, { action, resource: e.resource, status: deny.status, code: deny.code, message: deny.message, details: deny.details });
  return { status: deny.status, body: error.toBody() };
}

export function bypassDetails(evaluation: ActionEvaluation) {
  return evaluation.bypassed.map((b) => ({ gateId: b.gate.id, name: b.gate.name, by: b.by }));
}

function countLines(text: string | undefined): number {
  if (!text) return 0;
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  return text.endsWith('\n') ? n : n + 1;
}

export interface NewRequest {
  action: Action;
  justification: string;
  payload?: { revision?: string | undefined; diff?: string | undefined; summary?: string | undefined } | undefined;
  effect?: Effect;
}

/** Records a request after evaluation: pending with its gates, or approved at once. */
export async function createRequest(ctx: ServiceContext, tx: StoreTx, actor: User, e: Evaluated, input: NewRequest): Promise<ApprovalRequest> {
  const now = ctx.now();
  const { revision, diff, summary } = input.payload ?? {};
  const ev = e.evaluation;
  const status = ev.outcome === 'pending' ? 'pending' : 'approved';
  const request: ApprovalRequest = {
    id: newId('req'),
    action: input.action,
    resource: e.resource,
    requesterId: actor.id,
    justification: input.justification,
    payload: {
      ...(revision !== undefined ? { revision } : {}),
      ...(summary !== undefined ? { summary } : {}),
      diffBytes: diff ? Buffer.byteLength(diff, 'utf8') : 0,
      diffLines: countLines(diff),
    },
    digest: sha256Hex(canonicalJson({ revision, diff, summary })),
    gates: ev.gates,
    decisions: [],
    status,
    warnings: ev.warnings,
    nudges: [],
    ...(ev.breakGlassSessionId ? { breakGlassSessionId: ev.breakGlassSessionId } : {}),
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + ctx.requestTtlMs).toISOString(),
  };
  await tx.insertRequest(request, diff, input.effect);
  await audit(
    tx,
    now,
    actor,
    'request.created',
    request.id,
    {
      action: request.action,
      resource: request.resource,
      status,
      justification: request.justification,
      revision,
      digest: request.digest,
      gates: ev.gates.map((g) => ({ gateId: g.id, name: g.name })),
      bypassed: bypassDetails(ev),
      warnings: ev.warnings,
    },
    ev.breakGlassSessionId,
  );
  if (status === 'approved' && input.effect) await applyEffect(ctx, tx, request, input.effect);
  return request;
}

const SPECIAL_ROUTES: Partial<Record<Action, string>> = {
  'environment.freeze': 'POST /api/environments/:id/freeze',
  'environment.unfreeze': 'POST /api/environments/:id/unfreeze',
  'environment.policyUpdate': 'PATCH /api/environments/:id',
  'breakglass.initiate': 'POST /api/breakglass',
};

export async function submitRequest(
  ctx: ServiceContext,
  tx: StoreTx,
  actor: User,
  body: { action: Action; resource: Resource; justification?: string | undefined; payload?: NewRequest['payload'] },
): Promise<Reply> {
  const route = SPECIAL_ROUTES[body.action];
  if (route) throw invalid(`action ${body.action} is requested through ${route}`, [{ path: ['action'], message: `use ${route}` }]);
  const justification = body.justification ?? '';
  const e = await evaluate(ctx, tx, actor, body.action, body.resource, justification);
  if (e.evaluation.outcome === 'deny') return refuse(ctx, tx, actor, body.action, e);
  const request = await createRequest(ctx, tx, actor, e, { action: body.action, justification, payload: body.payload });
  return { status: 201, body: { request } };
}

const notFoundRequest = () => new HttpError(404, 'not_found', 'request not found');

async function pendingRequest(ctx: ServiceContext, tx: StoreTx, id: string): Promise<ApprovalRequest | Reply> {
  const request = await tx.get('request', id);
  if (!request) throw notFoundRequest();
  if (request.status === 'pending' && Date.parse(request.expiresAt) <= ctx.now().getTime()) {
    await expireRequest(ctx, tx, request);
    return { status: 409, body: conflict('not_pending', 'request is expired').toBody() };
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
  body: { comment?: string | undefined; reviewedDigest?: string | undefined },
): Promise<Reply> {
  const found = await pendingRequest(ctx, tx, id);
  if (!('id' in found)) return found;
  const request = found;
  if (!isEligibleForAny(request, actor)) throw new HttpError(403, 'not_eligible', 'you are not an eligible approver for this request');
  if (request.decisions.some((d) => d.userId === actor.id)) throw conflict('already_reviewed', 'already reviewed');
  if (kind === 'approve' && body.reviewedDigest !== undefined && body.reviewedDigest !== request.digest) {
    throw new HttpError(412, 'stale_review', 'the request changed since you reviewed it: reload the diff and review again', { digest: request.digest });
  }
  const now = ctx.now();
  const decision: Decision = {
    userId: actor.id,
    kind,
    ...(body.comment ? { comment: body.comment } : {}),
    ...(body.reviewedDigest ? { reviewedDigest: body.reviewedDigest } : {}),
    at: now.toISOString(),
  };
  const decisions = [...request.decisions, decision];
  const users = new Map((await tx.list('user')).map((u) => [u.id, u]));
  const progress = evaluateProgress({ ...request, decisions }, users);
  const updated: ApprovalRequest = { ...request, decisions, status: progress.status, updatedAt: now.toISOString() };
  await tx.put('request', updated);
  await audit(tx, now, actor, kind === 'approve' ? 'request.approval' : 'request.rejection', id, { comment: body.comment, reviewedDigest: body.reviewedDigest });
  if (updated.status !== 'pending') {
    await audit(tx, now, actor, `request.${updated.status}`, id, { action: updated.action, resource: updated.resource, summary: progress.summary });
    if (updated.status === 'approved') {
      const effect = await tx.requestEffect(id);
      if (effect) await applyEffect(ctx, tx, updated, effect);
    }
  }
  return { status: 200, body: { request: updated } };
}

export async function cancel(ctx: ServiceContext, tx: StoreTx, actor: User, id: string): Promise<Reply> {
  const found = await pendingRequest(ctx, tx, id);
  if (!('id' in found)) return found;
  if (found.requesterId !== actor.id && !isAdmin(actor)) throw forbidden('only the requester or an admin can cancel this request');
  const now = ctx.now();
  const updated: ApprovalRequest = { ...found, status: 'cancelled', updatedAt: now.toISOString() };
  await tx.put('request', updated);
  await audit(tx, now, actor, 'request.cancelled', id, { action: updated.action });
  return { status: 200, body: { request: updated } };
}

/** One nudge per person per request per ten minutes: a reminder, not a pager. */
export const NUDGE_INTERVAL_MS = 10 * 60_000;

/**
 * Pings the people who can still approve (all of them, or the ones named). The nudge is recorded
 * on the request, so it reaches their desktops through sync and shows as a notification there.
 */
export async function nudge(ctx: ServiceContext, tx: StoreTx, actor: User, id: string, body: NudgeBody): Promise<Reply> {
  const found = await pendingRequest(ctx, tx, id);
  if (!('id' in found)) return found;
  const request = found;
  const mayNudge = actor.id === request.requesterId || isAdmin(actor) || holdsOrgRole(actor, 'release-manager') || isEligibleForAny(request, actor);
  if (!mayNudge) throw forbidden('only the requester, its approvers, release managers and admins can nudge a request');
  const users = new Map((await tx.list('user')).map((u) => [u.id, u]));
  const progress = evaluateProgress(request, users);
  const waiting = new Set(progress.gates.filter((g) => !g.passed).flatMap((g) => g.canStillApprove));
  waiting.delete(actor.id);
  const targets = [...new Set(body.userIds ?? waiting)];
  const cannot = targets.filter((u) => !waiting.has(u));
  if (cannot.length) throw invalid(`userIds: ${cannot.join(', ')} cannot approve this request now`, [{ path: ['userIds'], message: 'not among those who can still approve' }]);
  if (targets.length === 0) throw conflict('nobody_to_nudge', 'nobody else can approve this request right now');
  const now = ctx.now();
  const earlier = request.nudges ?? [];
  const last = earlier.findLast((n) => n.by === actor.id);
  if (last && now.getTime() - Date.parse(last.at) < NUDGE_INTERVAL_MS) {
    const wait = Math.ceil((NUDGE_INTERVAL_MS - (now.getTime() - Date.parse(last.at))) / 60_000);
    throw new HttpError(429, 'too_many_nudges', `you nudged this request recently; you can nudge again in ${wait} min`);
  }
  const entry = { by: actor.id, at: now.toISOString(), userIds: targets, ...(body.message ? { message: body.message } : {}) };
  const updated: ApprovalRequest = { ...request, nudges: [...earlier, entry], updatedAt: now.toISOString() };
  await tx.put('request', updated);
  await audit(tx, now, actor, 'request.nudged', id, { userIds: targets, message: body.message });
  return { status: 200, body: { request: updated } };
}

export async function expireRequest(ctx: ServiceContext, tx: StoreTx, request: ApprovalRequest): Promise<void> {
  const now = ctx.now();
  await tx.put('request', { ...request, status: 'expired', updatedAt: now.toISOString() });
  await audit(tx, now, 'system', 'request.expired', request.id, { action: request.action, expiresAt: request.expiresAt });
}
