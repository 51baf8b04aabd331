import type { FastifyInstance } from 'fastify';
import { awaitsReview } from '../../../shared/policy/index.ts';
import { BreakGlassListQuery, ReviewBreakGlassBody, StartBreakGlassBody } from '../../../shared/schemas/index.ts';
import type { ServiceContext } from '../../domain/context.ts';
import { isActive, revokeBreakGlass, reviewBreakGlass, startBreakGlass } from '../../domain/breakglass.ts';
import { mutationRoute, type IdParams } from '../mutation.ts';
import { parse } from '../validate.ts';

export function registerBreakGlassRoutes(app: FastifyInstance, ctx: ServiceContext): void {
  const { store } = ctx;
  const present = (session: unknown) => ({ session });

  // Starting is a gated action: a held start answers 202 with the pending request.
  app.post(
    '/api/breakglass',
    mutationRoute(ctx, StartBreakGlassBody, (tx, body, req) => startBreakGlass(ctx, tx, req.user, body), present),
  );
  app.get('/api/breakglass', async (req) => {
    const q = parse(BreakGlassListQuery, req.query, 'query');
    const now = ctx.now();
    const byActivity = q.active === 'true' ? await store.activeSessions(now) : await store.list('breakglass');
    const sessions = q.active === 'false' ? byActivity.filter((s) => !isActive(s, now)) : byActivity;
    return { sessions: q.review === 'pending' ? sessions.filter((s) => awaitsReview(s, now.getTime())) : sessions };
  });
  app.post<IdParams>(
    '/api/breakglass/:id/revoke',
    mutationRoute(ctx, null, (tx, _body, req) => revokeBreakGlass(ctx, tx, req.user, req.params.id), present),
  );
  app.post<IdParams>(
    '/api/breakglass/:id/review',
    mutationRoute(ctx, ReviewBreakGlassBody, (tx, body, req) => reviewBreakGlass(ctx, tx, req.user, req.params.id, body), present),
  );
}
