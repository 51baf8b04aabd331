import type { FastifyInstance } from 'fastify';
import { CreateEnvironmentBody, FreezeBody, PatchEnvironmentBody, UnfreezeBody } from '../../../shared/schemas/index.ts';
import type { ServiceContext } from '../../domain/context.ts';
import { createEnvironment, freeze, patchEnvironment, unfreeze } from '../../domain/environments.ts';
import { notFound } from '../../domain/errors.ts';
import { mutationRoute, type IdParams } from '../mutation.ts';

export function registerEnvironmentRoutes(app: FastifyInstance, ctx: ServiceContext): void {
  const { store } = ctx;
  const present = (environment: unknown) => ({ environment });

  app.post(
    '/api/environments',
    mutationRoute(ctx, CreateEnvironmentBody, (tx, body, req) => createEnvironment(ctx, tx, req.user, body), present),
  );
  app.get('/api/environments', async () => ({ environments: await store.list('environment') }));
  app.get<IdParams>('/api/environments/:id', async (req) => {
    const environment = await store.get('environment', req.params.id);
    if (!environment) throw notFound('environment');
    return { environment };
  });
  // These three are gated actions: a held one answers 202 with the pending request.
  app.patch<IdParams>(
    '/api/environments/:id',
    mutationRoute(ctx, PatchEnvironmentBody, (tx, body, req) => patchEnvironment(ctx, tx, req.user, req.params.id, body), present),
  );
  app.post<IdParams>(
    '/api/environments/:id/freeze',
    mutationRoute(ctx, FreezeBody, (tx, body, req) => freeze(ctx, tx, req.user, req.params.id, body), present),
  );
  app.post<IdParams>(
    '/api/environments/:id/unfreeze',
    mutationRoute(ctx, UnfreezeBody, (tx, body, req) => unfreeze(ctx, tx, req.user, req.params.id, body), present),
  );
}
