import type { FastifyInstance } from 'fastify';
import { BreakGlassListQuery, StartBreakGlassBody } from '../../../shared/schemas/index.ts';
import type { ServiceContext } from '../../domain/context.ts';
import { isActive, revokeBreakGlass, startBreakGlass } from '../../domain/breakglass.ts';
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
    if (q.active === 'true') return { sessions: await store.activeSessions(ctx.now()) };
    const all = await store.list('breakglass');
    const now = ctx.now();
    return { sessions: q.active === 'false' ? all.filter((s) => !isActive(s, now)) : all };
  });
  app.post<IdParams>(
    '/api/breakglass/:id/revoke',
    mutationRoute(ctx, null, (tx, _body, req) => revokeBreakGlass(ctx, tx, req.user, req.params.id), present),
  );
}
