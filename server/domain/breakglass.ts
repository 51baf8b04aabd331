// Break-glass: an incident commander's time-limited override. Sessions end on their own at
// expiresAt (the sweeper records it) or when revoked.
import type { BreakGlassSession, ReviewBreakGlassBody, StartBreakGlassBody, User } from '../../shared/schemas/index.ts';
import { BREAKGLASS_AUTHORITY_REFUSAL, breakGlassReviewRefusal, isAdmin, mayBreakGlass, sessionEnded } from '../../shared/policy/index.ts';
import type { StoreTx } from '../store/types.ts';
import { audit, type ServiceContext } from './context.ts';
import { createRequest } from './create-request.ts';
import { conflict, forbidden, notFound } from './errors.ts';
import { evaluate, refuse } from './evaluate.ts';
import { newId } from './ids.ts';
import { assertRefs } from './refs.ts';
import { changed, created, held, type Result } from './result.ts';

export function isActive(s: BreakGlassSession, now: Date): boolean {
  return !s.endedAt && Date.parse(s.startedAt) <= now.getTime() && now.getTime() < Date.parse(s.expiresAt);
}

export async function openSession(
  ctx: ServiceContext,
  tx: StoreTx,
  user: User,
  input: { reason: string; scope: BreakGlassSession['scope']; durationMinutes: number },
  requestId?: string,
): Promise<BreakGlassSession> {
  const now = ctx.now();
  const session: BreakGlassSession = {
    id: newId('bg'),
    userId: user.id,
    reason: input.reason,
    scope: input.scope,
    startedAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + input.durationMinutes * 60_000).toISOString(),
  };
  await tx.put('breakglass', session);
  await audit(
    tx,
    now,
    user,
    'breakglass.started',
    session.id,
    { reason: input.reason, scope: input.scope, durationMinutes: input.durationMinutes, expiresAt: session.expiresAt, ...(requestId ? { requestId } : {}) },
    session.id,
  );
  return session;
}

export async function startBreakGlass(ctx: ServiceContext, tx: StoreTx, actor: User, body: StartBreakGlassBody): Promise<Result<BreakGlassSession>> {
  if (!mayBreakGlass(actor)) throw forbidden(BREAKGLASS_AUTHORITY_REFUSAL);
  const now = ctx.now();
  if ((await tx.sessionsOf(actor.id)).some((s) => isActive(s, now))) throw conflict('active_session', 'you already have an active break-glass session');
  await assertRefs(tx, [['environment', body.scope.environmentIds, 'scope.environmentIds']]);
  const e = await evaluate(ctx, tx, actor, 'breakglass.initiate', {}, body.reason);
  if (e.evaluation.outcome === 'deny') return refuse(ctx, tx, actor, 'breakglass.initiate', e);
  if (e.evaluation.outcome === 'pending') {
    const request = await createRequest(ctx, tx, actor, e, {
      action: 'breakglass.initiate',
      justification: body.reason,
      payload: { summary: `Break-glass for ${body.durationMinutes} min: ${body.scope.actions.join(', ')}` },
      effect: { type: 'breakglass', reason: body.reason, scope: body.scope, durationMinutes: body.durationMinutes },
    });
    return held(request);
  }
  return created(await openSession(ctx, tx, actor, body));
}

export async function revokeBreakGlass(ctx: ServiceContext, tx: StoreTx, actor: User, id: string): Promise<Result<BreakGlassSession>> {
  const session = await tx.get('breakglass', id);
  if (!session) throw notFound('break-glass session');
  if (session.userId !== actor.id && !isAdmin(actor)) throw forbidden('only the session holder or an admin can revoke a break-glass session');
  const now = ctx.now();
  if (!isActive(session, now)) throw conflict('session_ended', 'break-glass session has already ended');
  const ended: BreakGlassSession = { ...session, endedAt: now.toISOString(), endedBy: actor.id };
  await tx.put('breakglass', ended);
  await audit(tx, now, actor, 'breakglass.revoked', id, { durationSeconds: Math.round((now.getTime() - Date.parse(session.startedAt)) / 1000) }, id);
  return changed(ended);
}

export async function expireBreakGlass(ctx: ServiceContext, tx: StoreTx, id: string): Promise<void> {
  const session = await tx.get('breakglass', id);
  if (!session || session.endedAt || Date.parse(session.expiresAt) > ctx.now().getTime()) return;
  await tx.put('breakglass', { ...session, endedAt: session.expiresAt, endedBy: 'system' });
  await audit(
    tx,
    ctx.now(),
    'system',
    'breakglass.expired',
    id,
    { durationSeconds: Math.round((Date.parse(session.expiresAt) - Date.parse(session.startedAt)) / 1000) },
    id,
  );
}

/**
 * An auditor's verdict on an ended session. The review is not an action under the session, so its
 * audit event carries no breakGlassSessionId (it would read as `breakGlass: true`); the session id
 * is its subject.
 */
export async function reviewBreakGlass(
  ctx: ServiceContext,
  tx: StoreTx,
  actor: User,
  id: string,
  body: ReviewBreakGlassBody,
): Promise<Result<BreakGlassSession>> {
  const session = await tx.get('breakglass', id);
  if (!session) throw notFound('break-glass session');
  const refusal = breakGlassReviewRefusal(actor, session);
  if (refusal) throw forbidden(refusal);
  const now = ctx.now();
  if (!sessionEnded(session, now.getTime())) throw conflict('session_active', 'break-glass session is still active: review it once it has ended');
  if (session.review) throw conflict('already_reviewed', 'break-glass session has already been reviewed');
  const reviewed: BreakGlassSession = { ...session, review: { by: actor.id, at: now.toISOString(), verdict: body.verdict, notes: body.notes } };
  await tx.put('breakglass', reviewed);
  await audit(tx, now, actor, 'breakglass.reviewed', id, { verdict: body.verdict, notes: body.notes, holderId: session.userId });
  return changed(reviewed);
}
